package netconf

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters"
)

const replyTwoErrors = `<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="101">
  <rpc-error>
    <error-type>application</error-type>
    <error-tag>invalid-value</error-tag>
    <error-severity>error</error-severity>
    <error-path xmlns:oc-if="http://openconfig.net/yang/interfaces">/oc-if:interfaces/oc-if:interface[oc-if:name='eth1']/oc-if:config/oc-if:mtu</error-path>
    <error-message xml:lang="en">mtu 20 is below the minimum 68</error-message>
    <error-info><bad-element>mtu</bad-element></error-info>
  </rpc-error>
  <rpc-error>
    <error-type>protocol</error-type>
    <error-tag>lock-denied</error-tag>
    <error-severity>warning</error-severity>
    <error-info><session-id>7</session-id></error-info>
  </rpc-error>
</rpc-reply>`

func TestParseRPCErrors(t *testing.T) {
	got, err := ParseRPCErrors([]byte(replyTwoErrors))
	if err != nil {
		t.Fatal(err)
	}
	want := []RPCError{
		{Type: "application", Tag: "invalid-value", Severity: "error",
			Path:    "/oc-if:interfaces/oc-if:interface[oc-if:name='eth1']/oc-if:config/oc-if:mtu",
			Message: "mtu 20 is below the minimum 68", Info: "mtu"},
		{Type: "protocol", Tag: "lock-denied", Severity: "warning", Info: "7"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	ok, err := ParseRPCErrors([]byte(`<rpc-reply message-id="1"><ok/></rpc-reply>`))
	if err != nil || len(ok) != 0 {
		t.Errorf("ok reply: %v %v", ok, err)
	}
}

func TestDeviceErrorKinds(t *testing.T) {
	tg := adapters.Target{Device: "leaf1"}
	tests := []struct {
		tag  string
		kind error
	}{
		{"lock-denied", adapters.ErrLocked},
		{"in-use", adapters.ErrLocked},
		{"access-denied", adapters.ErrAuth},
		{"operation-not-supported", adapters.ErrUnsupported},
		{"invalid-value", adapters.ErrRejected},
		{"data-missing", adapters.ErrRejected},
	}
	for _, tc := range tests {
		err := deviceError(tg, adapters.PhaseStage, true, []RPCError{{Tag: tc.tag, Severity: "error", Message: "m"}}, "")
		if !errors.Is(err, tc.kind) || err.Tag != tc.tag || err.Device != "leaf1" || err.Protocol != adapters.NETCONF {
			t.Errorf("%s: %v (kind %v), want %v", tc.tag, err, err.Kind, tc.kind)
		}
	}
}

func TestParseCaps(t *testing.T) {
	tests := []struct {
		name  string
		caps  []string
		force string
		want  caps
		err   bool
	}{
		{"openconfig with candidate and confirmed", []string{
			"urn:ietf:params:netconf:base:1.1", "urn:ietf:params:netconf:capability:candidate:1.0",
			"urn:ietf:params:netconf:capability:confirmed-commit:1.1", "urn:ietf:params:netconf:capability:validate:1.1",
			"http://openconfig.net/yang/interfaces?module=openconfig-interfaces&revision=2021-04-06"},
			"", caps{candidate: true, confirmed: true, validate: true, encoding: EncodingOpenConfig}, false},
		{"ietf running only", []string{"urn:ietf:params:netconf:capability:writable-running:1.0",
			"urn:ietf:params:xml:ns:yang:ietf-interfaces?module=ietf-interfaces&revision=2018-02-20"},
			"", caps{running: true, encoding: EncodingIETF}, false},
		{"neither model", []string{"urn:ietf:params:netconf:base:1.0"}, "", caps{}, true},
		{"forced", []string{"urn:ietf:params:netconf:base:1.0"}, EncodingIETF, caps{encoding: EncodingIETF}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCaps(tc.caps, tc.force)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			if err == nil && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func FuzzParseRPCErrors(f *testing.F) {
	f.Add([]byte(replyTwoErrors))
	f.Add([]byte(`<rpc-reply><ok/></rpc-reply>`))
	f.Add([]byte(`<rpc-error><error-tag>x</error-tag>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		errs, err := ParseRPCErrors(data)
		if err != nil {
			return
		}
		// Every parsed error renders into a DeviceError without panicking.
		_ = deviceError(adapters.Target{Device: "f"}, adapters.PhaseStage, true, errs, string(data)).Error()
	})
}
