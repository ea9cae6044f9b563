package adapters

import (
	"errors"
	"strings"
)

// Sentinel errors callers branch on with errors.Is. Every device failure
// is a *DeviceError whose Kind is one of them.
var (
	// ErrUnreachable: no transport to the device (refused, no route, DNS,
	// TCP or TLS set-up timed out).
	ErrUnreachable = errors.New("adapters: device unreachable")
	// ErrAuth: the device refused the credentials (or the authorisation of
	// the operation).
	ErrAuth = errors.New("adapters: authentication failed")
	// ErrTimeout: the device did not answer in time. Whether a change was
	// applied is unknown unless the error says it was not (see Retryable).
	ErrTimeout = errors.New("adapters: device timed out")
	// ErrLocked: another session holds the configuration lock.
	ErrLocked = errors.New("adapters: configuration locked")
	// ErrRejected: the device refused the request (rpc-error, gRPC status,
	// CLI "% ..." line); the message and tag say why.
	ErrRejected = errors.New("adapters: rejected by device")
	// ErrHostKey: the device's SSH host key is unknown or differs from the
	// one in known_hosts; no credential was sent.
	ErrHostKey = errors.New("adapters: SSH host key verification failed")
	// ErrUnsupported: the device or protocol cannot do what was asked (a
	// missing capability, a path the CLI platform cannot render).
	ErrUnsupported = errors.New("adapters: unsupported by device")
	// ErrNoTransaction: a phase call for a transaction the participant
	// does not hold.
	ErrNoTransaction = errors.New("adapters: no such transaction")
	// ErrClosed: the device was closed.
	ErrClosed = errors.New("adapters: device closed")
)

// DeviceError is a failure of one operation on one device. Callers read it
// with errors.As and branch on Kind with errors.Is(err, adapters.ErrLocked).
type DeviceError struct {
	Device   string // inventory name
	Protocol string // netconf, gnmi, cli
	Phase    Phase
	Kind     error  // one of the sentinels above
	Tag      string // protocol error tag: rpc-error error-tag, gRPC code, CLI marker
	Path     string // the offending node when the device names it
	Message  string // the device's own words
	// NotApplied is true when the device certainly did not apply the change
	// this operation carried (the error came before anything was sent, or
	// the device rejected it and kept nothing). Only then may a caller send
	// the change again, possibly over another protocol.
	NotApplied bool
	Err        error // underlying cause, if any
}

func (e *DeviceError) Error() string {
	var b strings.Builder
	b.WriteString(e.Protocol)
	if e.Phase != "" {
		b.WriteByte(' ')
		b.WriteString(string(e.Phase))
	}
	b.WriteByte(' ')
	b.WriteString(e.Device)
	b.WriteString(": ")
	kind := "error"
	if e.Kind != nil {
		kind = strings.TrimPrefix(e.Kind.Error(), "adapters: ")
	}
	b.WriteString(kind)
	if e.Tag != "" {
		b.WriteString(" (")
		b.WriteString(e.Tag)
		b.WriteByte(')')
	}
	if e.Path != "" {
		b.WriteString(" at ")
		b.WriteString(e.Path)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil && (e.Message == "" || !strings.Contains(e.Message, e.Err.Error()) && !strings.Contains(e.Err.Error(), e.Message)) {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap exposes Kind and the cause to errors.Is and errors.As.
func (e *DeviceError) Unwrap() []error {
	out := make([]error, 0, 2)
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Permanent reports whether the failure cannot go away by itself: the
// device refused the credentials, or its SSH host key is not the one
// recorded. Trying again only repeats it (and may lock the account); an
// operator must fix the credentials or known_hosts first, as the message
// says. Callers that retry device errors skip permanent ones.
func (e *DeviceError) Permanent() bool {
	return errors.Is(e.Kind, ErrAuth) || errors.Is(e.Kind, ErrHostKey)
}

// Retryable reports whether err certainly left the device unchanged, so the
// same change may be sent again (over any protocol). Like database/sql's
// driver.ErrBadConn, it is true only when that is certain: a timeout after
// the change was sent is not retryable; the failover layer reads back and
// compares instead. A nil error is not retryable.
func Retryable(err error) bool {
	var de *DeviceError
	if !errors.As(err, &de) {
		return false
	}
	// Every DeviceError in the chain must agree: an outer error that says
	// "not applied" cannot hide an inner ambiguous one.
	for de != nil {
		if !de.NotApplied {
			return false
		}
		var next *DeviceError
		if de.Err == nil || !errors.As(de.Err, &next) {
			break
		}
		de = next
	}
	return true
}

// Failed reports whether err means the protocol itself failed (transport,
// timeout) rather than the device answering no: what the health checker
// counts and what makes the failover layer try the next protocol.
func Failed(err error) bool {
	return errors.Is(err, ErrUnreachable) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrClosed)
}
