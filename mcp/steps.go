package mcp

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/txn"
	"github.com/netagent/netagent/yang"
)

// DeviceStep is one step of an intent's change on one device, reported as
// a progress notification while a write waits.
type DeviceStep struct {
	Intent string
	// Txn is the transaction running the change, when the coordinator runs it.
	Txn string
	// Device is empty for the markers of the change as a whole.
	Device string
	// Step is a device's step (configuring, configured, failed; or the
	// transaction's prepared, committed, verified, confirmed, aborted,
	// rolled-back, ...), or StepBegin and StepEnd around a change.
	Step string
	// Percent is the transaction's progress, when known.
	Percent int
	// Detail says more: the number of changes, an error.
	Detail string
}

// The markers around one change of an intent.
const (
	StepBegin = "begin"
	StepEnd   = "end"
)

// Steps reports the device steps of intents' changes. Watch starts
// calling fn, in order and never concurrently, with the steps of intent
// id's changes that start from now on; a change's steps come between a
// StepBegin and a StepEnd marker. The returned stop ends it and returns
// once fn is no longer called. *DeviceSteps and TxnSteps implement it.
type Steps interface {
	Watch(id string, fn func(DeviceStep)) (stop func())
}

// DeviceSteps reports each device's configure as the intent service's
// device executor runs it: wrap the executor with Executor and its devices
// with Devices. It is safe for concurrent use; reporting never blocks the
// executor (a subscriber's function must be quick).
type DeviceSteps struct {
	mu   sync.Mutex // protects following fields
	subs map[int]func(DeviceStep)
	next int
}

var _ Steps = (*DeviceSteps)(nil)

// NewDeviceSteps returns a DeviceSteps with no subscriber.
func NewDeviceSteps() *DeviceSteps { return &DeviceSteps{subs: map[int]func(DeviceStep){}} }

type stepIntentKey struct{}

func (d *DeviceSteps) publish(st DeviceStep) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, fn := range d.subs {
		fn(st)
	}
}

// Watch implements Steps. fn is called from the executor's goroutines,
// under the DeviceSteps' lock, so it must be quick.
func (d *DeviceSteps) Watch(id string, fn func(DeviceStep)) (stop func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.next
	d.next++
	d.subs[n] = func(st DeviceStep) {
		if st.Intent == id {
			fn(st)
		}
	}
	return func() {
		d.mu.Lock()
		delete(d.subs, n)
		d.mu.Unlock()
	}
}

// Executor wraps x: each Execute is marked StepBegin and StepEnd, and the
// devices it configures through Devices report under its intent.
func (d *DeviceSteps) Executor(x intent.Executor) intent.Executor { return stepExecutor{d: d, x: x} }

type stepExecutor struct {
	d *DeviceSteps
	x intent.Executor
}

func (e stepExecutor) Execute(ctx context.Context, in *intent.Intent, plan *intent.Plan) error {
	e.d.publish(DeviceStep{Intent: in.ID, Step: StepBegin, Detail: plural(len(plan.Devices), "device")})
	err := e.x.Execute(context.WithValue(ctx, stepIntentKey{}, in.ID), in, plan)
	end := DeviceStep{Intent: in.ID, Step: StepEnd, Detail: "done"}
	if err != nil {
		end.Detail = err.Error()
	}
	e.d.publish(end)
	return err
}

// Devices wraps devs so that every Configure reports configuring, then
// configured or failed, under the intent Executor put in the context.
func (d *DeviceSteps) Devices(devs intent.Devices) intent.Devices {
	return stepDevices{d: d, devs: devs}
}

type stepDevices struct {
	d    *DeviceSteps
	devs intent.Devices
}

func (s stepDevices) Device(ctx context.Context, name string) (intent.Device, error) {
	dev, err := s.devs.Device(ctx, name)
	if err != nil {
		return nil, err
	}
	return stepDevice{Device: dev, d: s.d, name: name}, nil
}

type stepDevice struct {
	intent.Device
	d    *DeviceSteps
	name string
}

func (s stepDevice) Configure(ctx context.Context, changes []yang.Change) error {
	id, _ := ctx.Value(stepIntentKey{}).(string)
	if id == "" {
		return s.Device.Configure(ctx, changes)
	}
	s.d.publish(DeviceStep{Intent: id, Device: s.name, Step: "configuring", Detail: plural(len(changes), "change")})
	err := s.Device.Configure(ctx, changes)
	if err != nil {
		s.d.publish(DeviceStep{Intent: id, Device: s.name, Step: "failed", Detail: err.Error()})
		return err
	}
	s.d.publish(DeviceStep{Intent: id, Device: s.name, Step: "configured", Detail: plural(len(changes), "change")})
	return nil
}

// Transactions is what txn_status and TxnSteps need of the transaction
// coordinator; *txn.Coordinator satisfies it.
type Transactions interface {
	Get(ctx context.Context, id string) (*txn.Summary, error)
	List(ctx context.Context, q txn.ListQuery) ([]txn.Summary, error)
	Follow(ctx context.Context, id string, after int64, fn func(txn.Event) error) (bool, error)
}

var _ Transactions = (*txn.Coordinator)(nil)

// TxnSteps reports the device steps of the transactions the coordinator
// runs for an intent (the intent service's txn executor), from their
// progress streams.
type TxnSteps struct {
	Txns Transactions
	// Poll is how often the coordinator's log is read for the intent's
	// next transaction while none is running; default 20ms. It is read
	// only while a write with a progress token waits.
	Poll time.Duration
}

var _ Steps = TxnSteps{}

// Watch implements Steps: until stopped, it waits for each transaction of
// intent id created from now on and follows its stream to the outcome.
func (t TxnSteps) Watch(id string, fn func(DeviceStep)) (stop func()) {
	since := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	finish := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.follow(ctx, id, since, finish, fn)
	}()
	return func() {
		// A last look for a transaction that ran between two polls,
		// replayed from memory (bounded, in case one is still running).
		close(finish)
		timer := time.AfterFunc(10*time.Second, cancel)
		<-done
		timer.Stop()
		cancel()
	}
}

func (t TxnSteps) follow(ctx context.Context, id string, since time.Time, finish <-chan struct{}, fn func(DeviceStep)) {
	poll := t.Poll
	if poll <= 0 {
		poll = 20 * time.Millisecond
	}
	seen := map[string]bool{}
	last := false
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		l, err := t.Txns.List(ctx, txn.ListQuery{Intent: id, Limit: 1})
		if err == nil && len(l) == 1 && !seen[l[0].ID] && !l[0].CreatedAt.Before(since) {
			tx := l[0].ID
			seen[tx] = true
			fn(DeviceStep{Intent: id, Txn: tx, Step: StepBegin, Detail: plural(l[0].Devices, "device")})
			end := DeviceStep{Intent: id, Txn: tx, Step: StepEnd, Percent: 100}
			// The stream exists before the log names the transaction:
			// replay it from its first event.
			_, ferr := t.Txns.Follow(ctx, tx, 1, func(e txn.Event) error {
				switch e.Type {
				case "step":
					fn(DeviceStep{Intent: id, Txn: tx, Device: e.Device, Step: e.Step, Percent: e.Percent})
				case "outcome":
					end.Detail = string(e.State)
					if e.Message != "" {
						end.Detail += ": " + e.Message
					}
				}
				return nil
			})
			if ctx.Err() != nil {
				return
			}
			if ferr != nil {
				end.Detail = ferr.Error()
			}
			fn(end)
		}
		if last {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-finish:
			last = true
		case <-tick.C:
		}
	}
}

// plural says "1 change", "2 changes".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// stepMessage renders a step as a progress message.
func stepMessage(st DeviceStep) string {
	var b strings.Builder
	fmt.Fprintf(&b, "intent %s: ", st.Intent)
	if st.Txn != "" {
		fmt.Fprintf(&b, "txn %s: ", st.Txn)
	}
	switch {
	case st.Device != "":
		fmt.Fprintf(&b, "device %s: %s", st.Device, st.Step)
	case st.Step == StepBegin:
		b.WriteString("change started")
	default:
		b.WriteString("change ended")
	}
	if st.Percent > 0 {
		fmt.Fprintf(&b, " (%d%%)", st.Percent)
	}
	if st.Detail != "" {
		fmt.Fprintf(&b, ": %s", st.Detail)
	}
	return b.String()
}
