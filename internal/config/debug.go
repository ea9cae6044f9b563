package config

import (
	"fmt"
	"net"
)

// Debug configures diagnostics that are off unless asked for.
type Debug struct {
	// PprofListen, when set, serves Go's runtime profiles (net/http/pprof:
	// /debug/pprof/...) on this address, without authentication, so it
	// must be a loopback address (127.0.0.1:6060, [::1]:6060). Empty (the
	// default) serves nothing.
	PprofListen string `yaml:"pprof_listen"`
}

func (d Debug) validate() error {
	if d.PprofListen == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(d.PprofListen)
	if err != nil {
		return fmt.Errorf("debug.pprof_listen: %q: %w", d.PprofListen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("debug.pprof_listen: %q is not a loopback address (profiles are served without authentication)", d.PprofListen)
	}
	return nil
}
