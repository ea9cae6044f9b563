// Package logging wraps a log/slog handler with what every netagent log line
// needs from its context and what it must never show:
//
//   - trace_id: the W3C trace id the context carries (internal/trace), so
//     the lines of one intent's device operations can be found from the
//     traceparent its caller sent;
//   - principal: who the work is for (internal/auth), as "bot for alice";
//   - redaction: the value of any attribute whose key names a secret
//     (password, passwd, secret, token, authorization, api_key,
//     private_key, credential, sasl) is replaced by REDACTED, at any group
//     depth, unless it is a bool (password_set) or a number, or the key
//     ends in _file, _path or _dir (where a secret is kept, not the secret). Values that
//     implement slog.LogValuer (adapters.Secret, adapters.Credentials) are
//     resolved first, so they redact themselves; this is the net under them.
//
// Only the *Context logging calls (InfoContext, Log) carry a context; the
// plain calls get no trace or principal.
//
// A Handler is safe for concurrent use if the wrapped handler is.
package logging
