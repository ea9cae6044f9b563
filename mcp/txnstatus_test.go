package mcp_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/mcp"
	"github.com/netagent/netagent/txn"
	"github.com/netagent/netagent/yang"
)

// TestTxnStatus runs intents through the two-phase-commit coordinator on
// the leaf-spine lab and reads their transactions with txn_status, by intent
// and by transaction id: a confirmed change (every device confirmed, 100%),
// then a change spine2 refuses to commit (rolled back: its error, spine1 undone,
// the lab as before); unknown ids and bad arguments name the argument.
func TestTxnStatus(t *testing.T) {
	n := startNetworkWith(t, topologies.LeafSpine, true)
	c := httpClient(t, httpServer(t, n.server(t, nil)), "writer")
	mtu := yang.InterfacePath("e1-1").Leaf("config", "mtu")

	_, applied := planApply(t, c, "set_interface", map[string]any{"devices": []string{"spine1"}, "name": "e1-1", "mtu": 9000}, "")
	if applied.Status != string(intent.StateApplied) {
		t.Fatalf("change: %+v", applied)
	}
	var byIntent, byTxn mcp.TxnStatus
	mustCall(t, c, "txn_status", map[string]any{"intent": applied.IntentID}, "", &byIntent)
	if byIntent.State != txn.StateConfirmed || byIntent.Running || byIntent.Percent != 100 || byIntent.Intent != applied.IntentID ||
		len(byIntent.Devices) != 1 || byIntent.Devices[0].Device != "spine1" || byIntent.Devices[0].Outcome != txn.OutcomeConfirmed {
		t.Errorf("txn_status by intent = %+v", byIntent)
	}
	mustCall(t, c, "txn_status", map[string]any{"txn": byIntent.Txn}, "", &byTxn)
	if byTxn.Txn != byIntent.Txn || byTxn.State != byIntent.State || !slices.Equal(byTxn.Devices, byIntent.Devices) {
		t.Errorf("txn_status by txn = %+v, by intent %+v", byTxn, byIntent)
	}

	// spine2 refuses the commit: the transaction rolls back everywhere.
	if err := n.lab.InjectFault("spine2", fault.Fault{Kind: fault.RejectCommit, Message: "refused by the txn_status test", Count: 100}); err != nil {
		t.Fatal(err)
	}
	_, failed := planApply(t, c, "set_interface", map[string]any{"devices": []string{"spine1", "spine2"}, "name": "e1-1", "mtu": 4000}, "")
	if failed.Status == string(intent.StateApplied) {
		t.Fatalf("change with r2 refusing: %+v", failed)
	}
	var rb mcp.TxnStatus
	mustCall(t, c, "txn_status", map[string]any{"intent": failed.IntentID}, "", &rb)
	if rb.Running || rb.Txn == byIntent.Txn || (rb.State != txn.StateRolledBack && rb.State != txn.StateAborted) || len(rb.Devices) != 2 {
		t.Fatalf("txn_status of the refused change = %+v", rb)
	}
	t.Logf("refused change: intent %s, txn_status %+v", failed.Status, rb)
	for _, d := range rb.Devices {
		switch d.Device {
		case "spine1":
			if d.Outcome != txn.OutcomeAborted && d.Outcome != txn.OutcomeRolledBack && d.Outcome != txn.OutcomeUntouched {
				t.Errorf("spine1 = %+v, want it undone", d)
			}
		case "spine2":
			if d.Error == nil || !strings.Contains(d.Error.Message, "refused by the txn_status test") {
				t.Errorf("spine2 = %+v, want the device's refusal", d)
			}
		}
	}
	if v := n.leaf(t, "spine1", mtu); v != uint64(9000) {
		t.Errorf("spine1 mtu after the rolled-back change = %v, want 9000", v)
	}

	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"txn": "tx-unknown"}, "/txn"},
		{map[string]any{"intent": "in-unknown"}, "/intent"},
		{map[string]any{}, "/txn"},
		{map[string]any{"txn": byIntent.Txn, "intent": applied.IntentID}, "/intent"},
		{map[string]any{"txn": 7}, "/txn"},
	} {
		if got := call(t, c, "txn_status", tc.args, "", nil); !strings.Contains(got, tc.want) {
			t.Errorf("txn_status(%v) = %q, want an error naming %s", tc.args, got, tc.want)
		}
	}
}
