package intent

import (
	"context"
	"errors"
	"strings"
)

// Phases of planning in which a device can fail.
const (
	PhaseOpen  = "open"               // reaching the device and logging in
	PhaseRead  = "read configuration" // reading its current configuration
	PhaseWrite = "configure"          // applying changes
)

// DeviceError is a device failing while an intent is planned or applied:
// which device, in which phase, and the underlying error (an adapters
// error, which says why). errors.As finds it; the REST edge answers it as
// 502 (504 when Timeout).
type DeviceError struct {
	Device string
	Phase  string
	Err    error
}

func (e *DeviceError) Error() string {
	msg := e.Err.Error()
	if strings.Contains(msg, e.Device) {
		// The cause names the device already: say the phase only once.
		if strings.HasPrefix(msg, e.Phase+" ") {
			return msg
		}
		return e.Phase + ": " + msg
	}
	return e.Phase + " " + e.Device + ": " + msg
}

func (e *DeviceError) Unwrap() error { return e.Err }

// Timeout reports whether the device did not answer in time.
func (e *DeviceError) Timeout() bool {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(e.Err, &t) && t.Timeout()
}

// Permanent reports whether retrying cannot help until an operator acts
// (the device refused the credentials, or its SSH host key is not the one
// known): the error, somewhere in its chain, says so with a Permanent
// method.
func (e *DeviceError) Permanent() bool { return permanent(e.Err) }

func permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}
