// Package lab is netagent's simulated lab: one simulated device per node of
// a containerlab topology, each speaking real NETCONF over SSH, gNMI over
// gRPC and an SSH CLI on loopback, over one configuration datastore per
// device. Other packages' tests use it instead of mocks (lab.Start), and
// `netagent lab up TOPOLOGY` runs it for people and scripts. It is imported
// only by tests and cmd, never by production packages.
//
// # Starting a lab
//
//	tp, _ := topo.Parse(topologies.LeafSpine) // or topo.ReadFile(path)
//	l, err := lab.Start(ctx, tp, lab.Options{Dir: t.TempDir()})
//	defer l.Close()
//	d, _ := l.Device("leaf1")
//	ep, _ := d.Endpoint(lab.ProtoNETCONF) // ep.Addr() is 127.0.0.1:port
//
// Start allocates every port on 127.0.0.1 (ephemeral, or upwards from
// Options.BasePort) while holding the listeners, so ports never collide. It
// writes into the state directory (default clab-<name>/ beside the topology
// file, as containerlab does):
//
//	keys/<device>.key        ed25519 SSH host key, created once, reused on restart
//	known_hosts              "[127.0.0.1]:port key" for every SSH port
//	credentials/lab.password the password of every device (mode 0600)
//	netagent-inventory.yml   the netagent inventory (format in adapters)
//	topology-data.json       what containerlab writes, ports as port-bindings
//	ansible-inventory.yml    what containerlab writes
//	gnmi-ca.pem              with Options.GNMITLS: the self-signed gNMI certificate
//	lab.json                 while running: the admin API address (for `netagent lab list`)
//
// Close stops every server and waits for its goroutines; the state stays.
//
// # Personalities
//
// Every kind containerlab knows (names and aliases, topo.Kinds) has a
// personality (Personalities, rendered by KindsTable as the README's kinds
// table). Network operating systems become devices that serve the
// management protocols the real system offers, as far as netagent's
// adapters drive them: NETCONF and gNMI over the one OpenConfig datastore,
// so configuration works on every device through the netconf and gnmi
// adapters; a CLI only in a dialect the CLI adapter renders for
// (adapters/cli/platforms: frr and eos). Defaults, in preference order:
//
//	SR Linux (nokia_srlinux, srl)                        gnmi, netconf
//	SR OS (nokia_sros, vr-sros, nokia_srsim)             gnmi, netconf     (MD-CLI: not rendered)
//	Arista EOS (arista_ceos, ceos, arista_veos)          gnmi, cli (eos)
//	IOS XR (cisco_xrd, xrd, cisco_xrv, cisco_xrv9k, c8000) gnmi, netconf   (XR CLI: not rendered)
//	IOS XE (cisco_csr1000v, cisco_c8000v, cisco_cat9kv)  netconf, gnmi     (CLI: not rendered)
//	NX-OS (cisco_n9kv)                                   gnmi, netconf     (CLI: not rendered)
//	Junos (juniper_*, crpd, cjunosevolved)               netconf, gnmi     (Junos CLI: not rendered)
//	SONiC (sonic-vs, sonic-vm, dell_sonic, plvision_sonic) gnmi, cli (frr: vtysh)
//	Cumulus (nvidia_cumulusvx, cumulus_cvx, cvx)         cli (frr)
//	FRR (frr; linux with an FRR image or none)           cli (frr)
//	OcNOS, 6WIND VSR, ArcOS, SAOS                        netconf and gnmi
//	Huawei VRP, RARE/freeRtr                             netconf
//
// Hosts and appliances without a configuration model netagent drives
// (linux with any other image, bridge, ovs-bridge, host, ext-container,
// k8s-kind, generic_vm, freebsd, openbsd, traffic generators, firewalls
// and load balancers, and routers configured only through their own CLI
// or REST API: VyOS, RouterOS, OpenWrt, VPP, osvbng, AOS-CX, OS10, IOL,
// vIOS, SD-WAN) are hosts: they take part in the topology (their links,
// names and labels; a device's interface facing one is described "to
// HOST:IF") but serve nothing, are not in the netagent inventory, the
// ansible inventory or the nodes of topology-data.json (so that readers
// that take every node for a managed device leave them alone; their links
// are there), and are listed by Hosts and `netagent lab up`. A node of a
// kind containerlab does not have is a host too; topo warns naming it and
// its line, and refuses it with Strict.
//
// The labels netagent.protocols ("netconf,gnmi,cli", in preference order;
// empty makes a host) and netagent.cli-platform (frr | eos | srl; on a host
// it makes a CLI device) override any kind. An SR Linux node gets the SR
// Linux CLI ("srl") when its labels ask for cli; it is not on by default
// because netagent's CLI adapter renders for frr and eos only, and an
// inventory naming a platform it cannot drive is refused.
//
// KindsTopology has one node per device personality; the adapters'
// conformance tests (TestKindConformance) run the whole suite on each over
// every protocol it claims. Check starts a topology file briefly (`netagent
// lab check`): devices, hosts, warnings, every endpoint answering.
//
// Every device starts with one interface per link endpoint (type
// ethernetCsmacd, enabled, mtu 1500, described "to PEER:IF") carrying an
// address of the link's /31 (10.0.0.0/8 carved by link index; the first
// endpoint takes the even address).
//
// # Front ends
//
// NETCONF (package netconfsrv): SSH subsystem "netconf", RFC 6242 framing
// chosen from the client's hello (1.0 end-of-message or 1.1 chunked);
// capabilities base 1.0/1.1, :candidate, :writable-running,
// :confirmed-commit:1.1, :validate:1.1, :rollback-on-error, :notification
// (create-subscription on the NETCONF stream sends an RFC 6470
// netconf-config-change for every change of running, whoever made it) and
// the module
// capabilities of openconfig-interfaces, openconfig-if-ip,
// openconfig-network-instance and netagent-lab. Operations: get (config and
// state, subtree filter), get-config (running, candidate; subtree filter),
// edit-config (merge, replace, create, delete, remove; default-operation;
// error-option; test-option; every edit is atomic), lock, unlock, validate,
// commit (confirmed, confirm-timeout, persist, persist-id), cancel-commit,
// discard-changes, copy-config (running, candidate or inline config to
// running or candidate), delete-config (candidate: reset to running),
// kill-session, close-session. Errors are rpc-errors as RFC 6241 appendix
// A describes; lock-denied names the holder in
// <error-info><session-id>; a commit whose persist-id names no pending
// persistent confirmed commit fails with invalid-value (RFC 6241 8.4.5.1).
// A session whose client disconnects is torn down at once, even while a
// request hangs under a fault (hang, latency): its locks go and its
// non-persistent confirmed commit reverts. A commit that has started is
// not aborted by the client going away, as on a real device: one waiting
// under the slow-commit fault completes, then the session is torn down
// (its locks are held until then; a plain commit stays, a non-persistent
// confirmed one reverts); kill-session aborts it. A malformed message gets a malformed-message
// rpc-error and the session goes on. The running datastore is validated
// with yang.Validate on every edit; the candidate at commit (or at edit with
// test-option test-then-set).
//
// gNMI (package gnmisrv): Capabilities, Get (configuration as JSON_IETF
// subtrees, state as scalar leaves), Set (atomic: all of it or nothing,
// validated), Subscribe ONCE, POLL and STREAM (SAMPLE with sample_interval
// >= 100ms, ON_CHANGE pushed at once for configuration and within a second
// for state, suppress_redundant, heartbeat_interval, updates_only). Set
// honours the commit-confirmed extension (gnmi_ext.Commit: commit with a rollback
// duration, confirm, cancel, set-rollback-duration), the device-side
// confirm timer of two-phase commit over gNMI. The username and password
// metadata are checked on every call; TLS is optional.
//
// CLI (package clisrv): SSH shell with echo. The FRR personality behaves
// like vtysh (prompts r1#, r1(config)#, r1(config-if)#, r1(config-router)#;
// scrapligo platform cumulus_vtysh for exec-level work; its configuration
// pattern does not match vtysh's sub-mode prompts, so drive sub-modes with a
// definition that does, as the CLI adapter's does). The EOS personality
// starts privileged (r2#, r2(config-if-eth1)#, scrapligo platform
// arista_eos) and adds configure session / commit / abort and the
// confirmed commit "commit timer HH:MM:SS" (confirmed with "configure
// session NAME commit"). The SR Linux personality (scrapligo platform
// nokia_srl) has SR Linux's two-line prompts, enter candidate private, set /
// delete with paths, commit now|stay|validate|confirmed, discard now|stay,
// diff, info [flat] [from ...] and show interface; static routes go through
// next-hop groups as on SR Linux (info shows one group per route, named
// static-<prefix>). Commands and outputs are listed in clisrv's
// documentation; bad input gets a "% ..." (SR Linux: "Error: ...") line and
// the session goes on.
//
// Writes through gNMI and the CLI go to running at once; they are refused
// while a NETCONF session holds a lock on running or candidate (gNMI:
// Aborted, so a client can tell it from Unavailable, a lost connection).
//
// # Telemetry model
//
// Package synth computes every figure on demand from the seed
// (Options.Seed), the device or link and the time since the lab started:
// two labs with the same seed report the same series. Figures and where
// they appear (gNMI Subscribe/Get, NETCONF get, CLI show):
//
//	/system/cpus/cpu[index=ALL]/state/total/instant            CPU %          show lab resources, EOS show processes top once
//	/system/memory/state/physical, .../used                    bytes          show lab resources
//	/lab/system/state/memory-util                              memory %       show lab resources
//	/components/component[name=PSU1|PSU2]/state/oper-status    ACTIVE|INACTIVE show lab resources, EOS show environment power
//	/components/component[name=PSUn]/power-supply/state/output-power  W
//	/interfaces/interface[name=X]/state/admin-status, oper-status   UP|DOWN   show interface(s)
//	/interfaces/interface[name=X]/state/counters/{in,out}-octets, {in,out}-pkts, in-errors, in-discards
//	/lab/interfaces/interface[name=X]/state/{in,out}-bps       current rate   show interface(s)
//	/lab/links/link[local=N:IF]/state/{remote,up,latency-ms,loss-pct,jitter-ms}   show lab links
//	/lab/routing/state/convergence-ms                          last route convergence   show lab traffic
//	/lab/applications/application[name=A]/state/share          application mix (sums to 1)
//	/lab/sessions/state/count                                  sessions
//	/lab/traffic/state/peak-bps                                highest interface peak rate
//
// plus the state mirror of every configuration leaf (…/config/x as
// …/state/x). The /lab tree is the netagent-lab model (namespace
// urn:netagent:lab), for figures OpenConfig has no home for.
//
// Counters are integrals of a smooth rate, so they only grow. An interface
// is oper-down when it is disabled or its link is down. Taking a link down
// (SetLink, the admin API, `netagent lab fault link`) sets its loss to
// 100%, takes both ends oper-down, and records a route convergence time on
// every device (40-200 ms at the link's ends, 100-300 ms more elsewhere,
// deterministic per seed and event). Scripted anomalies (Options.Anomalies,
// AddAnomaly, POST /v1/anomalies, `netagent lab fault anomaly`):
// cpu-spike (+Magnitude points), latency-climb (+Magnitude ms per second),
// loss-burst (+Magnitude %), psu-fail (PSU2 INACTIVE), traffic-surge
// (x Magnitude traffic and sessions), garbage (the device reports values no
// collector should store: CPU 250 %, negative latency, text counters, "NaN"
// loss, an unknown oper status; see synth.Garbage), each from Start for
// Duration (0: for ever).
//
// # Faults
//
// Per device and protocol (netconf, gnmi, cli, or all), through
// InjectFault / ClearFaults / Faults / FaultHits, the admin API and
// `netagent lab fault`:
//
//	down           the port refuses connections; open sessions are dropped
//	hang           connections are accepted and requests read, never answered
//	latency        every reply is delayed by Delay
//	reject-commit  the next commit (NETCONF commit, gNMI Set, CLI change or
//	               EOS session commit) fails with ErrorTag and Message; Count times
//	drop-commit    the next commit is applied, then the session is dropped
//	               before the reply (the client cannot know the outcome; a
//	               dropped NETCONF session reverts its non-persistent
//	               confirmed commit, as RFC 6241 requires)
//	slow-commit    every commit waits Delay first; a commit that has
//	               started completes even if its client disconnects
//	               meanwhile (NETCONF, gNMI Set, CLI alike), so a client
//	               that timed out finds it in effect later
//
// FaultHits counts how often each fired, keyed "protocol/kind". SetLink
// takes links down and up.
//
// Admin API (JSON over HTTP on 127.0.0.1, address in lab.json):
//
//	GET    /v1/lab                               name, credentials, devices
//	GET    /v1/devices/{name}/faults             active faults and hit counters
//	POST   /v1/devices/{name}/faults             inject a fault.Fault (JSON; delay in ns)
//	DELETE /v1/devices/{name}/faults?protocol=&kind=
//	POST   /v1/links/{endpoint}/{down|up}
//	POST   /v1/anomalies                         script a synth.Anomaly
//
// # Scale
//
// Devices cost nothing while idle: no per-device goroutine runs besides the
// accept loops, and telemetry is computed on demand. BenchmarkScale (go
// test -bench Scale ./lab/) starts the 1,000-node `netagent lab gen
// --nodes 1000` topology in one process and opens a NETCONF session (SSH,
// hello, get-config) on every device. Measured on the 2-core build machine:
// start 0.9-1.1 s, 1,000 sessions opened in 2-4 s (16 at a time), resident
// memory +55-60 MiB for the idle lab and +190 MiB with all 1,000 sessions
// open (client and server sides in the same process). `netagent lab up` of
// the same topology idles at 137 MiB resident.
//
// # Concurrency and errors
//
// A Lab is safe for concurrent use. Each device's datastore serialises its
// writers; every front end owns its goroutines and Close waits for them.
// Errors name the lab, device and operation and wrap sentinels
// (ErrUnknownDevice, ErrUnknownLink, topo.ErrInvalid, fault.ErrBadFault,
// synth.ErrBadAnomaly).
package lab
