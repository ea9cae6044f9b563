package kafkaintake

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/netagent/netagent/internal/auth"
)

// HeaderSignature is the Kafka header that carries a signed requester: a
// detached compact JWS (EdDSA or ES256) over exactly the message value,
// its protected header holding typ SignatureType and the signer's
// certificate chain (x5c). The certificate's identity (auth.IdentityOf:
// netagent://agent/NAME, else the common name) is the requester.
const HeaderSignature = "netagent-signature"

// SignatureType is the typ of a signed intent's JWS header, so that a
// signature made for something else (an event, say) is never taken for
// one.
const SignatureType = "netagent-intent+jws"

// ErrSignature is matched (errors.Is) by every refusal of a message's
// signature: it is recorded as refused, answered as rejected, copied to
// the dead-letter topic, and nothing is applied.
var ErrSignature = errors.New("kafkaintake: signature refused")

// SignatureError says why a message's signature was refused.
type SignatureError struct {
	// Signer is the identity the signature claims (from its certificate,
	// verified or not), "" when none could be read.
	Signer string
	Reason string
}

func (e *SignatureError) Error() string {
	if e.Signer != "" {
		return fmt.Sprintf("signature of %s refused: %s", e.Signer, e.Reason)
	}
	return "signature refused: " + e.Reason
}

// Is makes errors.Is(err, ErrSignature) true.
func (e *SignatureError) Is(target error) bool { return target == ErrSignature }

// Signers says whose signatures the intake trusts.
type Signers struct {
	// Roots are the certificate authorities a signer's certificate must
	// chain to (the agents' and operators' CA, `netagent pki`). Nil
	// refuses every signed message.
	Roots *x509.CertPool
	// Allow lists the identities admitted; empty admits every certificate
	// of Roots.
	Allow []string
	// Now is the clock certificates are checked at; default time.Now.
	Now func() time.Time
}

// Sign returns the HeaderSignature value for a message whose value is
// value, signed with key (ed25519 or ECDSA P-256) as the holder of chain[0]
// (then its intermediates).
func Sign(key crypto.Signer, chain []*x509.Certificate, value []byte) (string, error) {
	if len(chain) == 0 {
		return "", errors.New("kafkaintake: Sign needs the signer's certificate")
	}
	var alg jose.SignatureAlgorithm
	switch key.(type) {
	case ed25519.PrivateKey:
		alg = jose.EdDSA
	case *ecdsa.PrivateKey:
		alg = jose.ES256
	default:
		return "", fmt.Errorf("kafkaintake: key type %T: use ed25519 or ECDSA P-256", key)
	}
	x5c := make([]string, len(chain))
	for i, c := range chain {
		x5c[i] = base64.StdEncoding.EncodeToString(c.Raw)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType(SignatureType).WithHeader("x5c", x5c))
	if err != nil {
		return "", fmt.Errorf("kafkaintake: signer: %w", err)
	}
	obj, err := s.Sign(value)
	if err != nil {
		return "", fmt.Errorf("kafkaintake: sign: %w", err)
	}
	return obj.DetachedCompactSerialize()
}

// Verify checks sig, a HeaderSignature value, over value and returns the
// requester it names, as a principal that may submit intents. Every
// refusal is a *SignatureError.
func (s *Signers) Verify(value []byte, sig string) (auth.Principal, error) {
	obj, err := jose.ParseDetached(sig, value, []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256})
	if err != nil {
		return auth.Principal{}, &SignatureError{Reason: "not a detached compact JWS (EdDSA or ES256): " + err.Error()}
	}
	if len(obj.Signatures) != 1 {
		return auth.Principal{}, &SignatureError{Reason: fmt.Sprintf("want one signature, got %d", len(obj.Signatures))}
	}
	h := obj.Signatures[0].Protected
	claimed := claimedSigner(sig)
	refuse := func(reason string) (auth.Principal, error) {
		return auth.Principal{}, &SignatureError{Signer: claimed, Reason: reason}
	}
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != SignatureType {
		return refuse(fmt.Sprintf("header typ %q, want %q", typ, SignatureType))
	}
	if s == nil || s.Roots == nil {
		return refuse("no signer CA is configured (intake.kafka_signer_ca)")
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	chains, err := h.Certificates(x509.VerifyOptions{Roots: s.Roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil || len(chains) == 0 || len(chains[0]) == 0 {
		reason := "no certificate chain in x5c"
		if err != nil {
			reason = "certificate not trusted: " + err.Error()
		}
		return refuse(reason)
	}
	leaf := chains[0][0]
	if _, err := obj.Verify(leaf.PublicKey); err != nil {
		return refuse("the signature does not match the message: " + err.Error())
	}
	id := auth.IdentityOf(leaf)
	if id.Name == "" {
		return refuse("the certificate names no identity (no netagent://agent/ URI, no common name)")
	}
	if len(s.Allow) > 0 && !slices.Contains(s.Allow, id.Name) {
		return refuse(id.Name + " is not in intake.kafka_signers")
	}
	return auth.Principal{Subject: id.Name, Kind: id.Kind, Via: "jws", Scopes: []auth.Scope{auth.IntentsWrite}}, nil
}

// claimedSigner is the identity of the first x5c certificate of a compact
// JWS's protected header, unverified (for the record of a refusal), or "".
func claimedSigner(sig string) string {
	head, _, ok := strings.Cut(sig, ".")
	if !ok {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		X5C []string `json:"x5c"`
	}
	if json.Unmarshal(b, &h) != nil || len(h.X5C) == 0 {
		return ""
	}
	der, err := base64.StdEncoding.DecodeString(h.X5C[0])
	if err != nil {
		return ""
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return ""
	}
	return auth.IdentityOf(c).Name
}
