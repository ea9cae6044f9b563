package agent

import (
	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/internal/config"
)

// sessionOptions applies the sessions.* settings to the device pool's
// failover options: idle close, the pool-wide limit, probe keep-alive.
func sessionOptions(c config.Sessions, o adapters.FailoverOptions) adapters.FailoverOptions {
	o.IdleTimeout = c.IdleTimeout
	if c.IdleTimeout == 0 {
		o.IdleTimeout = -1 // 0 in the configuration keeps sessions open
	}
	o.Sessions = adapters.NewSessionLimit(c.MaxOpen)
	o.Health.KeepAlive = c.KeepAlive
	return o
}
