// Package clisrv is the lab's SSH command line for one simulated device, in
// three personalities over the shared datastore.Store: FRR vtysh ("frr"),
// Arista EOS ("eos") and Nokia SR Linux ("srl"). Session is the interpreter (no I/O; fuzzed); Server
// wraps it in an SSH shell with a line discipline (echo when a pty is
// requested, backspace, Ctrl-C, Ctrl-D).
//
// Commands (keywords may be abbreviated to a unique prefix):
//
//	exec:   configure terminal | configure (eos) | configure session NAME (eos)
//	        terminal length N | terminal width N | enable | disable (eos)
//	        show running-config | show interface[s] [NAME] | show ip route
//	        show ip bgp summary | show bgp summary (frr) | show version
//	        show environment power | show processes top once (eos)
//	        show lab resources | show lab links | show lab traffic
//	        write [memory] | copy running-config startup-config | exit | quit
//	config: interface NAME | no interface NAME | ip route PREFIX HOP [HOP]
//	        no ip route PREFIX [HOP] [HOP] | router bgp AS | no router bgp
//	        do COMMAND | end | exit | commit, abort (eos sessions)
//	        commit timer HH:MM:SS (eos session: a confirmed commit)
//	exec:   configure session NAME commit | abort (eos: confirm or roll back the timer)
//	if:     description TEXT | no description | mtu N | no mtu | shutdown
//	        no shutdown | ip address A.B.C.D/M | no ip address [A.B.C.D/M]
//	        switchport | no switchport (eos)
//	router: neighbor IP remote-as AS | neighbor IP description TEXT
//	        neighbor IP shutdown | no neighbor IP [shutdown|description]
//	        bgp router-id IP | router-id IP | no bgp router-id | no router-id
//
// Removing an interface's last address (no ip address) removes its
// subinterface 0 too when nothing else is configured on it.
//
// A HOP is an IPv4 address, an interface name, or blackhole / Null0
// (DROP). Static route next hops are indexed "0", "1", ... in the order
// they were added, and renumbered when one is removed, as the CLI adapter
// reads them back. Outside a configuration session every line takes effect
// at once; a line whose result fails yang.Validate is refused whole.
//
// SR Linux (srl.go): "--{ running }--[  ]--" / "A:host#" prompts (a "*"
// marks a modified candidate); environment ..., enter candidate [private],
// enter running, set / PATH VALUE, delete / PATH, commit now|stay|validate,
// commit confirmed [timeout SECONDS] (accepted with tools system
// configuration confirmed-accept, rolled back with confirmed-reject or when
// the timeout expires), discard now|stay, diff, info [flat] [from
// running|candidate] [/ PATH],
// show interface [NAME], show version, show lab ...; quit. Paths:
// interface NAME {admin-state, description, mtu, subinterface I [ipv4
// address A/M]}, network-instance default protocols bgp
// {autonomous-system, router-id, neighbor IP {peer-as, description,
// admin-state}}, network-instance default static-routes route PREFIX
// next-hop-group G and next-hop-groups group G {nexthop N ip-address A |
// blackhole}. The model keeps next hops on the route, so a group's hops are
// copied onto every route using it, and info names one group per route
// (static-<prefix>). Errors start "Error:".
//
// Errors: FRR prints "% Unknown command: LINE", "% Command incomplete:
// LINE", "% Invalid configuration: REASON"; EOS prints "% Invalid input",
// "% Incomplete command", "% Error: REASON". The session always goes on.
//
// A client that disconnects ends its session at once while a line hangs
// under a hang or latency fault; a commit that has started (a line, an EOS
// session commit or an SR Linux commit waiting under the slow-commit fault)
// completes first, as on a real device, and only Close aborts it.
package clisrv
