package gnmi

import (
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/netagent/netagent/adapters"
)

// TestRPCErr: the gRPC code of a failed call decides the error's kind and
// whether the change is known not to have been applied. A lock conflict
// (Aborted) applied nothing and is retryable; a Set that timed out or lost
// its connection may have been applied.
func TestRPCErr(t *testing.T) {
	t.Parallel()
	a := &Adapter{t: adapters.Target{Device: "leaf1", Protocol: adapters.ProtocolSpec{Name: adapters.GNMI}}}
	tests := []struct {
		code       codes.Code
		kind       error
		notApplied bool
	}{
		{codes.Aborted, adapters.ErrLocked, true},
		{codes.ResourceExhausted, adapters.ErrLocked, true},
		{codes.Unavailable, adapters.ErrUnreachable, false},
		{codes.DeadlineExceeded, adapters.ErrTimeout, false},
		{codes.Canceled, adapters.ErrTimeout, false},
		{codes.Unauthenticated, adapters.ErrAuth, true},
		{codes.PermissionDenied, adapters.ErrAuth, true},
		{codes.Unimplemented, adapters.ErrUnsupported, true},
		{codes.InvalidArgument, adapters.ErrRejected, true},
		{codes.FailedPrecondition, adapters.ErrRejected, true},
	}
	for _, tc := range tests {
		t.Run(tc.code.String(), func(t *testing.T) {
			// A Set's caller does not know the outcome (notApplied false):
			// only the code can say nothing was applied.
			err := a.rpcErr(adapters.PhaseCommit, false, status.Error(tc.code, "gnmi leaf1: set: refused"))
			if !errors.Is(err, tc.kind) {
				t.Errorf("kind = %v, want %v", err.Kind, tc.kind)
			}
			if err.NotApplied != tc.notApplied || adapters.Retryable(err) != tc.notApplied {
				t.Errorf("NotApplied = %v, Retryable = %v, want %v", err.NotApplied, adapters.Retryable(err), tc.notApplied)
			}
			if err.Tag != tc.code.String() || err.Device != "leaf1" || err.Protocol != adapters.GNMI {
				t.Errorf("tag %q, device %q, protocol %q", err.Tag, err.Device, err.Protocol)
			}
		})
	}
}
