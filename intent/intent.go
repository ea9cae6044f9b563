package intent

import (
	"encoding/json"
	"fmt"
	"time"
)

// Kind names what an intent configures.
type Kind string

// The intent kinds.
const (
	KindInterface   Kind = "interface"
	KindStaticRoute Kind = "static-route"
	KindBGPNeighbor Kind = "bgp-neighbor"
	KindSLO         Kind = "slo"
)

// Kinds lists every kind, in the order the documentation uses.
func Kinds() []Kind { return []Kind{KindInterface, KindStaticRoute, KindBGPNeighbor, KindSLO} }

// Intent is one decoded, schema-valid intent: the common envelope and the
// kind's typed spec.
type Intent struct {
	// ID is the idempotency key: the client's, or one assigned at intake.
	ID   string `json:"id,omitempty"`
	Kind Kind   `json:"kind"`
	// Targets names devices or selects them by labels.
	Targets Targets `json:"targets"`
	// Spec is *InterfaceSpec, *StaticRouteSpec, *BGPNeighborSpec or
	// *Objective (for KindSLO), matching Kind.
	Spec      any         `json:"spec"`
	Assure    []Objective `json:"assure,omitempty"`
	Options   Options     `json:"options"`
	Requester string      `json:"requester,omitempty"`
}

// Targets selects devices: by name, or by labels (every label must match).
// Exactly one of the two is set.
type Targets struct {
	Devices  []string          `json:"devices,omitempty"`
	Selector map[string]string `json:"selector,omitempty"`
}

// Options tune how an intent is carried out.
type Options struct {
	// DryRun plans and stops: nothing is stored or applied.
	DryRun bool `json:"dry_run,omitempty"`
	// ConfirmTimeout bounds the device-side confirmed commit.
	ConfirmTimeout Duration `json:"confirm_timeout,omitempty"`
	// Atomic applies to all target devices or none (the default); false
	// applies per device and keeps the devices that succeeded.
	Atomic *bool `json:"atomic,omitempty"`
	// Soak is how long the result is watched before it is confirmed.
	Soak Duration `json:"soak,omitempty"`
	// OnDrift is what assurance does when the devices stop holding the
	// intent's configuration: "report" (the default, "") or "reconcile".
	OnDrift string `json:"on_drift,omitempty"`
}

// IsAtomic reports whether the intent applies all-or-nothing.
func (o Options) IsAtomic() bool { return o.Atomic == nil || *o.Atomic }

// Ensure is whether an intent's configuration is to be there (the
// default, written "present" or left out) or not ("absent": the removal
// form of static routes, BGP neighbours and interface addresses).
type Ensure string

// The values of Ensure. The zero value is EnsurePresent; decoding turns an
// explicit "present" into it, so both spellings are one intent.
const (
	EnsurePresent Ensure = ""
	EnsureAbsent  Ensure = "absent"
)

// InterfaceSpec sets an interface's settings; nil members are left alone.
// With Ensure absent it removes the addresses in IPv4 (and sets nothing;
// the interface itself stays).
type InterfaceSpec struct {
	Name         string  `json:"name"`
	Type         string  `json:"type,omitempty"`
	Enabled      *bool   `json:"enabled,omitempty"`
	Description  *string `json:"description,omitempty"`
	MTU          *uint64 `json:"mtu,omitempty"`
	Subinterface uint32  `json:"subinterface,omitempty"`
	// IPv4 are addresses with prefix length: "10.0.0.1/31".
	IPv4   []string `json:"ipv4,omitempty"`
	Ensure Ensure   `json:"ensure,omitempty"`
}

// StaticRouteSpec is a static route; its next hops replace the route's
// current next hops. With Ensure absent the route is removed (and NextHops
// is empty).
type StaticRouteSpec struct {
	Prefix   string    `json:"prefix"`
	NextHops []NextHop `json:"next_hops,omitempty"`
	Ensure   Ensure    `json:"ensure,omitempty"`
}

// NextHop is one next hop of a static route. Index defaults to its
// position counting from 0, which is how devices without next-hop indexes
// (CLI platforms) report them, so a re-read route compares equal.
type NextHop struct {
	Index     string `json:"index,omitempty"`
	NextHop   string `json:"next_hop,omitempty"`
	Interface string `json:"interface,omitempty"`
}

// BGPNeighborSpec is a BGP neighbour; LocalAS and RouterID set the BGP
// instance's global settings when given. With Ensure absent the neighbour
// is removed; PeerAS, when given, must then be the neighbour's.
type BGPNeighborSpec struct {
	Address     string  `json:"address"`
	PeerAS      uint64  `json:"peer_as,omitempty"`
	LocalAS     uint64  `json:"local_as,omitempty"`
	RouterID    string  `json:"router_id,omitempty"`
	Enabled     *bool   `json:"enabled,omitempty"`
	Description *string `json:"description,omitempty"`
	Ensure      Ensure  `json:"ensure,omitempty"`
}

// Objective is an assurance target: metric compared with target over a
// window, in a scope on each targeted device.
type Objective struct {
	Metric     string   `json:"metric"`
	Comparison string   `json:"comparison"`
	Target     float64  `json:"target"`
	Window     Duration `json:"window,omitempty"`
	Scope      Scope    `json:"scope,omitzero"`
}

// Scope narrows an objective within a device.
type Scope struct {
	Interface   string `json:"interface,omitempty"`
	Peer        string `json:"peer,omitempty"`
	Application string `json:"application,omitempty"`
}

// Met reports whether value satisfies the objective.
func (o Objective) Met(value float64) bool {
	switch o.Comparison {
	case "<":
		return value < o.Target
	case "<=":
		return value <= o.Target
	case ">":
		return value > o.Target
	case ">=":
		return value >= o.Target
	case "==":
		return value == o.Target
	case "!=":
		return value != o.Target
	}
	return false
}

// Duration is a time.Duration written as a Go duration string ("30s").
type Duration time.Duration

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// UnmarshalJSON decodes an intent strictly (see Decode) into in; it lets an
// Intent be a member of other JSON documents (results, records).
func (in *Intent) UnmarshalJSON(b []byte) error {
	got, err := Decode(b)
	if err != nil {
		return err
	}
	*in = *got
	return nil
}
