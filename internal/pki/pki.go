package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/netagent/netagent/internal/auth"
)

// CA is a loaded certificate authority.
type CA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
	dir  string
}

// ErrExists reports an Init over an existing CA.
var ErrExists = errors.New("pki: a CA already exists")

// CertPath and KeyPath are where Init and Issue write in dir.
func CertPath(dir, name string) string { return filepath.Join(dir, name+".crt") }

// KeyPath is the private key beside CertPath.
func KeyPath(dir, name string) string { return filepath.Join(dir, name+".key") }

// Init creates a CA named "netagent <org> CA" in dir (ca.crt, ca.key),
// valid for ten years. An existing CA is left alone and ErrExists returned.
func Init(dir, org string) (*CA, error) {
	if _, err := os.Stat(CertPath(dir, "ca")); err == nil {
		return nil, fmt.Errorf("%w in %s", ErrExists, dir)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now().Add(-time.Minute)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "netagent " + org + " CA", Organization: []string{org}},
		NotBefore:             now,
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("pki: ca certificate: %w", err)
	}
	if err := writePair(dir, "ca", der, key); err != nil {
		return nil, err
	}
	return Load(dir)
}

// Load reads the CA in dir.
func Load(dir string) (*CA, error) {
	cert, key, err := readPair(dir, "ca")
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("pki: %s is not a CA certificate", CertPath(dir, "ca"))
	}
	return &CA{Cert: cert, key: key, dir: dir}, nil
}

// Pool is a certificate pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// IssueOptions shape an agent certificate; zero values give a one-year
// certificate from now for localhost.
type IssueOptions struct {
	NotBefore time.Time
	Validity  time.Duration
	// Hosts are extra DNS names or IP addresses the agent serves on;
	// localhost, 127.0.0.1 and ::1 are always included.
	Hosts []string
}

var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$`)

// Issue creates the certificate of agent name (URI SAN
// netagent://agent/NAME, server and client use) and writes NAME.crt and
// NAME.key in the CA's directory. It returns the TLS certificate.
func (ca *CA) Issue(name string, o IssueOptions) (tls.Certificate, error) {
	if !validName.MatchString(name) || name == "ca" {
		return tls.Certificate{}, fmt.Errorf("pki: agent name %q: want letters, digits, '.', '_' or '-', not \"ca\"", name)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Minute)
	}
	if o.Validity <= 0 {
		o.Validity = 365 * 24 * time.Hour
	}
	u, err := url.Parse(auth.AgentURI(name))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name, Organization: ca.Cert.Subject.Organization},
		NotBefore:    o.NotBefore,
		NotAfter:     o.NotBefore.Add(o.Validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		URIs:         []*url.URL{u},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range o.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: certificate for %s: %w", name, err)
	}
	if err := writePair(ca.dir, name, der, key); err != nil {
		return tls.Certificate{}, err
	}
	return LoadCert(ca.dir, name)
}

// LoadCert reads NAME.crt and NAME.key from dir as a TLS certificate.
func LoadCert(dir, name string) (tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(CertPath(dir, name), KeyPath(dir, name))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: %s: %w", name, err)
	}
	return c, nil
}

// LoadPool reads a PEM bundle of CA certificates.
func LoadPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pki: ca bundle: %w", err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("pki: %s holds no PEM certificate", path)
	}
	return p, nil
}

// ServerConfig is the TLS configuration of a peer listener: TLS 1.3
// minimum, a client certificate required and verified against clientCAs.
func ServerConfig(cert tls.Certificate, clientCAs *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
	}
}

// ErrWrongPeer reports a server certificate naming another agent.
var ErrWrongPeer = errors.New("pki: the peer is not the agent asked for")

// ClientConfig is the TLS configuration for calling agent peer: TLS 1.3
// minimum, this agent's certificate, the server verified against roots and
// refused unless its certificate names peer.
func ClientConfig(cert tls.Certificate, roots *x509.CertPool, peer string) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		RootCAs:      roots,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return ErrWrongPeer
			}
			if id := auth.IdentityOf(cs.PeerCertificates[0]); id.Kind != "agent" || id.Name != peer {
				return fmt.Errorf("%w: want agent %s, the certificate names %s", ErrWrongPeer, peer, id)
			}
			return nil
		},
	}
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

func writePair(dir, name string, der []byte, key *ecdsa.PrivateKey) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(KeyPath(dir, name), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if err := os.WriteFile(CertPath(dir, name), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}

func readPair(dir, name string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cb, err := os.ReadFile(CertPath(dir, name))
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w (run `netagent pki init`)", err)
	}
	blk, _ := pem.Decode(cb)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("pki: %s is not a PEM certificate", CertPath(dir, name))
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %s: %w", CertPath(dir, name), err)
	}
	kb, err := os.ReadFile(KeyPath(dir, name))
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	kblk, _ := pem.Decode(kb)
	if kblk == nil {
		return nil, nil, fmt.Errorf("pki: %s is not a PEM key", KeyPath(dir, name))
	}
	k, err := x509.ParsePKCS8PrivateKey(kblk.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %s: %w", KeyPath(dir, name), err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("pki: %s is not an ECDSA key", KeyPath(dir, name))
	}
	return cert, ek, nil
}
