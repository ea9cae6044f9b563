package pki_test

import (
	"crypto/x509"
	"errors"
	"os"
	"testing"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/pki"
)

func TestInitIssue(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.Init(dir, "lab")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pki.Init(dir, "lab"); !errors.Is(err, pki.ErrExists) {
		t.Errorf("second Init = %v, want ErrExists (never overwrite a CA)", err)
	}
	for _, name := range []string{"ca", "a1"} {
		if name == "a1" {
			if _, err := ca.Issue("a1", pki.IssueOptions{Hosts: []string{"agent1.lab", "10.0.0.1"}}); err != nil {
				t.Fatal(err)
			}
		}
		fi, err := os.Stat(pki.KeyPath(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s key mode %v, %v; want 0600", name, fi.Mode(), err)
		}
	}
	c, err := pki.LoadCert(dir, "a1")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if id := auth.IdentityOf(leaf); id.Kind != "agent" || id.Name != "a1" {
		t.Errorf("identity %v, want agent:a1", id)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "agent1.lab", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("agent certificate does not verify against the CA: %v", err)
	}
	for _, bad := range []string{"", "ca", "../x", "a b", "a/b"} {
		if _, err := ca.Issue(bad, pki.IssueOptions{}); err == nil {
			t.Errorf("Issue(%q) succeeded", bad)
		}
	}
	if back, err := pki.Load(dir); err != nil || !back.Cert.Equal(ca.Cert) {
		t.Errorf("Load = %v", err)
	}
}
