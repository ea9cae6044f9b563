package event

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Envelope is one event.
type Envelope struct {
	Type    string          `json:"type"`
	Time    time.Time       `json:"time"`
	Source  string          `json:"source"` // the sending agent: its certificate's common name
	Subject string          `json:"subject,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Seq     uint64          `json:"seq"`
}

// Signed is an envelope on the wire: the envelope's JSON and a detached
// compact JWS over exactly those bytes.
type Signed struct {
	Envelope  json.RawMessage `json:"envelope"`
	Signature string          `json:"signature"`
}

// Errors a Verifier returns (errors.Is).
var (
	ErrMalformed     = errors.New("event: malformed")
	ErrBadSignature  = errors.New("event: bad signature")
	ErrUnknownSigner = errors.New("event: unknown signer")
	ErrExpired       = errors.New("event: outside the time window")
	ErrReplay        = errors.New("event: replayed or out-of-order sequence")
)

// Signer signs events as one agent. Safe for concurrent use.
type Signer struct {
	source string
	signer jose.Signer

	mu  sync.Mutex // protects seq
	seq uint64
}

// NewSigner returns a signer for the agent whose certificate is chain[0]
// (then its intermediates), with key its private key (ed25519 or ECDSA
// P-256). Events carry the certificate's common name as their source.
func NewSigner(key crypto.Signer, chain []*x509.Certificate) (*Signer, error) {
	if len(chain) == 0 {
		return nil, errors.New("event: signer needs its certificate")
	}
	var alg jose.SignatureAlgorithm
	switch key.(type) {
	case ed25519.PrivateKey:
		alg = jose.EdDSA
	case *ecdsa.PrivateKey:
		alg = jose.ES256
	default:
		return nil, fmt.Errorf("event: key type %T: use ed25519 or ECDSA P-256", key)
	}
	x5c := make([]string, len(chain))
	for i, c := range chain {
		x5c[i] = base64.StdEncoding.EncodeToString(c.Raw)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithHeader("x5c", x5c))
	if err != nil {
		return nil, fmt.Errorf("event: signer: %w", err)
	}
	return &Signer{source: chain[0].Subject.CommonName, signer: s}, nil
}

// Sign builds the next envelope (sequence numbers count from 1) and signs it.
func (s *Signer) Sign(typ, subject string, params any, now time.Time) (*Signed, error) {
	var raw json.RawMessage
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return nil, fmt.Errorf("event: params: %w", err)
		}
		raw = b
	}
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.mu.Unlock()
	env, err := json.Marshal(Envelope{Type: typ, Time: now.UTC(), Source: s.source, Subject: subject, Params: raw, Seq: seq})
	if err != nil {
		return nil, err
	}
	obj, err := s.signer.Sign(env)
	if err != nil {
		return nil, fmt.Errorf("event: sign: %w", err)
	}
	sig, err := obj.DetachedCompactSerialize()
	if err != nil {
		return nil, fmt.Errorf("event: sign: %w", err)
	}
	return &Signed{Envelope: env, Signature: sig}, nil
}

// Verifier checks signed events. Safe for concurrent use.
type Verifier struct {
	// Roots are the trusted certificate authorities. Required.
	Roots *x509.CertPool
	// Window is how far an event's time may be from now; default 5 minutes.
	Window time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time

	mu   sync.Mutex // protects last
	last map[string]uint64
}

// Verify checks m and returns its envelope.
func (v *Verifier) Verify(m *Signed) (*Envelope, error) {
	if m == nil || len(m.Envelope) == 0 || m.Signature == "" {
		return nil, fmt.Errorf("%w: envelope and signature are required", ErrMalformed)
	}
	obj, err := jose.ParseDetached(m.Signature, m.Envelope, []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(obj.Signatures) != 1 {
		return nil, fmt.Errorf("%w: want one signature, got %d", ErrMalformed, len(obj.Signatures))
	}
	if v.Roots == nil {
		return nil, fmt.Errorf("%w: no trusted roots configured", ErrUnknownSigner)
	}
	chains, err := obj.Signatures[0].Protected.Certificates(x509.VerifyOptions{Roots: v.Roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil || len(chains) == 0 || len(chains[0]) == 0 {
		return nil, fmt.Errorf("%w: %v", ErrUnknownSigner, err)
	}
	leaf := chains[0][0]
	payload, err := obj.Verify(leaf.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	var env Envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("%w: envelope: %w", ErrMalformed, err)
	}
	if env.Type == "" || env.Source == "" || env.Seq == 0 || env.Time.IsZero() {
		return nil, fmt.Errorf("%w: type, source, time and seq are required", ErrMalformed)
	}
	if env.Source != leaf.Subject.CommonName {
		return nil, fmt.Errorf("%w: source %q is not the certificate's subject %q", ErrUnknownSigner, env.Source, leaf.Subject.CommonName)
	}
	now, window := time.Now(), v.Window
	if v.Now != nil {
		now = v.Now()
	}
	if window <= 0 {
		window = 5 * time.Minute
	}
	if d := now.Sub(env.Time); d > window || d < -window {
		return nil, fmt.Errorf("%w: event time %s is %s from now", ErrExpired, env.Time.Format(time.RFC3339), d.Round(time.Second))
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.last == nil {
		v.last = map[string]uint64{}
	}
	if last := v.last[env.Source]; env.Seq <= last {
		return nil, fmt.Errorf("%w: %s sequence %d, last seen %d", ErrReplay, env.Source, env.Seq, last)
	}
	v.last[env.Source] = env.Seq
	return &env, nil
}
