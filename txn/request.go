package txn

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/netagent/netagent/yang"
)

// Request is one transaction as its caller describes it: who takes part,
// what each participant changes and how to undo it, in which order the
// stages run, and the options. It knows nothing about intents; intent/txnplan
// translates a plan into one.
type Request struct {
	// ID names the transaction; New assigns one when empty. It is the
	// persist-id devices hold a confirmed commit under.
	ID string `json:"id"`
	// Intent is the intent the transaction carries out, if any (a link
	// for GET /v1/txns?intent=).
	Intent string `json:"intent,omitempty"`
	// Participants each change one device. A device appears at most once.
	Participants []Participant `json:"participants"`
	// Stages order the participants: a stage commits only after every stage
	// it names in After has committed. Participants whose Stage is empty
	// belong to the implicit first stage "". No stages means one stage.
	Stages  []Stage `json:"stages,omitempty"`
	Options Options `json:"options"`
}

// Participant is one device's part of a transaction.
type Participant struct {
	Device string `json:"device"`
	// Stage is the name of the stage the participant belongs to.
	Stage string `json:"stage,omitempty"`
	// Changes turn the device's current configuration into the desired one.
	Changes []yang.Change `json:"-"`
	// Undo restores what Changes alter. It is kept in the write-ahead log
	// and applied when the device has no confirm timer (CLI platforms) or
	// when recovery finds the change on a device it must roll back.
	Undo []yang.Change `json:"-"`
}

// Stage is a named group of participants and the stages it depends on.
type Stage struct {
	Name  string   `json:"name"`
	After []string `json:"after,omitempty"`
}

// Options tune how a transaction runs.
type Options struct {
	// ConfirmTimeout is the device-side confirm timer: a device reverts
	// the commit by itself unless confirmed within it. Default
	// DefaultConfirmTimeout, plus ConfirmPerDevice for each participant
	// beyond 300 (a big transaction takes longer from commit to confirm).
	ConfirmTimeout time.Duration `json:"confirm_timeout,omitempty"`
	// FanOut bounds how many participants are driven at once; 0 means the
	// coordinator's default.
	FanOut int `json:"fan_out,omitempty"`
	// NotAtomic keeps the participants that succeeded when another fails
	// (each device is all-or-nothing on its own). The default is atomic:
	// all participants or none.
	NotAtomic bool `json:"not_atomic,omitempty"`
	// Soak is how long the result is watched (Config.Soak) after read-back
	// and before confirm.
	Soak time.Duration `json:"soak,omitempty"`
	// NoWait refuses the transaction with ErrBusy when another holds one
	// of its devices, instead of queueing behind it.
	NoWait bool `json:"no_wait,omitempty"`
}

// DefaultConfirmTimeout is the confirm timer when a request sets none. It
// is also the longest a restarted coordinator waits for the devices of a
// transaction it finds committed but not decided.
const DefaultConfirmTimeout = 30 * time.Second

// ConfirmPerDevice lengthens the default confirm timer of transactions of
// more than 300 participants.
const ConfirmPerDevice = 100 * time.Millisecond

// ErrInvalid is matched by errors for a request that cannot run.
var ErrInvalid = errors.New("txn: invalid request")

// Validate checks the request's shape: devices named once, stages known
// and acyclic. It returns the stages' waves in dependency order.
func (r *Request) Validate() ([][]int, error) {
	if len(r.Participants) == 0 {
		return nil, fmt.Errorf("%w: transaction %s has no participants", ErrInvalid, r.ID)
	}
	if r.Options.ConfirmTimeout < 0 || r.Options.FanOut < 0 || r.Options.Soak < 0 {
		return nil, fmt.Errorf("%w: transaction %s: negative option", ErrInvalid, r.ID)
	}
	stages := map[string][]string{"": nil}
	for _, s := range r.Stages {
		if _, dup := stages[s.Name]; dup && s.Name != "" {
			return nil, fmt.Errorf("%w: stage %q declared twice", ErrInvalid, s.Name)
		}
		stages[s.Name] = s.After
	}
	for name, after := range stages {
		for _, a := range after {
			if _, ok := stages[a]; !ok {
				return nil, fmt.Errorf("%w: stage %q runs after unknown stage %q", ErrInvalid, name, a)
			}
		}
	}
	seen := map[string]bool{}
	for i, p := range r.Participants {
		if p.Device == "" {
			return nil, fmt.Errorf("%w: participants[%d] names no device", ErrInvalid, i)
		}
		if seen[p.Device] {
			return nil, fmt.Errorf("%w: device %s appears twice", ErrInvalid, p.Device)
		}
		seen[p.Device] = true
		if _, ok := stages[p.Stage]; !ok {
			return nil, fmt.Errorf("%w: device %s is in unknown stage %q", ErrInvalid, p.Device, p.Stage)
		}
	}
	// Kahn's algorithm over stage names, waves sorted by name.
	order, rest := []string{}, map[string]bool{}
	for n := range stages {
		rest[n] = true
	}
	for len(rest) > 0 {
		var wave []string
		for n := range rest {
			ready := true
			for _, a := range stages[n] {
				if rest[a] {
					ready = false
				}
			}
			if ready {
				wave = append(wave, n)
			}
		}
		if len(wave) == 0 {
			return nil, fmt.Errorf("%w: stages depend on each other in a cycle", ErrInvalid)
		}
		sort.Strings(wave)
		for _, n := range wave {
			delete(rest, n)
		}
		order = append(order, wave...)
	}
	var waves [][]int
	for _, n := range order {
		var idx []int
		for i, p := range r.Participants {
			if p.Stage == n {
				idx = append(idx, i)
			}
		}
		if len(idx) > 0 {
			waves = append(waves, idx)
		}
	}
	return waves, nil
}

func (r *Request) confirmTimeout() time.Duration {
	if r.Options.ConfirmTimeout > 0 {
		return r.Options.ConfirmTimeout
	}
	return DefaultConfirmTimeout + time.Duration(max(0, len(r.Participants)-300))*ConfirmPerDevice
}

// participantJSON is a participant as the write-ahead log keeps it.
type participantJSON struct {
	Device  string       `json:"device"`
	Stage   string       `json:"stage,omitempty"`
	Changes []ChangeJSON `json:"changes"`
	Undo    []ChangeJSON `json:"undo,omitempty"`
}

// MarshalJSON writes the participant with its changes as {op, path, old, new}.
func (p Participant) MarshalJSON() ([]byte, error) {
	return json.Marshal(participantJSON{Device: p.Device, Stage: p.Stage, Changes: EncodeChanges(p.Changes), Undo: EncodeChanges(p.Undo)})
}

// UnmarshalJSON reads what MarshalJSON writes, checking every path and
// value against the model.
func (p *Participant) UnmarshalJSON(b []byte) error {
	var w participantJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("participant: %w", err)
	}
	ch, err := DecodeChanges(w.Changes)
	if err != nil {
		return fmt.Errorf("participant %s: changes: %w", w.Device, err)
	}
	undo, err := DecodeChanges(w.Undo)
	if err != nil {
		return fmt.Errorf("participant %s: undo: %w", w.Device, err)
	}
	*p = Participant{Device: w.Device, Stage: w.Stage, Changes: ch, Undo: undo}
	return nil
}

// ChangeJSON is a yang.Change on the wire: values as their canonical text.
type ChangeJSON struct {
	Op   string  `json:"op"`
	Path string  `json:"path"`
	Old  *string `json:"old,omitempty"`
	New  *string `json:"new,omitempty"`
}

// EncodeChanges converts changes to their wire form.
func EncodeChanges(cs []yang.Change) []ChangeJSON {
	out := make([]ChangeJSON, len(cs))
	for i, c := range cs {
		out[i] = ChangeJSON{Op: c.Op.String(), Path: c.Path.String(), Old: text(c.Old), New: text(c.New)}
	}
	return out
}

func text(v any) *string {
	if v == nil {
		return nil
	}
	s := yang.FormatValue(v)
	return &s
}

// DecodeChanges converts wire changes back, checking each path and value
// against the model; errors name the change by index and path.
func DecodeChanges(cs []ChangeJSON) ([]yang.Change, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	out := make([]yang.Change, len(cs))
	for i, w := range cs {
		p, err := yang.ParsePath(w.Path)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
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
			return nil, fmt.Errorf("[%d] %s: unknown op %q", i, w.Path, w.Op)
		}
		if p.IsEntry() {
			if w.Old != nil || w.New != nil {
				return nil, fmt.Errorf("[%d] %s: a list entry carries no value", i, w.Path)
			}
		} else {
			s, err := p.Schema()
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if w.Old != nil {
				if c.Old, err = yang.ParseValue(s, *w.Old); err != nil {
					return nil, fmt.Errorf("[%d] %s: old: %w", i, w.Path, err)
				}
			}
			if w.New != nil {
				if c.New, err = yang.ParseValue(s, *w.New); err != nil {
					return nil, fmt.Errorf("[%d] %s: new: %w", i, w.Path, err)
				}
			}
		}
		out[i] = c
	}
	return out, nil
}
