package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the command goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runLabCLI(ctx context.Context, out *syncBuffer, args ...string) error {
	cmd := newRootCmd()
	cmd.SetOut(out)
	cmd.SetErr(out)
	cmd.SetArgs(args)
	return cmd.ExecuteContext(ctx)
}

func TestLabCommands(t *testing.T) {
	dir := t.TempDir()
	topoFile := filepath.Join(dir, "gen.clab.yml")
	state := filepath.Join(dir, "state")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out syncBuffer
	if err := runLabCLI(ctx, &out, "lab", "gen", "--nodes", "8", "--name", "g8", "-o", topoFile); err != nil {
		t.Fatal(err)
	}

	upCtx, stop := context.WithCancel(ctx)
	var upOut syncBuffer
	upErr := make(chan error, 1)
	go func() { upErr <- runLabCLI(upCtx, &upOut, "lab", "up", topoFile, "--dir", state) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(state, "lab.json")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("lab up did not start:\n%s", upOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{"lab g8: 8 devices", "credentials: username admin password ", "netconf", "inventory:"} {
		if !strings.Contains(upOut.String(), want) {
			t.Errorf("lab up output lacks %q:\n%s", want, upOut.String())
		}
	}

	var listOut syncBuffer
	if err := runLabCLI(ctx, &listOut, "lab", "list", "--dir", state, "--output", "json"); err != nil {
		t.Fatal(err)
	}
	var devs []labListEntry
	if err := json.Unmarshal([]byte(listOut.String()), &devs); err != nil {
		t.Fatalf("lab list json: %v\n%s", err, listOut.String())
	}
	if len(devs) != 8 || devs[0].Password == "" || len(devs[0].Protocols) == 0 || !strings.HasPrefix(devs[0].Protocols[0].Address, "127.0.0.1:") {
		t.Errorf("lab list: %+v", devs)
	}

	var fOut syncBuffer
	for _, args := range [][]string{
		{"lab", "fault", "inject", "leaf1", "--kind", "reject-commit", "--protocol", "netconf", "--message", "full", "--dir", state},
		{"lab", "fault", "list", "leaf1", "--dir", state},
		{"lab", "fault", "link", "leaf1:e1-49", "down", "--dir", state},
		{"lab", "fault", "clear", "leaf1", "--dir", state},
		{"lab", "fault", "anomaly", "--kind", "cpu-spike", "--target", "leaf2", "--magnitude", "50", "--dir", state},
	} {
		if err := runLabCLI(ctx, &fOut, args...); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	for _, want := range []string{"reject-commit fault injected on netconf", "active: reject-commit on netconf", "link leaf1:e1-49 down", "1 faults cleared", "anomaly cpu-spike on leaf2"} {
		if !strings.Contains(fOut.String(), want) {
			t.Errorf("fault output lacks %q:\n%s", want, fOut.String())
		}
	}
	if err := runLabCLI(ctx, &fOut, "lab", "fault", "inject", "nope", "--kind", "down", "--dir", state); err == nil {
		t.Error("fault on an unknown device: no error")
	}

	stop() // Ctrl-C
	select {
	case err := <-upErr:
		if err != nil {
			t.Fatalf("lab up: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("lab up did not stop")
	}
	if !strings.Contains(upOut.String(), "stopping lab g8") {
		t.Errorf("lab up output:\n%s", upOut.String())
	}
	if _, err := os.Stat(filepath.Join(state, "lab.json")); !os.IsNotExist(err) {
		t.Errorf("lab.json left behind: %v", err)
	}
}

// TestLabCheck: lab check over the lab's testdata topologies (one per
// syntax form and one node of every kind) reports every file ok with its
// devices and hosts; an unknown kind fails with --strict, a broken file
// fails, and either makes the command fail.
func TestLabCheck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	testdata := filepath.Join("..", "..", "lab", "testdata", "clab")
	var out syncBuffer
	if err := runLabCLI(ctx, &out, "lab", "check", testdata); err != nil {
		t.Fatalf("lab check: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"7 topologies: 7 ok, 0 failed",
		"lab hosts: 3 devices, 6 hosts, 7 links, 1 warnings",
		"device  frr1                 linux                  cli(frr)",
		"host    pc1                  linux                  Linux host",
		`warning ` + filepath.Join(testdata, "hosts.clab.yml") + `:19: node box1: unknown kind "toaster": treated as a host`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("lab check output lacks %q:\n%s", want, out.String())
		}
	}
	var strict syncBuffer
	if err := runLabCLI(ctx, &strict, "lab", "check", "--strict", filepath.Join(testdata, "hosts.clab.yml")); err == nil {
		t.Errorf("lab check --strict of an unknown kind succeeded:\n%s", strict.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.clab.yml")
	if err := os.WriteFile(bad, []byte("name: bad\ntopology:\n  nodes:\n    a: {kind: linux}\n  links:\n    - endpoints: [\"a:e1\", \"b:e1\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var failed syncBuffer
	err := runLabCLI(ctx, &failed, "lab", "check", bad, filepath.Join(testdata, "env.clab.yml"))
	if err == nil || !strings.Contains(failed.String(), "FAIL "+bad) || !strings.Contains(failed.String(), `no node "b"`) || !strings.Contains(failed.String(), "2 topologies: 1 ok, 1 failed") {
		t.Errorf("lab check of a broken file: err %v\n%s", err, failed.String())
	}
}
