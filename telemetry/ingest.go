package telemetry

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
)

// Ingester decodes gNMI SubscribeResponse messages from their wire bytes
// straight into the store, without building the generic protobuf structs:
// the path of every update is looked up by its encoded bytes in a table of
// routes (interned: decoded, mapped onto a metric and bound to its series
// once), so the steady state costs a map lookup, a value decode and a
// ring write per update.
//
// An Ingester serves one device and is not safe for concurrent use: the
// collector's goroutine for that device owns it.
type Ingester struct {
	device string
	store  *Store
	drops  DropCounts
	last   string // the latest drop: series, reason, detail
	stored uint64
	routes map[string]*route
	key    []byte // scratch: prefix bytes, 0, path bytes
	// OnSample, if set, sees every stored sample.
	OnSample func(Sample)
	// MinRateSpan is the shortest time between two readings of a counter
	// that makes a rate (0: any). A reading closer to the previous one is
	// skipped and the previous one stays the baseline: over a few
	// milliseconds (the last sample of a subscription and the first of
	// its replacement) the gap between when a device read its counter and
	// when it stamped the message is as large as the span itself, and the
	// rate is noise, at times beyond any link's speed.
	MinRateSpan time.Duration
}

// route is what an interned path resolves to.
type route struct {
	skip   bool // no metric: a configuration mirror, say
	rule   *pathRule
	info   MetricInfo
	key    Key
	series *series
	// counter state for rates
	seen  bool
	lastT int64 // unix ns
	lastV uint64
}

// NewIngester returns an ingester for one device's stream into store.
func NewIngester(device string, store *Store) *Ingester {
	return &Ingester{device: device, store: store, routes: map[string]*route{}}
}

// Stats returns how many samples were stored and values dropped.
func (in *Ingester) Stats() (stored, drops uint64) { return in.stored, in.drops.Total() }

// Drops returns how many values were dropped, by reason.
func (in *Ingester) Drops() DropCounts { return in.drops }

// LastDrop describes the latest value dropped ("" if none).
func (in *Ingester) LastDrop() string { return in.last }

func (in *Ingester) drop(r *route, reason DropReason, detail string) {
	in.drops[reason]++
	in.last = r.key.String() + ": " + reason.String()
	if detail != "" {
		in.last += ": " + detail
	}
}

// ErrWire reports a SubscribeResponse that is not valid protobuf.
var ErrWire = errors.New("telemetry: malformed SubscribeResponse")

// Ingest decodes one SubscribeResponse and stores its updates. It returns
// how many updates it read (stored, dropped or without a metric) and
// whether the message was the end of the initial sync.
func (in *Ingester) Ingest(msg []byte) (updates int, sync bool, err error) {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return updates, sync, ErrWire
		}
		msg = msg[n:]
		switch {
		case num == 1 && typ == protowire.BytesType: // update: Notification
			v, n := protowire.ConsumeBytes(msg)
			if n < 0 {
				return updates, sync, ErrWire
			}
			msg = msg[n:]
			u, err := in.notification(v)
			updates += u
			if err != nil {
				return updates, sync, err
			}
		case num == 3 && typ == protowire.VarintType: // sync_response
			v, n := protowire.ConsumeVarint(msg)
			if n < 0 {
				return updates, sync, ErrWire
			}
			msg = msg[n:]
			sync = v != 0
		default:
			n := protowire.ConsumeFieldValue(num, typ, msg)
			if n < 0 {
				return updates, sync, ErrWire
			}
			msg = msg[n:]
		}
	}
	return updates, sync, nil
}

func (in *Ingester) notification(b []byte) (int, error) {
	var ts int64
	var prefix []byte
	// Updates come after the prefix and timestamp on the wire in every
	// encoder we know, but protobuf allows any order: collect them first.
	var ups [][]byte
	var stack [64][]byte
	ups = stack[:0]
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, ErrWire
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return 0, ErrWire
			}
			b, ts = b[n:], int64(v)
		case num == 2 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return 0, ErrWire
			}
			b, prefix = b[n:], v
		case num == 4 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return 0, ErrWire
			}
			b = b[n:]
			ups = append(ups, v)
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return 0, ErrWire
			}
			b = b[n:]
		}
	}
	if ts == 0 {
		ts = time.Now().UnixNano()
	}
	for _, u := range ups {
		if err := in.update(prefix, u, ts); err != nil {
			return len(ups), err
		}
	}
	return len(ups), nil
}

func (in *Ingester) update(prefix, b []byte, ts int64) error {
	var path, val []byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ErrWire
		}
		b = b[n:]
		if typ == protowire.BytesType && (num == 1 || num == 3) {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return ErrWire
			}
			b = b[n:]
			if num == 1 {
				path = v
			} else {
				val = v
			}
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return ErrWire
		}
		b = b[n:]
	}
	in.key = append(append(append(in.key[:0], prefix...), 0), path...)
	r := in.routes[string(in.key)]
	if r == nil {
		var err error
		if r, err = in.resolve(prefix, path); err != nil {
			return err
		}
		in.routes[string(in.key)] = r
	}
	if r.skip {
		return nil
	}
	v, ok := in.value(r, val, ts)
	if !ok {
		return nil
	}
	if err := in.store.addTo(r.series, r.key, ts/1e6, float32(v)); err != nil {
		in.drops[DropReasonOf(err)]++
		return nil
	}
	in.stored++
	if in.OnSample != nil {
		in.OnSample(Sample{Key: r.key, Time: time.Unix(0, ts).UTC(), Value: v})
	}
	return nil
}

// resolve decodes a path once and binds it to its metric and series.
func (in *Ingester) resolve(prefix, path []byte) (*route, error) {
	var sb strings.Builder
	for _, p := range [][]byte{prefix, path} {
		if err := writePath(&sb, p); err != nil {
			return nil, err
		}
	}
	rule, label, ok := match(sb.String())
	if !ok {
		return &route{skip: true}, nil
	}
	info, _ := Info(rule.metric)
	k := Key{Metric: rule.metric, Device: in.device, Label: label}
	return &route{rule: rule, info: info, key: k, series: in.store.seriesOf(k)}, nil
}

// writePath renders an encoded gNMI Path as a path string with keys in
// name order, as the adapters write them.
func writePath(sb *strings.Builder, b []byte) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ErrWire
		}
		b = b[n:]
		if num == 3 && typ == protowire.BytesType { // elem
			e, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return ErrWire
			}
			b = b[n:]
			if err := writeElem(sb, e); err != nil {
				return err
			}
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return ErrWire
		}
		b = b[n:]
	}
	return nil
}

func writeElem(sb *strings.Builder, b []byte) error {
	var name string
	var keys [][2]string
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ != protowire.BytesType {
			if n >= 0 {
				if m := protowire.ConsumeFieldValue(num, typ, b[n:]); m >= 0 {
					b = b[n+m:]
					continue
				}
			}
			return ErrWire
		}
		b = b[n:]
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return ErrWire
		}
		b = b[n:]
		switch num {
		case 1:
			name = string(v)
		case 2: // map entry
			var k, val string
			for len(v) > 0 {
				en, et, m := protowire.ConsumeTag(v)
				if m < 0 || et != protowire.BytesType {
					return ErrWire
				}
				v = v[m:]
				s, m := protowire.ConsumeBytes(v)
				if m < 0 {
					return ErrWire
				}
				v = v[m:]
				if en == 1 {
					k = string(s)
				} else if en == 2 {
					val = string(s)
				}
			}
			keys = append(keys, [2]string{k, val})
		}
	}
	sb.WriteByte('/')
	sb.WriteString(name)
	sort.Slice(keys, func(i, j int) bool { return keys[i][0] < keys[j][0] })
	for _, kv := range keys {
		sb.WriteString("[" + kv[0] + "=" + strings.NewReplacer(`\`, `\\`, `]`, `\]`).Replace(kv[1]) + "]")
	}
	return nil
}

// value decodes a TypedValue and applies the route's rule: enum, scale,
// range, counter rate. ok is false for a dropped value or the first
// reading of a counter.
func (in *Ingester) value(r *route, b []byte, ts int64) (float64, bool) {
	var f float64
	var u uint64
	var str []byte
	kind := 0 // 1 number, 2 unsigned, 3 string
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			in.drop(r, DropMalformed, "")
			return 0, false
		}
		b = b[n:]
		switch {
		case (num == 2 || num == 3) && typ == protowire.VarintType: // int_val, uint_val
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				in.drop(r, DropMalformed, "")
				return 0, false
			}
			b = b[n:]
			if num == 2 {
				if int64(v) < 0 {
					f, kind = float64(int64(v)), 1
				} else {
					u, f, kind = v, float64(v), 2
				}
			} else {
				u, f, kind = v, float64(v), 2
			}
		case num == 14 && typ == protowire.Fixed64Type: // double_val
			v, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				in.drop(r, DropMalformed, "")
				return 0, false
			}
			b, f, kind = b[n:], math.Float64frombits(v), 1
		case num == 6 && typ == protowire.Fixed32Type: // float_val
			v, n := protowire.ConsumeFixed32(b)
			if n < 0 {
				in.drop(r, DropMalformed, "")
				return 0, false
			}
			b, f, kind = b[n:], float64(math.Float32frombits(v)), 1
		case (num == 1 || num == 12) && typ == protowire.BytesType: // string_val, ascii_val
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				in.drop(r, DropMalformed, "")
				return 0, false
			}
			b, str, kind = b[n:], v, 3
		case (num == 10 || num == 11) && typ == protowire.BytesType: // json_val, json_ietf_val
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				in.drop(r, DropMalformed, "")
				return 0, false
			}
			b = b[n:]
			kind = jsonScalar(v, &f, &u, &str)
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				in.drop(r, DropMalformed, "")
				return 0, false
			}
			b = b[n:]
		}
	}
	rule := r.rule
	switch {
	case rule.counter:
		if kind != 2 {
			in.drop(r, DropNotANumber, "")
			return 0, false
		}
		return in.rate(r, ts, u)
	case rule.enum != nil:
		if kind != 3 {
			in.drop(r, DropUnknownStatus, "")
			return 0, false
		}
		e, ok := rule.enum[strings.ToUpper(unsafe.String(unsafe.SliceData(str), len(str)))]
		if !ok {
			in.drop(r, DropUnknownStatus, "")
			return 0, false
		}
		f = e
	case kind == 3:
		p, err := strconv.ParseFloat(strings.TrimSpace(unsafe.String(unsafe.SliceData(str), len(str))), 64)
		if err != nil {
			in.drop(r, DropNotANumber, "")
			return 0, false
		}
		f = p
	case kind == 0:
		in.drop(r, DropNotANumber, "")
		return 0, false
	}
	if rule.scale != 0 {
		f *= rule.scale
	}
	if math.IsNaN(f) || f < r.info.Min || f > r.info.Max {
		if math.IsNaN(f) {
			in.drop(r, DropNotANumber, "")
		} else {
			in.drop(r, DropOutOfRange, fmt.Sprintf("%g is outside %g..%g %s", f, r.info.Min, r.info.Max, r.info.Unit))
		}
		return 0, false
	}
	return f, true
}

func (in *Ingester) rate(r *route, ts int64, u uint64) (float64, bool) {
	prevT, prevV, seen := r.lastT, r.lastV, r.seen
	if seen && ts >= prevT && ts-prevT < int64(in.MinRateSpan) && u >= prevV {
		return 0, false // too close to the baseline for a rate: keep it
	}
	r.lastT, r.lastV, r.seen = ts, u, true
	if !seen {
		return 0, false
	}
	dt := float64(ts-prevT) / 1e9
	if dt <= 0 {
		in.drop(r, DropCounterTime, fmt.Sprintf("counter reading at %d ns is not after the previous one at %d ns", ts, prevT))
		return 0, false
	}
	var delta uint64
	switch {
	case u >= prevV:
		delta = u - prevV
	case prevV <= math.MaxUint32 && prevV > math.MaxUint32/2 && u < math.MaxUint32/2:
		delta = (math.MaxUint32 - prevV) + u + 1
	case prevV > math.MaxUint64/2 && u < math.MaxUint64/2 && prevV > math.MaxUint32:
		delta = (math.MaxUint64 - prevV) + u + 1
	default:
		return 0, false // reset
	}
	scale := r.rule.scale
	if scale == 0 {
		scale = 1
	}
	v := float64(delta) * scale / dt
	if v > r.info.Max {
		in.drop(r, DropOutOfRange, fmt.Sprintf("rate %g %s is above the maximum %g (counter %d after %d, %.3f s apart)", v, r.info.Unit, r.info.Max, u, prevV, dt))
		return 0, false
	}
	return v, true
}

// jsonScalar reads a JSON scalar (RFC 7951 encodes 64-bit integers as
// strings): a number, a quoted number or a string.
func jsonScalar(b []byte, f *float64, u *uint64, str *[]byte) int {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	quoted := len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"'
	if quoted {
		b = b[1 : len(b)-1]
	}
	s := unsafe.String(unsafe.SliceData(b), len(b))
	if v, err := strconv.ParseUint(s, 10, 64); err == nil {
		*u, *f = v, float64(v)
		return 2
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		*f = v
		return 1
	}
	if quoted {
		*str = b
		return 3
	}
	return 0
}

// String describes the ingester.
func (in *Ingester) String() string {
	return fmt.Sprintf("ingester %s: %d routes, %d stored, %d dropped", in.device, len(in.routes), in.stored, in.drops.Total())
}
