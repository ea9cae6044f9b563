package sse

import (
	"bufio"
	"bytes"
	"io"
)

// Frame is one event of a stream.
type Frame struct {
	ID, Event string
	Data      []byte // the data lines joined by newlines; valid until fn returns
	Line      int    // the stream's line that ended the event (for errors)
}

// Read calls fn with each event of r that has data, in order, until the
// stream ends or fn fails; a line longer than maxLine bytes is an error.
func Read(r io.Reader, maxLine int, fn func(Frame) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(64<<10, maxLine)), maxLine)
	var f Frame
	var data bytes.Buffer
	flush := func(line int) error {
		defer func() { data.Reset(); f = Frame{} }()
		if data.Len() == 0 {
			return nil
		}
		f.Data, f.Line = data.Bytes(), line
		return fn(f)
	}
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 {
			if err := flush(line); err != nil {
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
			f.ID = string(value)
		case "event":
			f.Event = string(value)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return flush(line)
}
