package adapters

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestCredentialsNeverPrint: every way a credential could reach a log or an
// error string shows REDACTED or only whether a password is set.
func TestCredentialsNeverPrint(t *testing.T) {
	const pw = "s3cret-from-ansible"
	inv := &Inventory{Credentials: map[string]CredentialSource{"lab": {Username: "admin", password: Secret(pw)}}}
	creds := Credentials{Username: "admin", Password: Secret(pw)}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("x", "inv", inv, "creds", creds, "src", inv.Credentials["lab"], "secret", Secret(pw))
	log.Info("y", slog.Any("target", Target{Device: "r1", Credentials: creds}))
	for name, s := range map[string]string{
		"slog":          buf.String(),
		"fmt %+v":       fmt.Sprintf("%+v %+v %+v", inv, creds, Target{Credentials: creds}),
		"fmt %#v":       fmt.Sprintf("%#v", creds),
		"fmt %v source": fmt.Sprintf("%v", inv.Credentials),
	} {
		if strings.Contains(s, pw) {
			t.Errorf("%s shows the password: %s", name, s)
		}
	}
}
