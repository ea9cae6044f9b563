package adapters

import (
	"context"
	"slices"
)

type avoidKey struct{}

// WithAvoid returns ctx asking every Failover for device to configure
// through its other protocols first, and through the protocols named only
// when nothing else is left: a remediation ("switch protocol") for a
// failure that one protocol of a device gives and its others may not. It
// adds to what ctx already avoids.
func WithAvoid(ctx context.Context, device string, protocols ...string) context.Context {
	old, _ := ctx.Value(avoidKey{}).(map[string][]string)
	m := make(map[string][]string, len(old)+1)
	for d, ps := range old {
		m[d] = ps
	}
	ps := slices.Clone(m[device])
	for _, p := range protocols {
		if !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	m[device] = ps
	return context.WithValue(ctx, avoidKey{}, m)
}

// Avoided returns the protocols ctx asks device to avoid (WithAvoid).
func Avoided(ctx context.Context, device string) []string {
	m, _ := ctx.Value(avoidKey{}).(map[string][]string)
	return m[device]
}

// avoidLast moves the members ctx asks f to avoid to the end of order.
func (f *Failover) avoidLast(ctx context.Context, order []*member) []*member {
	avoid := Avoided(ctx, f.name)
	if len(avoid) == 0 {
		return order
	}
	out := make([]*member, 0, len(order))
	var last []*member
	for _, m := range order {
		if slices.Contains(avoid, m.name()) {
			last = append(last, m)
		} else {
			out = append(out, m)
		}
	}
	return append(out, last...)
}
