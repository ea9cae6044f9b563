package adapters

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Pool opens each inventory device once (a Failover over its protocols)
// and hands the same Device to every caller, so sessions are reused across
// intents, transactions and telemetry. It is safe for concurrent use; Close
// closes every device it opened.
type Pool struct {
	inv  *Inventory
	reg  *Registry
	topt TargetOptions
	fopt FailoverOptions

	mu      sync.Mutex // protects following fields
	devices map[string]*Failover
	opening map[string]chan struct{}
	closed  bool
}

// NewPool returns a pool over inv using the protocol adapters in reg.
func NewPool(inv *Inventory, reg *Registry, topt TargetOptions, fopt FailoverOptions) *Pool {
	return &Pool{inv: inv, reg: reg, topt: topt, fopt: fopt, devices: map[string]*Failover{}, opening: map[string]chan struct{}{}}
}

// Device returns the open device called name, opening it on first use.
// Concurrent first calls open it once.
func (p *Pool) Device(ctx context.Context, name string) (*Failover, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, fmt.Errorf("device %s: %w", name, ErrClosed)
		}
		if d, ok := p.devices[name]; ok {
			p.mu.Unlock()
			return d, nil
		}
		wait, busy := p.opening[name]
		if !busy {
			wait = make(chan struct{})
			p.opening[name] = wait
			p.mu.Unlock()
			break
		}
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, fmt.Errorf("device %s: %w", name, ctx.Err())
		}
	}
	d, err := p.open(ctx, name)
	p.mu.Lock()
	ch := p.opening[name]
	delete(p.opening, name)
	if err == nil {
		if p.closed {
			p.mu.Unlock()
			close(ch)
			_ = d.Close()
			return nil, fmt.Errorf("device %s: %w", name, ErrClosed)
		}
		p.devices[name] = d
	}
	p.mu.Unlock()
	close(ch)
	return d, err
}

func (p *Pool) open(ctx context.Context, name string) (*Failover, error) {
	ts, err := p.inv.Targets(name, p.topt)
	if err != nil {
		return nil, err
	}
	return OpenDevice(ctx, p.reg, ts, p.fopt)
}

// Close closes every device the pool opened.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	ds := p.devices
	p.devices = map[string]*Failover{}
	p.mu.Unlock()
	var errs []error
	for _, d := range ds {
		errs = append(errs, d.Close())
	}
	return errors.Join(errs...)
}
