package intent_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/internal/trace"
)

// TestOriginIsStoredWithTheIntent: the principal and trace id of a
// submission are kept on the record across a restart: from the caller's
// context, from the channel's configured identity, or a new trace.
func TestOriginIsStoredWithTheIntent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "netagent.db")
	net := intenttest.Lab()
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inbox := auth.Principal{Subject: "file-inbox", Kind: "service", Via: "file", Scopes: []auth.Scope{auth.IntentsWrite}}
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net, Principals: map[string]auth.Principal{"file": inbox}})
	if err != nil {
		t.Fatal(err)
	}
	op := auth.Principal{Subject: "alice", Kind: "operator", Via: "token", Scopes: []auth.Scope{auth.IntentsWrite}}
	chain := op.Narrow(auth.Principal{Subject: "mcp-bot", Kind: "agent", Via: "mtls", Scopes: []auth.Scope{auth.IntentsWrite, auth.Admin}})
	tc, _ := trace.Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	rctx := trace.With(auth.WithPrincipal(ctx, chain), tc)
	body := func(id string) []byte {
		return []byte(`{"id":"` + id + `","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","mtu":9000}}`)
	}
	if _, err := svc.Submit(rctx, body("by-rest"), intent.Source{Channel: "rest", Ref: "127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, body("by-file"), intent.Source{Channel: "file", Ref: "x.json#0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, body("by-nobody"), intent.Source{Channel: "mcp"}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc, err = intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id, who, trace string
	}{
		{"by-rest", "mcp-bot for alice", "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"by-file", "file-inbox", ""},
		{"by-nobody", "", ""},
	} {
		rec, err := svc.Get(ctx, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		who := ""
		if rec.Source.Principal != nil {
			who = rec.Source.Principal.String()
		}
		if who != tt.who {
			t.Errorf("%s: principal %q, want %q", tt.id, who, tt.who)
		}
		if len(rec.Source.TraceID) != 32 || (tt.trace != "" && string(rec.Source.TraceID) != tt.trace) {
			t.Errorf("%s: trace id %q, want %q or a new one", tt.id, rec.Source.TraceID, tt.trace)
		}
	}
	rec, _ := svc.Get(ctx, "by-rest")
	if p := rec.Source.Principal; p.Has(auth.Admin) || p.OnBehalfOf == nil || p.OnBehalfOf.Subject != "alice" {
		t.Errorf("stored chain %+v lost its narrowing or its operator", p)
	}
}
