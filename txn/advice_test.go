package txn_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/txn"
)

type failures struct {
	mu  sync.Mutex // protects following fields
	got []string
}

func (f *failures) RecordTxnFailure(id, device string, err error) {
	var de *adapters.DeviceError
	kind := "no device error"
	if errors.As(err, &de) {
		kind = de.Message
	}
	f.mu.Lock()
	f.got = append(f.got, device+": "+kind)
	f.mu.Unlock()
}

// TestRunRecorded: a transaction without an intent that a device refuses
// rolls back, then its device failure is recorded, naming the device and
// keeping the device's words; one that carries an intent is left to the
// intent service.
func TestRunRecorded(t *testing.T) {
	l := startLab(t, topologies.LeafSpine)
	e := newEnv(t, l, txn.Config{})
	rec := &failures{}
	for i, intentID := range []string{"", "some-intent"} {
		if err := l.InjectFault("leaf2", fault.Fault{Kind: fault.RejectCommit, ErrorTag: "operation-failed", Message: "commit refused by the recorder test"}); err != nil {
			t.Fatal(err)
		}
		req := request(t, l, []string{"leaf1", "leaf2"}, testPrefix)
		req.Intent = intentID
		_, err := e.coord.RunRecorded(context.Background(), req, rec)
		if !errors.Is(err, txn.ErrRolledBack) {
			t.Fatalf("run %d: %v, want rolled back", i, err)
		}
		if n := allOrNothing(t, l, []string{"leaf1", "leaf2"}, testPrefix); n != 0 {
			t.Fatalf("run %d: %d devices hold the route after the rollback", i, n)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.got) != 1 || !strings.HasPrefix(rec.got[0], "leaf2: ") || !strings.Contains(rec.got[0], "commit refused by the recorder test") {
		t.Fatalf("recorded %q, want leaf2's refusal once (the intent's transaction is the intent service's to record)", rec.got)
	}
}
