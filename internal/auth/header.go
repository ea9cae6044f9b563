package auth

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Errors of the Authorization header.
var (
	// ErrNoCredential reports a request with no Authorization header and
	// no verified client certificate.
	ErrNoCredential = errors.New("auth: no credential")
	// ErrMalformedAuthorization reports an Authorization header that is not
	// "Bearer <token>" with an RFC 6750 token68.
	ErrMalformedAuthorization = errors.New("auth: malformed Authorization header")
)

// maxCredential bounds a bearer credential: a JWT with a few scopes is well
// under this, and nothing longer is hashed or parsed.
const maxCredential = 8 << 10

// ParseAuthorization returns the credential of an "Authorization: Bearer
// <token>" header (RFC 6750 section 2.1: the scheme is case-insensitive, one
// or more spaces, then a token68). An empty header is ErrNoCredential; any
// other scheme or a bad token is ErrMalformedAuthorization.
func ParseAuthorization(h string) (string, error) {
	if h == "" {
		return "", ErrNoCredential
	}
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Errorf("%w: the scheme must be Bearer", ErrMalformedAuthorization)
	}
	tok := strings.TrimLeft(rest, " ")
	if tok == "" {
		return "", fmt.Errorf("%w: the token is empty", ErrMalformedAuthorization)
	}
	if len(tok) > maxCredential {
		return "", fmt.Errorf("%w: the token is longer than %d bytes", ErrMalformedAuthorization, maxCredential)
	}
	if !isToken68(tok) {
		return "", fmt.Errorf("%w: the token has characters outside RFC 6750's token68", ErrMalformedAuthorization)
	}
	return tok, nil
}

// isToken68 reports whether s is 1*( ALPHA / DIGIT / "-" / "." / "_" / "~"
// / "+" / "/" ) *"=".
func isToken68(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0 {
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// Bootstrap makes sure an operator can reach a freshly started agent: if
// the secret in adminPath is not an active token of s, it creates an admin
// token (subject "admin", scope admin, no expiry), writes its secret to
// adminPath (mode 0600) and returns it (nil when the existing one stays:
// the callers audit a token created). The secret is never logged; callers
// print adminPath.
func Bootstrap(s *TokenStore, adminPath string) (created *Token, err error) {
	if secret, err := ReadSecretFile(adminPath); err == nil {
		if _, _, err := s.Lookup(secret); err == nil {
			return nil, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	t, secret, err := s.Create("admin", []Scope{Admin}, 0)
	if err != nil {
		return nil, err
	}
	if err := WriteSecretFile(adminPath, secret); err != nil {
		return nil, fmt.Errorf("auth: admin token: %w", err)
	}
	return &t, nil
}
