// Package event signs and verifies netagent's event notifications (R15):
// a JSON envelope (type, time, source agent, subject, params, per-sender
// sequence) with a detached JWS over it (EdDSA or ES256, go-jose/v4), the
// signer's certificate chain in the x5c header so the key is bound to the
// agent's X.509 identity.
//
// A Verifier refuses, each with its own sentinel: a malformed message
// (ErrMalformed), a signature that does not match the payload or the
// certificate's key (ErrBadSignature), a chain that does not lead to a
// trusted root or a source that is not the certificate's subject
// (ErrUnknownSigner), a time outside the window (ErrExpired), and a
// sequence number not above the last one seen from that sender
// (ErrReplay). A message is accepted only when every check passes; its
// sequence is recorded only then.
//
// A Bus signs the agent's own events and serves them with the verified
// ones of its peers (Server-Sent Events, filtered by type, device and
// intent). LinkWatch turns the interface states telemetry reports into
// link.down and link.up events, one per change.
//
// Signer, Verifier, Bus and LinkWatch are safe for concurrent use.
package event
