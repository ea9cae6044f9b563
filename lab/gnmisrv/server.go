package gnmisrv

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"

	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/proto/gnmi_ext"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/netagent/netagent/lab/datastore"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/synth"
	"github.com/netagent/netagent/yang"
)

// Version is the gNMI version the server reports.
const Version = "0.10.0"

// Models the server reports in Capabilities.
var Models = []*gpb.ModelData{
	{Name: yang.ModInterfaces, Organization: "OpenConfig working group", Version: "3.7.1"},
	{Name: yang.ModIfIP, Organization: "OpenConfig working group", Version: "3.5.1"},
	{Name: yang.ModNetworkInstance, Organization: "OpenConfig working group", Version: "4.4.1"},
	{Name: "openconfig-system", Organization: "OpenConfig working group", Version: "2.3.0"},
	{Name: "openconfig-platform", Organization: "OpenConfig working group", Version: "0.28.0"},
	{Name: "netagent-lab", Organization: "netagent", Version: "1.0.0"},
}

// MinSampleInterval bounds how often a SAMPLE subscription fires.
const MinSampleInterval = 100 * time.Millisecond

// Config configures the gNMI server of one device.
type Config struct {
	Device   string
	Store    *datastore.Store
	Faults   *fault.Set // nil: no faults
	State    func(now time.Time) []synth.Point
	Username string
	Password string
	TLS      *tls.Config // nil: insecure
	Log      *slog.Logger
}

// Server is a gNMI server for one device. It is safe for concurrent use.
type Server struct {
	gpb.UnimplementedGNMIServer
	cfg  Config
	grpc *grpc.Server
	stop chan struct{}
	once sync.Once
	// life ends at Close: a Set that has started runs until it is done or
	// life ends, even if its client cancels or disconnects.
	life    context.Context
	endLife context.CancelFunc
}

// New returns a server; Serve starts it.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("gnmi %s: no datastore", cfg.Device)
	}
	if cfg.Faults == nil {
		cfg.Faults = fault.NewSet()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, stop: make(chan struct{})}
	s.life, s.endLife = context.WithCancel(context.Background())
	opts := []grpc.ServerOption{grpc.UnaryInterceptor(s.unary), grpc.StreamInterceptor(s.stream)}
	if cfg.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg.TLS)))
	}
	s.grpc = grpc.NewServer(opts...)
	gpb.RegisterGNMIServer(s.grpc, s)
	return s, nil
}

// Serve serves ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	err := s.grpc.Serve(ln)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Close ends every stream and stops the server.
func (s *Server) Close() error {
	s.once.Do(func() { close(s.stop) })
	s.endLife()
	s.grpc.Stop()
	return nil
}

func (s *Server) auth(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	user, pw := first(md.Get("username")), first(md.Get("password"))
	if subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.Username)) != 1 || subtle.ConstantTimeCompare([]byte(pw), []byte(s.cfg.Password)) != 1 {
		return status.Errorf(codes.Unauthenticated, "gnmi %s: bad username or password", s.cfg.Device)
	}
	return nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (s *Server) faults(ctx context.Context) error {
	if err := s.cfg.Faults.HangWhile(ctx, fault.GNMI); err != nil {
		return status.FromContextError(err).Err()
	}
	if err := s.cfg.Faults.Delay(ctx, fault.GNMI); err != nil {
		return status.FromContextError(err).Err()
	}
	return nil
}

func (s *Server) unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := s.auth(ctx); err != nil {
		return nil, err
	}
	if err := s.faults(ctx); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (s *Server) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := s.auth(ss.Context()); err != nil {
		return err
	}
	if err := s.faults(ss.Context()); err != nil {
		return err
	}
	return h(srv, ss)
}

// Capabilities reports models, encodings and version.
func (s *Server) Capabilities(context.Context, *gpb.CapabilityRequest) (*gpb.CapabilityResponse, error) {
	return &gpb.CapabilityResponse{
		SupportedModels:    Models,
		SupportedEncodings: []gpb.Encoding{gpb.Encoding_JSON_IETF, gpb.Encoding_JSON},
		GNMIVersion:        Version,
		// Set honours the commit-confirmed extension: say so, as targets
		// that implement it do, so clients can rely on the device's timer.
		Extension: []*gnmi_ext.Extension{{Ext: &gnmi_ext.Extension_Commit{Commit: &gnmi_ext.Commit{}}}},
	}, nil
}

// leafPoints returns running's leaves as points.
func leafPoints(t *yang.Tree) []synth.Point {
	ls := t.Leaves()
	out := make([]synth.Point, len(ls))
	for i, l := range ls {
		v := l.Value
		if sch, err := l.Path.Schema(); err == nil && sch.Type == yang.TypeIdentity {
			v = sch.IdentityModule + ":" + l.Value.(string)
		}
		out[i] = synth.Point{Path: l.Path.String(), Value: v}
	}
	return out
}

// Get answers configuration as JSON_IETF subtrees and state as scalar leaves.
func (s *Server) Get(ctx context.Context, req *gpb.GetRequest) (*gpb.GetResponse, error) {
	switch req.GetEncoding() {
	case gpb.Encoding_JSON_IETF, gpb.Encoding_JSON:
	default:
		return nil, status.Errorf(codes.Unimplemented, "gnmi %s: get: encoding %s is not supported (JSON_IETF, JSON)", s.cfg.Device, req.GetEncoding())
	}
	if len(req.GetUseModels()) > 0 {
		known := map[string]bool{}
		for _, m := range Models {
			known[m.Name] = true
		}
		for _, m := range req.GetUseModels() {
			if !known[m.GetName()] {
				return nil, status.Errorf(codes.InvalidArgument, "gnmi %s: get: model %q is not supported", s.cfg.Device, m.GetName())
			}
		}
	}
	running := s.cfg.Store.Running()
	now := time.Now()
	var state []synth.Point
	if req.GetType() != gpb.GetRequest_CONFIG && s.cfg.State != nil {
		state = s.cfg.State(now)
	}
	for _, p := range req.GetPath() {
		if full := join(req.GetPrefix(), p); classify(stripOrigin(full), s.stateAt(now)) == pathUnknown {
			return nil, s.noSuchPath("get", full)
		}
	}
	val := func(js []byte) *gpb.TypedValue {
		if req.GetEncoding() == gpb.Encoding_JSON {
			return &gpb.TypedValue{Value: &gpb.TypedValue_JsonVal{JsonVal: plainJSON(js)}}
		}
		return &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: js}}
	}
	paths := req.GetPath()
	if len(paths) == 0 {
		paths = []*gpb.Path{{}}
	}
	var notes []*gpb.Notification
	for _, p := range paths {
		n := &gpb.Notification{Timestamp: now.UnixNano(), Prefix: echoPrefix(req.GetPrefix())}
		full := join(req.GetPrefix(), p)
		if req.GetType() != gpb.GetRequest_STATE && req.GetType() != gpb.GetRequest_OPERATIONAL {
			if hasWildcard(full) {
				// Wildcard keys, as Subscribe takes: every matching entry,
				// each at its own path.
				for _, yp := range expand(running, stripOrigin(full)) {
					js, err := yang.EncodeJSONIETF(running, yp)
					if err != nil {
						return nil, status.Errorf(codes.Internal, "gnmi %s: get %s: %v", s.cfg.Device, yp, err)
					}
					if js != nil {
						n.Update = append(n.Update, &gpb.Update{Path: yp.GNMI(), Val: val(js)})
					}
				}
			} else if yp, err := yang.FromGNMI(nil, stripOrigin(full)); err == nil {
				js, err := yang.EncodeJSONIETF(running, yp)
				if err != nil {
					return nil, status.Errorf(codes.Internal, "gnmi %s: get %s: %v", s.cfg.Device, yp, err)
				}
				if js != nil {
					n.Update = append(n.Update, &gpb.Update{Path: p, Val: val(js)})
				}
			}
		}
		if req.GetType() != gpb.GetRequest_CONFIG {
			for _, pt := range state {
				if elems, ok := match(full, pt.Path); ok {
					n.Update = append(n.Update, &gpb.Update{Path: &gpb.Path{Elem: elems}, Val: typed(pt.Value)})
				}
			}
		}
		if len(n.Update) == 0 {
			return nil, status.Errorf(codes.NotFound, "gnmi %s: get: nothing at %s", s.cfg.Device, pathString(full))
		}
		notes = append(notes, n)
	}
	return &gpb.GetResponse{Notification: notes}, nil
}

// Set applies the request atomically to running. A Set that has started
// runs to its end (under the slow-commit fault, after its delay) even if
// the client cancels or disconnects meanwhile, as on a real device; only
// Close aborts it.
func (s *Server) Set(_ context.Context, req *gpb.SetRequest) (*gpb.SetResponse, error) {
	f := s.cfg.Faults
	rf, err := f.BeforeCommit(s.life, fault.GNMI)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "gnmi %s: set: the server is closing", s.cfg.Device)
	}
	if rf != nil {
		return nil, status.Errorf(rejectCode(rf.ErrorTag), "gnmi %s: set: %s: %s", s.cfg.Device, rf.ErrorTag, rf.Message)
	}
	state := s.stateAt(time.Now())
	for _, p := range allPaths(req) {
		if o := p.GetOrigin(); o != "" && o != "openconfig" {
			return nil, status.Errorf(codes.Unimplemented, "gnmi %s: set: origin %q is not supported", s.cfg.Device, o)
		}
		full := join(req.GetPrefix(), p)
		switch classify(stripOrigin(full), state) {
		case pathUnknown:
			return nil, s.noSuchPath("set", full)
		case pathState:
			return nil, status.Errorf(codes.InvalidArgument, "gnmi %s: set: %s is read-only: it is state (config false), not configuration", s.cfg.Device, pathString(full))
		}
	}
	apply := func(t *yang.Tree) error {
		if err := yang.ApplySetRequest(t, stripSet(req)); err != nil {
			return err
		}
		return yang.Validate(t)
	}
	commit, err := commitExt(req)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "gnmi %s: set: %v", s.cfg.Device, err)
	}
	switch {
	case commit == nil:
		err = s.cfg.Store.Edit(datastore.Running, 0, "gnmi", apply)
	case commit.GetCommit() != nil:
		d := commit.GetCommit().GetRollbackDuration().AsDuration()
		if d <= 0 {
			d = 600 * time.Second
		}
		err = s.cfg.Store.EditConfirmed("gnmi", commit.GetId(), d, apply)
	case commit.GetConfirm() != nil:
		if err = s.cfg.Store.Edit(datastore.Running, 0, "gnmi", apply); err == nil {
			err = s.cfg.Store.ConfirmPending(commit.GetId())
		}
	case commit.GetCancel() != nil:
		err = s.cfg.Store.CancelCommit(0, commit.GetId())
	case commit.GetSetRollbackDuration() != nil:
		err = s.cfg.Store.ExtendPending(commit.GetId(), commit.GetSetRollbackDuration().GetRollbackDuration().AsDuration())
	default:
		err = fmt.Errorf("commit extension %q without an action", commit.GetId())
	}
	if err != nil {
		return nil, status.Errorf(setCode(err), "gnmi %s: set: %v", s.cfg.Device, err)
	}
	if _, ok := f.Take(fault.GNMI, fault.DropCommit); ok {
		return nil, status.Errorf(codes.Unavailable, "gnmi %s: set: transport is closing", s.cfg.Device)
	}
	resp := &gpb.SetResponse{Prefix: req.GetPrefix(), Timestamp: time.Now().UnixNano(), Extension: req.GetExtension()}
	for _, d := range req.GetDelete() {
		resp.Response = append(resp.Response, &gpb.UpdateResult{Path: d, Op: gpb.UpdateResult_DELETE})
	}
	for _, u := range req.GetReplace() {
		resp.Response = append(resp.Response, &gpb.UpdateResult{Path: u.GetPath(), Op: gpb.UpdateResult_REPLACE})
	}
	for _, u := range req.GetUpdate() {
		resp.Response = append(resp.Response, &gpb.UpdateResult{Path: u.GetPath(), Op: gpb.UpdateResult_UPDATE})
	}
	return resp, nil
}

// stateAt returns a function computing the device's state points at now,
// or nil when the device reports none.
func (s *Server) stateAt(now time.Time) func() []synth.Point {
	if s.cfg.State == nil {
		return nil
	}
	return func() []synth.Point { return s.cfg.State(now) }
}

// noSuchPath is the one NotFound that Get, Set and Subscribe answer for a
// path outside the model.
func (s *Server) noSuchPath(op string, p *gpb.Path) error {
	return status.Errorf(codes.NotFound, "gnmi %s: %s: no such path %s in the model", s.cfg.Device, op, pathString(p))
}

// setCode is the gRPC code of a Set the datastore refused; nothing was
// applied in every case. A lock conflict is Aborted (gRPC's code for a
// concurrency conflict the client retries at a higher level, once the
// holder is done), never Unavailable, which means the transport failed and
// the outcome may be unknown.
func setCode(err error) codes.Code {
	switch {
	case errors.Is(err, datastore.ErrLocked):
		return codes.Aborted
	case errors.Is(err, datastore.ErrPending):
		return codes.AlreadyExists
	case errors.Is(err, datastore.ErrNoPending), errors.Is(err, datastore.ErrPersistID):
		return codes.FailedPrecondition
	}
	return codes.InvalidArgument
}

// rejectCode is the gRPC code of an injected commit rejection with a
// NETCONF error-tag: lock-denied and in-use are lock conflicts (Aborted, as
// setCode), tags about the request's content are InvalidArgument, and the
// rest (operation-failed, resource-denied, ...) FailedPrecondition: the
// device refused and applied nothing.
func rejectCode(tag string) codes.Code {
	switch tag {
	case "lock-denied", "in-use":
		return codes.Aborted
	case "invalid-value", "bad-element", "unknown-element", "missing-element", "bad-attribute", "unknown-attribute", "missing-attribute", "malformed-message", "data-exists", "data-missing":
		return codes.InvalidArgument
	case "operation-not-supported":
		return codes.Unimplemented
	}
	// A fault may name the gRPC code itself ("Unimplemented").
	for c := codes.OK + 1; c <= codes.Unauthenticated; c++ {
		if c.String() == tag {
			return c
		}
	}
	return codes.FailedPrecondition
}

func allPaths(req *gpb.SetRequest) []*gpb.Path {
	out := append([]*gpb.Path{req.GetPrefix()}, req.GetDelete()...)
	for _, u := range append(append([]*gpb.Update(nil), req.GetReplace()...), req.GetUpdate()...) {
		out = append(out, u.GetPath())
	}
	return out
}

// stripSet drops origin and target, which the model does not use.
func stripSet(req *gpb.SetRequest) *gpb.SetRequest {
	out := &gpb.SetRequest{Prefix: stripOrigin(req.GetPrefix())}
	for _, d := range req.GetDelete() {
		out.Delete = append(out.Delete, stripOrigin(d))
	}
	for _, u := range req.GetReplace() {
		out.Replace = append(out.Replace, &gpb.Update{Path: stripOrigin(u.GetPath()), Val: u.GetVal()})
	}
	for _, u := range req.GetUpdate() {
		out.Update = append(out.Update, &gpb.Update{Path: stripOrigin(u.GetPath()), Val: u.GetVal()})
	}
	return out
}

func stripOrigin(p *gpb.Path) *gpb.Path {
	if p == nil {
		return nil
	}
	return &gpb.Path{Elem: p.GetElem()}
}

func echoPrefix(p *gpb.Path) *gpb.Path {
	if p == nil {
		return nil
	}
	return p
}

// join appends p's elements to prefix's.
func join(prefix, p *gpb.Path) *gpb.Path {
	out := &gpb.Path{Origin: p.GetOrigin(), Target: prefix.GetTarget()}
	out.Elem = append(append(out.Elem, prefix.GetElem()...), p.GetElem()...)
	return out
}

func pathString(p *gpb.Path) string {
	if len(p.GetElem()) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, e := range p.GetElem() {
		b.WriteString("/" + e.GetName())
		ks := make([]string, 0, len(e.GetKey()))
		for k := range e.GetKey() {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			fmt.Fprintf(&b, "[%s=%s]", k, e.GetKey()[k])
		}
	}
	return b.String()
}

// match reports whether the point at path lies at or below pattern (which
// may hold "*" names, "*" key values and "..."), and returns its elements.
func match(pattern *gpb.Path, path string) ([]*gpb.PathElem, bool) {
	elems, err := yang.ParseAnyPath(path)
	if err != nil {
		return nil, false
	}
	if !matchElems(pattern.GetElem(), elems) {
		return nil, false
	}
	return elems.GNMI().GetElem(), true
}

func matchElems(pat []*gpb.PathElem, elems yang.Path) bool {
	if len(pat) == 0 {
		return true
	}
	pe := pat[0]
	if pe.GetName() == "..." {
		for i := 0; i <= len(elems); i++ {
			if matchElems(pat[1:], elems[i:]) {
				return true
			}
		}
		return false
	}
	if len(elems) == 0 {
		return false
	}
	e := elems[0]
	name := pe.GetName()
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	if name != "*" && name != e.Name {
		return false
	}
	for k, v := range pe.GetKey() {
		if v == "*" {
			continue
		}
		if got, ok := keyValue(e, k); !ok || got != v {
			return false
		}
	}
	return matchElems(pat[1:], elems[1:])
}

// keyValue returns the value of e's key name.
func keyValue(e yang.Elem, name string) (string, bool) {
	for _, k := range e.Keys {
		if k.Name == name {
			return k.Value, true
		}
	}
	return "", false
}

func typed(v any) *gpb.TypedValue {
	switch x := v.(type) {
	case uint64:
		return &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: x}}
	case float64:
		return &gpb.TypedValue{Value: &gpb.TypedValue_DoubleVal{DoubleVal: x}}
	case bool:
		return &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: x}}
	case string:
		return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: x}}
	}
	return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: fmt.Sprint(v)}}
}

// commitExt returns the request's commit-confirmed extension, if any.
func commitExt(req *gpb.SetRequest) (*gnmi_ext.Commit, error) {
	var out *gnmi_ext.Commit
	for _, e := range req.GetExtension() {
		if c := e.GetCommit(); c != nil {
			if out != nil {
				return nil, errors.New("more than one commit extension")
			}
			if c.GetId() == "" {
				return nil, errors.New("commit extension without an id")
			}
			out = c
		}
	}
	return out, nil
}
