package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// LoadOrCreateKey reads the agent's Ed25519 private key from path (PEM,
// PKCS #8 "PRIVATE KEY"), creating it (mode 0600, directory 0700) on first
// start. created reports a new key. The same key can be certified by the
// agent's CA (netagent pki), so a verifier can hold the certificate
// instead of the key.
func LoadOrCreateKey(path string) (key ed25519.PrivateKey, created bool, err error) {
	key, err = LoadKey(path)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	_, key, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("audit: key %s: generate: %w", path, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, false, fmt.Errorf("audit: key %s: encode: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("audit: key %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first: use theirs.
		key, err = LoadKey(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("audit: key %s: %w", path, err)
	}
	werr := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, false, fmt.Errorf("audit: key %s: write: %w", path, werr)
	}
	return key, true, nil
}

// LoadKey reads an Ed25519 private key (PEM PKCS #8) from path.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit: key %s: %w", path, err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("audit: key %s: no PEM PRIVATE KEY block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit: key %s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit: key %s: a %T, not an Ed25519 key", path, k)
	}
	return ek, nil
}

// LoadPublicKey reads the key that verifies signed heads from path: the
// agent's private key file, a PEM "PUBLIC KEY" or the agent's certificate
// (PEM "CERTIFICATE"; its chain is not checked here).
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit: key %s: %w", path, err)
	}
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return nil, fmt.Errorf("audit: key %s: no Ed25519 PRIVATE KEY, PUBLIC KEY or CERTIFICATE block", path)
		}
		var k any
		switch blk.Type {
		case "PRIVATE KEY":
			if pk, err := x509.ParsePKCS8PrivateKey(blk.Bytes); err == nil {
				if ek, ok := pk.(ed25519.PrivateKey); ok {
					k = ek.Public()
				}
			}
		case "PUBLIC KEY":
			k, _ = x509.ParsePKIXPublicKey(blk.Bytes)
		case "CERTIFICATE":
			if c, err := x509.ParseCertificate(blk.Bytes); err == nil {
				k = c.PublicKey
			}
		}
		if pub, ok := k.(ed25519.PublicKey); ok {
			return pub, nil
		}
	}
}

// Head is a signed statement of the chain's last entry.
type Head struct {
	Seq       int64     `json:"seq"`
	Hash      string    `json:"hash"`
	At        time.Time `json:"at"`
	PublicKey []byte    `json:"public_key"`
	Signature []byte    `json:"signature"`
}

// message is what a head's signature covers.
func (h Head) message() []byte {
	return []byte("netagent-audit-head-v1\n" + strconv.FormatInt(h.Seq, 10) + "\n" + h.Hash + "\n" +
		strconv.FormatInt(h.At.UnixNano(), 10) + "\n")
}

// ErrNoKey is returned by Sign on a Log without a key.
var ErrNoKey = errors.New("audit: no signing key configured")

// Sign signs the chain's current head with the Log's key and stores it.
// It does nothing (and returns the last signed head) when the head was
// already signed, and nothing on an empty chain.
func (l *Log) Sign(ctx context.Context) (Head, error) {
	if l == nil {
		return Head{}, nil
	}
	if l.key == nil {
		return Head{}, ErrNoKey
	}
	var h Head
	err := l.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1`).Scan(&h.Seq, &h.Hash)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var signedSeq int64
		var signedHash string
		err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads ORDER BY n DESC LIMIT 1`).Scan(&signedSeq, &signedHash)
		if err == nil && signedSeq == h.Seq && signedHash == h.Hash {
			return nil
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		h.At = time.Unix(0, l.now().UnixNano()).UTC()
		h.PublicKey = l.key.Public().(ed25519.PublicKey)
		h.Signature = ed25519.Sign(l.key, h.message())
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_heads (seq, hash, at, public_key, signature) VALUES (?, ?, ?, ?, ?)`,
			h.Seq, h.Hash, h.At.UnixNano(), base64.StdEncoding.EncodeToString(h.PublicKey), base64.StdEncoding.EncodeToString(h.Signature))
		return err
	})
	if err != nil {
		return Head{}, fmt.Errorf("audit: sign head %d: %w", h.Seq, err)
	}
	return h, nil
}

// Run signs the head every interval (when it moved) until ctx ends, then
// once more, so that a clean shutdown leaves the whole chain signed. It
// returns nil; signing failures are logged.
func (l *Log) Run(ctx context.Context, every time.Duration) error {
	if l == nil || l.key == nil {
		<-ctx.Done()
		return nil
	}
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if _, err := l.Sign(ctx); err != nil && ctx.Err() == nil {
				l.log.Error("audit: sign head", "err", err)
			}
		case <-ctx.Done():
			if _, err := l.Sign(context.WithoutCancel(ctx)); err != nil {
				l.log.Error("audit: sign head at shutdown", "err", err)
			}
			return nil
		}
	}
}
