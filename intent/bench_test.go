package intent_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
)

// BenchmarkDecodeValidateCompile measures the intake path of one
// single-device intent: strict decoding, JSON Schema validation, target
// resolution, reading the device's configuration (in memory), building and
// validating the desired tree and diffing it into a plan.
func BenchmarkDecodeValidateCompile(b *testing.B) {
	net := intenttest.Lab()
	c := &intent.Compiler{Inventory: net, Devices: net}
	bodies := make([][]byte, 64)
	for i := range bodies {
		bodies[i] = []byte(fmt.Sprintf(`{"id":"bench-%d","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth%d","mtu":%d,"description":"bench"},"requester":"bench"}`, i, 1+i%4, 1600+i))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		in, err := intent.Decode(bodies[i%len(bodies)])
		if err != nil {
			b.Fatal(err)
		}
		plan, err := c.Compile(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if plan.Len() == 0 {
			b.Fatal("empty plan")
		}
	}
}

// BenchmarkDecodeValidate is the decoding and schema part alone.
func BenchmarkDecodeValidate(b *testing.B) {
	body := []byte(`{"id":"bench","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","mtu":9000,"description":"bench"},"requester":"bench"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := intent.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeValidateCompileRoute is the general path: a static route
// reads the whole configuration, builds the desired tree, runs
// yang.Validate and diffs.
func BenchmarkDecodeValidateCompileRoute(b *testing.B) {
	net := intenttest.Lab()
	c := &intent.Compiler{Inventory: net, Devices: net}
	bodies := make([][]byte, 64)
	for i := range bodies {
		bodies[i] = []byte(fmt.Sprintf(`{"id":"r-%d","kind":"static-route","targets":{"devices":["leaf1"]},"spec":{"prefix":"192.0.%d.0/24","next_hops":[{"next_hop":"10.0.0.0"}]}}`, i, i))
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		in, err := intent.Decode(bodies[i%len(bodies)])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Compile(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
