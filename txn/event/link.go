package event

import "sync"

// LinkWatch turns the interface operational states a device reports
// (telemetry's if.oper.status) into link.down and link.up events: each
// change of an interface's state publishes one, subject device/NAME,
// params device, interface and state. The first state seen of an
// interface sets it without an event (only a change is news, and an
// agent that starts beside unused ports says nothing of them). Safe for
// concurrent use.
type LinkWatch struct {
	// Publish sends one event; it must not block.
	Publish func(typ, subject string, params map[string]any)

	mu sync.Mutex // protects up
	up map[linkKey]bool
}

type linkKey struct{ device, iface string }

// Observe records that interface iface of device is up (or down) and
// publishes link.up (link.down) when that differs from what was seen
// last. It reports whether it published.
func (w *LinkWatch) Observe(device, iface string, up bool) bool {
	k := linkKey{device, iface}
	w.mu.Lock()
	if w.up == nil {
		w.up = map[linkKey]bool{}
	}
	was, seen := w.up[k]
	w.up[k] = up
	w.mu.Unlock()
	if !seen || was == up {
		return false
	}
	typ, state := TypeLinkDown, "down"
	if up {
		typ, state = TypeLinkUp, "up"
	}
	if w.Publish != nil {
		w.Publish(typ, "device/"+device, map[string]any{"device": device, "interface": iface, "state": state})
	}
	return true
}
