package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/intent/rest"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/pki"
	"github.com/netagent/netagent/internal/store"
)

func TestTokenAndPKICommands(t *testing.T) {
	data := t.TempDir()
	t.Setenv("NETAGENT_DATA_DIR", data)
	out, err := runCLI(t, "", "token", "create", "--subject", "alice", "--scope", "intents:read,intents:write", "--ttl", "1h")
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, out)
	}
	var secret string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, auth.TokenPrefix) {
			secret = l
		}
	}
	if secret == "" || !strings.Contains(out, "for alice, scopes intents:read,intents:write") {
		t.Fatalf("token create printed no secret:\n%s", out)
	}
	b, _ := os.ReadFile(filepath.Join(data, "tokens.json"))
	if strings.Contains(string(b), secret) {
		t.Fatal("tokens.json holds the secret")
	}
	out, err = runCLI(t, "", "token", "list")
	if err != nil || !strings.Contains(out, "alice") || !strings.Contains(out, "active") || strings.Contains(out, secret) {
		t.Fatalf("token list: %v\n%s", err, out)
	}
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	if out, err := runCLI(t, "", "token", "revoke", id); err != nil || !strings.Contains(out, "revoked "+id) {
		t.Fatalf("token revoke: %v\n%s", err, out)
	}
	if out, _ := runCLI(t, "", "token", "list"); !strings.Contains(out, "revoked") {
		t.Errorf("list after revoke:\n%s", out)
	}
	if out, err := runCLI(t, "", "token", "create", "--subject", "x", "--scope", "root"); err == nil {
		t.Errorf("created a token with scope root:\n%s", out)
	}

	if out, err := runCLI(t, "", "pki", "init"); err != nil || !strings.Contains(out, "ca.crt") {
		t.Fatalf("pki init: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "", "pki", "init"); err == nil {
		t.Errorf("second pki init succeeded:\n%s", out)
	}
	if out, err := runCLI(t, "", "pki", "issue", "a1"); err != nil || !strings.Contains(out, "netagent://agent/a1") {
		t.Fatalf("pki issue: %v\n%s", err, out)
	}
	if _, err := pki.LoadCert(filepath.Join(data, "pki"), "a1"); err != nil {
		t.Fatal(err)
	}
}

// TestIntentCommandsUseTheAdminToken: the client subcommands present the
// admin token the agent wrote in its data dir, unless told otherwise.
func TestIntentCommandsUseTheAdminToken(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	t.Setenv("NETAGENT_DATA_DIR", data)
	db, err := store.Open(ctx, filepath.Join(data, "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	net := intenttest.Lab()
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net})
	if err != nil {
		t.Fatal(err)
	}
	parser, err := nl.New(net)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.OpenTokenStore(filepath.Join(data, "tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Bootstrap(tokens, filepath.Join(data, "admin.token")); err != nil {
		t.Fatal(err)
	}
	layer, err := auth.NewLayer(auth.WithTokens(tokens))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(layer.Handler(rest.New(svc, parser, nil).Routes()))
	defer srv.Close()
	t.Setenv("NETAGENT_SERVER", srv.URL)
	if out, err := runCLI(t, "", "intent", "list"); err != nil {
		t.Fatalf("intent list with the admin token: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "", "intent", "list", "--token", "nat_wrong"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("intent list with a wrong token: %v\n%s", err, out)
	}
	ro := filepath.Join(t.TempDir(), "ro.token")
	_, secret, err := tokens.Create("ro", []auth.Scope{auth.IntentsRead}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.WriteSecretFile(ro, secret); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "mtu.yaml")
	if err := os.WriteFile(file, []byte("id: ro-mtu\nkind: interface\ntargets: {devices: [leaf1]}\nspec: {name: eth2, mtu: 9000}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(t, "", "intent", "submit", file, "--token-file", ro); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("submit with a read-only token: %v\n%s", err, out)
	}
}
