package lab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/proto/gnmi_ext"
	"golang.org/x/crypto/ssh"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/yang"
)

func gnmiClient(t *testing.T, l *Lab, dev string, creds credentials.TransportCredentials) (gpb.GNMIClient, context.Context) {
	t.Helper()
	d, _ := l.Device(dev)
	ep, ok := d.Endpoint(ProtoGNMI)
	if !ok {
		t.Fatalf("%s has no gnmi", dev)
	}
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	cc, err := grpc.NewClient(ep.Addr(), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	c := l.Credentials()
	return gpb.NewGNMIClient(cc), metadata.AppendToOutgoingContext(ctx, "username", c.Username, "password", c.Password)
}

func gpath(t *testing.T, s string) *gpb.Path {
	t.Helper()
	return yang.MustParsePath(s).GNMI()
}

func TestGNMIConformance(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	c, ctx := gnmiClient(t, l, "r1", nil)

	capr, err := c.Capabilities(ctx, &gpb.CapabilityRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if capr.GetGNMIVersion() == "" || len(capr.GetSupportedModels()) < 3 {
		t.Errorf("capabilities: %v", capr)
	}

	// Authentication is checked.
	_, err = c.Capabilities(context.Background(), &gpb.CapabilityRequest{})
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("no credentials: got %v, want Unauthenticated", err)
	}

	// Get: configuration as JSON_IETF.
	g, err := c.Get(ctx, &gpb.GetRequest{Path: []*gpb.Path{gpath(t, "/interfaces/interface[name=e1-1]/config")}, Encoding: gpb.Encoding_JSON_IETF, Type: gpb.GetRequest_CONFIG})
	if err != nil {
		t.Fatal(err)
	}
	js := string(g.GetNotification()[0].GetUpdate()[0].GetVal().GetJsonIetfVal())
	if !strings.Contains(js, `"description":"to r2:eth1"`) {
		t.Errorf("get config: %s", js)
	}
	// Get: state.
	g, err = c.Get(ctx, &gpb.GetRequest{Path: []*gpb.Path{{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": "e1-1"}}, {Name: "state"}, {Name: "oper-status"}}}}, Encoding: gpb.Encoding_JSON_IETF, Type: gpb.GetRequest_STATE})
	if err != nil {
		t.Fatal(err)
	}
	if v := g.GetNotification()[0].GetUpdate()[0].GetVal().GetStringVal(); v != "UP" {
		t.Errorf("oper-status: %q", v)
	}
	// Get of nothing.
	if _, err := c.Get(ctx, &gpb.GetRequest{Path: []*gpb.Path{gpath(t, "/interfaces/interface[name=nope]")}, Encoding: gpb.Encoding_JSON_IETF}); status.Code(err) != codes.NotFound {
		t.Errorf("get missing: %v", err)
	}

	// Set is atomic: a bad update spoils the whole request.
	descr := gpath(t, "/interfaces/interface[name=e1-1]/config/description")
	mtu := gpath(t, "/interfaces/interface[name=e1-1]/config/mtu")
	_, err = c.Set(ctx, &gpb.SetRequest{Update: []*gpb.Update{
		{Path: descr, Val: &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: "half"}}},
		{Path: mtu, Val: &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: 10}}},
	}})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("bad set: got %v, want InvalidArgument", err)
	}
	if got := descrOf(t, l, "r1"); got != "to r2:eth1" {
		t.Errorf("after a failed set: description %q", got)
	}
	// A good Set is visible over NETCONF at once.
	if _, err := c.Set(ctx, &gpb.SetRequest{Update: []*gpb.Update{{Path: descr, Val: &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: []byte(`"via gnmi"`)}}}}}); err != nil {
		t.Fatal(err)
	}
	nc := ncOpen(t, l, "r1", "1.1")
	r, _ := nc.GetConfig("running")
	if !strings.Contains(r.Result, "<description>via gnmi</description>") {
		t.Errorf("netconf does not see the gnmi change: %s", r.Result)
	}
	// A NETCONF lock on running keeps gNMI out.
	if r, _ := nc.Lock("running"); r.Failed != nil {
		t.Fatal(r.Result)
	}
	_, err = c.Set(ctx, &gpb.SetRequest{Delete: []*gpb.Path{descr}})
	if status.Code(err) != codes.Aborted {
		t.Errorf("set under a netconf lock: want Aborted (nothing applied, retry later), got %v", err)
	}
	_, _ = nc.Unlock("running")
	if _, err := c.Set(ctx, &gpb.SetRequest{Delete: []*gpb.Path{descr}}); err != nil {
		t.Errorf("delete after unlock: %v", err)
	}
}

// subscribe opens a Subscribe stream on c and sends sl.
func subscribe(ctx context.Context, t *testing.T, c gpb.GNMIClient, sl *gpb.SubscriptionList) gpb.GNMI_SubscribeClient {
	t.Helper()
	s, err := c.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: sl}}); err != nil {
		t.Fatal(err)
	}
	return s
}

// recvUntilSync reads s up to its sync_response and returns the updates.
func recvUntilSync(t *testing.T, s gpb.GNMI_SubscribeClient) []*gpb.Update {
	t.Helper()
	var ups []*gpb.Update
	for {
		r, err := s.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if r.GetSyncResponse() {
			return ups
		}
		ups = append(ups, r.GetUpdate().GetUpdate()...)
	}
}

func TestGNMISubscribe(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	c, ctx := gnmiClient(t, l, "r1", nil)
	ifPath := &gpb.Path{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": "e1-1"}}}}

	t.Run("once", func(t *testing.T) {
		s := subscribe(ctx, t, c, &gpb.SubscriptionList{Mode: gpb.SubscriptionList_ONCE, Subscription: []*gpb.Subscription{{Path: ifPath}}})
		ups := recvUntilSync(t, s)
		if !hasLeaf(ups, "in-octets") || !hasLeaf(ups, "description") {
			t.Errorf("once: %d updates, want config and counters", len(ups))
		}
		if _, err := s.Recv(); !errors.Is(err, io.EOF) {
			t.Errorf("once: stream did not end: %v", err)
		}
	})
	t.Run("poll", func(t *testing.T) {
		s := subscribe(ctx, t, c, &gpb.SubscriptionList{Mode: gpb.SubscriptionList_POLL, Subscription: []*gpb.Subscription{{Path: ifPath}}})
		recvUntilSync(t, s)
		for i := 0; i < 2; i++ {
			_ = s.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Poll{Poll: &gpb.Poll{}}})
			if ups := recvUntilSync(t, s); !hasLeaf(ups, "oper-status") {
				t.Errorf("poll %d: no oper-status", i)
			}
		}
		_ = s.CloseSend()
	})
	t.Run("stream on-change and sample", func(t *testing.T) {
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		s := subscribe(sctx, t, c, &gpb.SubscriptionList{Mode: gpb.SubscriptionList_STREAM, Subscription: []*gpb.Subscription{
			{Path: &gpb.Path{Elem: append(ifPath.Elem, &gpb.PathElem{Name: "config"})}, Mode: gpb.SubscriptionMode_ON_CHANGE},
			{Path: &gpb.Path{Elem: append(ifPath.Elem[:2:2], &gpb.PathElem{Name: "state"}, &gpb.PathElem{Name: "counters"}, &gpb.PathElem{Name: "in-octets"})}, Mode: gpb.SubscriptionMode_SAMPLE, SampleInterval: uint64(100 * time.Millisecond)},
		}})
		recvUntilSync(t, s)
		c2, ctx2 := gnmiClient(t, l, "r1", nil)
		if _, err := c2.Set(ctx2, &gpb.SetRequest{Update: []*gpb.Update{{Path: gpath(t, "/interfaces/interface[name=e1-1]/config/description"), Val: &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: "changed"}}}}}); err != nil {
			t.Fatal(err)
		}
		samples, sawChange := 0, false
		deadline := time.Now().Add(5 * time.Second)
		for (!sawChange || samples < 3) && time.Now().Before(deadline) {
			r, err := s.Recv()
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range r.GetUpdate().GetUpdate() {
				last := u.GetPath().GetElem()[len(u.GetPath().GetElem())-1].GetName()
				switch {
				case last == "description" && u.GetVal().GetStringVal() == "changed":
					sawChange = true
				case last == "in-octets":
					samples++
				}
			}
		}
		if !sawChange || samples < 3 {
			t.Errorf("stream: change seen %v, %d samples", sawChange, samples)
		}
	})
}

func hasLeaf(ups []*gpb.Update, name string) bool {
	for _, u := range ups {
		es := u.GetPath().GetElem()
		if len(es) > 0 && es[len(es)-1].GetName() == name {
			return true
		}
	}
	return false
}

func TestGNMITLS(t *testing.T) {
	t.Parallel()
	tp, _ := topo.Parse([]byte(twoNode))
	l, err := Start(context.Background(), tp, Options{Dir: t.TempDir(), GNMITLS: true, NoAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	pem, err := os.ReadFile(l.GNMICAPath())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, ctx := gnmiClient(t, l, "r1", credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	if _, err := c.Capabilities(ctx, &gpb.CapabilityRequest{}); err != nil {
		t.Fatalf("capabilities over TLS: %v", err)
	}
	if d, _ := l.Device("r1"); !d.Endpoints[1].TLS {
		t.Errorf("endpoint does not say tls: %+v", d.Endpoints)
	}
}

func TestGNMIWildcardSubscription(t *testing.T) {
	t.Parallel()
	l := startLab(t, `name: w
topology:
  nodes:
    a: {kind: nokia_srlinux}
    b: {kind: nokia_srlinux}
    c: {kind: nokia_srlinux}
  links:
    - endpoints: ["a:e1", "b:e1"]
    - endpoints: ["a:e2", "c:e1"]
`)
	c, ctx := gnmiClient(t, l, "a", nil)
	p := &gpb.Path{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": "*"}}, {Name: "state"}, {Name: "oper-status"}}}
	s := subscribe(ctx, t, c, &gpb.SubscriptionList{
		Mode: gpb.SubscriptionList_STREAM, Subscription: []*gpb.Subscription{{Path: p, Mode: gpb.SubscriptionMode_TARGET_DEFINED}}})
	got := map[string]string{}
	for _, u := range recvUntilSync(t, s) {
		got[u.GetPath().GetElem()[1].GetKey()["name"]] = u.GetVal().GetStringVal()
	}
	if len(got) != 2 || got["e1"] != "UP" || got["e2"] != "UP" {
		t.Fatalf("initial oper-status: %v", got)
	}
	// A link event is pushed without asking (state is checked each second).
	if err := l.SetLink("c:e1", false); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for got["e2"] != "DOWN" && time.Now().Before(deadline) {
		r, err := s.Recv()
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range r.GetUpdate().GetUpdate() {
			got[u.GetPath().GetElem()[1].GetKey()["name"]] = u.GetVal().GetStringVal()
		}
	}
	if got["e2"] != "DOWN" {
		t.Errorf("no on-change update for the link going down: %v", got)
	}
}

func TestSSHRejectsBadPassword(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	d, _ := l.Device("r1")
	ep, _ := d.Endpoint(ProtoNETCONF)
	_, err := ssh.Dial("tcp", ep.Addr(), &ssh.ClientConfig{User: "admin", Auth: []ssh.AuthMethod{ssh.Password("wrong")},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
	if err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
}

func TestGNMICommitConfirmed(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	c, ctx := gnmiClient(t, l, "r1", nil)
	descr := gpath(t, "/interfaces/interface[name=e1-1]/config/description")
	ext := func(cm *gnmi_ext.Commit) []*gnmi_ext.Extension {
		return []*gnmi_ext.Extension{{Ext: &gnmi_ext.Extension_Commit{Commit: cm}}}
	}
	set := func(v string, cm *gnmi_ext.Commit) error {
		req := &gpb.SetRequest{Extension: ext(cm)}
		if v != "" {
			req.Update = []*gpb.Update{{Path: descr, Val: &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: v}}}}
		}
		_, err := c.Set(ctx, req)
		return err
	}
	start := &gnmi_ext.Commit{Id: "c1", Action: &gnmi_ext.Commit_Commit{Commit: &gnmi_ext.CommitRequest{RollbackDuration: durationpb.New(time.Second)}}}
	if err := set("provisional", start); err != nil {
		t.Fatal(err)
	}
	if got := descrOf(t, l, "r1"); got != "provisional" {
		t.Fatalf("after confirmed set: %q", got)
	}
	if err := set("second", start); status.Code(err) != codes.AlreadyExists {
		t.Errorf("second confirmed set while one is pending: %v", err)
	}
	waitFor(t, "the gnmi rollback", 5*time.Second, func() bool { return descrOf(t, l, "r1") == "to r2:eth1" })

	// Confirmed in time: it stays.
	if err := set("kept", &gnmi_ext.Commit{Id: "c2", Action: &gnmi_ext.Commit_Commit{Commit: &gnmi_ext.CommitRequest{RollbackDuration: durationpb.New(time.Second)}}}); err != nil {
		t.Fatal(err)
	}
	if err := set("", &gnmi_ext.Commit{Id: "wrong", Action: &gnmi_ext.Commit_Confirm{Confirm: &gnmi_ext.CommitConfirm{}}}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("confirm with a wrong id: %v", err)
	}
	if err := set("", &gnmi_ext.Commit{Id: "c2", Action: &gnmi_ext.Commit_Confirm{Confirm: &gnmi_ext.CommitConfirm{}}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if got := descrOf(t, l, "r1"); got != "kept" {
		t.Errorf("confirmed change reverted: %q", got)
	}
	// Cancel reverts at once.
	if err := set("cancelled", &gnmi_ext.Commit{Id: "c3", Action: &gnmi_ext.Commit_Commit{Commit: &gnmi_ext.CommitRequest{RollbackDuration: durationpb.New(time.Minute)}}}); err != nil {
		t.Fatal(err)
	}
	if err := set("", &gnmi_ext.Commit{Id: "c3", Action: &gnmi_ext.Commit_Cancel{Cancel: &gnmi_ext.CommitCancel{}}}); err != nil {
		t.Fatal(err)
	}
	if got := descrOf(t, l, "r1"); got != "kept" {
		t.Errorf("after cancel: %q", got)
	}
}

func TestGNMIHeartbeat(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	c, ctx := gnmiClient(t, l, "r1", nil)
	s := subscribe(ctx, t, c, &gpb.SubscriptionList{
		Mode: gpb.SubscriptionList_STREAM, Subscription: []*gpb.Subscription{{Path: gpath(t, "/interfaces/interface[name=e1-1]/config/description"),
			Mode: gpb.SubscriptionMode_ON_CHANGE, HeartbeatInterval: uint64(200 * time.Millisecond)}}})
	recvUntilSync(t, s)
	// Nothing changes, yet the heartbeat re-sends the value.
	r, err := s.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if ups := r.GetUpdate().GetUpdate(); len(ups) != 1 || ups[0].GetVal().GetStringVal() != "to r2:eth1" {
		t.Errorf("heartbeat update: %v", r)
	}
}
