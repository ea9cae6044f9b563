package agent

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/lab"
)

// TestAdminTokenCreationIsAudited: the admin token an agent creates on its
// first start is an auth.token entry (its id, subject and scope, never the
// secret), by the agent itself; opened again on the same data dir, the
// token stays.
func TestAdminTokenCreationIsAudited(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, _, _, cfg := startLabAgentWith(t, ctx, nil, lab.Options{}, nil)
	tokenEntries := func() []audit.Entry {
		t.Helper()
		es, err := audit.Query(ctx, a.net.db, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var out []audit.Entry
		for _, e := range es {
			if e.Action == audit.ActionTokenChange {
				out = append(out, e)
			}
		}
		return out
	}
	es := tokenEntries()
	if len(es) != 1 {
		t.Fatalf("%d auth.token entries after the first start, want 1", len(es))
	}
	var d audit.TokenChange
	if err := json.Unmarshal(es[0].Detail, &d); err != nil || d.Op != "create" || d.Subject != "admin" || d.TokenID == "" {
		t.Errorf("entry detail %s: want the admin token's creation", es[0].Detail)
	}
	if p, _ := es[0].Principal(); p.Subject != "netagent" || es[0].Trace == "" {
		t.Errorf("actor %q trace %q, want the agent itself under a trace of its own", p.Subject, es[0].Trace)
	}
	toks, err := a.trust.tokens.List()
	if err != nil || len(toks) != 1 || toks[0].ID != d.TokenID {
		t.Errorf("token store %+v %v: want the audited token", toks, err)
	}
	if a.trust.created == nil {
		t.Fatal("the first start did not create the admin token")
	}
	// Opened again on the same data dir (a restart), the token stays.
	tr, err := openTrust(ctx, cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	tr.stop()
	if tr.created != nil {
		t.Error("a second start created another admin token")
	}
	if n := len(tokenEntries()); n != 1 {
		t.Errorf("%d auth.token entries after a second start, want 1", n)
	}
}
