package telemetry_test

import (
	"context"
	"math"
	"sort"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/telemetry"
)

// capture subscribes to r1 of a running lab and returns n responses as
// they came on the wire.
func capture(t testing.TB, l *lab.Lab, n int) [][]byte {
	t.Helper()
	info, _ := l.Device("r1")
	var addr string
	for _, e := range info.Endpoints {
		if e.Protocol == "gnmi" {
			addr = e.Addr()
		}
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	creds := l.Credentials()
	ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.Background(), "username", creds.Username, "password", creds.Password), 30*time.Second)
	defer cancel()
	stream, err := gpb.NewGNMIClient(conn).Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	list := &gpb.SubscriptionList{Mode: gpb.SubscriptionList_STREAM, Encoding: gpb.Encoding_JSON_IETF}
	for _, p := range telemetry.SubscriptionPaths {
		gp, err := gnmi.ParsePath(p)
		if err != nil {
			t.Fatal(err)
		}
		list.Subscription = append(list.Subscription, &gpb.Subscription{Path: gp, Mode: gpb.SubscriptionMode_SAMPLE, SampleInterval: uint64(100 * time.Millisecond)})
	}
	if err := stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: list}}); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for len(out) < n {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		b, err := proto.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestIngesterAgreesWithTheGenericPath feeds the same captured lab
// responses through the wire-level ingester and through the generic path
// (proto.Unmarshal, the gNMI adapter's Updates, the Normalizer): both
// store the same samples.
func TestIngesterAgreesWithTheGenericPath(t *testing.T) {
	l, _ := startLab(t)
	msgs := capture(t, l, 12)
	fast := telemetry.NewStore(telemetry.StoreOptions{})
	in := telemetry.NewIngester("r1", fast)
	slow := telemetry.NewStore(telemetry.StoreOptions{})
	norm := telemetry.NewNormalizer()
	total := 0
	for _, m := range msgs {
		n, _, err := in.Ingest(m)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		var resp gpb.SubscribeResponse
		if err := proto.Unmarshal(m, &resp); err != nil {
			t.Fatal(err)
		}
		if resp.GetUpdate() == nil {
			continue
		}
		for _, u := range gnmi.Updates("r1", resp.GetUpdate()) {
			if s, ok, _ := norm.Normalize("r1", u.Path, u.Time, u.Value); ok {
				if err := slow.Add(s); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if total == 0 {
		t.Fatal("no updates captured")
	}
	fk, sk := fast.Keys(), slow.Keys()
	if len(fk) == 0 || len(fk) != len(sk) {
		t.Fatalf("series: ingester %d %v, generic %d %v", len(fk), fk, len(sk), sk)
	}
	for i := range fk {
		if fk[i] != sk[i] {
			t.Fatalf("series %d: ingester %s, generic %s", i, fk[i], sk[i])
		}
		fp, sp := fast.Points(fk[i], time.Time{}), slow.Points(sk[i], time.Time{})
		if len(fp) != len(sp) {
			t.Fatalf("%s: ingester %d points, generic %d", fk[i], len(fp), len(sp))
		}
		for j := range fp {
			if !fp[j].Time.Equal(sp[j].Time) || math.Abs(fp[j].Value-sp[j].Value) > 1e-6*math.Max(1, math.Abs(sp[j].Value)) {
				t.Fatalf("%s point %d: ingester %+v, generic %+v", fk[i], j, fp[j], sp[j])
			}
		}
	}
	stored, drops := in.Stats()
	t.Logf("%d responses, %d updates, %d samples stored, %d dropped, %d series", len(msgs), total, stored, drops, len(fk))
}

func FuzzIngest(f *testing.F) {
	seed := &gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_Update{Update: &gpb.Notification{
		Timestamp: 1_700_000_000_000_000_000,
		Prefix:    &gpb.Path{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": "e1-1"}}}},
		Update: []*gpb.Update{
			{Path: &gpb.Path{Elem: []*gpb.PathElem{{Name: "state"}, {Name: "counters"}, {Name: "in-octets"}}}, Val: &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: 42}}},
			{Path: &gpb.Path{Elem: []*gpb.PathElem{{Name: "state"}, {Name: "oper-status"}}}, Val: &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: []byte(`"UP"`)}}},
		},
	}}}
	b, _ := proto.Marshal(seed)
	f.Add(b)
	f.Add([]byte{0x0a, 0x03, 0x22, 0x01, 0x0a})
	f.Fuzz(func(t *testing.T, msg []byte) {
		st := telemetry.NewStore(telemetry.StoreOptions{})
		in := telemetry.NewIngester("d", st)
		_, _, _ = in.Ingest(msg)
		_, _, _ = in.Ingest(msg)
		keys := st.Keys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			info, ok := telemetry.Info(k.Metric)
			if !ok {
				t.Fatalf("series of unknown metric %s", k)
			}
			for _, p := range st.Points(k, time.Time{}) {
				if math.IsNaN(p.Value) || p.Value < info.Min || p.Value > info.Max*1.0001 {
					t.Fatalf("%s holds %v, outside its range", k, p.Value)
				}
			}
		}
	})
}

// counterMsg is a SubscribeResponse with one reading of r1's e1-1
// out-octets counter.
func counterMsg(t testing.TB, at time.Time, v uint64) []byte {
	t.Helper()
	b, err := proto.Marshal(&gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_Update{Update: &gpb.Notification{
		Timestamp: at.UnixNano(),
		Update: []*gpb.Update{{Path: &gpb.Path{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": "e1-1"}},
			{Name: "state"}, {Name: "counters"}, {Name: "out-octets"}}}, Val: &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: v}}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRateNeedsASpan: a counter read again a few milliseconds after the
// previous reading (the last sample of a subscription, then the first of
// the one replacing it) makes no rate, and the earlier reading stays the
// baseline, on the wire path and the generic one alike. Over such a span
// the time between a device reading its counter and stamping the message
// is as large as the span: here the middle reading would make 96 Mbit/s
// of a counter going at 100 kbit/s (at 1,000 lab devices such rates went
// past 4 Tbit/s and were dropped as out of range).
func TestRateNeedsASpan(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	readings := []struct {
		at time.Time
		v  uint64
	}{
		{t0, 1_000_000},
		{t0.Add(5 * time.Millisecond), 1_000_000 + 60_000}, // 96 Mbit/s over 5 ms
		{t0.Add(10 * time.Second), 1_000_000 + 125_000},    // 100 kbit/s over 10 s
	}
	key := telemetry.Key{Metric: telemetry.IfOutBps, Device: "r1", Label: "e1-1"}
	st := telemetry.NewStore(telemetry.StoreOptions{})
	in := telemetry.NewIngester("r1", st)
	in.MinRateSpan = 500 * time.Millisecond
	norm := telemetry.NewNormalizer()
	norm.MinRateSpan = in.MinRateSpan
	var generic []float64
	for _, r := range readings {
		if _, _, err := in.Ingest(counterMsg(t, r.at, r.v)); err != nil {
			t.Fatal(err)
		}
		s, ok, err := norm.Normalize("r1", "/interfaces/interface[name=e1-1]/state/counters/out-octets", r.at, r.v)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			generic = append(generic, s.Value)
		}
	}
	pts := st.Points(key, time.Time{})
	if len(pts) != 1 || pts[0].Value != 100_000 || !pts[0].Time.Equal(readings[2].at) {
		t.Errorf("wire path stored %+v; want one rate of 100000 bit/s at the third reading", pts)
	}
	if len(generic) != 1 || generic[0] != 100_000 {
		t.Errorf("generic path rates %v; want [100000]", generic)
	}
	if _, drops := in.Stats(); drops != 0 {
		t.Errorf("%d drops; want none", drops)
	}
	// Without a span both make the 5 ms rate.
	st2 := telemetry.NewStore(telemetry.StoreOptions{})
	in2 := telemetry.NewIngester("r1", st2)
	for _, r := range readings {
		if _, _, err := in2.Ingest(counterMsg(t, r.at, r.v)); err != nil {
			t.Fatal(err)
		}
	}
	if pts := st2.Points(key, time.Time{}); len(pts) != 2 || pts[0].Value != 96_000_000 {
		t.Errorf("without a span: %+v; want the 5 ms rate (96 Mbit/s) first", pts)
	}
}
