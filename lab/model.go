package lab

import (
	"fmt"
	"strings"
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
// to the lab's start. The target must be a device or link endpoint of the
// lab.
func (l *Lab) AddAnomaly(a synth.Anomaly) error {
	if err := a.Validate(); err != nil {
		return fmt.Errorf("lab %s: anomaly: %w", l.topo.Name, err)
	}
	node, ifname, isLink := strings.Cut(a.Target, ":")
	if _, ok := l.byName[node]; !ok {
		return fmt.Errorf("lab %s: anomaly target %q: %w", l.topo.Name, a.Target, ErrUnknownDevice)
	}
	if isLink {
		found := false
		for _, lk := range l.topo.Links {
			found = found || (lk.A.Node == node && lk.A.Interface == ifname) || (lk.B.Node == node && lk.B.Interface == ifname)
		}
		if !found {
			return fmt.Errorf("lab %s: anomaly target %q: %w", l.topo.Name, a.Target, ErrUnknownLink)
		}
	}
	l.model.AddAnomaly(a)
	l.log.Info("anomaly scripted", "kind", a.Kind, "target", a.Target, "start", a.Start)
	return nil
}

// State returns device name's state points at now (what gNMI Subscribe and
// NETCONF get report).
func (l *Lab) State(name string, now time.Time) ([]synth.Point, error) {
	d, err := l.device(name)
	if err != nil {
		return nil, err
	}
	return l.model.State(name, d.store.Running(), now), nil
}
