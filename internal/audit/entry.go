package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/netagent/netagent/internal/auth"
)

// Actions recorded by netagent. Entry.Action is free text so that later
// layers (transaction steps, say) add their own; these are the ones the
// agent writes today.
const (
	ActionIntentAccepted = "intent.accepted" // a new intent stored
	ActionIntentState    = "intent.state"    // a lifecycle transition
	ActionIntentPlanned  = "intent.planned"  // a plan stored with an intent
	ActionIntentRefused  = "intent.refused"  // a submission refused before it was stored (a bad signature)
	ActionDeviceChange   = "device.change"   // a Configure on one device, with before/after digests
	ActionFailover       = "device.failover" // the protocol serving a device changed
	ActionHostKey        = "device.hostkey"  // an SSH host key decision
	ActionAuthFailure    = "auth.failure"    // a request refused by authentication or authorisation
	ActionTokenChange    = "auth.token"      // a token created, rotated or revoked
	ActionMCPToolCall    = "mcp.tool"        // a tool called by an MCP client
)

// ZeroHash is the Prev of the first entry.
const ZeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Entry is one audit record. Seq, Prev and Hash are assigned when it is
// appended; Time is set then too when it is zero.
type Entry struct {
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"`
	// Actor is the principal chain (auth.Principal as JSON): who, on whose
	// behalf.
	Actor  json.RawMessage `json:"actor,omitempty"`
	Action string          `json:"action"`
	Intent string          `json:"intent,omitempty"`
	Txn    string          `json:"txn,omitempty"`
	Device string          `json:"device,omitempty"`
	Trace  string          `json:"trace,omitempty"`
	// Detail is a JSON object specific to the action.
	Detail json.RawMessage `json:"detail,omitempty"`
	Prev   string          `json:"prev"`
	Hash   string          `json:"hash"`
}

// ActorJSON encodes p for Entry.Actor.
func ActorJSON(p auth.Principal) json.RawMessage {
	b, err := json.Marshal(p)
	if err != nil { // a Principal is strings and slices: cannot fail
		return nil
	}
	return b
}

// Principal decodes Actor; false when there is none or it does not decode.
func (e Entry) Principal() (auth.Principal, bool) {
	var p auth.Principal
	if len(e.Actor) == 0 || json.Unmarshal(e.Actor, &p) != nil {
		return auth.Principal{}, false
	}
	return p, true
}

// Detail encodes v (a struct or map) for Entry.Detail.
func Detail(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"encode_error": err.Error()})
	}
	return b
}

// canonicalMagic opens every canonical encoding; a new version of the
// encoding gets a new magic.
const canonicalMagic = "netagent-audit-v1\n"

// canonicalFields is how many length-prefixed fields follow the magic.
const canonicalFields = 10

// Canonical is the byte string an entry's hash covers: a magic line, then
// each field but Hash, in a fixed order (seq, time as Unix nanoseconds,
// actor, action, intent, txn, device, trace, detail, prev), each written as
// its decimal length, a colon, the bytes and a newline. The encoding is
// injective: two different entries never encode alike. Actor and Detail are
// covered byte for byte as stored.
func (e Entry) Canonical() []byte { return e.appendCanonical(nil) }

// appendCanonical appends e's canonical encoding to b (nil: a buffer of
// the exact size).
func (e Entry) appendCanonical(b []byte) []byte {
	var seqb, atb [20]byte
	seq, at := strconv.AppendInt(seqb[:0], e.Seq, 10), strconv.AppendInt(atb[:0], e.Time.UnixNano(), 10)
	n := len(canonicalMagic) + canonicalFields*12 + len(seq) + len(at) + len(e.Actor) + len(e.Action) + len(e.Intent) +
		len(e.Txn) + len(e.Device) + len(e.Trace) + len(e.Detail) + len(e.Prev) // each field: up to 10 digits, colon, newline
	if b == nil {
		b = make([]byte, 0, n)
	}
	b = append(b, canonicalMagic...)
	b = appendField(b, seq)
	b = appendField(b, at)
	b = appendField(b, e.Actor)
	b = appendField(b, e.Action)
	b = appendField(b, e.Intent)
	b = appendField(b, e.Txn)
	b = appendField(b, e.Device)
	b = appendField(b, e.Trace)
	b = appendField(b, e.Detail)
	b = appendField(b, e.Prev)
	return b
}

// appendField appends one field of the canonical encoding: its decimal
// length, a colon, the bytes and a newline.
func appendField[T ~string | ~[]byte](b []byte, f T) []byte {
	b = strconv.AppendInt(b, int64(len(f)), 10)
	b = append(b, ':')
	b = append(b, f...)
	return append(b, '\n')
}

// ComputeHash is the lowercase hex SHA-256 of e.Canonical().
func (e Entry) ComputeHash() string {
	bp := canonicalBufs.Get().(*[]byte)
	b := e.appendCanonical((*bp)[:0])
	sum := sha256.Sum256(b)
	if cap(b) <= 64<<10 {
		*bp = b
		canonicalBufs.Put(bp)
	}
	return hex.EncodeToString(sum[:])
}

// canonicalBufs are the buffers ComputeHash encodes entries in (the
// store's writer hashes every entry it appends).
var canonicalBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// ErrCanonical reports bytes that are not a canonical entry encoding.
var ErrCanonical = errors.New("audit: not a canonical entry")

// ParseCanonical decodes what Canonical wrote (Hash is left empty). It
// refuses anything Canonical would not produce, so that
// ParseCanonical(b).Canonical() == b whenever it succeeds.
func ParseCanonical(b []byte) (Entry, error) {
	rest, ok := bytes.CutPrefix(b, []byte(canonicalMagic))
	if !ok {
		return Entry{}, fmt.Errorf("%w: missing %q", ErrCanonical, canonicalMagic[:len(canonicalMagic)-1])
	}
	var fs [canonicalFields]string
	for i := range fs {
		colon := bytes.IndexByte(rest, ':')
		if colon <= 0 || colon > 10 {
			return Entry{}, fmt.Errorf("%w: field %d: no length", ErrCanonical, i)
		}
		n, err := strconv.Atoi(string(rest[:colon]))
		if err != nil || n < 0 || strconv.Itoa(n) != string(rest[:colon]) {
			return Entry{}, fmt.Errorf("%w: field %d: bad length %q", ErrCanonical, i, rest[:colon])
		}
		rest = rest[colon+1:]
		if len(rest) < n+1 || rest[n] != '\n' {
			return Entry{}, fmt.Errorf("%w: field %d: %d bytes and a newline expected", ErrCanonical, i, n)
		}
		fs[i] = string(rest[:n])
		rest = rest[n+1:]
	}
	if len(rest) != 0 {
		return Entry{}, fmt.Errorf("%w: %d trailing bytes", ErrCanonical, len(rest))
	}
	seq, err := parseInt(fs[0])
	if err != nil {
		return Entry{}, fmt.Errorf("%w: seq: %w", ErrCanonical, err)
	}
	nanos, err := parseInt(fs[1])
	if err != nil {
		return Entry{}, fmt.Errorf("%w: time: %w", ErrCanonical, err)
	}
	e := Entry{Seq: seq, Time: time.Unix(0, nanos).UTC(), Action: fs[3], Intent: fs[4], Txn: fs[5],
		Device: fs[6], Trace: fs[7], Prev: fs[9]}
	if fs[2] != "" {
		e.Actor = json.RawMessage(fs[2])
	}
	if fs[8] != "" {
		e.Detail = json.RawMessage(fs[8])
	}
	return e, nil
}

// parseInt accepts exactly what strconv.FormatInt writes.
func parseInt(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, err
	}
	if strconv.FormatInt(n, 10) != s {
		return 0, fmt.Errorf("%q is not in canonical form", s)
	}
	return n, nil
}

// check validates an entry before it is appended.
func (e Entry) check() error {
	if e.Action == "" {
		return errors.New("audit: entry has no action")
	}
	if len(e.Actor) > 0 && !json.Valid(e.Actor) {
		return fmt.Errorf("audit: %s entry: actor is not JSON", e.Action)
	}
	if len(e.Detail) > 0 && !json.Valid(e.Detail) {
		return fmt.Errorf("audit: %s entry: detail is not JSON", e.Action)
	}
	return nil
}
