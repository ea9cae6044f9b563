package event

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

type pki struct {
	ca    *x509.Certificate
	caKey ed25519.PrivateKey
	roots *x509.CertPool
}

func newPKI(t testing.TB) *pki {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "netagent test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return &pki{ca: ca, caKey: key, roots: roots}
}

func (p *pki) agent(t testing.TB, name string) (ed25519.PrivateKey, *x509.Certificate) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, pub, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return key, c
}

func TestVerify(t *testing.T) {
	p := newPKI(t)
	key, cert := p.agent(t, "agent-a")
	s, err := NewSigner(key, []*x509.Certificate{cert})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sign := func(typ string) *Signed {
		m, err := s.Sign(typ, "tx-1", map[string]any{"percent": 30}, now)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	otherPKI := newPKI(t)
	okey, ocert := otherPKI.agent(t, "agent-a")
	stranger, _ := NewSigner(okey, []*x509.Certificate{ocert})
	_, wk, _ := ed25519.GenerateKey(rand.Reader)
	liar, _ := NewSigner(wk, []*x509.Certificate{cert}) // someone else's key with agent-a's certificate

	tests := []struct {
		name string
		msg  func() *Signed
		v    *Verifier
		want error
	}{
		{name: "valid", msg: func() *Signed { return sign("txn.progress") }},
		{name: "tampered payload", msg: func() *Signed {
			m := sign("txn.progress")
			m.Envelope = []byte(strings.Replace(string(m.Envelope), "30", "99", 1))
			return m
		}, want: ErrBadSignature},
		{name: "wrong key", msg: func() *Signed { m, _ := liar.Sign("txn.progress", "tx-1", nil, now); return m }, want: ErrBadSignature},
		{name: "expired time", msg: func() *Signed { m, _ := s.Sign("txn.progress", "tx-1", nil, now.Add(-time.Hour)); return m }, want: ErrExpired},
		{name: "future time", msg: func() *Signed { m, _ := s.Sign("txn.progress", "tx-1", nil, now.Add(time.Hour)); return m }, want: ErrExpired},
		{name: "unknown signer", msg: func() *Signed { m, _ := stranger.Sign("txn.progress", "tx-1", nil, now); return m }, want: ErrUnknownSigner},
		{name: "malformed signature", msg: func() *Signed { m := sign("txn.progress"); m.Signature = "abc"; return m }, want: ErrMalformed},
		{name: "no roots", msg: func() *Signed { return sign("txn.progress") }, v: &Verifier{}, want: ErrUnknownSigner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.v
			if v == nil {
				v = &Verifier{Roots: p.roots}
			}
			env, err := v.Verify(tt.msg())
			if tt.want == nil {
				if err != nil || env.Source != "agent-a" || env.Type != "txn.progress" {
					t.Fatalf("verify: %+v %v", env, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
		})
	}

	// Replays and out-of-order sequences are dropped; a refused event does
	// not advance the sequence.
	v := &Verifier{Roots: p.roots}
	m1, m2 := sign("a"), sign("b")
	if _, err := v.Verify(m2); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(m2); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay: %v", err)
	}
	if _, err := v.Verify(m1); !errors.Is(err, ErrReplay) {
		t.Fatalf("out of order: %v", err)
	}
	if _, err := v.Verify(sign("c")); err != nil {
		t.Fatalf("next: %v", err)
	}
	var e Envelope
	if err := json.Unmarshal(m1.Envelope, &e); err != nil || e.Seq == 0 {
		t.Fatalf("envelope %+v %v", e, err)
	}
}

// FuzzVerify feeds arbitrary envelopes and signatures to the verifier: it
// never panics and never accepts anything it was not given signed.
func FuzzVerify(f *testing.F) {
	p := newPKI(f)
	key, cert := p.agent(f, "agent-a")
	s, _ := NewSigner(key, []*x509.Certificate{cert})
	m, _ := s.Sign("txn.progress", "tx-1", map[string]int{"percent": 10}, time.Now())
	f.Add([]byte(m.Envelope), m.Signature)
	f.Add([]byte(`{}`), "e30..")
	f.Add([]byte(`{"type":"x"}`), "")
	f.Fuzz(func(t *testing.T, env []byte, sig string) {
		v := &Verifier{Roots: p.roots}
		got, err := v.Verify(&Signed{Envelope: env, Signature: sig})
		if err == nil && (string(env) != string(m.Envelope) || got.Source != "agent-a") {
			t.Fatalf("accepted a message nobody signed: %q", env)
		}
	})
}
