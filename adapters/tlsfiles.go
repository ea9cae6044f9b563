package adapters

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// TLSFiles names PEM files for gNMI over TLS: CA verifies the device's
// certificate (empty: the system roots), Cert and Key are the client's own
// for mutual TLS (both or neither), ServerName overrides the name checked in
// the device's certificate (empty: its address).
type TLSFiles struct {
	CA, Cert, Key, ServerName string
}

// Config loads the files into a client tls.Config (TLS 1.2 or later).
// Errors name the file to fix.
func (f TLSFiles) Config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: f.ServerName}
	if f.CA != "" {
		pem, err := os.ReadFile(f.CA)
		if err != nil {
			return nil, fmt.Errorf("TLS CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA file %s: no PEM certificate in it", f.CA)
		}
		cfg.RootCAs = pool
	}
	if (f.Cert == "") != (f.Key == "") {
		return nil, fmt.Errorf("TLS client certificate: set both the certificate (%q) and the key (%q) for mutual TLS, or neither", f.Cert, f.Key)
	}
	if f.Cert != "" {
		c, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate %s / %s: %w", f.Cert, f.Key, err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg, nil
}

// ForAll returns a TLSConfigFunc that gives every device this configuration.
func (f TLSFiles) ForAll() TLSConfigFunc {
	return func(DeviceSpec) (*tls.Config, error) { return f.Config() }
}
