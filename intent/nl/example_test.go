package nl_test

import (
	"context"
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
