package lab

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// GNMICAPath is the certificate gNMI clients trust when the lab serves gNMI
// over TLS (it is self-signed: the certificate is its own CA).
func (l *Lab) GNMICAPath() string { return filepath.Join(l.dir, "gnmi-ca.pem") }

// tlsConfig loads or creates the lab's gNMI certificate (one for every
// device: they all listen on the same host).
func (l *Lab) tlsConfig() (*tls.Config, error) {
	l.tlsOnce.Do(func() { l.tlsCfg, l.tlsErr = l.loadOrCreateCert() })
	return l.tlsCfg, l.tlsErr
}

func (l *Lab) loadOrCreateCert() (*tls.Config, error) {
	certPath, keyPath := l.GNMICAPath(), filepath.Join(l.dir, "keys", "gnmi.key")
	if c, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil {
		return &tls.Config{Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS12}, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("lab %s: gnmi certificate: %w", l.topo.Name, err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "netagent lab " + l.topo.Name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP(l.opts.Host), net.IPv6loopback, net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("lab %s: gnmi certificate: %w", l.topo.Name, err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("lab %s: gnmi certificate: %w", l.topo.Name, err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	if err := writeFile(keyPath, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeFile(certPath, certPEM, 0o644); err != nil {
		return nil, err
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("lab %s: gnmi certificate: %w", l.topo.Name, err)
	}
	_ = os.Chmod(keyPath, 0o600)
	return &tls.Config{Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS12}, nil
}
