package auth_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/auth"
)

// BenchmarkLayer is the layer's own cost per request: a bearer token
// hashed and looked up, the scope checked, a traceparent parsed and echoed,
// in front of a handler that does nothing.
func BenchmarkLayer(b *testing.B) {
	s, err := auth.OpenTokenStore(filepath.Join(b.TempDir(), "tokens.json"))
	if err != nil {
		b.Fatal(err)
	}
	_, secret, err := s.Create("bench", []auth.Scope{auth.IntentsWrite}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	l, err := auth.NewLayer(auth.WithTokens(s))
	if err != nil {
		b.Fatal(err)
	}
	h := l.Wrap(auth.Route{Pattern: "POST /v1/intents", Scope: auth.IntentsWrite, Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})})
	req := httptest.NewRequest("POST", "/v1/intents", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
