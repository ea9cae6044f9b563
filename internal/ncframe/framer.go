package ncframe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrFrame is matched by every framing error: the byte stream no longer
// follows RFC 6242, so the session cannot go on.
var ErrFrame = errors.New("netconf framing error")

// ErrTooLarge is returned for a message above the framer's limit.
var ErrTooLarge = errors.New("netconf message too large")

// eom is the NETCONF 1.0 end-of-message marker.
var eom = []byte("]]>]]>")

// MaxMessage bounds one message (16 MiB).
const MaxMessage = 16 << 20

// Framer reads and writes NETCONF messages in RFC 6242 framing: end-of-
// message (base:1.0) until Chunked is set, chunked (base:1.1) after. It is
// not safe for concurrent use; a session owns one.
type Framer struct {
	r       *bufio.Reader
	w       io.Writer
	Chunked bool
	Max     int // per message; 0 means MaxMessage
}

// readBuf is a framer's read buffer. A session keeps it for its life (an
// agent holds one per device session, thousands of them), and a chunk
// larger than it is read straight into the message, so it need not be
// large.
const readBuf = 4 << 10

// NewFramer returns a framer in end-of-message mode.
func NewFramer(r io.Reader, w io.Writer) *Framer {
	return &Framer{r: bufio.NewReaderSize(r, readBuf), w: w}
}

func (f *Framer) max() int {
	if f.Max > 0 {
		return f.Max
	}
	return MaxMessage
}

// ReadMsg returns the next message without its framing.
func (f *Framer) ReadMsg() ([]byte, error) {
	if f.Chunked {
		return f.readChunked()
	}
	return f.readEOM()
}

func (f *Framer) readEOM() ([]byte, error) {
	var buf []byte
	for {
		b, err := f.r.ReadSlice('>')
		buf = append(buf, b...)
		if err == nil || errors.Is(err, bufio.ErrBufferFull) {
			if bytes.HasSuffix(buf, eom) {
				return buf[:len(buf)-len(eom)], nil
			}
			if len(buf) > f.max() {
				return nil, ErrTooLarge
			}
			continue
		}
		if errors.Is(err, io.EOF) {
			if len(bytes.TrimSpace(buf)) == 0 {
				return nil, io.EOF
			}
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
}

// readChunked reads chunks "\n#<len>\n<data>" until "\n##\n".
func (f *Framer) readChunked() ([]byte, error) {
	var msg []byte
	first := true
	for {
		if err := f.expect('\n'); err != nil {
			if first && errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, err
		}
		first = false
		if err := f.expect('#'); err != nil {
			return nil, err
		}
		c, err := f.r.ReadByte()
		if err != nil {
			return nil, eofIsUnexpected(err)
		}
		if c == '#' {
			if err := f.expect('\n'); err != nil {
				return nil, err
			}
			if len(msg) == 0 {
				return nil, fmt.Errorf("%w: end of chunks without a chunk", ErrFrame)
			}
			return msg, nil
		}
		if c < '1' || c > '9' {
			return nil, fmt.Errorf("%w: chunk size starts with %q", ErrFrame, c)
		}
		digits := []byte{c}
		for {
			c, err = f.r.ReadByte()
			if err != nil {
				return nil, eofIsUnexpected(err)
			}
			if c == '\n' {
				break
			}
			if c < '0' || c > '9' || len(digits) >= 10 {
				return nil, fmt.Errorf("%w: bad chunk size", ErrFrame)
			}
			digits = append(digits, c)
		}
		n, err := strconv.ParseUint(string(digits), 10, 32)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("%w: bad chunk size %q", ErrFrame, digits)
		}
		if len(msg)+int(n) > f.max() {
			return nil, ErrTooLarge
		}
		start := len(msg)
		msg = append(msg, make([]byte, n)...)
		if _, err := io.ReadFull(f.r, msg[start:]); err != nil {
			return nil, eofIsUnexpected(err)
		}
	}
}

func (f *Framer) expect(want byte) error {
	c, err := f.r.ReadByte()
	if err != nil {
		return err
	}
	if c != want {
		return fmt.Errorf("%w: want %q, got %q", ErrFrame, want, c)
	}
	return nil
}

func eofIsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// WriteMsg writes msg with the current framing.
func (f *Framer) WriteMsg(msg []byte) error {
	var b bytes.Buffer
	if f.Chunked {
		b.Grow(len(msg) + 16)
		fmt.Fprintf(&b, "\n#%d\n", len(msg))
		b.Write(msg)
		b.WriteString("\n##\n")
	} else {
		b.Grow(len(msg) + len(eom))
		b.Write(msg)
		b.Write(eom)
	}
	_, err := f.w.Write(b.Bytes())
	return err
}
