package nl_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/intent/nl"
)

// A sentence becomes an intent to confirm, or a question.
func ExampleParser_Parse() {
	p, err := nl.New(intenttest.Lab())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, text := range []string{"把 leaf1 的 eth1 接口 MTU 改成 9000", "shut down eth2"} {
		res, err := p.Parse(context.Background(), nl.Request{Text: text})
		if err != nil {
			fmt.Println(err)
			return
		}
		if res.Status == nl.StatusConfirm {
			fmt.Printf("%s (%.2f): %s\n", res.Status, res.Confidence, res.Summary)
		} else {
			fmt.Printf("%s: %s\n", res.Status, res.Question)
		}
	}
	// Output:
	// confirm (0.95): 把 leaf1 的 eth1 接口 MTU 设为 9000
	// clarify: Which device?
}

// Removal words build the removal form; a follow-up repeats the last
// request elsewhere; a service level becomes an slo intent.
func ExampleParser_Parse_operators() {
	p, err := nl.New(intenttest.Lab())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, text := range []string{
		"no ip route 10.20.0.0/16 10.0.0.1 on leaf1",
		"blackhole 192.0.2.0/24 on spine1",
		"and the same on leaf2",
		"warn me when memory on leaf2 passes 90%",
		"删除 leaf1 的 BGP 邻居 10.0.0.2",
	} {
		res, err := p.Parse(context.Background(), nl.Request{Text: text, Session: "ops"})
		if err != nil {
			fmt.Println(err)
			return
		}
		spec, _ := json.Marshal(res.Document["spec"])
		fmt.Printf("%s (%.2f): %s %s\n", res.Status, res.Confidence, res.Summary, spec)
	}
	// Output:
	// confirm (0.90): Remove the static route to 10.20.0.0/16 on leaf1 {"ensure":"absent","prefix":"10.20.0.0/16"}
	// confirm (0.90): Add a static route to 192.0.2.0/24 via DROP on spine1 {"next_hops":[{"next_hop":"DROP"}],"prefix":"192.0.2.0/24"}
	// confirm (0.85): Add a static route to 192.0.2.0/24 via DROP on leaf2 {"next_hops":[{"next_hop":"DROP"}],"prefix":"192.0.2.0/24"}
	// confirm (0.90): Watch device.mem.util on leaf2: objective <= 90 (window 5m), alert on breach {"comparison":"\u003c=","metric":"device.mem.util","target":90,"window":"5m"}
	// confirm (0.90): 删除 leaf1 上的 BGP 邻居 10.0.0.2 {"address":"10.0.0.2","ensure":"absent"}
}
