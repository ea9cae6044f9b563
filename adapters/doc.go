// Package adapters is netagent's one device API over gNMI, NETCONF and CLI
// (R19): the Device interface with its three generic operations, Configure,
// Query and Monitor, the optional phase interfaces the two-phase-commit
// coordinator drives, typed device errors, health-checked protocol failover,
// the inventory (netagent YAML, containerlab topology-data.json and
// ansible-inventory.yml), credentials and SSH host keys.
//
// # Split
//
// As database/sql and database/sql/driver: callers use Device and the
// failover device OpenDevice returns; protocol packages (adapters/netconf,
// adapters/gnmi, adapters/cli) implement Device plus the optional
// interfaces (Preparer, Committer, Confirmer, Aborter, RollBacker, Capabler,
// Pinger), found by type assertion. main registers the protocol packages
// in a Registry; this package imports none of them.
//
// # Errors
//
// Every device failure is a *DeviceError naming the device, protocol,
// phase, kind (a sentinel: ErrUnreachable, ErrAuth, ErrTimeout, ErrLocked,
// ErrRejected, ErrHostKey, ErrUnsupported), the protocol's error tag, the
// offending path and the device's message. Retryable(err) is true only when
// the device certainly did not apply the change (STYLE.md section 4); the
// failover layer re-sends nothing else without reading back first.
//
// # Context and concurrency
//
// Every blocking call takes ctx first; a ctx deadline shorter than the
// configured Timeouts wins. Devices are safe for concurrent use; writes to a
// device are serialised (one writer: a Configure, or a transaction from
// Prepare to Confirm, Abort or Rollback). Monitor blocks until ctx ends; the
// caller owns its goroutine. Close waits for every goroutine a device
// started.
//
// # SSH host keys
//
// HostKeys checks keys against a known_hosts file and fails closed: an
// unknown host or a changed key refuses the connection during the key
// exchange, before any credential is sent. AcceptNew (the --ssh-accept-new
// flag) trusts an unknown host on first use, appends its key to the file
// and reports it (log and OnAccept, for the audit log); a changed key is
// never accepted.
package adapters
