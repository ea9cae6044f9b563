package auth

import (
	"context"
	"log/slog"

	"github.com/netagent/netagent/internal/trace"
)

// LogHandler wraps h so that every record logged with a context (InfoContext
// and the like) carries the trace id (trace_id) and the principal chain
// (principal) the context holds: the log lines of an intent's work and of
// its device operations name who asked and the trace, wherever they are
// logged.
func LogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(logHandler); ok {
		return h
	}
	return logHandler{h}
}

type logHandler struct{ slog.Handler }

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := trace.IDFrom(ctx); id != "" {
		r.AddAttrs(slog.String("trace_id", string(id)))
	}
	if p, ok := FromContext(ctx); ok {
		r.AddAttrs(slog.String("principal", p.String()))
	}
	return l.Handler.Handle(ctx, r)
}

func (l logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{l.Handler.WithAttrs(as)}
}

func (l logHandler) WithGroup(name string) slog.Handler {
	return logHandler{l.Handler.WithGroup(name)}
}
