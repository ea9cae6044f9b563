package netconfsrv

import (
	"io"

	"github.com/netagent/netagent/internal/ncframe"
)

// The RFC 6242 framer is shared with the NETCONF adapter (internal/ncframe);
// these names keep the lab's own spelling.
type Framer = ncframe.Framer

// NewFramer returns a framer in end-of-message mode.
func NewFramer(r io.Reader, w io.Writer) *Framer { return ncframe.NewFramer(r, w) }

// Framing errors (see ncframe).
var (
	ErrFrame    = ncframe.ErrFrame
	ErrTooLarge = ncframe.ErrTooLarge
)
