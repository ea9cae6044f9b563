//go:build interop

package conformance

import (
	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/internal/interop"
)

// ServerTarget is the target of an interop server (make interop) for
// protocol p, with the server's port, credentials and known_hosts (host
// keys checked, none accepted on first use).
func ServerTarget(device string, srv interop.Server, p adapters.ProtocolSpec) adapters.Target {
	p.Port = srv.Port
	return adapters.Target{Device: device, Address: srv.Host, Protocol: p,
		Credentials: adapters.Credentials{Username: srv.User, Password: adapters.Secret(srv.Password)},
		HostKeys:    adapters.NewHostKeys(srv.KnownHosts, false, nil)}
}
