package auth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/auth"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"", "Bearer nat_abc", "bearer   x.y.z", "Basic Zm9vOmJhcg==", "Bearer ", "Bearer a==", "Bearer a=b", "Bearer\tx", "Bearer " + strings.Repeat("a", 9000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, err := auth.ParseAuthorization(h)
		if err != nil {
			if !errors.Is(err, auth.ErrNoCredential) && !errors.Is(err, auth.ErrMalformedAuthorization) {
				t.Fatalf("untyped error %v", err)
			}
			if strings.Contains(err.Error(), h) && len(h) > 12 {
				t.Fatalf("the error echoes the header: %v", err)
			}
			return
		}
		if tok == "" || strings.ContainsAny(tok, " \t\r\n,\"") || len(tok) > 8<<10 {
			t.Fatalf("ParseAuthorization(%q) = %q: not a token68", h, tok)
		}
		// Parse, print, parse again.
		back, err := auth.ParseAuthorization("Bearer " + tok)
		if err != nil || back != tok {
			t.Fatalf("round trip of %q: %q, %v", tok, back, err)
		}
	})
}

func FuzzParseTokenFile(f *testing.F) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(time.RFC3339)
	f.Add([]byte(`{"version":1,"tokens":[]}`))
	f.Add([]byte(`{"version":1,"tokens":[{"id":"tok_1","subject":"admin","scopes":["admin"],"hash":"sha256:` + strings.Repeat("ab", 32) + `","created":"` + now + `"}]}`))
	f.Add([]byte(`{"version":1,"tokens":[{"id":"tok_1","subject":"a","scopes":["intents:read"],"hash":"sha256:` + strings.Repeat("0", 64) + `","created":"` + now + `","expiry":"` + now + `","revoked":"` + now + `"}]}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"tokens":[{"id":"","scopes":["root"],"hash":"md5:x"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		toks, err := auth.ParseTokenFile(data)
		if err != nil {
			if !errors.Is(err, auth.ErrTokenFile) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		ids := map[string]bool{}
		for _, tk := range toks {
			if tk.ID == "" || tk.Subject == "" || len(tk.Scopes) == 0 || !strings.HasPrefix(tk.Hash, "sha256:") || ids[tk.ID] {
				t.Fatalf("accepted a bad entry %+v", tk)
			}
			ids[tk.ID] = true
		}
	})
}
