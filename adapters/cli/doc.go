// Package cli is the CLI-over-SSH adapter (R18): scrapligo's network
// driver over netagent's SSH transport (host keys checked against
// known_hosts before any credential is sent), for devices without NETCONF
// or gNMI.
//
// Rendering: Render compares each entity a change touches (interface,
// address, static route, BGP instance, neighbour) before and after, and
// emits the platform's configuration commands, deletions first, interfaces
// before the routes that use them. The per-platform differences are a
// small table (Platforms: prompts as a scrapligo platform definition,
// discard-route word, router-id syntax, route argument order); adding a
// dialect is adding an entry. Parsing: ParseConfig reads show
// running-config with regular expressions back into the model; static
// route next hops are numbered by position ("0", "1", ...) since a CLI has
// no next-hop names, and the interface type follows from its name.
//
// Errors: every command's output is checked for the platform's error
// markers ("% Invalid input", "% Unknown command"); the first marks the
// Configure rejected (a *adapters.DeviceError with Tag "%", Path the
// refused command, Message the device's line). On dialects with
// configuration sessions (EOS) a change is sent inside "configure session"
// and committed, or aborted at the first refused line: all or nothing. On
// the others (FRR) lines already accepted are undone by the inverse
// commands, and the error is Retryable only if that left the device as it
// was.
//
// Configure does not read the device first when the changes' old values
// say enough (leaf creations, updates and deletions of interfaces,
// addresses and routes); entry deletions and BGP read show running-config.
//
// Monitor polls: configuration paths with show running-config, interface
// state and counters (/interfaces/interface[...]/state) with show
// interface(s), parsed by ParseInterfaces; other paths are ErrUnsupported
// (the failover layer then serves them through another protocol).
//
// Transactions are participant-side (no candidate, no confirm timer):
// Prepare reads running, renders and validates without sending; Commit
// sends; Abort and Rollback apply the inverse commands of what the
// transaction changed.
//
// Concurrency: an Adapter is safe for concurrent use; one writer at a time;
// commands on its pooled session are serialised.
package cli
