package benchops_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/internal/benchops"
	"github.com/netagent/netagent/yang"
)

// TestRouteMoveLines: the lines the bare scrapligo loop sends are the ones
// the CLI adapter renders for the same operation on FRR, so the two
// benchmarks measure the same work.
func TestRouteMoveLines(t *testing.T) {
	hops := [2]string{"192.0.2.1", "192.0.2.2"}
	tree := yang.NewTree()
	nh := yang.NextHopPath(benchops.Route, "0").Leaf("config", "next-hop")
	for i := range 3 {
		if err := tree.Set(nh, hops[i%2]); err != nil {
			t.Fatal(err)
		}
		got, err := cli.Render(cli.Platforms["frr"], tree, benchops.RouteMove(hops, i))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(benchops.RouteMoveLines(hops, i), got); d != "" {
			t.Errorf("op %d (-bare +adapter):\n%s", i, d)
		}
	}
}
