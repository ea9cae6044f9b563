package protocols

import (
	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/adapters/netconf"
)

// Registry returns a registry holding every adapter netagent ships, each
// under its protocol name.
func Registry() *adapters.Registry {
	reg := adapters.NewRegistry()
	for proto, o := range map[string]adapters.Opener{adapters.NETCONF: netconf.Opener, adapters.GNMI: gnmi.Opener, adapters.CLI: cli.Opener} {
		if err := reg.Register(proto, o); err != nil {
			panic("protocols: " + err.Error()) // three distinct names: cannot happen
		}
	}
	return reg
}
