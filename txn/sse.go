package txn

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/netagent/netagent/internal/sse"
)

// maxEventBytes bounds one Server-Sent Event a client reads.
const maxEventBytes = 4 << 20

// ReadEvents reads a Server-Sent Events stream of transaction events (what
// GET /v1/txns/{id}/events writes) and calls fn with each, in order, until
// the stream ends, fn returns an error, or an event is malformed (an error
// naming the line). Comments and unknown fields are skipped, as the SSE
// specification says; an event's data must be one Event in JSON.
func ReadEvents(r io.Reader, fn func(Event) error) error {
	fnFailed := false
	err := sse.Read(r, maxEventBytes, func(f sse.Frame) error {
		var e Event
		if err := decodeEvent(f.Data, &e); err != nil {
			return fmt.Errorf("txn events: line %d: %w", f.Line, err)
		}
		if f.ID != "" {
			n, err := strconv.ParseInt(f.ID, 10, 64)
			if err != nil || n != e.Seq {
				return fmt.Errorf("txn events: line %d: id %q does not match the event's seq %d", f.Line, f.ID, e.Seq)
			}
		}
		if f.Event != "" && f.Event != e.Type {
			return fmt.Errorf("txn events: line %d: event %q does not match the event's type %q", f.Line, f.Event, e.Type)
		}
		fnFailed = true
		if err := fn(e); err != nil {
			return err
		}
		fnFailed = false
		return nil
	})
	if err != nil && !fnFailed && !strings.HasPrefix(err.Error(), "txn events:") {
		return fmt.Errorf("txn events: %w", err) // the stream itself failed
	}
	return err
}
