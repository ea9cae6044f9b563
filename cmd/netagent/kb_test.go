package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/knowledge"
)

func TestKBCommands(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	base, err := knowledge.New(ctx, db, knowledge.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, rt := range knowledge.NewHandler(base, nil).Routes() {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	t.Setenv("NETAGENT_SERVER", srv.URL)

	dir := t.TempDir()
	good := filepath.Join(dir, "case.json")
	if err := os.WriteFile(good, []byte(`{"id":"lab-fpc-offline","title":"Line card offline","error_type":"resource","protocol":"netconf",
		"tag":"operation-failed","messages":["FPC 3 is offline"],"fix":"Bring the line card online, or move the change to ports on another card."}`), 0o600); err != nil {
		t.Fatal(err)
	}
	exported := filepath.Join(dir, "export.json")
	steps := []struct {
		args  []string
		stdin string
		want  []string
		fails bool
	}{
		{args: []string{"kb", "search", "Lock failed, lock is already held by session 9"}, want: []string{"netconf-lock-denied", "why:", "fix:"}},
		{args: []string{"kb", "show", "netconf-lock-denied"}, want: []string{"type lock", "remediation: retry-after-lock (automatic, at most 3 attempts", "source: RFC 6241"}},
		{args: []string{"kb", "add", good}, want: []string{"added case lab-fpc-offline (revision 1)"}},
		{args: []string{"kb", "add", good}, want: []string{"corrected case lab-fpc-offline (revision 2)"}},
		{args: []string{"kb", "add", "-"}, stdin: `{"id":"x y","title":"t","error_type":"weather"}`,
			want: []string{"422", "/id:", "/error_type: error_type \"weather\"", "/fix: fix is required"}, fails: true},
		{args: []string{"kb", "search", "-o", "json", "FPC 7 is offline"}, want: []string{`"id": "lab-fpc-offline"`}},
		{args: []string{"kb", "export", "--file", exported}, want: []string{"exported", "cases to"}},
		{args: []string{"kb", "import", exported}, want: []string{"imported: 0 new cases"}},
		{args: []string{"kb", "import", "-"}, stdin: `{"version":1,"cases":[{"id":"ok-case","title":"fine","error_type":"lock","fix":"wait and retry later","messages":["busy"]},{"id":"bad"}]}`,
			want: []string{"422", "/cases/1/error_type", "/cases/1/fix"}, fails: true},
		{args: []string{"kb", "show", "ok-case"}, want: []string{"404"}, fails: true},
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
}
