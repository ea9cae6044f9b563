package gnmisrv

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/netagent/netagent/lab/datastore"
	"github.com/netagent/netagent/lab/synth"
	"github.com/netagent/netagent/yang"
)

// startServer serves a datastore holding eth1 and eth2 (and their state)
// and returns a client with the credentials in ctx.
func startServer(t *testing.T) (gpb.GNMIClient, context.Context) {
	t.Helper()
	tr := yang.NewTree()
	for _, n := range []string{"eth1", "eth2"} {
		if err := tr.Set(yang.InterfacePath(n).Leaf("config", "mtu"), uint64(1500)); err != nil {
			t.Fatal(err)
		}
	}
	st := datastore.New("r1", tr)
	t.Cleanup(st.Close)
	srv, err := New(Config{Device: "r1", Store: st, Username: "admin", Password: "lab",
		State: func(time.Time) []synth.Point {
			return []synth.Point{{Path: "/interfaces/interface[name=eth1]/state/oper-status", Value: "UP"},
				{Path: "/interfaces/interface[name=eth1]/state/mtu", Value: uint64(1500)}}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx := metadata.AppendToOutgoingContext(t.Context(), "username", "admin", "password", "lab")
	return gpb.NewGNMIClient(conn), ctx
}

func gpath(t *testing.T, s string) *gpb.Path {
	t.Helper()
	p, err := yang.ParseAnyPath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p.GNMI()
}

// TestGetWildcardKeys: Get accepts wildcard keys, as Subscribe does, and
// answers every matching entry.
func TestGetWildcardKeys(t *testing.T) {
	c, ctx := startServer(t)
	resp, err := c.Get(ctx, &gpb.GetRequest{Type: gpb.GetRequest_CONFIG, Encoding: gpb.Encoding_JSON_IETF,
		Path: []*gpb.Path{{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": "*"}}, {Name: "config"}, {Name: "mtu"}}}}})
	if err != nil {
		t.Fatalf("Get interface[name=*]/config/mtu: %v", err)
	}
	names := map[string]bool{}
	for _, n := range resp.GetNotification() {
		for _, u := range n.GetUpdate() {
			names[u.GetPath().GetElem()[1].GetKey()["name"]] = true
		}
	}
	if !names["eth1"] || !names["eth2"] || len(names) != 2 {
		t.Errorf("wildcard Get answered interfaces %v, want eth1 and eth2", names)
	}
}

// TestGetEncodingJSON: a Get asking for JSON answers json_val (without
// module prefixes), not json_ietf_val.
func TestGetEncodingJSON(t *testing.T) {
	c, ctx := startServer(t)
	resp, err := c.Get(ctx, &gpb.GetRequest{Type: gpb.GetRequest_CONFIG, Encoding: gpb.Encoding_JSON,
		Path: []*gpb.Path{gpath(t, "/interfaces/interface[name=eth1]")}})
	if err != nil {
		t.Fatal(err)
	}
	u := resp.GetNotification()[0].GetUpdate()[0]
	js := u.GetVal().GetJsonVal()
	if js == nil || u.GetVal().GetJsonIetfVal() != nil {
		t.Fatalf("encoding JSON answered %v, want json_val", u.GetVal())
	}
	if strings.Contains(string(js), "openconfig-") || !strings.Contains(string(js), "1500") {
		t.Errorf("json_val %s: want plain JSON with the mtu", js)
	}
}

// TestUnknownPathIsNotFoundEverywhere: a path outside the model gets the
// same NotFound from Get, Set and Subscribe.
func TestUnknownPathIsNotFoundEverywhere(t *testing.T) {
	c, ctx := startServer(t)
	bogus := &gpb.Path{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": "eth1"}}, {Name: "config"}, {Name: "warp-factor"}}}
	_, gerr := c.Get(ctx, &gpb.GetRequest{Encoding: gpb.Encoding_JSON_IETF, Path: []*gpb.Path{bogus}})
	_, serr := c.Set(ctx, &gpb.SetRequest{Update: []*gpb.Update{{Path: bogus, Val: &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: 9}}}}})
	stream, err := c.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{
		Mode: gpb.SubscriptionList_ONCE, Encoding: gpb.Encoding_JSON_IETF, Subscription: []*gpb.Subscription{{Path: bogus}}}}}); err != nil {
		t.Fatal(err)
	}
	var suberr error
	for {
		if _, suberr = stream.Recv(); suberr != nil {
			break
		}
	}
	for what, err := range map[string]error{"Get": gerr, "Set": serr, "Subscribe": suberr} {
		if status.Code(err) != codes.NotFound || !strings.Contains(status.Convert(err).Message(), "no such path") {
			t.Errorf("%s of an unknown path: %v, want NotFound \"no such path\"", what, err)
		}
	}
}

// TestSetStateIsReadOnly: writing a state leaf is refused as read-only,
// not as an unknown element.
func TestSetStateIsReadOnly(t *testing.T) {
	c, ctx := startServer(t)
	_, err := c.Set(ctx, &gpb.SetRequest{Update: []*gpb.Update{{Path: gpath(t, "/interfaces/interface[name=eth1]/state/mtu"),
		Val: &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: 9000}}}}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "read-only") {
		t.Errorf("Set of a state leaf: %v, want InvalidArgument saying read-only", err)
	}
}
