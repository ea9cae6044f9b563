package auth

import (
	"context"
	"testing"
)

func TestNarrowNeverWidens(t *testing.T) {
	op := Principal{Subject: "alice", Kind: "operator", Scopes: []Scope{IntentsRead, IntentsWrite}}
	bot := Principal{Subject: "mcp-bot", Kind: "agent", Scopes: []Scope{IntentsRead, DevicesWrite, Admin}}
	got := op.Narrow(bot)
	if got.Has(DevicesWrite) || got.Has(Admin) {
		t.Errorf("narrowed scopes %v widen the operator's %v", got.Scopes, op.Scopes)
	}
	if !got.Has(IntentsRead) {
		t.Errorf("narrowed scopes %v lost intents:read", got.Scopes)
	}
	if s := got.String(); s != "mcp-bot for alice" {
		t.Errorf("String() = %q, want %q", s, "mcp-bot for alice")
	}
	ctx := WithPrincipal(context.Background(), got)
	back, ok := FromContext(ctx)
	if !ok || back.Subject != "mcp-bot" || back.OnBehalfOf.Subject != "alice" {
		t.Errorf("FromContext = %+v, %v", back, ok)
	}
}

func TestAdminGrantsEveryScope(t *testing.T) {
	p := Principal{Subject: "root", Scopes: []Scope{Admin}}
	for _, s := range Scopes() {
		if !p.Has(s) {
			t.Errorf("admin lacks %s", s)
		}
	}
	if !(Principal{}).Has(Public) {
		t.Error("an anonymous caller is refused a public route")
	}
}
