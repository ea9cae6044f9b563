package mcp_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/mcp"
	"github.com/netagent/netagent/yang"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestPlanThenConfirm refuses a token for another plan, an expired token, a
// forged token, and a token whose devices changed since the plan; nothing
// reaches the lab in those cases, and a fresh token applies.
func TestPlanThenConfirm(t *testing.T) {
	n := startNetwork(t, topologies.TwoNode)
	clk := &clock{t: time.Now()}
	s := n.server(t, func(c *mcp.Config) { c.Local = &local; c.Clock = clk.now; c.TokenTTL = time.Minute })
	c := stdioClient(t, s)
	mtu := yang.InterfacePath("e1-1").Leaf("config", "mtu")
	args := func(v int) map[string]any { return map[string]any{"devices": []string{"r1"}, "name": "e1-1", "mtu": v} }
	with := func(a map[string]any, tok string) map[string]any { a["confirmation_token"] = tok; return a }

	var p result
	mustCall(t, c, "set_interface", args(9000), "", &p)

	// A token for another plan.
	if got := call(t, c, "set_interface", with(args(9100), p.ConfirmationToken), "", nil); !strings.Contains(got, mcp.ErrTokenOther.Error()) || !strings.Contains(got, "/confirmation_token") {
		t.Errorf("token of another plan: %q", got)
	}
	// A forged one.
	forged := p.ConfirmationToken[:len(p.ConfirmationToken)-2] + "AA"
	if got := call(t, c, "set_interface", with(args(9000), forged), "", nil); !strings.Contains(got, mcp.ErrTokenMalformed.Error()) {
		t.Errorf("forged token: %q", got)
	}
	// An expired one.
	clk.add(2 * time.Minute)
	if got := call(t, c, "set_interface", with(args(9000), p.ConfirmationToken), "", nil); !strings.Contains(got, mcp.ErrTokenExpired.Error()) {
		t.Errorf("expired token: %q", got)
	}
	// The device changed since the plan: someone else set the MTU to 9200.
	mustCall(t, c, "set_interface", args(9000), "", &p)
	dev, err := n.pool.Device(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.Configure(context.Background(), []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: uint64(1500), New: uint64(9200)}}); err != nil {
		t.Fatal(err)
	}
	if got := call(t, c, "set_interface", with(args(9000), p.ConfirmationToken), "", nil); !strings.Contains(got, mcp.ErrPlanChanged.Error()) {
		t.Errorf("device changed since the plan: %q", got)
	}
	if v := n.leaf(t, "r1", mtu); v != uint64(9200) {
		t.Fatalf("after refusals the lab mtu = %v, want the out-of-band 9200", v)
	}
	// A change the diff does not show (the interface's description, read
	// with it) also invalidates the token: the plan was computed from
	// another configuration.
	mustCall(t, c, "set_interface", args(9000), "", &p)
	desc := yang.InterfacePath("e1-1").Leaf("config", "description")
	if err := dev.Configure(context.Background(), []yang.Change{{Op: yang.OpCreate, Path: desc, New: "changed by someone else"}}); err != nil {
		t.Fatal(err)
	}
	if got := call(t, c, "set_interface", with(args(9000), p.ConfirmationToken), "", nil); !strings.Contains(got, mcp.ErrPlanChanged.Error()) {
		t.Errorf("configuration under the plan changed: %q", got)
	}
	// Planning again gives a token that applies.
	_, applied := planApply(t, c, "set_interface", args(9000), "")
	if applied.Status != "applied" || n.leaf(t, "r1", mtu) != uint64(9000) {
		t.Errorf("fresh plan: %+v, lab mtu %v", applied, n.leaf(t, "r1", mtu))
	}

	// A withdrawal token is bound to its intent and the record it reviewed.
	var w result
	mustCall(t, c, "withdraw_intent", map[string]any{"id": applied.IntentID}, "", &w)
	if got := call(t, c, "withdraw_intent", map[string]any{"id": "other", "confirmation_token": w.ConfirmationToken}, "", nil); !strings.Contains(got, "/id") {
		t.Errorf("withdraw token for an unknown id: %q", got)
	}
	var again result
	mustCall(t, c, "set_interface", args(9050), "", &again)
	if got := call(t, c, "withdraw_intent", map[string]any{"id": applied.IntentID, "confirmation_token": again.ConfirmationToken}, "", nil); !strings.Contains(got, mcp.ErrTokenOther.Error()) {
		t.Errorf("a plan's token used to withdraw: %q", got)
	}

	// Direct apply needs no token.
	d := stdioClient(t, n.server(t, func(c *mcp.Config) { c.Local = &local; c.DirectApply = true }))
	var r result
	mustCall(t, d, "set_interface", args(9100), "", &r)
	if r.Status != "applied" || n.leaf(t, "r1", mtu) != uint64(9100) {
		t.Errorf("direct apply: %+v, lab mtu %v", r, n.leaf(t, "r1", mtu))
	}
}
