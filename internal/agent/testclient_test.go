package agent

import (
	"net/http"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/auth"
)

// bearerTransport adds "Authorization: Bearer <token>" to every request.
type bearerTransport struct {
	token string
	base  http.RoundTripper
}

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

// bearerClient is an HTTP client presenting the secret in file (the admin
// token the agent wrote on its first start, or another).
func bearerClient(t testing.TB, file string) *http.Client {
	t.Helper()
	secret, err := auth.ReadSecretFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return tokenClient(secret)
}

func tokenClient(secret string) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: bearerTransport{token: secret, base: http.DefaultTransport}}
}
