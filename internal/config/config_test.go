package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "netagent.yaml")
	if err := os.WriteFile(file, []byte("listen: 127.0.0.1:9000\nlog_level: debug\ntimeouts:\n  rpc: 12s\nlab:\n  topology: a.clab.yml\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		file    string
		environ []string
		mutate  func(*Config)
	}{
		{name: "defaults", mutate: func(*Config) {}},
		{name: "file", file: file, mutate: func(c *Config) {
			c.Listen, c.LogLevel, c.Timeouts.RPC, c.Lab.Topology = "127.0.0.1:9000", "debug", 12*time.Second, "a.clab.yml"
		}},
		{name: "environment beats file", file: file,
			environ: []string{"NETAGENT_LISTEN=127.0.0.1:9100", "NETAGENT_TIMEOUTS_RPC=3s", "NETAGENT_LAB_ENABLED=false", "NETAGENT_INTAKE_KAFKA_BROKERS=127.0.0.1:9092, 127.0.0.1:9093", "OTHER=x",
				"NETAGENT_SESSIONS_IDLE_TIMEOUT=2m", "NETAGENT_SESSIONS_MAX_OPEN=500"},
			mutate: func(c *Config) {
				c.Listen, c.LogLevel, c.Timeouts.RPC, c.Lab.Topology, c.Lab.Enabled = "127.0.0.1:9100", "debug", 3*time.Second, "a.clab.yml", false
				c.Intake.KafkaBrokers = "127.0.0.1:9092, 127.0.0.1:9093"
				c.Sessions.IdleTimeout, c.Sessions.MaxOpen = 2*time.Minute, 500
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load(tc.file, tc.environ)
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			tc.mutate(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadErrorsNameTheField(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("listen: x\nlisten_port: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file string
		environ    []string
		want       string
	}{
		{name: "unknown key", file: bad, want: "line 2: field listen_port not found"},
		{name: "missing file", file: filepath.Join(dir, "none.yaml"), want: "no such file"},
		{name: "bad duration", environ: []string{"NETAGENT_TIMEOUTS_COMMIT=soon"}, want: "NETAGENT_TIMEOUTS_COMMIT"},
		{name: "bad format", environ: []string{"NETAGENT_LOG_FORMAT=xml"}, want: `log_format: "xml" is not text or json`},
		{name: "zero timeout", environ: []string{"NETAGENT_TIMEOUTS_RPC=0s"}, want: "timeouts.rpc: 0s must be positive"},
		{name: "negative session limit", environ: []string{"NETAGENT_SESSIONS_MAX_OPEN=-1"}, want: "sessions.max_open: -1 must not be negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.file, tc.environ)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestDerivedSettings(t *testing.T) {
	c := Default()
	if got, want := c.InboxDir(), filepath.Join(".netagent", "inbox"); got != want {
		t.Errorf("InboxDir = %q, want %q", got, want)
	}
	if got := c.Brokers(); got != nil {
		t.Errorf("Brokers with none set = %v", got)
	}
	c.Intake.KafkaBrokers = " a:1 ,b:2,"
	if diff := cmp.Diff([]string{"a:1", "b:2"}, c.Brokers()); diff != "" {
		t.Errorf("Brokers (-want +got):\n%s", diff)
	}
}
