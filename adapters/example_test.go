package adapters_test

import (
	"errors"
	"fmt"

	"github.com/netagent/netagent/adapters"
)

// A caller branches on the kind of a device error and on whether the change
// may be sent again.
func ExampleRetryable() {
	err := fmt.Errorf("configure: %w", &adapters.DeviceError{Device: "leaf1", Protocol: adapters.NETCONF,
		Phase: adapters.PhaseLock, Kind: adapters.ErrLocked, Tag: "lock-denied", NotApplied: true})
	var de *adapters.DeviceError
	if errors.As(err, &de) {
		fmt.Println(de.Device, de.Phase, errors.Is(err, adapters.ErrLocked), adapters.Retryable(err))
	}
	// Output: leaf1 lock true true
}

func ExampleLoadInventory() {
	inv, err := adapters.LoadInventory("testdata/topology-data.json", adapters.LoadOptions{
		Credentials:        map[string]adapters.CredentialSource{"lab": {Username: "admin", PasswordEnv: "LAB_PASSWORD"}},
		DefaultCredentials: "lab",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range inv.Devices {
		fmt.Println(d.Name, d.Address, d.Protocols[0].Name, d.Protocols[0].Port)
	}
	// Output:
	// leaf1 172.20.20.2 gnmi 57400
	// r3 172.20.20.11 cli 22
	// r4 172.20.20.13 cli 22
	// spine1 127.0.0.1 gnmi 41011
}
