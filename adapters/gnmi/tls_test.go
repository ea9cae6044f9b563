package gnmi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/lab/datastore"
	"github.com/netagent/netagent/lab/gnmisrv"
	"github.com/netagent/netagent/yang"
)

// pki is a CA with a server and a client certificate, written as PEM files.
type pki struct {
	dir                            string
	ca, serverCert, serverKey      string
	clientCert, clientKey, otherCA string
	serverTLS                      tls.Certificate
	caPool                         *x509.CertPool
}

func issue(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, tmpl *x509.Certificate) (*x509.Certificate, *ecdsa.PrivateKey, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, _ := x509.MarshalECPrivateKey(key)
	cp, kp := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(cp, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kp, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key, cp, kp
}

func newPKI(t *testing.T) pki {
	dir := t.TempDir()
	caT := &x509.Certificate{Subject: pkix.Name{CommonName: "netagent test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	ca, caKey, caPath, _ := issue(t, dir, "ca", nil, nil, caT)
	_, _, otherCA, _ := issue(t, dir, "other-ca", nil, nil, &x509.Certificate{Subject: pkix.Name{CommonName: "other"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
	_, _, sc, sk := issue(t, dir, "server", ca, caKey, &x509.Certificate{Subject: pkix.Name{CommonName: "device"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature})
	_, _, cc, ck := issue(t, dir, "client", ca, caKey, &x509.Certificate{Subject: pkix.Name{CommonName: "netagent"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature})
	st, err := tls.LoadX509KeyPair(sc, sk)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pki{dir: dir, ca: caPath, serverCert: sc, serverKey: sk, clientCert: cc, clientKey: ck, otherCA: otherCA, serverTLS: st, caPool: pool}
}

// TestMutualTLS: a gNMI target that requires a client certificate signed by
// its CA; the adapter connects with one, and is refused without it or when
// it does not trust the target's certificate.
func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	store := datastore.New("tls", yang.NewTree())
	defer store.Close()
	srv, err := gnmisrv.New(gnmisrv.Config{Device: "tls", Store: store, Username: "admin", Password: "pw",
		TLS: &tls.Config{Certificates: []tls.Certificate{p.serverTLS}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.caPool, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		_ = srv.Close()
		<-done
	}()
	target := func(files adapters.TLSFiles) adapters.Target {
		cfg, err := files.Config()
		if err != nil {
			t.Fatal(err)
		}
		return adapters.Target{Device: "tls", Address: "127.0.0.1",
			Protocol:    adapters.ProtocolSpec{Name: adapters.GNMI, Port: ln.Addr().(*net.TCPAddr).Port, TLS: true},
			Credentials: adapters.Credentials{Username: "admin", Password: "pw"}, TLS: cfg,
			Timeouts: adapters.Timeouts{Connect: 2 * time.Second, Auth: 2 * time.Second}}
	}
	a, err := gnmi.Open(t.Context(), target(adapters.TLSFiles{CA: p.ca, Cert: p.clientCert, Key: p.clientKey}))
	if err != nil {
		t.Fatalf("mutual TLS: %v", err)
	}
	mtu := yang.InterfacePath("eth1").Leaf("config", "mtu")
	if err := a.Configure(t.Context(), []yang.Change{{Op: yang.OpCreate, Path: yang.InterfacePath("eth1")},
		{Op: yang.OpCreate, Path: yang.InterfacePath("eth1").Leaf("config", "name"), New: "eth1"},
		{Op: yang.OpCreate, Path: mtu, New: uint64(1500)}}); err != nil {
		t.Fatalf("Set over mutual TLS: %v", err)
	}
	_ = a.Close()
	for name, files := range map[string]adapters.TLSFiles{
		"no client certificate":          {CA: p.ca},
		"target certificate not trusted": {CA: p.otherCA, Cert: p.clientCert, Key: p.clientKey},
	} {
		_, err := gnmi.Open(t.Context(), target(files))
		var de *adapters.DeviceError
		if !errors.As(err, &de) || de.Device != "tls" || de.Phase != adapters.PhaseConnect {
			t.Errorf("%s: err = %v, want a connect-phase device error", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
	if _, err := (adapters.TLSFiles{Cert: p.clientCert}).Config(); err == nil {
		t.Error("a certificate without its key was accepted")
	}
}
