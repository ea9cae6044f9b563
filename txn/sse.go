package txn

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// maxEventBytes bounds one Server-Sent Event a client reads.
const maxEventBytes = 4 << 20

// ReadEvents reads a Server-Sent Events stream of transaction events (what
// GET /v1/txns/{id}/events writes) and calls fn with each, in order, until
// the stream ends, fn returns an error, or an event is malformed (an error
// naming the line). Comments and unknown fields are skipped, as the SSE
// specification says; an event's data must be one Event in JSON.
func ReadEvents(r io.Reader, fn func(Event) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxEventBytes)
	var data bytes.Buffer
	var id, typ string
	line := 0
	flush := func() error {
		defer func() { data.Reset(); id, typ = "", "" }()
		if data.Len() == 0 {
			return nil
		}
		var e Event
		if err := decodeEvent(data.Bytes(), &e); err != nil {
			return fmt.Errorf("txn events: line %d: %w", line, err)
		}
		if id != "" {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil || n != e.Seq {
				return fmt.Errorf("txn events: line %d: id %q does not match the event's seq %d", line, id, e.Seq)
			}
		}
		if typ != "" && typ != e.Type {
			return fmt.Errorf("txn events: line %d: event %q does not match the event's type %q", line, typ, e.Type)
		}
		return fn(e)
	}
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 {
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		if b[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(b, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "data":
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.Write(value)
		case "id":
			id = string(value)
		case "event":
			typ = string(value)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("txn events: line %d: %w", line, err)
	}
	return flush()
}
