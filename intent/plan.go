package intent

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/netagent/netagent/yang"
)

// Plan is what an intent changes: per device, the typed changes that turn
// its current configuration into the desired one, the changes that would
// undo them, and a human-readable diff. Devices are sorted by name.
type Plan struct {
	IntentID string       `json:"intent_id"`
	Devices  []DevicePlan `json:"devices"`
}

// Len is the total number of changes over all devices.
func (p *Plan) Len() int {
	if p == nil {
		return 0
	}
	n := 0
	for _, d := range p.Devices {
		n += len(d.Changes)
	}
	return n
}

// Diff renders the whole plan for people, device by device.
func (p *Plan) Diff() string {
	if p == nil {
		return ""
	}
	var out []byte
	for _, d := range p.Devices {
		out = fmt.Appendf(out, "%s:\n", d.Device)
		if len(d.Changes) == 0 {
			out = append(out, "  (no changes)\n"...)
		}
		for _, c := range d.Changes {
			out = fmt.Appendf(out, "  %s\n", c)
		}
		for _, n := range d.Notes {
			out = fmt.Appendf(out, "  note: %s\n", n)
		}
		for _, k := range d.Kept {
			out = fmt.Appendf(out, "  = %s kept: %s\n", k.Path, k.Reason)
		}
	}
	return string(out)
}

// DevicePlan is one device's part of a plan.
type DevicePlan struct {
	Device string
	// Changes turn the current configuration into the desired one.
	Changes []yang.Change
	// Undo restores what Changes alter: what withdrawing the intent removes.
	Undo []yang.Change
	// Before is the configuration the plan was computed from; nil once the
	// plan has been stored and read back.
	Before *yang.Tree
	// Holds are the nodes the intent's configuration consists of, whether
	// or not this plan changes them: what it claims (see own.go). Not
	// stored.
	Holds []yang.Path
	// Notes say what a plan does that a reader should know before it is
	// applied (an ensure-absent intent removing configuration that
	// netagent did not create).
	Notes []string
	// Kept lists, in a withdraw plan, the nodes the intent had set that the
	// withdraw leaves in place, and why.
	Kept []Kept
	// Version is the device's configuration version the plan was computed
	// against (VersionedDevice), 0 when the device keeps none.
	Version uint64
}

type devicePlanJSON struct {
	Device  string       `json:"device"`
	Diff    string       `json:"diff"`
	Changes []changeJSON `json:"changes"`
	Undo    []changeJSON `json:"undo,omitempty"`
	Notes   []string     `json:"notes,omitempty"`
	Kept    []Kept       `json:"kept,omitempty"`
	Version uint64       `json:"config_version,omitempty"`
}

type changeJSON struct {
	Op   string `json:"op"`
	Path string `json:"path"`
	Old  any    `json:"old,omitempty"`
	New  any    `json:"new,omitempty"`
}

// MarshalJSON writes the device plan with its human diff and changes as
// {op, path, old, new} objects.
func (d DevicePlan) MarshalJSON() ([]byte, error) {
	return json.Marshal(devicePlanJSON{Device: d.Device, Diff: yang.Render(d.Changes), Changes: toJSON(d.Changes), Undo: toJSON(d.Undo), Notes: d.Notes, Kept: d.Kept, Version: d.Version})
}

// UnmarshalJSON reads what MarshalJSON writes, checking every path and
// value against the model.
func (d *DevicePlan) UnmarshalJSON(b []byte) error {
	var w devicePlanJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("device plan: %w", err)
	}
	ch, err := fromJSON(w.Changes)
	if err != nil {
		return fmt.Errorf("device plan %s: %w", w.Device, err)
	}
	undo, err := fromJSON(w.Undo)
	if err != nil {
		return fmt.Errorf("device plan %s: undo: %w", w.Device, err)
	}
	*d = DevicePlan{Device: w.Device, Changes: ch, Undo: undo, Notes: w.Notes, Kept: w.Kept, Version: w.Version}
	return nil
}

func toJSON(cs []yang.Change) []changeJSON {
	out := make([]changeJSON, len(cs))
	for i, c := range cs {
		out[i] = changeJSON{Op: c.Op.String(), Path: c.Path.String(), Old: c.Old, New: c.New}
	}
	return out
}

func fromJSON(cs []changeJSON) ([]yang.Change, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	out := make([]yang.Change, len(cs))
	for i, w := range cs {
		p, err := yang.ParsePath(w.Path)
		if err != nil {
			return nil, err
		}
		c := yang.Change{Path: p}
		switch w.Op {
		case "create":
			c.Op = yang.OpCreate
		case "update":
			c.Op = yang.OpUpdate
		case "delete":
			c.Op = yang.OpDelete
		default:
			return nil, fmt.Errorf("%s: unknown op %q", w.Path, w.Op)
		}
		if !p.IsEntry() {
			s, err := p.Schema()
			if err != nil {
				return nil, err
			}
			if c.Old, err = leafValue(s, w.Old); err != nil {
				return nil, fmt.Errorf("%s: old: %w", w.Path, err)
			}
			if c.New, err = leafValue(s, w.New); err != nil {
				return nil, fmt.Errorf("%s: new: %w", w.Path, err)
			}
		}
		out[i] = c
	}
	return out, nil
}

// leafValue converts a JSON value back into the leaf's canonical Go value.
func leafValue(s *yang.Schema, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return yang.ParseValue(s, x)
	case bool:
		return yang.ParseValue(s, fmt.Sprint(x))
	case float64:
		return yang.ParseValue(s, fmt.Sprintf("%.0f", x))
	case json.Number:
		return yang.ParseValue(s, x.String())
	}
	return nil, fmt.Errorf("unexpected value %v", v)
}

type freshKey struct{}

// WithFreshReads returns ctx asking that planning read every device's
// configuration from the device itself, not from a cache: for a check that
// must see out-of-band changes (a confirmation against the plan it was
// shown, a drift check).
func WithFreshReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, freshKey{}, true)
}

// FreshReads reports whether ctx asks for fresh reads (WithFreshReads).
func FreshReads(ctx context.Context) bool {
	v, _ := ctx.Value(freshKey{}).(bool)
	return v
}
