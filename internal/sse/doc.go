// Package sse reads server-sent event streams (the WHATWG EventSource
// framing): lines of field: value, events ended by a blank line, comments
// (lines starting with ':') and unknown fields skipped, multi-line data
// joined with newlines. It knows nothing of what the data holds: the
// readers of netagent's streams (txn progress, signed events) decode each
// frame's data themselves.
package sse
