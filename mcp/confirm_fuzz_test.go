package mcp

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/intent"
)

func fuzzIntent(t testing.TB) *intent.Intent {
	in, err := intent.Decode([]byte(`{"kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","mtu":9000}}`))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// FuzzConfirmationToken feeds arbitrary tokens to the checker: it never
// panics, and only a token it issued (for this intent and caller, before
// expiry) opens.
func FuzzConfirmationToken(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	tk, err := newTokens([]byte("0123456789abcdef0123456789abcdef"), time.Minute, func() time.Time { return now })
	if err != nil {
		f.Fatal(err)
	}
	in := fuzzIntent(f)
	good, _ := tk.issue(in, &intent.Plan{}, "alice")
	f.Add(good)
	f.Add("")
	f.Add(".")
	f.Add("eyJpIjoiIn0.AAAA")
	f.Add(good[:len(good)-3] + "xyz")
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := tk.open(tok, in, "alice")
		if err == nil && tok != good {
			t.Fatalf("token %q opened (plan %s) but was not issued", tok, p)
		}
		if err != nil && !isTokenErr(err) {
			t.Fatalf("token %q: untyped error %v", tok, err)
		}
	})
}

func TestTokenRefusals(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	tk, _ := newTokens(nil, time.Minute, clock)
	in := fuzzIntent(t)
	tok, exp := tk.issue(in, &intent.Plan{}, "alice")
	if !exp.Equal(now.Add(time.Minute)) {
		t.Errorf("expiry %v", exp)
	}
	other := fuzzIntent(t)
	other.Targets.Devices = []string{"r2"}
	withID := fuzzIntent(t)
	withID.ID = "assigned-later"
	otherKey, _ := newTokens(nil, time.Minute, clock)
	for _, tc := range []struct {
		name string
		tk   *tokens
		in   *intent.Intent
		who  string
		want error
	}{
		{"issued", tk, in, "alice", nil},
		{"id assigned since", tk, withID, "alice", nil},
		{"another intent", tk, other, "alice", ErrTokenOther},
		{"another caller", tk, in, "mallory", ErrTokenOther},
		{"another key (a restarted agent without a key file)", otherKey, in, "alice", ErrTokenMalformed},
	} {
		if _, err := tc.tk.open(tok, tc.in, tc.who); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	now = now.Add(time.Minute)
	if _, err := tk.open(tok, in, "alice"); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("at expiry: %v", err)
	}
}

func TestValidateNamesArguments(t *testing.T) {
	s, err := New(Config{Intents: (*intent.Service)(nil), Devices: &PoolDevices{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tool, args, want string
	}{
		{"get_config", `{}`, "/device: is required"},
		{"get_config", `{"device": 7}`, "/device: got number, want string"},
		{"set_interface", `{"devices": ["r1"], "name": "e1-1", "speed": 1}`, "/speed: is not an argument of this tool"},
		{"add_static_route", `{"devices": ["r1"], "prefix": "10.0.0.0/8", "next_hops": []}`, "/next_hops: minItems"},
		{"withdraw_intent", `{"id": ""}`, "/id: minLength"},
	} {
		err := validate(s.tools[tc.tool].schema, json.RawMessage(tc.args))
		if err == nil {
			t.Errorf("%s %s: accepted", tc.tool, tc.args)
			continue
		}
		got := errorResult(s.tools[tc.tool], err).Content[0]
		b, _ := json.Marshal(got)
		if !strings.Contains(string(b), tc.want) {
			t.Errorf("%s %s: %s, want %q", tc.tool, tc.args, b, tc.want)
		}
	}
}
