package topologies

import (
	"testing"

	"github.com/netagent/netagent/lab/topo"
)

func TestEmbedded(t *testing.T) {
	t.Parallel()
	for name, src := range map[string][]byte{"TwoNode": TwoNode, "LeafSpine": LeafSpine} {
		tp, err := topo.Parse(src)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(tp.Nodes) < 2 || len(tp.Links) < 1 {
			t.Errorf("%s: %d nodes, %d links", name, len(tp.Nodes), len(tp.Links))
		}
	}
}
