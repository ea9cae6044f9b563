package clisrv

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/netagent/netagent/lab/datastore"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/sshsrv"
	"github.com/netagent/netagent/yang"
)

func newSession(t testing.TB, platform string) (*Session, *datastore.Store) {
	t.Helper()
	tr := yang.NewTree()
	if err := tr.Set(yang.AddressPath("eth1", 0, "10.0.0.0").Leaf("config", "prefix-length"), uint64(31)); err != nil {
		t.Fatal(err)
	}
	_ = tr.Set(yang.InterfacePath("eth1").Leaf("config", "name"), "eth1")
	_ = tr.Set(yang.InterfacePath("eth1").Leaf("config", "enabled"), true)
	st := datastore.New("r1", tr)
	return NewSession(context.Background(), &Env{Hostname: "r1", Platform: platform, Store: st}), st
}

func TestSessionTranscript(t *testing.T) {
	t.Parallel()
	type step struct{ in, out, prompt string }
	tests := []struct {
		name     string
		platform string
		steps    []step
		leaf     string
		want     any
	}{
		{"frr interface", FRR, []step{
			{"conf t", "", "r1(config)#"},
			{"int eth1", "", "r1(config-if)#"},
			{"description  uplink to spine ", "", "r1(config-if)#"},
			{"mtu 9000", "", "r1(config-if)#"},
			{"end", "", "r1#"},
		}, "/interfaces/interface[name=eth1]/config/description", "uplink to spine"},
		{"frr errors keep the session", FRR, []step{
			{"shwo run", "% Unknown command: shwo run\n", "r1#"},
			{"configure terminal", "", "r1(config)#"},
			{"ip route", "% Command incomplete: ip route\n", "r1(config)#"},
			{"ip route 10.1.0.0/16", "% Command incomplete: ip route 10.1.0.0/16\n", "r1(config)#"},
			{"ip route 10.1.0.1/16 10.0.0.1", "% Invalid configuration: 10.1.0.1/16 has host bits set; did you mean 10.1.0.0/16?\n", "r1(config)#"},
			{"ip route 10.1.0.0/16 10.0.0.1", "", "r1(config)#"},
			{"exit", "", "r1#"},
		}, "/network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=10.1.0.0/16]/next-hops/next-hop[index=0]/config/next-hop", "10.0.0.1"},
		{"frr bgp", FRR, []step{
			{"configure terminal", "", "r1(config)#"},
			{"router bgp 65001", "", "r1(config-router)#"},
			{"neighbor 10.0.0.1 description x", "% Invalid configuration: neighbor 10.0.0.1: specify remote-as first\n", "r1(config-router)#"},
			{"neighbor 10.0.0.1 remote-as 65002", "", "r1(config-router)#"},
			{"exit", "", "r1(config)#"},
			{"router bgp 65009", "% BGP is already running; AS is 65001\n", "r1(config)#"},
		}, "/network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=10.0.0.1]/config/peer-as", uint64(65002)},
		{"eos shutdown", EOS, []step{
			{"configure", "", "r1(config)#"},
			{"interface eth1", "", "r1(config-if-eth1)#"},
			{"shutdown", "", "r1(config-if-eth1)#"},
			{"frob", "% Invalid input\n", "r1(config-if-eth1)#"},
			{"end", "", "r1#"},
		}, "/interfaces/interface[name=eth1]/config/enabled", false},
		{"frr no ip address drops the empty subinterface", FRR, []step{
			{"configure terminal", "", "r1(config)#"},
			{"interface eth1", "", "r1(config-if)#"},
			{"no ip address", "", "r1(config-if)#"},
		}, "/interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/index", nil},
		{"eos removing the last address drops the empty subinterface", EOS, []step{
			{"configure", "", "r1(config)#"},
			{"interface eth1", "", "r1(config-if-eth1)#"},
			{"no ip address 10.0.0.0/31", "", "r1(config-if-eth1)#"},
		}, "/interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/config/index", nil},
		{"eos no router-id", EOS, []step{
			{"configure", "", "r1(config)#"},
			{"router bgp 65001", "", "r1(config-router-bgp)#"},
			{"router-id 10.9.9.9", "", "r1(config-router-bgp)#"},
			{"no router-id", "", "r1(config-router-bgp)#"},
		}, "/network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=BGP][name=BGP]/bgp/global/config/router-id", nil},
		{"frr no bgp router-id", FRR, []step{
			{"configure terminal", "", "r1(config)#"},
			{"router bgp 65001", "", "r1(config-router)#"},
			{"bgp router-id 10.9.9.9", "", "r1(config-router)#"},
			{"no bgp router-id", "", "r1(config-router)#"},
		}, "/network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=BGP][name=BGP]/bgp/global/config/router-id", nil},
		{"eos invalid address", EOS, []step{
			{"configure terminal", "", "r1(config)#"},
			{"interface lo0", "", "r1(config-if-lo0)#"},
			{"ip address 10.0.0.0/31", "% Error: /interfaces/interface[name=lo0]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.0]: address 10.0.0.0 is already configured on eth1\n", "r1(config-if-lo0)#"},
		}, "/interfaces/interface[name=lo0]/config/type", "softwareLoopback"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, st := newSession(t, tc.platform)
			for _, sp := range tc.steps {
				out, quit := s.Exec(sp.in)
				if quit {
					t.Fatalf("%q ended the session", sp.in)
				}
				if d := cmp.Diff(sp.out, out); d != "" {
					t.Errorf("%q output (-want +got):\n%s", sp.in, d)
				}
				if got := s.Prompt(); got != sp.prompt {
					t.Errorf("after %q prompt %q, want %q", sp.in, got, sp.prompt)
				}
			}
			got, _ := st.Running().GetPath(tc.leaf)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", tc.leaf, d)
			}
		})
	}
}

func TestRouteIndexes(t *testing.T) {
	t.Parallel()
	s, st := newSession(t, FRR)
	for _, l := range []string{"configure terminal", "ip route 192.0.2.0/24 10.0.0.1", "ip route 192.0.2.0/24 blackhole", "ip route 192.0.2.0/24 10.0.0.1", "no ip route 192.0.2.0/24 10.0.0.1"} {
		if out, _ := s.Exec(l); out != "" {
			t.Fatalf("%q: %s", l, out)
		}
	}
	r := st.Running()
	if v, _ := r.GetPath("/network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=192.0.2.0/24]/next-hops/next-hop[index=0]/config/next-hop"); v != "DROP" {
		t.Errorf("hop 0 after removing the first: %v\n%s", v, r)
	}
	s.Exec("end")
	run, _ := s.Exec("show running-config")
	if !strings.Contains(run, "ip route 192.0.2.0/24 blackhole\n") || strings.Contains(run, "10.0.0.1\n") {
		t.Errorf("show running-config:\n%s", run)
	}
}

func TestQuit(t *testing.T) {
	t.Parallel()
	s, _ := newSession(t, FRR)
	if _, quit := s.Exec("exit"); !quit {
		t.Error("exit did not end the session")
	}
}

// FuzzSession feeds arbitrary lines: the interpreter never panics, an
// unrecognised line answers with "%", and running stays valid.
func FuzzSession(f *testing.F) {
	for _, seed := range []string{
		"configure terminal\ninterface eth2\nip address 192.0.2.1/24\nmtu 1400\nexit",
		"conf t\nrouter bgp 1\nneighbor 10.0.0.1 remote-as 2\nneighbor 10.0.0.1 shutdown",
		"conf t\nip route 0.0.0.0/0 10.0.0.1\nno ip route 0.0.0.0/0",
		"show running-config\nshow ip route\nshow interface eth1\nsho ip bgp sum",
		"configure session s\ninterface eth1\ndescription x\ncommit",
		"conf t\ninterface eth1\nno ip address\nshutdown\ndo show ip route",
		"\x00\x01 % ! \t\n conf t \n int \n",
		"enter candidate\nset / interface eth1 description \"a b\"\nset / interface eth1 subinterface 0 ipv4 address 10.1.1.1/24\ncommit stay\ninfo\ninfo flat from candidate",
		"enter candidate\nset / network-instance default protocols bgp neighbor 10.0.0.1 peer-as 3\ndelete / interface eth1\ndiff\ncommit now",
		"enter candidate\nset / network-instance default next-hop-groups group g nexthop 1 ip-address 10.0.0.1\nset / network-instance default static-routes route 192.0.2.0/24 next-hop-group g\ndelete / network-instance default next-hop-groups group g nexthop 1\ncommit stay\ninfo",
	} {
		for p := uint8(0); p < 3; p++ {
			f.Add(seed, p)
		}
	}
	f.Fuzz(func(t *testing.T, script string, plat uint8) {
		p := []string{FRR, EOS, SRL}[plat%3]
		s, st := newSession(t, p)
		lines := strings.Split(script, "\n")
		if len(lines) > 50 {
			lines = lines[:50]
		}
		for _, l := range lines {
			out, quit := s.Exec(l)
			if quit {
				return
			}
			if strings.HasPrefix(out, "%") && !strings.HasSuffix(out, "\n") {
				t.Fatalf("%q: error without newline: %q", l, out)
			}
			if s.Prompt() == "" {
				t.Fatal("empty prompt")
			}
		}
		if err := yang.Validate(st.Running()); err != nil {
			t.Fatalf("running is invalid after %q: %v", script, err)
		}
	})
}

func TestSRLTranscript(t *testing.T) {
	t.Parallel()
	s, st := newSession(t, SRL)
	steps := []struct{ in, out string }{
		{"environment cli-engine type basic", ""},
		{"set / interface eth1 description x", "Error: set is only available in candidate mode; enter candidate first\n"},
		{"enter candidate private", ""},
		{`set / interface eth1 description "to spine 1"`, ""},
		{"set / interface eth1 mtu 9100", ""},
		{"set / interface eth1 subinterface 0 ipv4 address 192.0.2.1/24", ""},
		{"set / network-instance default protocols bgp autonomous-system 65010", ""},
		{"set / network-instance default protocols bgp neighbor 10.0.0.1 peer-as 65020", ""},
		{"set / frobnicate 1", "Error: unknown token 'frobnicate'. Options are ['interface', 'network-instance']\n"},
		{"commit now", "All changes have been committed. Leaving candidate mode.\n"},
		{"info flat / interface eth1", "set / interface eth1 admin-state enable\nset / interface eth1 description \"to spine 1\"\nset / interface eth1 mtu 9100\nset / interface eth1 subinterface 0 ipv4 admin-state enable\nset / interface eth1 subinterface 0 ipv4 address 10.0.0.0/31\nset / interface eth1 subinterface 0 ipv4 address 192.0.2.1/24\n"},
		{"enter candidate", ""},
		{"delete / interface eth1 description", ""},
		{"discard now", ""},
	}
	for _, sp := range steps {
		out, quit := s.Exec(sp.in)
		if quit {
			t.Fatalf("%q ended the session", sp.in)
		}
		if d := cmp.Diff(sp.out, out); d != "" {
			t.Errorf("%q (-want +got):\n%s", sp.in, d)
		}
	}
	r := st.Running()
	if v, _ := r.GetPath("/interfaces/interface[name=eth1]/config/description"); v != "to spine 1" {
		t.Errorf("description after discard: %v", v)
	}
	if v, _ := r.GetPath("/network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=10.0.0.1]/config/peer-as"); v != uint64(65020) {
		t.Errorf("peer-as: %v", v)
	}
	if p := s.Prompt(); p != "\n--{ running }--[  ]--\nA:r1#" {
		t.Errorf("prompt %q", p)
	}
	tree, _ := s.Exec("info / interface eth1")
	if !strings.Contains(tree, "    interface eth1 {\n        admin-state enable\n        description \"to spine 1\"\n") {
		t.Errorf("info tree:\n%s", tree)
	}
}

func TestCommitTimers(t *testing.T) {
	t.Parallel()
	descr := "/interfaces/interface[name=eth1]/config/description"
	tests := []struct {
		name     string
		platform string
		lines    []string
		confirm  []string // run after the commit; nil lets the timer expire
		want     any
	}{
		{"eos timer confirmed", EOS, []string{"configure session s1", "interface eth1", "description timed", "commit timer 00:00:01"},
			[]string{"configure session s1 commit"}, "timed"},
		{"eos timer expires", EOS, []string{"configure session s2", "interface eth1", "description timed", "commit timer 00:00:01"},
			nil, nil},
		{"eos timer aborted", EOS, []string{"configure session s3", "interface eth1", "description timed", "commit timer 00:10:00"},
			[]string{"configure session s3 abort"}, nil},
		{"srl confirmed accepted", SRL, []string{"enter candidate", "set / interface eth1 description timed", "commit confirmed timeout 1"},
			[]string{"tools system configuration confirmed-accept"}, "timed"},
		{"srl confirmed expires", SRL, []string{"enter candidate", "set / interface eth1 description timed", "commit confirmed timeout 1"},
			nil, nil},
		{"srl confirmed rejected", SRL, []string{"enter candidate", "set / interface eth1 description timed", "commit confirmed timeout 600"},
			[]string{"tools system configuration confirmed-reject"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, st := newSession(t, tc.platform)
			defer st.Close()
			for _, l := range tc.lines {
				if out, _ := s.Exec(l); strings.HasPrefix(out, "%") || strings.HasPrefix(out, "Error") {
					t.Fatalf("%q: %s", l, out)
				}
			}
			if v, _ := st.Running().GetPath(descr); v != "timed" {
				t.Fatalf("after the commit: %v", v)
			}
			for _, l := range tc.confirm {
				if out, _ := s.Exec(l); out != "" {
					t.Fatalf("%q: %s", l, out)
				}
			}
			if tc.confirm == nil {
				deadline := time.Now().Add(5 * time.Second)
				for {
					if v, _ := st.Running().GetPath(descr); v == nil || time.Now().After(deadline) {
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
			} else {
				time.Sleep(1200 * time.Millisecond)
			}
			got, _ := st.Running().GetPath(descr)
			if got != tc.want {
				t.Errorf("description = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSRLStaticRoutes(t *testing.T) {
	t.Parallel()
	s, st := newSession(t, SRL)
	for _, l := range []string{
		"enter candidate",
		"set / network-instance default next-hop-groups group g1 nexthop 1 ip-address 10.0.0.1",
		"set / network-instance default next-hop-groups group g1 nexthop 2 ip-address 10.0.0.1",
		"set / network-instance default static-routes route 192.0.2.0/24 next-hop-group g1",
		"set / network-instance default next-hop-groups group bh blackhole",
		"set / network-instance default static-routes route 198.51.100.0/24 next-hop-group bh",
		"commit now",
	} {
		if out, _ := s.Exec(l); strings.HasPrefix(out, "Error") {
			t.Fatalf("%q: %s", l, out)
		}
	}
	r := st.Running()
	base := "/network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=%s]/next-hops/next-hop[index=%s]/config/next-hop"
	for _, c := range []struct{ prefix, idx, want string }{{"192.0.2.0/24", "0", "10.0.0.1"}, {"192.0.2.0/24", "1", "10.0.0.1"}, {"198.51.100.0/24", "0", "DROP"}} {
		if v, _ := r.GetPath(fmt.Sprintf(base, c.prefix, c.idx)); v != c.want {
			t.Errorf("%s hop %s = %v, want %s\n%s", c.prefix, c.idx, v, c.want, r)
		}
	}
	flat, _ := s.Exec("info flat")
	for _, want := range []string{
		"set / network-instance default static-routes route 192.0.2.0/24 next-hop-group static-192-0-2-0_24",
		"set / network-instance default next-hop-groups group static-192-0-2-0_24 nexthop 0 ip-address 10.0.0.1",
		"set / network-instance default next-hop-groups group static-198-51-100-0_24 blackhole generate-icmp false",
	} {
		if !strings.Contains(flat, want+"\n") {
			t.Errorf("info flat lacks %q:\n%s", want, flat)
		}
	}
	// Replaying the flat configuration into an empty candidate rebuilds it.
	s2, st2 := newSession(t, SRL)
	s2.Exec("enter candidate")
	for _, l := range strings.Split(strings.TrimSpace(flat), "\n") {
		if out, _ := s2.Exec(l); strings.HasPrefix(out, "Error") {
			t.Fatalf("replay %q: %s", l, out)
		}
	}
	if out, _ := s2.Exec("commit now"); strings.HasPrefix(out, "Error") {
		t.Fatal(out)
	}
	if d := cmp.Diff(st.Running().String(), st2.Running().String()); d != "" {
		t.Errorf("replayed configuration differs (-orig +replay):\n%s", d)
	}
	// A group in use cannot be deleted.
	s.Exec("enter candidate")
	if out, _ := s.Exec("delete / network-instance default next-hop-groups group static-192-0-2-0_24"); !strings.HasPrefix(out, "Error: group") {
		t.Errorf("deleting a group in use: %q", out)
	}
}

// A commit that has started completes even when the client goes away while
// it waits under the slow-commit fault, then the session ends. A real device
// does not abort a commit because the session that asked for it closed (an
// adapter that times out and disconnects must find the change in effect
// when it reads back), so the lab does not either; only a hang or latency
// fault, which holds a request before the device acts on it, ends with the
// client. Before: the wait ended with the transport and the line was lost.
func TestSlowCommitLandsAfterTheSessionEnds(t *testing.T) {
	t.Parallel()
	tr := yang.NewTree()
	_ = tr.Set(yang.InterfacePath("eth1").Leaf("config", "name"), "eth1")
	st := datastore.New("r1", tr)
	defer st.Close()
	faults := fault.NewSet()
	if err := faults.Inject(fault.Fault{Kind: fault.SlowCommit, Protocol: fault.CLI, Delay: time.Second}); err != nil {
		t.Fatal(err)
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Config: sshsrv.Config{HostKey: signer, Username: "admin", Password: "lab"},
		Env: Env{Hostname: "r1", Platform: FRR, Store: st, Faults: faults}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		_ = srv.Close()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()
	cl, err := ssh.Dial("tcp", ln.Addr().String(), &ssh.ClientConfig{User: "admin", Auth: []ssh.AuthMethod{ssh.Password("lab")},
		HostKeyCallback: ssh.FixedHostKey(signer.PublicKey()), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sess, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	in, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(in, "configure terminal\ninterface eth1\ndescription late\n"); err != nil {
		t.Fatal(err)
	}
	descr := func() any {
		v, _ := st.Running().GetPath("/interfaces/interface[name=eth1]/config/description")
		return v
	}
	waitFor(t, "the commit to wait under the fault", func() bool { return faults.Hits()["cli/slow-commit"] > 0 })
	if v := descr(); v != nil {
		t.Fatalf("description %v before the slow commit's delay", v)
	}
	_ = cl.Close() // the client goes away while the commit waits
	waitFor(t, "the commit to land", func() bool { return descr() == "late" })
	waitFor(t, "the session to end", func() bool { return srv.Sessions() == 0 })
}

// A commit abandoned because the device stops (the session's ctx, the
// server's life, ends) applies nothing.
func TestSlowCommitAbandonedWhenTheDeviceStops(t *testing.T) {
	t.Parallel()
	tr := yang.NewTree()
	_ = tr.Set(yang.InterfacePath("eth1").Leaf("config", "name"), "eth1")
	st := datastore.New("r1", tr)
	defer st.Close()
	faults := fault.NewSet()
	if err := faults.Inject(fault.Fault{Kind: fault.SlowCommit, Protocol: fault.CLI, Delay: time.Hour}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := NewSession(ctx, &Env{Hostname: "r1", Platform: FRR, Store: st, Faults: faults})
	for _, l := range []string{"configure terminal", "interface eth1"} {
		if out, _ := s.Exec(l); out != "" {
			t.Fatalf("%q: %s", l, out)
		}
	}
	cancel() // the server closes while the commit waits
	out, _ := s.Exec("description never")
	if !strings.HasPrefix(out, "% ") {
		t.Errorf("want a %% error for the abandoned commit, got %q", out)
	}
	if v, ok := st.Running().GetPath("/interfaces/interface[name=eth1]/config/description"); ok {
		t.Errorf("the abandoned commit was applied: description %v", v)
	}
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
