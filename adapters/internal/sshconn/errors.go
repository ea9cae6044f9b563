package sshconn

import (
	"context"
	"errors"

	"github.com/scrapli/scrapligo/util"

	"github.com/netagent/netagent/adapters"
)

// OpenError classifies err, the error of a scrapligo driver's Open over t
// (which is killed): the transport's own *adapters.DeviceError (host key,
// auth, unreachable) as is; a timeout or an ended ctx as ErrTimeout, saying
// that what (the prompt, the hello) did not come in time; anything else
// as ErrUnreachable, saying that setup failed. Nothing was sent to the
// device, so every error is NotApplied.
func (t *Transport) OpenError(ctx context.Context, err error, what, setup string) *adapters.DeviceError {
	t.Kill()
	var de *adapters.DeviceError
	if errors.As(err, &de) {
		return de
	}
	if ctx.Err() != nil || errors.Is(err, util.ErrTimeoutError) || errors.Is(err, context.DeadlineExceeded) {
		return t.target.Err(adapters.PhaseConnect, adapters.ErrTimeout, true, err, "no "+what+" in time")
	}
	return t.target.Err(adapters.PhaseConnect, adapters.ErrUnreachable, true, err, setup+" session set-up failed")
}

// ExchangeError classifies the outcome of one exchange (commands or an RPC)
// on an open session: nil when err is nil and the transport is still up;
// otherwise the session is unusable and the error is ErrTimeout (scrapligo
// or the caller timed out (err matches context.DeadlineExceeded), or ctx ended and killed the transport) or ErrUnreachable,
// with notApplied and msg as the caller knows them.
func (t *Transport) ExchangeError(ctx context.Context, phase adapters.Phase, notApplied bool, err error, msg string) error {
	if err == nil && t.Closed() {
		err = errors.New("session killed")
	}
	if err == nil {
		return nil
	}
	kind := adapters.ErrTimeout
	if !errors.Is(err, util.ErrTimeoutError) && !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		kind = adapters.ErrUnreachable
	}
	return t.target.Err(phase, kind, notApplied, err, msg)
}
