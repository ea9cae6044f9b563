package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"net/http/httptest"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/intent/rest"
	"github.com/netagent/netagent/internal/store"
)

// runCLI runs the netagent command line with args and returns its output.
func runCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}

func TestIntentCommands(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	net := intenttest.Lab()
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(rctx) }()
	defer func() { cancel(); <-done }()
	parser, err := nl.New(net)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rest.New(svc, parser, nil).Serve())
	defer srv.Close()
	t.Setenv("NETAGENT_SERVER", srv.URL)

	file := filepath.Join(t.TempDir(), "mtu.yaml")
	if err := os.WriteFile(file, []byte("id: cli-mtu\nkind: interface\ntargets: {devices: [leaf1]}\nspec: {name: eth2, mtu: 9000}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		args  []string
		stdin string
		want  []string
		fails bool
	}{
		{args: []string{"intent", "plan", file}, want: []string{"~ /interfaces/interface[name=eth2]/config/mtu: 1500 -> 9000"}},
		{args: []string{"intent", "submit", "--wait", file}, want: []string{"intent cli-mtu (interface): applied", "applying"}},
		{args: []string{"intent", "submit", file}, want: []string{"applied (already submitted)"}},
		{args: []string{"intent", "get", "cli-mtu"}, want: []string{"accepted", "planned", "applied"}},
		{args: []string{"intent", "list", "--state", "applied"}, want: []string{"cli-mtu"}},
		{args: []string{"intent", "get", "-o", "json", "cli-mtu"}, want: []string{`"state": "applied"`}},
		{args: []string{"intent", "submit", "-"}, stdin: `{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","mtu":70000}}`,
			want: []string{"422", "/spec/mtu: 70000 is above the maximum 9216"}, fails: true},
		{args: []string{"intent", "parse", "shut", "down", "eth3", "on", "leaf2"}, want: []string{"Shut down interface eth3 on leaf2 (confidence 0.95)"}},
		{args: []string{"intent", "parse", "shut down eth4"}, want: []string{"Shut down interface eth4 on leaf2 (confidence 0.90)"}},
		{args: []string{"intent", "parse", "--session", "fresh", "shut down eth3"}, want: []string{"Which device?"}},
		{args: []string{"intent", "parse", "--submit", "把 leaf2 的 eth4 接口 MTU 改成 9000"}, stdin: "y\n", want: []string{"Submit this intent?", "planned"}},
		{args: []string{"intent", "parse", "--submit", "shut down eth1 on spine1"}, stdin: "n\n", want: []string{"not submitted"}},
		{args: []string{"intent", "parse", "--session", "rm", "delete the static route 10.9.0.0/16 on leaf2"},
			want: []string{"Remove the static route to 10.9.0.0/16 on leaf2", `"ensure": "absent"`, `"prefix": "10.9.0.0/16"`}},
		{args: []string{"intent", "withdraw", "--dry-run", "cli-mtu"}, want: []string{"withdraw of cli-mtu (dry run, nothing changed)", "~ /interfaces/interface[name=eth2]/config/mtu: 9000 -> 1500"}},
		{args: []string{"intent", "get", "cli-mtu"}, want: []string{"applied"}},
		{args: []string{"intent", "withdraw", "--wait", "--reason", "test over", "cli-mtu"}, want: []string{"withdrawn", "test over"}},
		{args: []string{"intent", "get", "nope"}, want: []string{"404"}, fails: true},
	}
	for _, st := range steps {
		out, err := runCLI(t, st.stdin, st.args...)
		if (err != nil) != st.fails {
			t.Fatalf("%v: err = %v, want failure %v\n%s", st.args, err, st.fails, out)
		}
		if err != nil {
			out += err.Error()
		}
		for _, w := range st.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", st.args, w, out)
			}
		}
	}
	if !net.Config("leaf1").Equal(intenttest.Lab().Config("leaf1")) {
		t.Error("leaf1 not restored after withdraw")
	}
}
