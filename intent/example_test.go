package intent_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
)

// Decoding reports every problem at once, each with its JSON pointer.
func ExampleDecode() {
	_, err := intent.Decode([]byte(`{"kind":"interface","targets":{"devices":["leaf1"]},
		"spec":{"name":"eth1","mtu":70000,"speed":"100G"}}`))
	var ie *intent.InvalidError
	if errors.As(err, &ie) {
		for _, p := range ie.Problems {
			fmt.Printf("%s: %s\n", p.Pointer, p.Reason)
		}
	}
	// Output:
	// /spec/mtu: 70000 is above the maximum 9216
	// /spec/speed: is not a known member here
}

// A plan is computed against the devices' current configuration.
func ExampleCompiler_Compile() {
	net := intenttest.Lab()
	c := &intent.Compiler{Inventory: net, Devices: net}
	in, err := intent.Decode([]byte(`{"kind":"interface","targets":{"selector":{"role":"leaf"}},"spec":{"name":"eth2","mtu":9000}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, err := c.Compile(context.Background(), in)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(plan.Diff())
	// Output:
	// leaf1:
	//   ~ /interfaces/interface[name=eth2]/config/mtu: 1500 -> 9000
	// leaf2:
	//   ~ /interfaces/interface[name=eth2]/config/mtu: 1500 -> 9000
}
