package logging

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/trace"
)

func TestHandler(t *testing.T) {
	const pw = "hunter2-lab-secret"
	tc := trace.New()
	ctx := trace.With(auth.WithPrincipal(context.Background(), auth.Principal{Subject: "alice"}), tc)
	tests := []struct {
		name    string
		log     func(l *slog.Logger)
		want    []string
		notWant []string
	}{
		{"trace and principal from the context", func(l *slog.Logger) { l.InfoContext(ctx, "device configure", "device", "r1") },
			[]string{"trace_id=" + string(tc.TraceID), "principal=alice", "device=r1"}, nil},
		{"no context, no trace", func(l *slog.Logger) { l.Info("x") }, nil, []string{"trace_id"}},
		{"a record's own trace_id and principal are not repeated", func(l *slog.Logger) {
			l.InfoContext(ctx, "request refused", "trace_id", string(tc.TraceID), "principal", "bob")
		}, []string{"trace_id=" + string(tc.TraceID), "principal=bob"}, []string{"principal=alice"}},
		{"secret-named keys", func(l *slog.Logger) {
			l.Info("login", "password", pw, "Authorization", "Bearer "+pw, "sasl_password", pw, "password_set", true)
		}, []string{"password=REDACTED", "Authorization=REDACTED", "password_set=true"}, []string{pw}},
		{"where a secret is kept is not a secret", func(l *slog.Logger) {
			l.Info("admin token created", "token_file", "/var/lib/netagent/tokens", "private_key_path", "/etc/k.pem", "token", pw)
		}, []string{"token_file=/var/lib/netagent/tokens", "private_key_path=/etc/k.pem", "token=REDACTED"}, []string{pw}},
		{"nested groups and WithAttrs", func(l *slog.Logger) {
			l.With("token", pw).Info("x", slog.Group("kafka", slog.String("sasl_secret", pw), slog.String("user", "u")))
		}, []string{"token=REDACTED", "kafka.sasl_secret=REDACTED", "kafka.user=u"}, []string{pw}},
		{"LogValuers redact themselves", func(l *slog.Logger) {
			l.Info("open", "creds", adapters.Credentials{Username: "admin", Password: adapters.Secret(pw)}, "pw", adapters.Secret(pw))
		}, []string{"creds.username=admin", "creds.password_set=true", "pw=REDACTED"}, []string{pw}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(slog.New(New(slog.NewTextHandler(&buf, nil))))
			out := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("log %q lacks %q", out, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("log %q shows %q", out, w)
				}
			}
		})
	}
}

// TestOwnTraceNotRepeated: a record that carries trace_id itself (the auth
// layer's refusals do) gets it once, not once more from the context.
func TestOwnTraceNotRepeated(t *testing.T) {
	tc := trace.New()
	ctx := trace.With(context.Background(), tc)
	var buf bytes.Buffer
	slog.New(New(slog.NewTextHandler(&buf, nil))).InfoContext(ctx, "request refused", "trace_id", string(tc.TraceID))
	if n := strings.Count(buf.String(), "trace_id="); n != 1 {
		t.Errorf("trace_id %d times in %q, want once", n, buf.String())
	}
}
