package intent

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Decode checks data strictly and returns the intent it holds. It runs two
// of the three stages of intake checking:
//
//  1. syntax: exactly one JSON value, at most MaxBytes and MaxDepth, valid
//     UTF-8, no duplicate member names, nothing after the value;
//  2. schema: the kind's JSON Schema (unknown members are refused there).
//
// Every problem of the failing stage is reported at once in an
// *InvalidError. The third stage, semantic checks against the inventory and
// the device model, needs devices and runs in Service. An intent without an
// id is returned with ID "" (the Service assigns one).
func Decode(data []byte) (*Intent, error) {
	doc, ierr := parseStrict(data)
	if ierr != nil {
		return nil, ierr
	}
	return fromGeneric(doc)
}

// DecodeValue is Decode for a document already parsed into generic values
// (map[string]any, []any, string, float64 or json.Number, bool, nil), as YAML
// intake produces.
func DecodeValue(doc any) (*Intent, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, invalid(StageSyntax, "", "the document cannot be represented as JSON: %v", err)
	}
	return Decode(b)
}

func fromGeneric(doc any) (*Intent, error) {
	if ierr := validateSchema(doc); ierr != nil {
		return nil, ierr
	}
	if ierr := checkDurations(doc); ierr != nil {
		return nil, ierr
	}
	// The schema has checked every member's presence, type and range, so
	// the conversions below cannot fail on a valid document.
	obj := doc.(map[string]any)
	in := &Intent{
		ID:        str(obj["id"]),
		Kind:      Kind(str(obj["kind"])),
		Requester: str(obj["requester"]),
	}
	t := obj["targets"].(map[string]any)
	for _, d := range arr(t["devices"]) {
		in.Targets.Devices = append(in.Targets.Devices, d.(string))
	}
	if sel, ok := t["selector"].(map[string]any); ok {
		in.Targets.Selector = make(map[string]string, len(sel))
		for k, v := range sel {
			in.Targets.Selector[k] = v.(string)
		}
	}
	if o, ok := obj["options"].(map[string]any); ok {
		in.Options.DryRun, _ = o["dry_run"].(bool)
		if b, ok := o["atomic"].(bool); ok {
			in.Options.Atomic = &b
		}
		in.Options.ConfirmTimeout = dur(o["confirm_timeout"])
		in.Options.Soak = dur(o["soak"])
		in.Options.OnDrift, _ = o["on_drift"].(string)
	}
	for _, a := range arr(obj["assure"]) {
		in.Assure = append(in.Assure, objective(a.(map[string]any)))
	}
	spec := obj["spec"].(map[string]any)
	switch in.Kind {
	case KindInterface:
		s := &InterfaceSpec{Name: str(spec["name"]), Type: str(spec["type"])}
		if b, ok := spec["enabled"].(bool); ok {
			s.Enabled = &b
		}
		if d, ok := spec["description"].(string); ok {
			s.Description = &d
		}
		if n, ok := spec["mtu"]; ok {
			m := num(n)
			s.MTU = &m
		}
		if n, ok := spec["subinterface"]; ok {
			s.Subinterface = uint32(num(n))
		}
		for _, a := range arr(spec["ipv4"]) {
			s.IPv4 = append(s.IPv4, a.(string))
		}
		s.Ensure = ensure(spec["ensure"])
		in.Spec = s
	case KindStaticRoute:
		s := &StaticRouteSpec{Prefix: str(spec["prefix"])}
		for _, h := range arr(spec["next_hops"]) {
			hm := h.(map[string]any)
			s.NextHops = append(s.NextHops, NextHop{Index: str(hm["index"]), NextHop: str(hm["next_hop"]), Interface: str(hm["interface"])})
		}
		s.Ensure = ensure(spec["ensure"])
		in.Spec = s
	case KindBGPNeighbor:
		s := &BGPNeighborSpec{Address: str(spec["address"]), PeerAS: num(spec["peer_as"]), RouterID: str(spec["router_id"])}
		if n, ok := spec["local_as"]; ok {
			s.LocalAS = num(n)
		}
		if b, ok := spec["enabled"].(bool); ok {
			s.Enabled = &b
		}
		if d, ok := spec["description"].(string); ok {
			s.Description = &d
		}
		s.Ensure = ensure(spec["ensure"])
		in.Spec = s
	case KindSLO:
		o := objective(spec)
		in.Spec = &o
	default:
		return nil, invalid(StageSchema, "/kind", "%q is not a known kind", in.Kind)
	}
	return in, nil
}

func objective(m map[string]any) Objective {
	o := Objective{Metric: str(m["metric"]), Comparison: str(m["comparison"]), Target: float(m["target"]), Window: dur(m["window"])}
	if sc, ok := m["scope"].(map[string]any); ok {
		o.Scope = Scope{Interface: str(sc["interface"]), Peer: str(sc["peer"]), Application: str(sc["application"])}
	}
	return o
}

// checkDurations refuses durations that are not longer than zero: an SLO
// window, a soak or a confirm timeout of zero means nothing an operator
// wants (the schema's pattern already refuses a sign).
func checkDurations(doc any) *InvalidError {
	obj := doc.(map[string]any)
	var probs []Problem
	check := func(ptr string, v any) {
		s, ok := v.(string)
		if !ok {
			return
		}
		if d, err := time.ParseDuration(s); err != nil || d <= 0 {
			probs = append(probs, Problem{Pointer: ptr, Reason: fmt.Sprintf("%q must be longer than zero", s)})
		}
	}
	if o, ok := obj["options"].(map[string]any); ok {
		check("/options/confirm_timeout", o["confirm_timeout"])
		check("/options/soak", o["soak"])
	}
	for i, a := range arr(obj["assure"]) {
		if m, ok := a.(map[string]any); ok {
			check("/assure/"+strconv.Itoa(i)+"/window", m["window"])
		}
	}
	if obj["kind"] == string(KindSLO) {
		if m, ok := obj["spec"].(map[string]any); ok {
			check("/spec/window", m["window"])
		}
	}
	if probs == nil {
		return nil
	}
	return &InvalidError{Stage: StageSchema, Problems: probs}
}

// ensure reads a spec's ensure member: "absent", or present by default.
func ensure(v any) Ensure {
	if str(v) == string(EnsureAbsent) {
		return EnsureAbsent
	}
	return EnsurePresent
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func arr(v any) []any {
	a, _ := v.([]any)
	return a
}

func num(v any) uint64 {
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseUint(string(x), 10, 64)
		if err == nil {
			return n
		}
		f, _ := x.Float64() // integral value written as 9000.0 or 9e3
		return uint64(f)
	case float64:
		return uint64(x)
	}
	return 0
}

func float(v any) float64 {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case float64:
		return x
	}
	return 0
}

func dur(v any) Duration {
	s, ok := v.(string)
	if !ok {
		return 0
	}
	d, _ := time.ParseDuration(s)
	return Duration(d)
}

// NewID returns a fresh random intent id.
func NewID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("intent: random id: %v", err))
	}
	return "in-" + hex.EncodeToString(b[:])
}

// Canonical returns the intent as canonical JSON (members in a fixed order,
// defaults explicit): what is stored, hashed for idempotency and echoed.
func (in *Intent) Canonical() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(in); err != nil {
		// Every member of Intent marshals; this is a programming error.
		panic(fmt.Sprintf("intent: canonical %s: %v", in.ID, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
