package gnmi

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/yang"
)

// ParsePath parses a gNMI path string (yang.ParseAnyPath: /a/b[k=v]/c, with
// \] and \\ escapes in key values) into a gNMI path, without checking it
// against a schema: subscriptions may name state and counters outside the
// configuration model.
func ParsePath(s string) (*gpb.Path, error) {
	p, err := yang.ParseAnyPath(s)
	if err != nil {
		return nil, err
	}
	return p.GNMI(), nil
}

// PathString formats prefix+p as a gNMI path string (keys sorted, ']' and
// '\' escaped; module prefixes on names dropped).
func PathString(prefix, p *gpb.Path) string {
	var b strings.Builder
	for _, src := range []*gpb.Path{prefix, p} {
		for _, e := range src.GetElem() {
			b.WriteByte('/')
			name := e.GetName()
			if i := strings.IndexByte(name, ':'); i >= 0 {
				name = name[i+1:]
			}
			b.WriteString(name)
			keys := make([]string, 0, len(e.GetKey()))
			for k := range e.GetKey() {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				b.WriteByte('[')
				b.WriteString(k)
				b.WriteByte('=')
				v := e.GetKey()[k]
				for i := 0; i < len(v); i++ {
					if v[i] == ']' || v[i] == '\\' {
						b.WriteByte('\\')
					}
					b.WriteByte(v[i])
				}
				b.WriteByte(']')
			}
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// Updates turns a notification into adapters.Updates, one per update or
// delete, with scalar values (JSON values decoded: numbers as float64 or
// the string form, objects as their JSON text).
func Updates(device string, n *gpb.Notification) []adapters.Update {
	ts := time.Unix(0, n.GetTimestamp())
	if n.GetTimestamp() == 0 {
		ts = time.Now()
	}
	out := make([]adapters.Update, 0, len(n.GetUpdate())+len(n.GetDelete()))
	for _, d := range n.GetDelete() {
		out = append(out, adapters.Update{Device: device, Time: ts, Path: PathString(n.GetPrefix(), d), Deleted: true})
	}
	for _, u := range n.GetUpdate() {
		out = append(out, adapters.Update{Device: device, Time: ts, Path: PathString(n.GetPrefix(), u.GetPath()), Value: Scalar(u.GetVal())})
	}
	return out
}

// Scalar converts a typed value to a Go value.
func Scalar(v *gpb.TypedValue) any {
	switch x := v.GetValue().(type) {
	case *gpb.TypedValue_StringVal:
		return x.StringVal
	case *gpb.TypedValue_IntVal:
		return x.IntVal
	case *gpb.TypedValue_UintVal:
		return x.UintVal
	case *gpb.TypedValue_BoolVal:
		return x.BoolVal
	case *gpb.TypedValue_FloatVal:
		//lint:ignore SA1019 older targets still send float_val
		return float64(x.FloatVal)
	case *gpb.TypedValue_DoubleVal:
		return x.DoubleVal
	case *gpb.TypedValue_BytesVal:
		return x.BytesVal
	case *gpb.TypedValue_AsciiVal:
		return x.AsciiVal
	case *gpb.TypedValue_DecimalVal:
		//lint:ignore SA1019 older targets still send decimal_val
		return float64(x.DecimalVal.GetDigits()) / pow10(x.DecimalVal.GetPrecision())
	case *gpb.TypedValue_JsonIetfVal:
		return jsonScalar(x.JsonIetfVal)
	case *gpb.TypedValue_JsonVal:
		return jsonScalar(x.JsonVal)
	}
	return nil
}

func pow10(n uint32) float64 {
	f := 1.0
	for i := uint32(0); i < n; i++ {
		f *= 10
	}
	return f
}

func jsonScalar(b []byte) any {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	switch x := v.(type) {
	case string:
		// RFC 7951 carries 64-bit integers as strings.
		if u, err := strconv.ParseUint(x, 10, 64); err == nil {
			return u
		}
		if i, err := strconv.ParseInt(x, 10, 64); err == nil {
			return i
		}
		return x
	case float64:
		if x >= 0 && x == float64(uint64(x)) {
			return uint64(x)
		}
		return x
	case bool:
		return x
	}
	return string(b)
}
