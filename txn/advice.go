package txn

import (
	"context"
	"errors"

	"github.com/netagent/netagent/adapters"
)

// FailureRecorder is the knowledge base as a transaction's caller feeds it
// (the agent adapts knowledge to it). RecordTxnFailure must not block: it
// queues.
type FailureRecorder interface {
	// RecordTxnFailure records one participant's failure: err is a device
	// error (*adapters.DeviceError somewhere in its chain, as Error.Causes
	// hold them).
	RecordTxnFailure(txnID, device string, err error)
}

// RunRecorded is Run, then, when the transaction did not confirm, every
// device error it met given to rec. Run returns only once the rollback is
// over, so recording never delays it. A request that carries an intent is
// left to the intent service, which records its failures with the
// intent's impact (recording both would count one failure twice); peer
// agents' transactions and other callers without an intent use this.
func (c *Coordinator) RunRecorded(ctx context.Context, req Request, rec FailureRecorder) (*Result, error) {
	res, err := c.Run(ctx, req)
	if err == nil || rec == nil || req.Intent != "" {
		return res, err
	}
	var e *Error
	if !errors.As(err, &e) {
		return res, err
	}
	failed := map[string]bool{}
	for _, d := range e.Result.Devices {
		if d.Error != nil {
			failed[d.Device] = true
		}
	}
	for _, cause := range e.Causes {
		rec.RecordTxnFailure(e.Result.ID, causeDevice(cause, failed), cause)
	}
	return res, err
}

// causeDevice names the device of a cause: the one its error names, else
// the only failed device, else "".
func causeDevice(err error, failed map[string]bool) string {
	var de *adapters.DeviceError
	if errors.As(err, &de) && de.Device != "" {
		return de.Device
	}
	if len(failed) == 1 {
		for name := range failed {
			return name
		}
	}
	return ""
}
