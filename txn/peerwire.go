package txn

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/netagent/netagent/yang"
)

// The peer-agent API's bodies. A coordinator sends each participant agent
// only its own devices' part; every phase names the devices it applies to.

// PhaseRequest is the body of every phase call of the peer API (prepare,
// commit, confirm, abort, rollback). Prepare carries each device's changes;
// the other phases name the devices only.
type PhaseRequest struct {
	// Devices are the participant's devices this call applies to.
	Devices []PeerDevicePart `json:"devices"`
	// ConfirmTimeoutMS is the device-side confirm timer (commit), and the
	// lease of a prepared transaction (prepare): the participant aborts by
	// itself when the coordinator goes silent for longer.
	ConfirmTimeoutMS int64 `json:"confirm_timeout_ms,omitempty"`
}

// PeerDevicePart is one device's part of a phase call.
type PeerDevicePart struct {
	Device  string       `json:"device"`
	Changes []ChangeJSON `json:"changes,omitempty"`

	changes []yang.Change // decoded Changes
}

// PhaseResponse answers a phase call: each device's state after it.
type PhaseResponse struct {
	Txn     string            `json:"txn"`
	Agent   string            `json:"agent"`
	Devices []PeerDeviceState `json:"devices"`
}

// PeerDeviceState is one device's state at a participant agent.
type PeerDeviceState struct {
	Device string `json:"device"`
	// State is none, prepared, committed, confirmed, aborted, rolled-back
	// or failed.
	State string `json:"state"`
	// ConfirmTimer says the device reverts a commit by itself.
	ConfirmTimer bool   `json:"confirm_timer"`
	Error        string `json:"error,omitempty"`
}

// LeafJSON is one configuration leaf on the wire: its path and canonical text.
type LeafJSON struct {
	Path  string `json:"path"`
	Value string `json:"value"`
}

// ConfigureRequest is the body of POST /v1/peer/devices/{name}/configure:
// the changes a recovering coordinator has the owner apply (idempotently:
// only what the device lacks is sent).
type ConfigureRequest struct {
	Changes []ChangeJSON `json:"changes"`
}

// PendingRequest is the body of POST /v1/peer/devices/{name}/pending: the
// coordinator has the owner confirm, or cancel, the confirmed commit the
// device holds under persist-id Txn, whether or not the owner remembers
// the transaction (it may have restarted since the commit).
type PendingRequest struct {
	Txn string `json:"txn"`
	// Action is confirm or cancel.
	Action string `json:"action"`
}

// Pending actions.
const (
	PendingConfirm = "confirm"
	PendingCancel  = "cancel"
)

// PendingResponse answers a pending call: the device and what it did
// (confirmed, cancelled).
type PendingResponse struct {
	Device string `json:"device"`
	Txn    string `json:"txn"`
	State  string `json:"state"`
}

// maxPeerBody bounds a peer API body.
const maxPeerBody = 4 << 20

// maxPeerDevices bounds the devices of one phase call.
const maxPeerDevices = 10000

var (
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
	devicePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$`)
)

// ErrBadPeerRequest is matched by errors for a peer API body that cannot be
// decoded or is out of shape.
var ErrBadPeerRequest = errors.New("txn: bad peer request")

func strictDecode(r io.Reader, v any) error {
	dec := json.NewDecoder(io.LimitReader(r, maxPeerBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrBadPeerRequest, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data after the JSON object", ErrBadPeerRequest)
	}
	return nil
}

// DecodePhaseRequest reads a phase call's body strictly (unknown fields,
// trailing data, bad device names, duplicate devices and, for prepare,
// changes that do not fit the model are errors naming what is wrong).
// withChanges says whether the phase carries changes (prepare).
func DecodePhaseRequest(r io.Reader, withChanges bool) (*PhaseRequest, error) {
	var req PhaseRequest
	if err := strictDecode(r, &req); err != nil {
		return nil, err
	}
	if len(req.Devices) == 0 {
		return nil, fmt.Errorf("%w: devices: at least one device is needed", ErrBadPeerRequest)
	}
	if len(req.Devices) > maxPeerDevices {
		return nil, fmt.Errorf("%w: devices: %d is more than %d", ErrBadPeerRequest, len(req.Devices), maxPeerDevices)
	}
	if req.ConfirmTimeoutMS < 0 || req.ConfirmTimeoutMS > int64(24*time.Hour/time.Millisecond) {
		return nil, fmt.Errorf("%w: confirm_timeout_ms: %d is not between 0 and one day", ErrBadPeerRequest, req.ConfirmTimeoutMS)
	}
	seen := map[string]bool{}
	for i := range req.Devices {
		d := &req.Devices[i]
		if !devicePattern.MatchString(d.Device) {
			return nil, fmt.Errorf("%w: devices[%d].device: %q is not a device name", ErrBadPeerRequest, i, d.Device)
		}
		if seen[d.Device] {
			return nil, fmt.Errorf("%w: devices[%d].device: %s appears twice", ErrBadPeerRequest, i, d.Device)
		}
		seen[d.Device] = true
		if !withChanges {
			if len(d.Changes) > 0 {
				return nil, fmt.Errorf("%w: devices[%d].changes: only prepare carries changes", ErrBadPeerRequest, i)
			}
			continue
		}
		if len(d.Changes) == 0 {
			return nil, fmt.Errorf("%w: devices[%d].changes: prepare needs at least one change for %s", ErrBadPeerRequest, i, d.Device)
		}
		cs, err := DecodeChanges(d.Changes)
		if err != nil {
			return nil, fmt.Errorf("%w: devices[%d].changes%v", ErrBadPeerRequest, i, err)
		}
		d.changes = cs
	}
	return &req, nil
}

// DecodeConfigureRequest reads a configure call's body strictly.
func DecodeConfigureRequest(r io.Reader) ([]yang.Change, error) {
	var req ConfigureRequest
	if err := strictDecode(r, &req); err != nil {
		return nil, err
	}
	if len(req.Changes) == 0 {
		return nil, fmt.Errorf("%w: changes: at least one change is needed", ErrBadPeerRequest)
	}
	cs, err := DecodeChanges(req.Changes)
	if err != nil {
		return nil, fmt.Errorf("%w: changes%v", ErrBadPeerRequest, err)
	}
	return cs, nil
}

// DecodePendingRequest reads a pending call's body strictly: the
// transaction id must be one, the action confirm or cancel.
func DecodePendingRequest(r io.Reader) (*PendingRequest, error) {
	var req PendingRequest
	if err := strictDecode(r, &req); err != nil {
		return nil, err
	}
	if !validID(req.Txn) {
		return nil, fmt.Errorf("%w: txn: %q is not a transaction id", ErrBadPeerRequest, req.Txn)
	}
	if req.Action != PendingConfirm && req.Action != PendingCancel {
		return nil, fmt.Errorf("%w: action: %q is neither %s nor %s", ErrBadPeerRequest, req.Action, PendingConfirm, PendingCancel)
	}
	return &req, nil
}

// EncodeTree converts a configuration to its wire form (leaves in order).
func EncodeTree(t *yang.Tree) []LeafJSON {
	ls := t.Leaves()
	out := make([]LeafJSON, 0, len(ls))
	for _, l := range ls {
		out = append(out, LeafJSON{Path: l.Path.String(), Value: yang.FormatValue(l.Value)})
	}
	return out
}

// DecodeTree converts leaves back, checking each against the model.
func DecodeTree(ls []LeafJSON) (*yang.Tree, error) {
	t := yang.NewTree()
	for i, l := range ls {
		p, err := yang.ParsePath(l.Path)
		if err != nil {
			return nil, fmt.Errorf("leaves[%d]: %w", i, err)
		}
		s, err := p.Schema()
		if err != nil {
			return nil, fmt.Errorf("leaves[%d]: %w", i, err)
		}
		v, err := yang.ParseValue(s, l.Value)
		if err != nil {
			return nil, fmt.Errorf("leaves[%d] %s: %w", i, l.Path, err)
		}
		if err := t.Set(p, v); err != nil {
			return nil, fmt.Errorf("leaves[%d] %s: %w", i, l.Path, err)
		}
	}
	return t, nil
}

func validID(id string) bool { return idPattern.MatchString(id) }
