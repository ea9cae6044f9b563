package config

import (
	"strings"
	"testing"
)

func TestDebugPprofListen(t *testing.T) {
	for _, tc := range []struct {
		addr, want string
	}{
		{"", ""},
		{"127.0.0.1:6060", ""},
		{"[::1]:6060", ""},
		{"0.0.0.0:6060", "is not a loopback address"},
		{"example.com:6060", "is not a loopback address"},
		{"127.0.0.1", "debug.pprof_listen"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			c, err := Load("", []string{"NETAGENT_DEBUG_PPROF_LISTEN=" + tc.addr})
			if tc.want == "" {
				if err != nil || c.Debug.PprofListen != tc.addr {
					t.Fatalf("Load = %q, %v; want %q accepted", c.Debug.PprofListen, err, tc.addr)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
