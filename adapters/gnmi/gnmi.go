package gnmi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/proto/gnmi_ext"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/txbook"
	"github.com/netagent/netagent/yang"
)

// Compile-time conformance.
var (
	_ adapters.Device        = (*Adapter)(nil)
	_ adapters.Transactional = (*Adapter)(nil)
	_ adapters.Capabler      = (*Adapter)(nil)
	_ adapters.Pinger        = (*Adapter)(nil)
	_ adapters.Opener        = Opener
)

// Adapter is a Device over gNMI. It holds one gRPC connection (HTTP/2
// multiplexes every RPC over it). It is safe for concurrent use; writes are
// serialised.
type Adapter struct {
	t      adapters.Target
	log    *slog.Logger
	conn   *grpc.ClientConn
	client gpb.GNMIClient
	// commitConfirmed: the target announced the commit-confirmed extension.
	commitConfirmed bool
	// getAll: the target refuses Get type CONFIG (gnxi); ask for ALL,
	// whose state containers the decoder skips.
	getAll atomic.Bool

	// txs holds the writer slot and the transactions: Pending is a commit
	// under the commit-confirmed extension (Deadline is the target's
	// rollback timer); a Committed one is undone from its snapshot.
	txs *txbook.Book[*txbook.Tx]

	mu     sync.Mutex // protects following fields
	closed bool
}

// Opener opens a gNMI adapter; register it as adapters.GNMI.
func Opener(ctx context.Context, t adapters.Target) (adapters.Device, error) { return Open(ctx, t) }

// userPass sends the credentials as per-RPC metadata.
type userPass struct {
	user, pass string
	secure     bool
}

func (u userPass) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"username": u.user, "password": u.pass}, nil
}
func (u userPass) RequireTransportSecurity() bool { return u.secure }

// Open connects to t and calls Capabilities, so an unreachable target or
// refused credentials fail here with a *adapters.DeviceError.
func Open(ctx context.Context, t adapters.Target) (*Adapter, error) {
	t.Protocol.Name = adapters.GNMI
	to := t.Timeouts.WithDefaults()
	tc := insecure.NewCredentials()
	if t.Protocol.TLS {
		cfg := t.TLS
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		tc = credentials.NewTLS(cfg)
	}
	conn, err := grpc.NewClient(t.Addr(),
		grpc.WithTransportCredentials(tc),
		grpc.WithPerRPCCredentials(userPass{user: t.Credentials.Username, pass: t.Credentials.Password.Reveal(), secure: t.Protocol.TLS}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)),
	)
	if err != nil {
		return nil, t.Err(adapters.PhaseConnect, adapters.ErrUnreachable, true, err, "")
	}
	a := &Adapter{t: t, log: t.Log(), conn: conn, client: gpb.NewGNMIClient(conn), txs: txbook.New[*txbook.Tx](t)}
	cctx, cancel := context.WithTimeout(ctx, to.Connect+to.Auth)
	defer cancel()
	caps, err := a.client.Capabilities(cctx, &gpb.CapabilityRequest{})
	if err != nil {
		_ = conn.Close()
		de := a.rpcErr(adapters.PhaseConnect, true, err)
		if errors.Is(de, adapters.ErrTimeout) {
			de.Kind, de.Message = adapters.ErrUnreachable, "no gNMI answer within the connect and auth timeouts"
		}
		if t.Protocol.TLS && errors.Is(de, adapters.ErrUnreachable) {
			de.Message += "; with TLS, check the CA that signed the device's certificate and, for mutual TLS, the client certificate and key"
		}
		return nil, de
	}
	// Some targets answer Capabilities without checking credentials: a Get
	// of an entry that need not exist proves them.
	probe := &gpb.GetRequest{Path: []*gpb.Path{yang.InterfacePath("netagent-auth-probe").GNMI()}, Encoding: gpb.Encoding_JSON_IETF}
	if _, err := a.client.Get(cctx, probe); err != nil {
		switch status.Code(err) {
		case codes.Unauthenticated, codes.PermissionDenied, codes.Unavailable, codes.DeadlineExceeded:
			_ = conn.Close()
			return nil, a.rpcErr(adapters.PhaseAuth, true, err)
		}
	}
	for _, e := range caps.GetExtension() {
		if e.GetCommit() != nil {
			a.commitConfirmed = true
		}
	}
	a.log.Debug("gnmi connected", "version", caps.GetGNMIVersion(), "commit_confirmed", a.commitConfirmed)
	return a, nil
}

// rpcErr maps a gRPC status to a *adapters.DeviceError. notApplied is what
// the caller knows for failures that leave it open (a Set that timed out).
func (a *Adapter) rpcErr(phase adapters.Phase, notApplied bool, err error) *adapters.DeviceError {
	st, _ := status.FromError(err)
	de := &adapters.DeviceError{Device: a.t.Device, Protocol: adapters.GNMI, Phase: phase, Tag: st.Code().String(),
		Message: st.Message(), Err: err, NotApplied: notApplied}
	switch st.Code() {
	case codes.Unavailable:
		de.Kind = adapters.ErrUnreachable
	case codes.DeadlineExceeded, codes.Canceled:
		de.Kind = adapters.ErrTimeout
	case codes.Unauthenticated, codes.PermissionDenied:
		de.Kind, de.NotApplied = adapters.ErrAuth, true
	case codes.ResourceExhausted:
		// Set is atomic: a refused Set changed nothing.
		de.Kind, de.NotApplied = adapters.ErrLocked, true
	case codes.Aborted:
		// A concurrency conflict (the configuration is locked by another
		// session, as the lab and NETCONF-backed targets answer): the Set was
		// refused whole, so nothing was applied and it may be retried once the
		// holder is done.
		de.Kind, de.NotApplied = adapters.ErrLocked, true
	case codes.Unimplemented:
		de.Kind, de.NotApplied = adapters.ErrUnsupported, true
	default:
		de.Kind, de.NotApplied = adapters.ErrRejected, true
	}
	if de.Kind == adapters.ErrAuth {
		de.Message += "; check the username and password for " + a.t.Device
	}
	return de
}

func (a *Adapter) to() adapters.Timeouts { return a.t.Timeouts.WithDefaults() }

// Capabilities: gNMI Set is atomic per call; a confirm timer exists when
// the target announced the commit-confirmed extension.
func (a *Adapter) Capabilities() adapters.Caps {
	return adapters.Caps{Protocol: adapters.GNMI, ConfirmTimer: a.commitConfirmed, AtomicPerCall: true}
}

func (a *Adapter) set(ctx context.Context, phase adapters.Phase, req *gpb.SetRequest) error {
	if a.isClosed() {
		return a.t.Err(phase, adapters.ErrClosed, true, nil, "")
	}
	ctx, cancel := context.WithTimeout(ctx, a.to().Commit)
	defer cancel()
	if _, err := a.client.Set(ctx, req); err != nil {
		return a.rpcErr(phase, false, err)
	}
	return nil
}

func (a *Adapter) isClosed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}

// Configure sends changes as one atomic SetRequest.
func (a *Adapter) Configure(ctx context.Context, changes []yang.Change) error {
	if len(changes) == 0 {
		return nil
	}
	req, err := encodeSet(changes)
	if err != nil {
		return a.t.Err(adapters.PhaseStage, adapters.ErrUnsupported, true, err, "cannot encode the change")
	}
	if err := a.txs.Acquire(ctx, adapters.PhaseLock); err != nil {
		return err
	}
	defer a.txs.Release()
	if err := a.set(ctx, adapters.PhaseCommit, req); err != nil {
		return fmt.Errorf("gnmi set %s: %w", a.t.Device, err)
	}
	return nil
}

// Query Gets the configuration at paths (JSON_IETF, type CONFIG).
func (a *Adapter) Query(ctx context.Context, paths []yang.Path) (*yang.Tree, error) {
	if a.isClosed() {
		return nil, a.t.Err(adapters.PhaseQuery, adapters.ErrClosed, true, nil, "")
	}
	req := &gpb.GetRequest{Type: gpb.GetRequest_CONFIG, Encoding: gpb.Encoding_JSON_IETF}
	if a.getAll.Load() {
		req.Type = gpb.GetRequest_ALL
	}
	if len(paths) == 0 {
		req.Path = []*gpb.Path{{}}
	}
	for _, p := range paths {
		req.Path = append(req.Path, p.GNMI())
	}
	ctx, cancel := context.WithTimeout(ctx, a.to().RPC)
	defer cancel()
	ns, err := a.get(ctx, req)
	if status.Code(err) == codes.NotFound && len(req.Path) > 1 {
		// One of several paths holds nothing: ask for each alone, so the
		// others still come back.
		ns, err = nil, nil
		for _, p := range req.Path {
			one := &gpb.GetRequest{Type: req.Type, Encoding: req.Encoding, Path: []*gpb.Path{p}}
			got, gerr := a.get(ctx, one)
			if status.Code(gerr) == codes.NotFound {
				continue
			}
			if gerr != nil {
				err = gerr
				break
			}
			ns = append(ns, got...)
		}
	} else if status.Code(err) == codes.NotFound {
		// Nothing there (an interface not yet created): empty, as NETCONF
		// and CLI answer.
		ns, err = nil, nil
	}
	if err != nil {
		return nil, a.rpcErr(adapters.PhaseQuery, true, err)
	}
	t, err := yang.DecodeNotifications(ns)
	if err != nil {
		return nil, &adapters.DeviceError{Device: a.t.Device, Protocol: adapters.GNMI, Phase: adapters.PhaseQuery,
			Kind: adapters.ErrRejected, Tag: "malformed-reply", NotApplied: true, Err: err, Message: "cannot decode the device's configuration"}
	}
	return adapters.Restrict(t, paths), nil
}

// get sends a Get, falling back once to type ALL for a target that does
// not implement CONFIG.
func (a *Adapter) get(ctx context.Context, req *gpb.GetRequest) ([]*gpb.Notification, error) {
	resp, err := a.client.Get(ctx, req)
	if status.Code(err) == codes.Unimplemented && req.Type == gpb.GetRequest_CONFIG {
		a.getAll.Store(true)
		req.Type = gpb.GetRequest_ALL
		resp, err = a.client.Get(ctx, req)
	}
	if err != nil {
		return nil, err
	}
	return resp.GetNotification(), nil
}

// Ping calls Capabilities.
func (a *Adapter) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, a.to().RPC)
	defer cancel()
	if _, err := a.client.Capabilities(ctx, &gpb.CapabilityRequest{}); err != nil {
		return a.rpcErr(adapters.PhaseQuery, true, err)
	}
	return nil
}

// Monitor runs a STREAM subscription (SAMPLE or ON_CHANGE) until ctx ends.
// Paths may leave the configuration model (state, counters).
func (a *Adapter) Monitor(ctx context.Context, sub adapters.Subscription, emit func(adapters.Update) error) error {
	list, err := a.subscriptionList(sub)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := a.client.Subscribe(sctx)
	if err != nil {
		return a.monitorErr(ctx, err)
	}
	if err := stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: list}}); err != nil {
		return a.monitorErr(ctx, err)
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return a.monitorErr(ctx, err)
		}
		switch r := resp.GetResponse().(type) {
		case *gpb.SubscribeResponse_SyncResponse:
			if err := emit(adapters.Update{Device: a.t.Device, Time: time.Now(), Sync: true}); err != nil {
				return err
			}
		case *gpb.SubscribeResponse_Update:
			for _, u := range Updates(a.t.Device, r.Update) {
				if err := emit(u); err != nil {
					return err
				}
			}
		}
	}
}

func (a *Adapter) subscriptionList(sub adapters.Subscription) (*gpb.SubscriptionList, error) {
	iv := sub.Interval
	if iv <= 0 {
		iv = adapters.DefaultInterval
	}
	list := &gpb.SubscriptionList{Mode: gpb.SubscriptionList_STREAM, Encoding: gpb.Encoding_JSON_IETF}
	for _, s := range sub.Paths {
		p, err := ParsePath(s)
		if err != nil {
			return nil, a.t.Err(adapters.PhaseMonitor, adapters.ErrRejected, true, err, "bad subscription path")
		}
		su := &gpb.Subscription{Path: p, Mode: gpb.SubscriptionMode_SAMPLE, SampleInterval: uint64(iv.Nanoseconds())}
		if sub.Mode == adapters.ModeOnChange {
			su.Mode, su.SampleInterval = gpb.SubscriptionMode_ON_CHANGE, 0
		}
		list.Subscription = append(list.Subscription, su)
	}
	return list, nil
}

// MonitorRaw is Monitor delivering each SubscribeResponse as the bytes
// that came on the wire (adapters.RawMonitorer): no generic protobuf
// decode, for the telemetry ingester. The slice is reused after emit
// returns.
func (a *Adapter) MonitorRaw(ctx context.Context, sub adapters.Subscription, emit func([]byte) error) error {
	list, err := a.subscriptionList(sub)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := a.conn.NewStream(sctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, gpb.GNMI_Subscribe_FullMethodName,
		grpc.ForceCodecV2(rawCodec{}))
	if err != nil {
		return a.monitorErr(ctx, err)
	}
	if err := stream.SendMsg(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: list}}); err != nil {
		return a.monitorErr(ctx, err)
	}
	var msg rawMsg
	for {
		if err := stream.RecvMsg(&msg); err != nil {
			return a.monitorErr(ctx, err)
		}
		if err := emit(msg.b); err != nil {
			return err
		}
	}
}

func (a *Adapter) monitorErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		// The target ended the stream: the subscription must move or restart.
		return fmt.Errorf("gnmi subscribe %s: %w", a.t.Device,
			a.t.Err(adapters.PhaseMonitor, adapters.ErrUnreachable, true, err, "the target closed the subscription"))
	}
	return fmt.Errorf("gnmi subscribe %s: %w", a.t.Device, a.rpcErr(adapters.PhaseMonitor, true, err))
}

// Close closes the connection.
func (a *Adapter) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	a.mu.Unlock()
	return a.conn.Close()
}

// --- transactions ---

// Prepare reads the configuration the change touches (the snapshot
// Rollback restores), applies the change to a copy of the full
// configuration and validates it: gNMI has no candidate, so validation
// is netagent's own model check. The writer slot stays taken.
func (a *Adapter) Prepare(ctx context.Context, tx string, changes []yang.Change) error {
	return a.txs.Prepare(ctx, func() (*txbook.Tx, error) {
		full, err := a.Query(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("gnmi prepare %s: %w", a.t.Device, err)
		}
		after := full.Clone()
		if err := yang.Apply(after, changes); err != nil {
			return nil, a.t.Err(adapters.PhaseValidate, adapters.ErrRejected, true, err, "the change does not apply to the running configuration")
		}
		if err := yang.Validate(after); err != nil {
			return nil, a.t.Err(adapters.PhaseValidate, adapters.ErrRejected, true, err, "the change would leave an invalid configuration")
		}
		return &txbook.Tx{ID: tx, Changes: changes, Before: full}, nil
	})
}

func commitExt(id string, action any) []*gnmi_ext.Extension {
	c := &gnmi_ext.Commit{Id: id}
	switch x := action.(type) {
	case time.Duration:
		c.Action = &gnmi_ext.Commit_Commit{Commit: &gnmi_ext.CommitRequest{RollbackDuration: durationpb.New(x)}}
	case *gnmi_ext.CommitConfirm:
		c.Action = &gnmi_ext.Commit_Confirm{Confirm: x}
	case *gnmi_ext.CommitCancel:
		c.Action = &gnmi_ext.Commit_Cancel{Cancel: x}
	}
	return []*gnmi_ext.Extension{{Ext: &gnmi_ext.Extension_Commit{Commit: c}}}
}

// Commit sends the change; with confirmTimeout > 0 and the extension
// announced, as a confirmed commit with id tx.
func (a *Adapter) Commit(ctx context.Context, tx string, confirmTimeout time.Duration) error {
	st, err := a.txs.Prepared(tx)
	if err != nil {
		return err
	}
	req, err := encodeSet(st.Changes)
	if err != nil {
		a.txs.End(st, false)
		return a.t.Err(adapters.PhaseCommit, adapters.ErrUnsupported, true, err, "cannot encode the change")
	}
	timer := confirmTimeout > 0 && a.commitConfirmed
	if timer {
		req.Extension = commitExt(tx, confirmTimeout)
	}
	start := time.Now()
	if err := a.set(ctx, adapters.PhaseCommit, req); err != nil {
		if adapters.Retryable(err) {
			a.txs.End(st, false)
		}
		return fmt.Errorf("gnmi commit %s tx %s: %w", a.t.Device, tx, err)
	}
	if timer {
		st.Phase, st.Deadline = txbook.Pending, start.Add(confirmTimeout)
		return nil
	}
	a.txs.Committed(st, confirmTimeout)
	return nil
}

// Confirm confirms a pending commit and ends the transaction.
func (a *Adapter) Confirm(ctx context.Context, tx string) error {
	st, err := a.txs.Confirm(tx)
	if st == nil {
		return err // not committed yet, or committed without a timer: over
	}
	if !time.Now().Before(st.Deadline) {
		a.txs.End(st, false)
		return fmt.Errorf("gnmi confirm %s tx %s: %w", a.t.Device, tx, &adapters.DeviceError{Device: a.t.Device,
			Protocol: adapters.GNMI, Phase: adapters.PhaseConfirm, Kind: adapters.ErrRejected, Tag: "confirm-timeout",
			NotApplied: true, Message: "confirm timer expired, the target rolled the change back"})
	}
	if err := a.set(ctx, adapters.PhaseConfirm, &gpb.SetRequest{Extension: commitExt(tx, &gnmi_ext.CommitConfirm{})}); err != nil {
		var de *adapters.DeviceError
		if errors.As(err, &de) && errors.Is(de.Kind, adapters.ErrRejected) {
			a.txs.End(st, false)
			de.Message = "confirm timer expired, the device reverted the change: " + de.Message
		}
		return fmt.Errorf("gnmi confirm %s tx %s: %w", a.t.Device, tx, err)
	}
	st.Phase = txbook.Committed
	a.txs.End(st, true)
	return nil
}

// Abort drops a prepared change or cancels a pending commit.
func (a *Adapter) Abort(ctx context.Context, tx string) error {
	return a.txs.Abort(ctx, tx, a.undo)
}

// Rollback cancels a pending commit or restores the snapshot.
func (a *Adapter) Rollback(ctx context.Context, tx string) error {
	return a.txs.Rollback(ctx, tx, a.undo)
}

// ConfirmPending confirms the pending commit tx (the commit-confirmed
// extension's id) without the transaction's state: a restarted
// coordinator finishes what an earlier process committed. A transaction
// this adapter still holds is confirmed as Confirm does.
func (a *Adapter) ConfirmPending(ctx context.Context, tx string) error {
	if h := a.txs.Holder(); h != nil && h.ID == tx {
		return a.Confirm(ctx, tx)
	}
	return a.resume(ctx, tx, adapters.PhaseConfirm, &gnmi_ext.CommitConfirm{})
}

// CancelPending cancels the pending commit tx now; a transaction this
// adapter still holds is aborted as Abort does.
func (a *Adapter) CancelPending(ctx context.Context, tx string) error {
	if h := a.txs.Holder(); h != nil && h.ID == tx {
		return a.Abort(ctx, tx)
	}
	return a.resume(ctx, tx, adapters.PhaseAbort, &gnmi_ext.CommitCancel{})
}

func (a *Adapter) resume(ctx context.Context, tx string, phase adapters.Phase, action any) error {
	if !a.commitConfirmed {
		return a.t.Err(phase, adapters.ErrUnsupported, true, nil, "the target does not announce the commit-confirmed extension")
	}
	if err := a.txs.Acquire(ctx, phase); err != nil {
		return err
	}
	defer a.txs.Release()
	if err := a.set(ctx, phase, &gpb.SetRequest{Extension: commitExt(tx, action)}); err != nil {
		return fmt.Errorf("gnmi %s %s tx %s: %w", phase, a.t.Device, tx, err)
	}
	return nil
}

func (a *Adapter) undo(ctx context.Context, st *txbook.Tx, phase adapters.Phase) error {
	switch st.Phase {
	case txbook.Prepared:
		a.txs.End(st, false)
		return nil
	case txbook.Pending:
		err := a.set(ctx, phase, &gpb.SetRequest{Extension: commitExt(st.ID, &gnmi_ext.CommitCancel{})})
		var de *adapters.DeviceError
		if err != nil && !(errors.As(err, &de) && errors.Is(de.Kind, adapters.ErrRejected)) {
			return fmt.Errorf("gnmi cancel %s tx %s: %w", a.t.Device, st.ID, err)
		}
		a.txs.End(st, false)
		return nil
	}
	inv, err := yang.Invert(st.Before, st.Changes)
	if err == nil && len(inv) > 0 {
		var req *gpb.SetRequest
		if req, err = encodeSet(inv); err == nil {
			err = a.set(ctx, phase, req)
		}
	}
	if err != nil {
		a.txs.End(st, true)
		return fmt.Errorf("gnmi rollback %s tx %s: %w", a.t.Device, st.ID, err)
	}
	a.txs.End(st, false)
	return nil
}

// encodeSet is yang.EncodeSetRequest with every leaf value sent as a
// scalar TypedValue (uint_val, bool_val, string_val) instead of a JSON_IETF
// scalar: both are valid gNMI, and scalars are what every target accepts
// (gnxi's refuses JSON for a leaf).
func encodeSet(changes []yang.Change) (*gpb.SetRequest, error) {
	req, err := yang.EncodeSetRequest(changes)
	if err != nil {
		return nil, err
	}
	for _, u := range req.GetUpdate() {
		raw := u.GetVal().GetJsonIetfVal()
		if raw == nil {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case bool:
			u.Val = &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: x}}
		case float64:
			u.Val = &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: uint64(x)}}
		case string:
			p, perr := yang.FromGNMI(nil, u.GetPath())
			if perr == nil {
				if sch, serr := p.Schema(); serr == nil && sch.Type == yang.TypeUint64 {
					n, nerr := strconv.ParseUint(x, 10, 64)
					if nerr == nil {
						u.Val = &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: n}}
						continue
					}
				}
			}
			u.Val = &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: x}}
		}
	}
	return req, nil
}
