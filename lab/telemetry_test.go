package lab

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/synth"
)

func TestLinkDownEverywhere(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	// Through the admin API, as `netagent lab fault link` does.
	resp, err := adminClient(l).Post("http://"+l.AdminAddr()+"/v1/links/r2:eth1/down", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("admin link down: %s", resp.Status)
	}
	c, ctx := gnmiClient(t, l, "r1", nil)
	g, err := c.Get(ctx, &gpb.GetRequest{Path: []*gpb.Path{{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": "e1-1"}}, {Name: "state"}, {Name: "oper-status"}}}}, Encoding: gpb.Encoding_JSON_IETF, Type: gpb.GetRequest_STATE})
	if err != nil {
		t.Fatal(err)
	}
	if v := g.GetNotification()[0].GetUpdate()[0].GetVal().GetStringVal(); v != "DOWN" {
		t.Errorf("gnmi oper-status after link down: %q", v)
	}
	g, err = c.Get(ctx, &gpb.GetRequest{Path: []*gpb.Path{{Elem: []*gpb.PathElem{{Name: "lab"}, {Name: "links"}, {Name: "link", Key: map[string]string{"local": "r1:e1-1"}}, {Name: "state"}, {Name: "loss-pct"}}}}, Encoding: gpb.Encoding_JSON_IETF})
	if err != nil {
		t.Fatal(err)
	}
	if v := g.GetNotification()[0].GetUpdate()[0].GetVal().GetDoubleVal(); v != 100 {
		t.Errorf("loss after link down: %v", v)
	}
	nc := ncOpen(t, l, "r1", "1.1")
	r, _ := nc.Get(`<lab xmlns="urn:netagent:lab"><routing/></lab>`)
	if !strings.Contains(r.Result, "<convergence-ms>") || strings.Contains(r.Result, "<convergence-ms>0</convergence-ms>") {
		t.Errorf("netconf get convergence: %s", r.Result)
	}
	drv := cliOpen(t, l, "r2", "arista_eos")
	sr, _ := drv.SendCommand("show interfaces eth1")
	if !strings.Contains(sr.Result, "eth1 is down, line protocol is down (notconnect)") {
		t.Errorf("cli after link down:\n%s", sr.Result)
	}
	sr, _ = drv.SendCommand("show lab resources")
	if !strings.Contains(sr.Result, "CPU utilization:") || !strings.Contains(sr.Result, "Power supply PSU1: ACTIVE") {
		t.Errorf("show lab resources:\n%s", sr.Result)
	}
	sr, _ = drv.SendCommand("show processes top once")
	if !strings.Contains(sr.Result, "%Cpu(s):") || !strings.Contains(sr.Result, "KiB Mem :") {
		t.Errorf("show processes top once:\n%s", sr.Result)
	}
	sr, _ = drv.SendCommand("show environment power")
	if !strings.Contains(sr.Result, "PWR-500AC-R") || !strings.Contains(sr.Result, " Ok") {
		t.Errorf("show environment power:\n%s", sr.Result)
	}
	if err := l.SetLink("r1:e1-1", true); err != nil {
		t.Fatal(err)
	}
	if err := l.SetLink("r1:e9", true); err == nil {
		t.Error("SetLink of an unknown endpoint: no error")
	}
}

func TestAdminAPIFaults(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	body, _ := json.Marshal(fault.Fault{Kind: fault.Latency, Protocol: fault.GNMI, Delay: 200 * time.Millisecond})
	resp, err := adminClient(l).Post("http://"+l.AdminAddr()+"/v1/devices/r1/faults", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("inject: %s", resp.Status)
	}
	c, ctx := gnmiClient(t, l, "r1", nil)
	start := time.Now()
	if _, err := c.Capabilities(ctx, &gpb.CapabilityRequest{}); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 200*time.Millisecond {
		t.Errorf("latency fault not applied: %v", time.Since(start))
	}
	resp, err = adminClient(l).Get("http://" + l.AdminAddr() + "/v1/devices/r1/faults")
	if err != nil {
		t.Fatal(err)
	}
	var fi FaultInfo
	_ = json.NewDecoder(resp.Body).Decode(&fi)
	resp.Body.Close()
	if len(fi.Faults) != 1 || fi.Hits["gnmi/latency"] != 1 {
		t.Errorf("fault info: %+v", fi)
	}
	resp, err = adminClient(l).Post("http://"+l.AdminAddr()+"/v1/devices/nope/faults", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown device: %s", resp.Status)
	}
	// Without the lab's admin token nothing gets through.
	resp, err = http.Post("http://"+l.AdminAddr()+"/v1/devices/r1/faults", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("fault without a token: %s, want 401 with a challenge", resp.Status)
	}
	if err := l.AddAnomaly(synth.Anomaly{Kind: synth.PSUFail, Target: "r1"}); err != nil {
		t.Fatal(err)
	}
	if err := l.AddAnomaly(synth.Anomaly{Kind: synth.LatencyClimb, Target: "r1:e9", Magnitude: 1}); !errors.Is(err, ErrUnknownLink) {
		t.Errorf("anomaly on an unknown link: %v", err)
	}
	if err := l.AddAnomaly(synth.Anomaly{Kind: "meteor", Target: "r1"}); !errors.Is(err, synth.ErrBadAnomaly) {
		t.Errorf("unknown anomaly kind: %v", err)
	}
	pts, _ := l.State("r1", time.Now())
	found := false
	for _, p := range pts {
		if p.Path == "/components/component[name=PSU2]/state/oper-status" && p.Value == "INACTIVE" {
			found = true
		}
	}
	if !found {
		t.Error("psu-fail anomaly not in state")
	}
}

func TestNETCONFHangAndDropCommit(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	fr, done := rawSession(t, l, "r1")
	defer done()
	if err := l.InjectFault("r1", fault.Fault{Kind: fault.DropCommit, Protocol: fault.NETCONF}); err != nil {
		t.Fatal(err)
	}
	_ = fr.WriteMsg([]byte(`<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><edit-config><target><candidate/></target><config><interfaces xmlns="http://openconfig.net/yang/interfaces"><interface><name>e1-1</name><config><description>dropped</description></config></interface></interfaces></config></edit-config></rpc>`))
	if _, err := fr.ReadMsg(); err != nil {
		t.Fatal(err)
	}
	_ = fr.WriteMsg([]byte(`<rpc message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><commit/></rpc>`))
	if msg, err := fr.ReadMsg(); err == nil {
		t.Fatalf("reply after drop-commit: %s", msg)
	}
	if got := descrOf(t, l, "r1"); got != "dropped" {
		t.Errorf("drop-commit did not apply the commit: %q", got)
	}
	// Hang: the session opens at TCP level but never says hello.
	if err := l.InjectFault("r1", fault.Fault{Kind: fault.Hang, Protocol: fault.NETCONF}); err != nil {
		t.Fatal(err)
	}
	d, _ := l.Device("r1")
	ep, _ := d.Endpoint(ProtoNETCONF)
	c, err := dialTCP(ep.Addr())
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := c.Read(make([]byte, 64)); err == nil {
		t.Errorf("hung port answered %d bytes", n)
	}
	c.Close()
	hits, _ := l.FaultHits("r1")
	if hits["netconf/drop-commit"] != 1 || hits["netconf/hang"] != 1 {
		t.Errorf("hits: %v", hits)
	}
}

// TestCloseLeavesNothing checks that a lab's goroutines end with Close.
func TestCloseLeavesNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	l := startLabNoCleanup(t)
	nc := ncOpen(t, l, "r1", "1.1")
	if r, _ := nc.GetConfig("running"); r.Failed != nil {
		t.Fatal(r.Result)
	}
	nc.Close()
	c, ctx := gnmiClient(t, l, "r1", nil)
	if _, err := c.Capabilities(ctx, &gpb.CapabilityRequest{}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+8 { // the test's own clients wind down too
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// adminClient presents the lab's admin token.
func adminClient(l *Lab) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: bearer(l.AdminToken())}
}

type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// TestAdminRoutesNeedTheToken walks every admin route: each declares a
// scope and answers 401 without the lab's token and 403 with a token of
// another scope.
func TestAdminRoutesNeedTheToken(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	routes := l.AdminRoutes()
	if err := auth.CheckRoutes(routes); err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.OpenTokenStore(filepath.Join(l.Dir(), "credentials", "admin-tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, reader, err := tokens.Create("reader", []auth.Scope{auth.DevicesRead, auth.TelemetryRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// The lab's store re-reads the file at most once a second.
	time.Sleep(1100 * time.Millisecond)
	wildcard := regexp.MustCompile(`\{[^}]+\}`)
	for _, rt := range routes {
		method, pattern, _ := strings.Cut(rt.Pattern, " ")
		path := wildcard.ReplaceAllString(pattern, "r1")
		for _, tc := range []struct {
			token string
			want  int
		}{{"", http.StatusUnauthorized}, {reader, http.StatusForbidden}} {
			req, _ := http.NewRequest(method, "http://"+l.AdminAddr()+path, strings.NewReader("{}"))
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("%s with token %v: %d, want %d", rt.Pattern, tc.token != "", resp.StatusCode, tc.want)
			}
		}
	}
}
