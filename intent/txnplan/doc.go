// Package txnplan runs the intent service's plans as transactions: it
// translates an intent.Plan into a txn.Request (one participant per device
// with changes, the plan's undo kept for devices without a confirm timer,
// the intent's confirm timeout, soak and atomic options) and implements
// intent.Executor over a txn.Coordinator, so the arrow stays
// intent -> txn -> adapters (txn never imports intent), as intent/fleet
// adapts the adapters' inventory and pool.
//
//	coord, _ := txn.New(ctx, txn.Config{Store: db, Devices: devices})
//	svc, _ := intent.New(ctx, intent.Config{..., Executor: txnplan.New(coord)})
//
// Stages come from what the changes depend on across devices (Stages): a
// device that gets an IPv4 address runs before the device whose new BGP
// neighbour peers with it, and when both go, the neighbour goes first;
// the rest is one stage, and each device's change set keeps its own order.
// A transaction that rolled back is
// reported as intent.ErrRolledBack (wrapping the *txn.Error with every
// device's outcome); the intent record links its latest transaction
// (Record.Txn) through TxnOf.
//
// An Executor is safe for concurrent use.
package txnplan
