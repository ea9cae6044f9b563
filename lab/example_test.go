package lab_test

import (
	"context"
	"fmt"
	"os"

	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/lab/topologies"
)

// ExampleStart starts the two-node lab, lists what each device speaks and
// injects a fault.
func ExampleStart() {
	dir, err := os.MkdirTemp("", "lab-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	t, err := topo.Parse(topologies.TwoNode)
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := lab.Start(context.Background(), t, lab.Options{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	for _, d := range l.Devices() {
		fmt.Print(d.Name, " ", d.Kind, ":")
		for _, e := range d.Endpoints {
			fmt.Print(" ", e.Protocol)
			if e.Platform != "" {
				fmt.Print("(", e.Platform, ")")
			}
		}
		fmt.Println()
	}
	err = l.InjectFault("r1", fault.Fault{Kind: fault.RejectCommit, Protocol: fault.NETCONF, ErrorTag: "resource-denied"})
	fmt.Println("fault injected:", err == nil)
	// Output:
	// r1 nokia_srlinux: gnmi netconf
	// r2 linux: cli(frr)
	// fault injected: true
}
