package gnmi

import (
	"fmt"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// rawMsg receives a message as its wire bytes (the buffer is reused).
type rawMsg struct{ b []byte }

// rawCodec marshals requests as protobuf and hands responses over as the
// bytes that came on the wire, for MonitorRaw.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("gnmi: raw codec cannot marshal %T", v)
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	r, ok := v.(*rawMsg)
	if !ok {
		return fmt.Errorf("gnmi: raw codec cannot unmarshal into %T", v)
	}
	n := data.Len()
	if cap(r.b) < n {
		r.b = make([]byte, n)
	}
	r.b = r.b[:n]
	off := 0
	for _, buf := range data {
		off += copy(r.b[off:], buf.ReadOnlyData())
	}
	return nil
}

func (rawCodec) Name() string { return "proto" }
