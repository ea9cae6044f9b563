package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// JWTConfig binds JWT bearer tokens from an authorisation server to this
// agent.
type JWTConfig struct {
	// JWKSURL is where the authorisation server publishes its signing keys.
	JWKSURL string
	// Issuer must equal the token's iss claim.
	Issuer string
	// Audience must be one of the token's aud values: this agent's name or
	// URL, so a token minted for another service is refused here.
	Audience string
	// Methods are the accepted signing algorithms; empty means EdDSA,
	// ES256 and RS256 (never "none", never HMAC with a public key).
	Methods []string
}

// JWTVerifier checks JWTs against a JWKS. Construct it once with
// NewJWTVerifier: it refreshes the key set in the background until the ctx
// given to NewJWTVerifier ends. It is safe for concurrent use.
type JWTVerifier struct {
	cfg JWTConfig
	kf  keyfunc.Keyfunc
}

// ErrJWT reports a JWT that failed verification.
var ErrJWT = errors.New("auth: invalid jwt")

// NewJWTVerifier fetches the key set at cfg.JWKSURL and keeps it fresh
// (hourly, and on an unknown key id at most every five minutes) until ctx
// ends. Issuer, audience and the JWKS URL are required. A key set that
// cannot be fetched at start is not an error: JWTs are refused until it
// can.
func NewJWTVerifier(ctx context.Context, cfg JWTConfig) (*JWTVerifier, error) {
	var errs []error
	if cfg.JWKSURL == "" {
		errs = append(errs, errors.New("auth.jwt.jwks_url: must not be empty"))
	}
	if cfg.Issuer == "" {
		errs = append(errs, errors.New("auth.jwt.issuer: must not be empty"))
	}
	if cfg.Audience == "" {
		errs = append(errs, errors.New("auth.jwt.audience: must not be empty"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(cfg.Methods) == 0 {
		cfg.Methods = []string{"EdDSA", "ES256", "RS256"}
	}
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{cfg.JWKSURL})
	if err != nil {
		return nil, fmt.Errorf("auth: jwks %s: %w", cfg.JWKSURL, err)
	}
	return &JWTVerifier{cfg: cfg, kf: kf}, nil
}

// claims are the registered claims plus OAuth's space-separated scope.
type claims struct {
	jwt.RegisteredClaims
	Scope string `json:"scope"`
}

// Verify checks a JWT's signature, issuer, audience and expiry (exp is
// required) and returns its principal: the sub claim with the scopes of the
// scope claim that netagent knows (others are ignored, never widened).
func (v *JWTVerifier) Verify(ctx context.Context, raw string) (Principal, error) {
	var c claims
	_, err := jwt.ParseWithClaims(raw, &c, v.kf.KeyfuncCtx(ctx),
		jwt.WithValidMethods(v.cfg.Methods),
		jwt.WithIssuer(v.cfg.Issuer),
		jwt.WithAudience(v.cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt())
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrJWT, err)
	}
	if c.Subject == "" {
		return Principal{}, fmt.Errorf("%w: the sub claim is empty", ErrJWT)
	}
	p := Principal{Subject: c.Subject, Kind: "operator", Via: "jwt"}
	for _, s := range strings.Fields(c.Scope) {
		if sc := Scope(s); slices.Contains(Scopes(), sc) && !slices.Contains(p.Scopes, sc) {
			p.Scopes = append(p.Scopes, sc)
		}
	}
	return p, nil
}

// looksLikeJWT reports whether a bearer credential has the three dot
// separated parts of a compact JWS.
func looksLikeJWT(s string) bool { return strings.Count(s, ".") == 2 }
