package mcp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/yang"
)

// Confirmation-token refusals; the error names which.
var (
	ErrTokenMalformed = errors.New("the confirmation token is malformed or was not issued by this agent")
	ErrTokenExpired   = errors.New("the confirmation token has expired; plan again")
	ErrTokenOther     = errors.New("the confirmation token was issued for another intent or caller")
	ErrPlanChanged    = errors.New("the devices changed since the plan; plan again and review the new diff")
)

// tokens issues and checks confirmation tokens: HMAC-SHA256 over the
// intent's digest, the plan's digest, the caller and the expiry.
type tokens struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

type tokenBody struct {
	Intent  string `json:"i"`
	Plan    string `json:"p"`
	Subject string `json:"s"`
	Expires int64  `json:"e"`
}

func newTokens(key []byte, ttl time.Duration, now func() time.Time) (*tokens, error) {
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("mcp: token key: %w", err)
		}
	}
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	if now == nil {
		now = time.Now
	}
	return &tokens{key: key, ttl: ttl, now: now}, nil
}

// issue returns a token for plan of in, computed for subject, and when it expires.
func (t *tokens) issue(in *intent.Intent, plan *intent.Plan, subject string) (string, time.Time) {
	return t.issueFor(intentDigest(in), planDigest(plan), subject)
}

// issueFor is issue for an operation named by digests: what it acts on and
// the state it was reviewed in.
func (t *tokens) issueFor(what, state, subject string) (string, time.Time) {
	exp := t.now().Add(t.ttl)
	b, _ := json.Marshal(tokenBody{Intent: what, Plan: state, Subject: subject, Expires: exp.Unix()})
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + base64.RawURLEncoding.EncodeToString(t.mac(payload)), exp
}

func (t *tokens) mac(payload string) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// open checks the token's signature, expiry, intent and caller; the plan
// digest it returns is compared with a fresh plan's by the caller.
func (t *tokens) open(tok string, in *intent.Intent, subject string) (planDigest string, err error) {
	return t.openFor(tok, intentDigest(in), subject)
}

// openFor is open for an operation named by its digest.
func (t *tokens) openFor(tok, what, subject string) (state string, err error) {
	payload, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return "", ErrTokenMalformed
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, t.mac(payload)) {
		return "", ErrTokenMalformed
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	var b tokenBody
	if err != nil || json.Unmarshal(raw, &b) != nil {
		return "", ErrTokenMalformed
	}
	if !t.now().Before(time.Unix(b.Expires, 0)) {
		return "", ErrTokenExpired
	}
	if b.Intent != what || b.Subject != subject {
		return "", ErrTokenOther
	}
	return b.Plan, nil
}

// intentDigest hashes the intent's canonical form without its id, so a
// plan made before an id was assigned confirms the submission that gets one.
func intentDigest(in *intent.Intent) string {
	c := *in
	c.ID = ""
	sum := sha256.Sum256(c.Canonical())
	return hex.EncodeToString(sum[:])
}

// planDigest hashes every device's changes and the configuration they were
// computed from: if a device's configuration changes, so does the digest.
func planDigest(p *intent.Plan) string {
	h := sha256.New()
	if p != nil {
		for _, d := range p.Devices {
			fmt.Fprintf(h, "device %q\n%s", d.Device, yang.Render(d.Changes))
			if d.Before != nil {
				fmt.Fprintf(h, "before\n%s", d.Before.String())
			}
			h.Write([]byte{0})
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// withdrawDigests name a withdrawal: the intent, and the record's state
// and undo changes when it was reviewed.
func withdrawDigests(rec *intent.Record) (what, state string) {
	w := sha256.Sum256([]byte("withdraw\x00" + rec.ID + "\x00" + rec.Digest))
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", rec.State, rec.UpdatedAt.UTC().Format(time.RFC3339Nano))
	if rec.Plan != nil {
		for _, d := range rec.Plan.Devices {
			fmt.Fprintf(h, "device %q\n%s\x00", d.Device, yang.Render(d.Undo))
		}
	}
	return hex.EncodeToString(w[:]), hex.EncodeToString(h.Sum(nil))
}
