//go:build interop

package interop

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Password is the password of every login user the interop servers create.
const Password = "interop-Pass1"

// Server is a running server: where it listens and how to log in.
type Server struct {
	Addr       string // host:port on 127.0.0.1
	Host       string
	Port       int
	User       string
	Password   string
	KnownHosts string // a known_hosts file holding the server's SSH host key (SSH servers only)
	Dir        string // scratch directory with configs and logs
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// need fails the test when a program is missing: interop never skips.
func need(t testing.TB, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is missing: run `make interop`, which installs it (%v)", p, err)
		}
	}
}

// ensureUser creates a local login user with shell and groups, password Password.
func ensureUser(t testing.TB, name, shell string, groups ...string) {
	t.Helper()
	if _, err := user.Lookup(name); err != nil {
		args := []string{"-m", "-s", shell}
		if len(groups) > 0 {
			args = append(args, "-G", strings.Join(groups, ","))
		}
		run(t, "useradd", append(args, name)...)
	}
	cmd := exec.Command("chpasswd")
	cmd.Stdin = strings.NewReader(name + ":" + Password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd %s: %v: %s", name, err, out)
	}
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// start runs a long-lived server process and stops it (by its PID) at cleanup.
func start(t testing.TB, logPath string, name string, args ...string) *exec.Cmd {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return cmd
}

// waitPort waits until addr accepts TCP connections.
func waitPort(t testing.TB, addr string, logPath string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(logPath)
	t.Fatalf("%s did not start listening; log:\n%s", addr, log)
}

// sshd starts OpenSSH on 127.0.0.1:port in the foreground with a fresh
// host key and returns the known_hosts file for it.
func sshd(t testing.TB, dir string, port int, extra ...string) string {
	t.Helper()
	need(t, "/usr/sbin/sshd", "/usr/bin/ssh-keygen")
	key := filepath.Join(dir, "ssh_host_ed25519_key")
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
	cfg := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile %s
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
%s
`, port, key, filepath.Join(dir, "sshd.pid"), strings.Join(extra, "\n"))
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "sshd.log")
	start(t, logPath, "/usr/sbin/sshd", "-D", "-e", "-f", cfgPath)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	waitPort(t, addr, logPath)
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(pub))
	kh := filepath.Join(dir, "known_hosts")
	line := fmt.Sprintf("[127.0.0.1]:%d %s %s\n", port, f[0], f[1])
	if err := os.WriteFile(kh, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return kh
}

// Netconfd starts yuma123's netconfd with ietf-interfaces, ietf-ip and
// iana-if-type, a candidate datastore and no startup config, behind sshd's
// netconf subsystem on a free loopback port.
func Netconfd(t testing.TB) Server {
	t.Helper()
	need(t, "/usr/sbin/netconfd", "/usr/sbin/netconf-subsystem")
	dir := t.TempDir()
	const name = "netagent-nc"
	ensureUser(t, name, "/bin/sh")
	port := FreePort(t)
	logPath := filepath.Join(dir, "netconfd.log")
	// netconfd only accepts sessions that arrive on the ports it is told.
	start(t, logPath, "/usr/sbin/netconfd",
		"--module=ietf-interfaces", "--module=ietf-ip", "--module=iana-if-type",
		"--target=candidate", "--superuser="+name, "--no-startup",
		"--port="+strconv.Itoa(port), "--log-level=info")
	waitFile(t, "/tmp/ncxserver.sock", logPath)
	kh := sshd(t, dir, port, "Subsystem netconf /usr/sbin/netconf-subsystem")
	return Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Host: "127.0.0.1", Port: port,
		User: name, Password: Password, KnownHosts: kh, Dir: dir}
}

func waitFile(t testing.TB, path, logPath string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(logPath)
	t.Fatalf("%s did not appear; log:\n%s", path, log)
}

// FRR starts zebra and staticd inside a new network namespace holding one
// interface, eth1 (a veth whose peer stays on the host side, down), and an
// sshd on loopback whose login user has vtysh as its shell.
func FRR(t testing.TB) Server {
	t.Helper()
	need(t, "/usr/lib/frr/zebra", "/usr/lib/frr/staticd", "/usr/bin/vtysh", "/usr/sbin/ip")
	dir := t.TempDir()
	ns := fmt.Sprintf("na-frr-%d", os.Getpid())
	peer := fmt.Sprintf("naf%d", os.Getpid()%100000)
	run(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	run(t, "ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
	run(t, "ip", "link", "add", peer, "type", "veth", "peer", "name", "eth1", "netns", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", peer).Run() })
	run(t, "ip", "netns", "exec", ns, "ip", "link", "set", "eth1", "up")
	run(t, "ip", "link", "set", peer, "up")

	// FRR drops to user frr, which cannot enter the test's private temp
	// directory: its config and pid files live in FRR's own run directory.
	if err := os.MkdirAll("/var/run/frr", 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "chown", "frr:frr", "/var/run/frr")
	// Stale sockets from an earlier run would make the waits below lie.
	for _, f := range []string{"zebra.vty", "staticd.vty", "zserv.api"} {
		_ = os.Remove(filepath.Join("/var/run/frr", f))
	}
	conf := "/var/run/frr/netagent-interop.conf"
	if err := os.WriteFile(conf, []byte("hostname interop-frr\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "chown", "frr:frr", conf)
	for _, d := range []string{"zebra", "staticd"} {
		logPath := filepath.Join(dir, d+".log")
		start(t, logPath, "ip", "netns", "exec", ns, "/usr/lib/frr/"+d,
			"-A", "127.0.0.1", "-f", conf, "-i", "/var/run/frr/netagent-interop-"+d+".pid", "-u", "frr", "-g", "frr")
		waitFile(t, "/var/run/frr/"+d+".vty", logPath)
	}
	const name = "netagent-frr"
	ensureUser(t, name, "/usr/bin/vtysh", "frr", "frrvty")
	port := FreePort(t)
	kh := sshd(t, dir, port)
	// vtysh answers once zebra is ready.
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := exec.Command("vtysh", "-c", "show interface brief").CombinedOutput()
		if err == nil && bytes.Contains(out, []byte("eth1")) {
			break
		}
		if time.Now().After(deadline) {
			zl, _ := os.ReadFile(filepath.Join(dir, "zebra.log"))
			sl, _ := os.ReadFile(filepath.Join(dir, "staticd.log"))
			t.Fatalf("FRR did not come up: %v: %s\nzebra:\n%s\nstaticd:\n%s", err, out, zl, sl)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Host: "127.0.0.1", Port: port,
		User: name, Password: Password, KnownHosts: kh, Dir: dir}
}

// Vtysh runs one vtysh command against the FRR that FRR started, for
// checking what an adapter did through another door.
func Vtysh(t testing.TB, cmds ...string) string {
	t.Helper()
	var args []string
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	return run(t, "vtysh", args...)
}

// GNMITargetBinary is where scripts/interop.sh builds gnxi's gnmi_target.
func GNMITargetBinary() string {
	if p := os.Getenv("NETAGENT_GNMI_TARGET"); p != "" {
		return p
	}
	return filepath.Join(os.TempDir(), "netagent-interop", "gnmi_target")
}

// GNMITarget starts gnxi's gnmi_target on loopback without TLS, with
// username/password authentication and the given RFC 7951 startup config
// (openconfig-interfaces is the only config model it serves).
func GNMITarget(t testing.TB, config string) Server {
	t.Helper()
	bin := GNMITargetBinary()
	need(t, bin)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	port := FreePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logPath := filepath.Join(dir, "gnmi_target.log")
	const name = "netagent-gnmi"
	start(t, logPath, bin, "-bind_address", addr, "-notls", "-config", cfg,
		"-username", name, "-password", Password, "-logtostderr")
	waitPort(t, addr, logPath)
	return Server{Addr: addr, Host: "127.0.0.1", Port: port, User: name, Password: Password, Dir: dir}
}

// Python runs a Python 3 script with Debian's interpreter (which has
// python3-ncclient and python3-netmiko), passing args, and returns its
// standard output. It fails the test on a non-zero exit.
func Python(ctx context.Context, t testing.TB, script string, args ...string) string {
	t.Helper()
	need(t, "/usr/bin/python3")
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", append([]string{"-c", script}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// Lines splits s into trimmed non-empty lines.
func Lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Prometheus starts Debian's prometheus on a free loopback port scraping
// target (host:port, path /metrics) every second, with a bearer token when
// token is not empty, and returns its base URL.
func Prometheus(t testing.TB, target, token string) string {
	t.Helper()
	need(t, "/usr/bin/prometheus")
	dir := t.TempDir()
	port := FreePort(t)
	cfg := "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  - job_name: netagent\n    metrics_path: /metrics\n"
	if token != "" {
		cfg += "    authorization:\n      type: Bearer\n      credentials_file: " + filepath.Join(dir, "token") + "\n"
		if err := os.WriteFile(filepath.Join(dir, "token"), []byte(token), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg += "    static_configs:\n      - targets: ['" + target + "']\n"
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "prometheus.log")
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	start(t, logPath, "/usr/bin/prometheus", "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	waitPort(t, addr, logPath)
	// The port opens before the storage is ready; queries answer 503
	// "Service Unavailable" until /-/ready does.
	base := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); ; {
		res, err := http.Get(base + "/-/ready")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("prometheus not ready after 60s (last: %v)\n%s", err, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Promtool runs `promtool check metrics` over an exposition and returns
// what it printed; the test fails when promtool finds a problem.
func Promtool(t testing.TB, exposition []byte) string {
	t.Helper()
	need(t, "/usr/bin/promtool")
	cmd := exec.Command("/usr/bin/promtool", "check", "metrics")
	cmd.Stdin = strings.NewReader(string(exposition))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	return string(out)
}
