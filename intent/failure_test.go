package intent

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters"
)

func TestFailures(t *testing.T) {
	locked := &adapters.DeviceError{Device: "r1", Protocol: adapters.NETCONF, Phase: adapters.PhaseLock, Kind: adapters.ErrLocked,
		Tag: "lock-denied", Message: "lock held by session 3", NotApplied: true}
	rejected := &adapters.DeviceError{Protocol: adapters.GNMI, Phase: adapters.PhaseCommit, Kind: adapters.ErrRejected,
		Tag: "InvalidArgument", Path: "/interfaces/interface[name=eth1]/config/mtu", Message: "mtu out of range"}
	outer := &adapters.DeviceError{Device: "r2", Protocol: adapters.GNMI, Phase: adapters.PhaseCommit, Kind: adapters.ErrRejected, Err: rejected}
	for _, tc := range []struct {
		name string
		err  error
		want []Failure
	}{
		{"rolled back lock", fmt.Errorf("%w: configure r1: %w", ErrRolledBack, locked),
			[]Failure{{Device: "r1", Protocol: "netconf", Phase: "lock", Kind: "locked", Tag: "lock-denied", Message: "lock held by session 3", Retryable: true}}},
		{"nested, device from the outer error, joined with a rollback failure", errors.Join(outer, fmt.Errorf("roll back r1: %w", locked)),
			[]Failure{
				{Device: "r2", Protocol: "gnmi", Phase: "commit", Kind: "rejected", Tag: "InvalidArgument", Path: "/interfaces/interface[name=eth1]/config/mtu", Message: "mtu out of range"},
				{Device: "r1", Protocol: "netconf", Phase: "lock", Kind: "locked", Tag: "lock-denied", Message: "lock held by session 3", Retryable: true},
			}},
		{"not a device error", errors.New("open r9: no such device"), []Failure{{Message: "open r9: no such device"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Failures(tc.err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
