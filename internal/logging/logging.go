package logging

import (
	"context"
	"log/slog"
	"strings"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/trace"
)

// Redacted replaces a secret's value in log output.
const Redacted = "REDACTED"

// Handler adds the context's trace id and principal to every record and
// redacts secret-named attributes.
type Handler struct {
	inner slog.Handler
}

// New wraps h.
//
// A handler that is already one is returned as it is, so wrapping twice
// does not write trace_id and principal twice.
func New(h slog.Handler) *Handler {
	if lh, ok := h.(*Handler); ok {
		return lh
	}
	return &Handler{inner: h}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	hasTrace, hasPrincipal := false, false
	r.Attrs(func(a slog.Attr) bool {
		hasTrace = hasTrace || a.Key == "trace_id"
		hasPrincipal = hasPrincipal || a.Key == "principal"
		out.AddAttrs(redact(a))
		return true
	})
	// A record that names its trace or principal itself keeps its own.
	if ctx != nil {
		if id := trace.IDFrom(ctx); id != "" && !hasTrace {
			out.AddAttrs(slog.String("trace_id", string(id)))
		}
		if p, ok := auth.FromContext(ctx); ok && p.Subject != "" && !hasPrincipal {
			out.AddAttrs(slog.String("principal", p.String()))
		}
	}
	return h.inner.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redact(a)
	}
	return &Handler{inner: h.inner.WithAttrs(red)}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name)}
}

var secretWords = []string{"password", "passwd", "secret", "token", "authorization", "api_key", "apikey",
	"private_key", "privatekey", "credential", "sasl"}

// whereWords end keys that name where a secret is kept (token_file,
// private_key_path), not the secret itself: those are logged as they are.
var whereWords = []string{"_file", "_path", "_dir"}

// IsSecretKey reports whether an attribute key names a secret.
func IsSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range whereWords {
		if strings.HasSuffix(k, w) {
			return false
		}
	}
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

func redact(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	switch a.Value.Kind() {
	case slog.KindGroup:
		gs := a.Value.Group()
		out := make([]slog.Attr, len(gs))
		for i, g := range gs {
			out[i] = redact(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindBool, slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindDuration:
		return a
	}
	if IsSecretKey(a.Key) && !(a.Value.Kind() == slog.KindString && a.Value.String() == Redacted) {
		return slog.String(a.Key, Redacted)
	}
	return a
}
