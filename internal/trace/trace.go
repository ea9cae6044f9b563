package trace

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ID is a 16-byte W3C trace id in lowercase hex (32 characters).
type ID string

// Context is what travels: the trace id and the caller's span id (the
// parent of whatever work this agent does).
type Context struct {
	TraceID ID     `json:"trace_id"`
	SpanID  string `json:"span_id,omitempty"`
}

// ErrTraceparent reports a traceparent header that is not W3C Trace Context.
var ErrTraceparent = errors.New("trace: malformed traceparent")

// Parse reads a traceparent header ("00-<32 hex>-<16 hex>-<2 hex>"). All-zero
// ids and version ff are refused, as the W3C recommendation requires.
func Parse(h string) (Context, error) {
	parts := strings.Split(strings.TrimSpace(h), "-")
	if len(parts) < 4 || len(parts[0]) != 2 || len(parts[1]) != 32 || len(parts[2]) != 16 || len(parts[3]) != 2 {
		return Context{}, fmt.Errorf("%w: %q", ErrTraceparent, h)
	}
	if parts[0] == "ff" || (parts[0] == "00" && len(parts) != 4) {
		return Context{}, fmt.Errorf("%w: version %q", ErrTraceparent, parts[0])
	}
	for _, p := range parts[:4] {
		if !isLowerHex(p) {
			return Context{}, fmt.Errorf("%w: %q is not lowercase hex", ErrTraceparent, p)
		}
	}
	if strings.Trim(parts[1], "0") == "" || strings.Trim(parts[2], "0") == "" {
		return Context{}, fmt.Errorf("%w: all-zero id", ErrTraceparent)
	}
	return Context{TraceID: ID(parts[1]), SpanID: parts[2]}, nil
}

// New starts a trace with fresh random ids.
func New() Context {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return Context{TraceID: ID(hex.EncodeToString(b[:16])), SpanID: hex.EncodeToString(b[16:])}
}

// Header renders c as a traceparent header, sampled.
func (c Context) Header() string {
	span := c.SpanID
	if span == "" {
		span = "0000000000000001"
	}
	return "00-" + string(c.TraceID) + "-" + span + "-01"
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

type key struct{}

// With returns ctx carrying c.
func With(ctx context.Context, c Context) context.Context { return context.WithValue(ctx, key{}, c) }

// From returns the trace ctx carries, if any.
func From(ctx context.Context) (Context, bool) {
	c, ok := ctx.Value(key{}).(Context)
	return c, ok
}

// IDFrom returns the trace id ctx carries, or "".
func IDFrom(ctx context.Context) ID {
	c, _ := From(ctx)
	return c.TraceID
}
