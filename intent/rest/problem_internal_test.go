package rest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/netagent/netagent/intent"
)

// TestDeviceProblems: a device failure is 502 naming the device and the
// phase, a device timeout 504, whatever wraps them.
func TestDeviceProblems(t *testing.T) {
	r := httptest.NewRequest("POST", "/v1/intents:plan", nil)
	tests := []struct {
		err    error
		status int
	}{
		{&intent.DeviceError{Device: "r2", Phase: intent.PhaseRead, Err: errors.New("cli read r2: authentication failed")}, http.StatusBadGateway},
		{fmt.Errorf("plan: %w", &intent.DeviceError{Device: "r2", Phase: intent.PhaseOpen, Err: fmt.Errorf("dial: %w", context.DeadlineExceeded)}), http.StatusGatewayTimeout},
	}
	for _, tt := range tests {
		p := problemFor(r, tt.err)
		if p.Status != tt.status || p.Device != "r2" || p.Phase == "" || p.Detail != tt.err.Error() {
			t.Errorf("problemFor(%v) = %+v, want %d naming r2 and a phase", tt.err, p, tt.status)
		}
	}
}
