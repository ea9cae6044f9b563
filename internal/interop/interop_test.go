//go:build interop

package interop_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/netagent/netagent/internal/interop"
	"github.com/netagent/netagent/yang"
)

// ncclientPush sends an edit-config to the candidate, commits, and prints
// the running configuration, with ncclient: a client netagent did not write.
const ncclientPush = `
import sys
from ncclient import manager
host, port, user, pw, cfg = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
m = manager.connect(host=host, port=port, username=user, password=pw, hostkey_verify=False,
                    look_for_keys=False, allow_agent=False, timeout=30)
with m.locked("candidate"):
    if cfg:
        m.edit_config(target="candidate", config=cfg)
        m.commit()
print(m.get_config(source="running").data_xml)
m.close_session()
`

// TestYangIETFAgainstNetconfd pushes yang's IETF encoding of every
// mappable interface and address change to yuma123's netconfd and reads the
// result back through yang's IETF decoder.
func TestYangIETFAgainstNetconfd(t *testing.T) {
	srv := interop.Netconfd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	steps := []struct {
		name string
		set  func(*yang.Tree)
	}{
		{"create", func(tr *yang.Tree) {
			must(t, tr.SetPath("/interfaces/interface[name=eth1]/config/description", "uplink <to> spine1"))
			must(t, tr.SetPath("/interfaces/interface[name=eth1]/config/mtu", uint64(1400)))
			must(t, tr.SetPath("/interfaces/interface[name=eth1]/config/enabled", true))
			must(t, tr.SetPath("/interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.1]/config/prefix-length", uint64(24)))
		}},
		{"update", func(tr *yang.Tree) {
			must(t, tr.SetPath("/interfaces/interface[name=eth1]/config/mtu", uint64(9000)))
			must(t, tr.SetPath("/interfaces/interface[name=eth1]/config/enabled", false))
		}},
		{"move address", func(tr *yang.Tree) {
			tr.Delete(yang.AddressPath("eth1", 0, "10.0.0.1"))
			must(t, tr.SetPath("/interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.1.1]/config/prefix-length", uint64(31)))
		}},
		{"delete", func(tr *yang.Tree) {
			tr.Delete(yang.InterfacePath("eth1"))
		}},
	}
	current := yang.NewTree()
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			want := current.Clone()
			st.set(want)
			x, err := yang.EncodeEditConfigIETF(current, yang.Diff(current, want))
			if err != nil {
				t.Fatal(err)
			}
			out := interop.Python(ctx, t, ncclientPush, srv.Host, itoa(srv.Port), srv.User, srv.Password, string(x))
			got, err := yang.DecodeConfigXMLIETF([]byte(out))
			if err != nil {
				t.Fatalf("decode running: %v\n%s", err, out)
			}
			// The server fills in the type IETF requires.
			for _, ifp := range want.EntriesOf(yang.Path{{Name: "interfaces"}, {Name: "interface"}}) {
				if _, ok := want.Get(ifp.Leaf("config", "type")); !ok {
					must(t, want.Set(ifp.Leaf("config", "type"), "ethernetCsmacd"))
				}
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Fatalf("running after %s (-want +got):\n%s\nsent:\n%s", st.name, diff, x)
			}
			current = got
		})
	}
}

// TestFRRServesVtysh proves the FRR harness: a route set through vtysh shows.
func TestFRRServesVtysh(t *testing.T) {
	interop.FRR(t)
	interop.Vtysh(t, "configure terminal", "ip route 10.77.0.0/16 blackhole")
	if out := interop.Vtysh(t, "show running-config"); !strings.Contains(out, "ip route 10.77.0.0/16 blackhole") {
		t.Fatalf("route missing from running config:\n%s", out)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// netmikoConfig logs in with netmiko, sends config lines, and prints a show.
const netmikoConfig = `
import sys
from netmiko import ConnectHandler
c = ConnectHandler(device_type="cisco_ios", host=sys.argv[1], port=int(sys.argv[2]),
                   username=sys.argv[3], password=sys.argv[4])
c.send_config_set(sys.argv[6:])
print(c.send_command(sys.argv[5]))
c.disconnect()
`

// TestFRRThroughSSH proves the vtysh-over-OpenSSH door with netmiko.
func TestFRRThroughSSH(t *testing.T) {
	srv := interop.FRR(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := interop.Python(ctx, t, netmikoConfig, srv.Host, itoa(srv.Port), srv.User, srv.Password,
		"show ip route static", "ip route 10.66.0.0/16 blackhole")
	if !strings.Contains(out, "10.66.0.0/16") {
		t.Fatalf("route not shown:\n%s", out)
	}
}

// TestGNMITargetAnswers proves the gnxi harness with the gNMI client.
func TestGNMITargetAnswers(t *testing.T) {
	srv := interop.GNMITarget(t, `{"openconfig-interfaces:interfaces":{"interface":[{"name":"eth1","config":{"name":"eth1","mtu":1500}}]}}`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx = metadata.AppendToOutgoingContext(ctx, "username", srv.User, "password", srv.Password)
	resp, err := gpb.NewGNMIClient(conn).Get(ctx, &gpb.GetRequest{
		Path:     []*gpb.Path{yang.InterfacePath("eth1").Leaf("config", "mtu").GNMI()},
		Encoding: gpb.Encoding_JSON_IETF,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.String(); !strings.Contains(got, "1500") {
		t.Fatalf("Get = %s", got)
	}
}
