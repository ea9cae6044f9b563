package lab

import (
	"time"

	"github.com/netagent/netagent/lab/synth"
	"github.com/netagent/netagent/lab/topo"
)

type model struct{ *synth.Model }

func newModel(t *topo.Topology, seed int64) *model {
	return &model{synth.New(t, seed, time.Now())}
}

func (m *model) setLink(i int, up bool) { m.SetLink(i, up, time.Now()) }

// Telemetry returns the lab's synthetic telemetry model (for tests that
// compare what a collector saw with what the lab produced).
func (l *Lab) Telemetry() *synth.Model { return l.model.Model }

// AddAnomaly scripts an anomaly in the telemetry model; Start is relative
// to the lab's start.
func (l *Lab) AddAnomaly(a synth.Anomaly) { l.model.AddAnomaly(a) }

// State returns device name's state points at now (what gNMI Subscribe and
// NETCONF get report).
func (l *Lab) State(name string, now time.Time) ([]synth.Point, error) {
	d, err := l.device(name)
	if err != nil {
		return nil, err
	}
	return l.model.State(name, d.store.Running(), now), nil
}
