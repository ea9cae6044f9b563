package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netagent/netagent/internal/agent"
)

// A second serve or in-process mcp on a data directory an agent holds is
// refused before it starts the simulated lab there (whose state files the
// running agent's lab uses).
func TestServeRefusesADataDirInUse(t *testing.T) {
	dir := t.TempDir()
	lock, err := agent.LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	t.Setenv("NETAGENT_DATA_DIR", dir)
	for _, args := range [][]string{{"serve", "--listen", "127.0.0.1:0"}, {"mcp"}} {
		out, err := runCLI(t, "", args...)
		if err == nil || !strings.Contains(err.Error(), "is in use by another netagent") {
			t.Fatalf("%s on a held data dir: %v\n%s", args[0], err, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "lab")); !os.IsNotExist(err) {
			t.Fatalf("%s started the simulated lab in the held data dir (%v)", args[0], err)
		}
	}
}
