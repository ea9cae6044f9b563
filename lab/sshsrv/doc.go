// Package sshsrv is the SSH server under the lab's NETCONF and CLI front
// ends (golang.org/x/crypto/ssh): password or keyboard-interactive login
// against one username and password, one host key per device, and either
// the "netconf" subsystem or an interactive shell per session channel.
//
// Each session gets a process-wide unique id (the NETCONF session-id). A
// Handler serves one session and returns when it is over; its context ends
// when the server closes or the session's transport closes (the client
// closes the channel or the connection, or Session.Close drops it), so a
// handler blocked on a fault or a slow operation is torn down at once. Serve blocks until Close; Close drops every
// connection and waits for every goroutine the server started. A Server is
// safe for concurrent use.
package sshsrv
