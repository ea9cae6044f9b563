//go:build interop

package benchops

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/interop"
)

// PythonOps runs one of the Python loops (at most 5 minutes) and returns
// the ops/s it printed.
func PythonOps(tb testing.TB, script string, args ...string) float64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := interop.Python(ctx, tb, script, args...)
	ops, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
	if err != nil {
		tb.Fatalf("python output %q: %v", out, err)
	}
	return ops
}
