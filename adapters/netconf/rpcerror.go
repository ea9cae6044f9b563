package netconf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/netagent/netagent/adapters"
)

// RPCError is one <rpc-error> of a NETCONF reply (RFC 6241 section 4.3).
type RPCError struct {
	Type     string // transport, rpc, protocol, application
	Tag      string // in-use, invalid-value, lock-denied, data-missing, ...
	Severity string // error or warning
	AppTag   string
	Path     string
	Message  string
	Info     string // the error-info element's text content, flattened
}

// ParseRPCErrors returns the rpc-errors of a reply, in order. A reply
// without any yields none; a document that is not XML yields an error.
func ParseRPCErrors(reply []byte) ([]RPCError, error) {
	d := xml.NewDecoder(bytes.NewReader(reply))
	var out []RPCError
	var cur *RPCError
	var field *string
	depth, errDepth := 0, -1
	var info strings.Builder
	inInfo := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > 64 {
				return out, errors.New("rpc-reply nested too deeply")
			}
			if t.Name.Local == "rpc-error" && cur == nil {
				out = append(out, RPCError{})
				cur = &out[len(out)-1]
				errDepth = depth
				continue
			}
			if cur == nil || depth != errDepth+1 {
				continue
			}
			field = nil
			switch t.Name.Local {
			case "error-type":
				field = &cur.Type
			case "error-tag":
				field = &cur.Tag
			case "error-severity":
				field = &cur.Severity
			case "error-app-tag":
				field = &cur.AppTag
			case "error-path":
				field = &cur.Path
			case "error-message":
				field = &cur.Message
			case "error-info":
				inInfo = true
				info.Reset()
			}
		case xml.EndElement:
			if cur != nil && depth == errDepth {
				cur = nil
				errDepth = -1
			} else if cur != nil && depth == errDepth+1 {
				if inInfo && t.Name.Local == "error-info" {
					cur.Info = strings.TrimSpace(info.String())
					inInfo = false
				}
				field = nil
			}
			depth--
		case xml.CharData:
			if cur == nil {
				continue
			}
			if field != nil {
				*field += strings.TrimSpace(string(t))
			} else if inInfo {
				if s := strings.TrimSpace(string(t)); s != "" {
					if info.Len() > 0 {
						info.WriteByte(' ')
					}
					info.WriteString(s)
				}
			}
		}
	}
	return out, nil
}

// kindOf maps an rpc-error tag to the adapters sentinel callers branch on.
func kindOf(tag string) error {
	switch tag {
	case "lock-denied", "in-use", "resource-denied":
		return adapters.ErrLocked
	case "access-denied":
		return adapters.ErrAuth
	case "operation-not-supported":
		return adapters.ErrUnsupported
	}
	return adapters.ErrRejected
}

// deviceError turns the first error-severity rpc-error of a reply into a
// *adapters.DeviceError; the others are joined into its message.
func deviceError(t adapters.Target, phase adapters.Phase, notApplied bool, errs []RPCError, raw string) *adapters.DeviceError {
	var first *RPCError
	var more []string
	for i := range errs {
		if errs[i].Severity == "warning" {
			continue
		}
		if first == nil {
			first = &errs[i]
			continue
		}
		more = append(more, errs[i].Tag+": "+errs[i].Message)
	}
	if first == nil {
		msg := raw
		if len(msg) > 512 {
			msg = msg[:512] + "..."
		}
		return &adapters.DeviceError{Device: t.Device, Protocol: adapters.NETCONF, Phase: phase, Kind: adapters.ErrRejected,
			Tag: "rpc-error", Message: msg, NotApplied: notApplied}
	}
	msg := first.Message
	if first.Info != "" {
		msg += " [" + first.Info + "]"
	}
	if len(more) > 0 {
		msg += "; also: " + strings.Join(more, "; ")
	}
	return &adapters.DeviceError{Device: t.Device, Protocol: adapters.NETCONF, Phase: phase, Kind: kindOf(first.Tag),
		Tag: first.Tag, Path: first.Path, Message: msg, NotApplied: notApplied}
}
