package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// TokenPrefix starts every bearer secret netagent issues, so a log scanner
// (or a person) can tell one from a JWT at a glance.
const TokenPrefix = "nat_"

// Token is one entry of the token file. The secret itself is never stored:
// Hash is "sha256:" and the hex SHA-256 of the secret, which is TokenPrefix
// followed by 32 random bytes in unpadded base64url.
type Token struct {
	ID      string    `json:"id"`
	Subject string    `json:"subject"`
	Scopes  []Scope   `json:"scopes"`
	Hash    string    `json:"hash"`
	Created time.Time `json:"created"`
	// Expiry is when the token stops working; zero means never.
	Expiry time.Time `json:"expiry,omitzero"`
	// Revoked is when the token was revoked; zero means it was not.
	Revoked time.Time `json:"revoked,omitzero"`
}

// Active reports whether t may be used at now.
func (t Token) Active(now time.Time) bool {
	return t.Revoked.IsZero() && (t.Expiry.IsZero() || now.Before(t.Expiry))
}

// tokenFile is the on-disk form.
type tokenFile struct {
	Version int     `json:"version"`
	Tokens  []Token `json:"tokens"`
}

// Errors of the token file and of token checks.
var (
	// ErrTokenFile reports a token file that cannot be read as one.
	ErrTokenFile = errors.New("auth: bad token file")
	// ErrUnknownToken reports a bearer secret no entry matches.
	ErrUnknownToken = errors.New("auth: unknown token")
	// ErrTokenExpired and ErrTokenRevoked report an entry that matched but
	// may no longer be used.
	ErrTokenExpired = errors.New("auth: token expired")
	ErrTokenRevoked = errors.New("auth: token revoked")
)

// ParseTokenFile decodes a token file and checks every entry: an id, a
// subject, known scopes, a well-formed hash, no duplicate id or hash. Errors
// name the entry and the field.
func ParseTokenFile(data []byte) ([]Token, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f tokenFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTokenFile, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the document", ErrTokenFile)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("%w: version %d, want 1", ErrTokenFile, f.Version)
	}
	ids := map[string]bool{}
	hashes := map[string]bool{}
	var errs []error
	for i, t := range f.Tokens {
		bad := func(format string, a ...any) {
			errs = append(errs, fmt.Errorf("%w: tokens[%d] (id %q): %s", ErrTokenFile, i, t.ID, fmt.Sprintf(format, a...)))
		}
		if t.ID == "" {
			bad("id is empty")
		} else if ids[t.ID] {
			bad("id is used twice")
		}
		ids[t.ID] = true
		if t.Subject == "" {
			bad("subject is empty")
		}
		if h, ok := strings.CutPrefix(t.Hash, "sha256:"); !ok || len(h) != 64 || !isLowerHexStr(h) {
			bad("hash %q is not sha256:<64 lowercase hex>", t.Hash)
		} else if hashes[t.Hash] {
			bad("hash is used twice")
		}
		hashes[t.Hash] = true
		if len(t.Scopes) == 0 {
			bad("scopes are empty")
		}
		for _, s := range t.Scopes {
			if !slices.Contains(Scopes(), s) {
				bad("scope %q is not one of %v", s, Scopes())
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return f.Tokens, nil
}

func isLowerHexStr(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// HashSecret returns the stored form of a bearer secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// NewSecret returns a fresh bearer secret: TokenPrefix and 32 random bytes.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func newTokenID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "tok_" + hex.EncodeToString(b[:])
}

// TokenStore is the token file on disk, kept in memory and re-read when the
// file changes (so `netagent token create|revoke` takes effect on a running
// agent within a second). It is safe for concurrent use within one process;
// across processes the file is replaced atomically (write, then rename), and
// the last writer wins.
type TokenStore struct {
	path string
	now  func() time.Time

	// mu protects following fields.
	mu      sync.Mutex
	byHash  map[string]Token
	tokens  []Token
	modTime time.Time
	size    int64
	checked time.Time
	loadErr error
}

// OpenTokenStore reads the token file at path; a missing file is an empty
// store (created on the first Create). The file must not be readable by
// group or others.
func OpenTokenStore(path string) (*TokenStore, error) {
	s := &TokenStore{path: path, now: time.Now}
	if err := s.reload(true); err != nil {
		return nil, err
	}
	return s, nil
}

// Path is the token file's path.
func (s *TokenStore) Path() string { return s.path }

// reload re-reads the file if it changed since the last read; it checks at
// most once a second unless force is set. Call with s.mu held or before s
// is shared.
func (s *TokenStore) reload(force bool) error {
	now := s.now()
	if !force && now.Sub(s.checked) < time.Second {
		return s.loadErr
	}
	s.checked = now
	fi, err := os.Stat(s.path)
	if errors.Is(err, os.ErrNotExist) {
		s.byHash, s.tokens, s.modTime, s.size, s.loadErr = map[string]Token{}, nil, time.Time{}, 0, nil
		return nil
	}
	if err != nil {
		s.loadErr = fmt.Errorf("auth: token file: %w", err)
		return s.loadErr
	}
	if !force && fi.ModTime().Equal(s.modTime) && fi.Size() == s.size {
		return s.loadErr
	}
	if fi.Mode().Perm()&0o077 != 0 {
		s.loadErr = fmt.Errorf("%w: %s is mode %04o: group and others must have no access (chmod 600)", ErrTokenFile, s.path, fi.Mode().Perm())
		return s.loadErr
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		s.loadErr = fmt.Errorf("auth: token file: %w", err)
		return s.loadErr
	}
	toks, err := ParseTokenFile(data)
	if err != nil {
		s.loadErr = fmt.Errorf("%s: %w", s.path, err)
		return s.loadErr
	}
	s.tokens, s.byHash = toks, make(map[string]Token, len(toks))
	for _, t := range toks {
		s.byHash[t.Hash] = t
	}
	s.modTime, s.size, s.loadErr = fi.ModTime(), fi.Size(), nil
	return nil
}

// Lookup returns the principal a bearer secret stands for. The secret is
// hashed before the lookup, so the comparison never touches a stored secret
// and its timing reveals nothing about one. A token file that turned bad
// since the last good read keeps refusing every token until fixed.
func (s *TokenStore) Lookup(secret string) (Principal, Token, error) {
	h := HashSecret(secret)
	s.mu.Lock()
	err := s.reload(false)
	t, ok := s.byHash[h]
	now := s.now()
	s.mu.Unlock()
	switch {
	case err != nil:
		return Principal{}, Token{}, err
	case !ok:
		return Principal{}, Token{}, ErrUnknownToken
	case !t.Revoked.IsZero():
		return Principal{}, t, fmt.Errorf("%w: %s at %s", ErrTokenRevoked, t.ID, t.Revoked.Format(time.RFC3339))
	case !t.Active(now):
		return Principal{}, t, fmt.Errorf("%w: %s at %s", ErrTokenExpired, t.ID, t.Expiry.Format(time.RFC3339))
	}
	return Principal{Subject: t.Subject, Kind: "operator", Scopes: slices.Clone(t.Scopes), Via: "token"}, t, nil
}

// List returns every entry, revoked and expired ones included, oldest first.
func (s *TokenStore) List() ([]Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reload(true); err != nil {
		return nil, err
	}
	return slices.Clone(s.tokens), nil
}

// Create adds a token for subject with scopes, valid for ttl (0: no expiry),
// writes the file and returns the entry and its secret. The secret is shown
// once: only its hash is kept.
func (s *TokenStore) Create(subject string, scopes []Scope, ttl time.Duration) (Token, string, error) {
	if subject == "" {
		return Token{}, "", errors.New("auth: token subject is empty")
	}
	if len(scopes) == 0 {
		return Token{}, "", errors.New("auth: a token needs at least one scope")
	}
	for _, sc := range scopes {
		if !slices.Contains(Scopes(), sc) {
			return Token{}, "", fmt.Errorf("auth: scope %q is not one of %v", sc, Scopes())
		}
	}
	if ttl < 0 {
		return Token{}, "", fmt.Errorf("auth: ttl %s is negative", ttl)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reload(true); err != nil {
		return Token{}, "", err
	}
	secret := NewSecret()
	now := s.now().UTC().Truncate(time.Second)
	t := Token{ID: newTokenID(), Subject: subject, Scopes: slices.Clone(scopes), Hash: HashSecret(secret), Created: now}
	if ttl > 0 {
		t.Expiry = now.Add(ttl)
	}
	if err := s.write(append(slices.Clone(s.tokens), t)); err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

// Revoke marks the token id revoked. Revoking a revoked token is not an
// error; an unknown id is.
func (s *TokenStore) Revoke(id string) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reload(true); err != nil {
		return Token{}, err
	}
	toks := slices.Clone(s.tokens)
	i := slices.IndexFunc(toks, func(t Token) bool { return t.ID == id })
	if i < 0 {
		return Token{}, fmt.Errorf("%w: no token with id %q", ErrUnknownToken, id)
	}
	if toks[i].Revoked.IsZero() {
		toks[i].Revoked = s.now().UTC().Truncate(time.Second)
		if err := s.write(toks); err != nil {
			return Token{}, err
		}
	}
	return toks[i], nil
}

// write replaces the file atomically with mode 0600 and reloads it.
func (s *TokenStore) write(toks []Token) error {
	data, err := json.MarshalIndent(tokenFile{Version: 1, Tokens: toks}, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(s.path, append(data, '\n')); err != nil {
		return fmt.Errorf("auth: token file: %w", err)
	}
	return s.reload(true)
}

// writeFileAtomic writes data to path with mode 0600 through a temporary
// file in the same directory and a rename.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// WriteSecretFile writes a bearer secret to path with mode 0600 (the admin
// token file the command line reads).
func WriteSecretFile(path, secret string) error {
	return writeFileAtomic(path, []byte(secret+"\n"))
}

// ReadSecretFile reads a bearer secret written by WriteSecretFile, refusing
// a file others can read.
func ReadSecretFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("auth: token: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("auth: token file %s is mode %04o: group and others must have no access (chmod 600)", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("auth: token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
