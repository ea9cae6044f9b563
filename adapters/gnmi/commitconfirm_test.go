package gnmi_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/proto/gnmi_ext"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/yang"
)

// confirmTarget is a gNMI target that announces and implements the
// commit-confirmed extension over one yang.Tree: a Set with a commit
// action applies and arms a rollback timer, confirm disarms it, cancel
// (or the timer) restores the configuration from before the commit.
type confirmTarget struct {
	gpb.UnimplementedGNMIServer

	mu      sync.Mutex
	tree    *yang.Tree
	pending string // commit id, "" when none
	before  *yang.Tree
	timer   *time.Timer
	reverts int
}

func (s *confirmTarget) Capabilities(context.Context, *gpb.CapabilityRequest) (*gpb.CapabilityResponse, error) {
	return &gpb.CapabilityResponse{GNMIVersion: "0.10.0", SupportedEncodings: []gpb.Encoding{gpb.Encoding_JSON_IETF},
		Extension: []*gnmi_ext.Extension{{Ext: &gnmi_ext.Extension_Commit{Commit: &gnmi_ext.Commit{}}}}}, nil
}

func (s *confirmTarget) Get(_ context.Context, req *gpb.GetRequest) (*gpb.GetResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ns []*gpb.Notification
	for _, l := range s.tree.Leaves() {
		v, _ := yang.EncodeJSONIETF(s.tree, l.Path)
		ns = append(ns, &gpb.Notification{Update: []*gpb.Update{{Path: l.Path.GNMI(), Val: &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: v}}}}})
	}
	return &gpb.GetResponse{Notification: ns}, nil
}

func (s *confirmTarget) revertLocked() {
	s.tree, s.pending, s.before = s.before, "", nil
	s.reverts++
}

func (s *confirmTarget) Set(_ context.Context, req *gpb.SetRequest) (*gpb.SetResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var c *gnmi_ext.Commit
	for _, e := range req.GetExtension() {
		c = e.GetCommit()
	}
	switch {
	case c != nil && c.GetConfirm() != nil:
		if s.pending == "" || s.pending != c.GetId() {
			return nil, status.Errorf(codes.FailedPrecondition, "no pending commit %q", c.GetId())
		}
		s.timer.Stop()
		s.pending, s.before = "", nil
		return &gpb.SetResponse{}, nil
	case c != nil && c.GetCancel() != nil:
		if s.pending == "" || s.pending != c.GetId() {
			return nil, status.Errorf(codes.FailedPrecondition, "no pending commit %q", c.GetId())
		}
		s.timer.Stop()
		s.revertLocked()
		return &gpb.SetResponse{}, nil
	}
	if s.pending != "" {
		return nil, status.Errorf(codes.FailedPrecondition, "commit %q is pending", s.pending)
	}
	next := s.tree.Clone()
	if err := yang.ApplySetRequest(next, req); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if c != nil && c.GetCommit() != nil {
		s.before, s.pending = s.tree, c.GetId()
		id := c.GetId()
		s.timer = time.AfterFunc(c.GetCommit().GetRollbackDuration().AsDuration(), func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.pending == id {
				s.revertLocked()
			}
		})
	}
	s.tree = next
	return &gpb.SetResponse{}, nil
}

func (s *confirmTarget) mtu() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, _ := s.tree.Get(yang.InterfacePath("eth1").Leaf("config", "mtu"))
	return v
}

// TestCommitConfirmed drives the commit-confirmed extension: confirm keeps
// the change, abort cancels it, and a timer left to expire reverts it on
// the target, after which Confirm fails.
func TestCommitConfirmed(t *testing.T) {
	start := yang.NewTree()
	mtu := yang.InterfacePath("eth1").Leaf("config", "mtu")
	if err := start.Set(mtu, uint64(1500)); err != nil {
		t.Fatal(err)
	}
	srv := &confirmTarget{tree: start}
	gs := grpc.NewServer()
	gpb.RegisterGNMIServer(gs, srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(ln) }()
	defer gs.Stop()
	ctx := t.Context()
	a, err := gnmi.Open(ctx, adapters.Target{Device: "cc", Address: "127.0.0.1",
		Protocol: adapters.ProtocolSpec{Name: adapters.GNMI, Port: ln.Addr().(*net.TCPAddr).Port}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if !a.Capabilities().ConfirmTimer {
		t.Fatal("the announced commit-confirmed extension was not noticed")
	}
	set := func(from, to uint64) []yang.Change {
		return []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: from, New: to}}
	}
	// confirm
	if err := a.Prepare(ctx, "t1", set(1500, 9000)); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(ctx, "t1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := a.Confirm(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if srv.mtu() != uint64(9000) {
		t.Fatalf("after confirm mtu = %v", srv.mtu())
	}
	// abort after commit: the target cancels
	if err := a.Prepare(ctx, "t2", set(9000, 1400)); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(ctx, "t2", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := a.Abort(ctx, "t2"); err != nil {
		t.Fatal(err)
	}
	if srv.mtu() != uint64(9000) {
		t.Fatalf("after abort mtu = %v, want 9000", srv.mtu())
	}
	// timer expiry
	if err := a.Prepare(ctx, "t3", set(9000, 1300)); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(ctx, "t3", 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if srv.mtu() != uint64(1300) {
		t.Fatalf("after commit mtu = %v", srv.mtu())
	}
	time.Sleep(400 * time.Millisecond)
	if srv.mtu() != uint64(9000) {
		t.Fatalf("the target did not revert: mtu = %v", srv.mtu())
	}
	if err := a.Confirm(ctx, "t3"); !errors.Is(err, adapters.ErrRejected) {
		t.Fatalf("late confirm = %v, want ErrRejected", err)
	}
	// The writer slot is free again.
	if err := a.Configure(ctx, set(9000, 1500)); err != nil {
		t.Fatal(err)
	}
}
