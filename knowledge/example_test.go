package knowledge_test

import (
	"fmt"

	"github.com/netagent/netagent/knowledge"
)

// Two sightings of one failure, on other devices with other values, have
// one template and one fingerprint.
func ExampleNormalise() {
	a := knowledge.Normalise("leaf1: value 70000 out of range 68..9214 for /interfaces/interface[name=eth1]/config/mtu", "leaf1")
	b := knowledge.Normalise("spine7: value 123456 out of range 68..65535 for /interfaces/interface[name=Ethernet3]/config/mtu", "spine7")
	fmt.Println(a)
	fmt.Println(knowledge.Fingerprint("netconf", "invalid-value", a) == knowledge.Fingerprint("NETCONF", "INVALID_VALUE", b))
	// Output:
	// <device>: value <num> out of range <num>..<num> for <path>
	// true
}
