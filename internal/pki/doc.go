// Package pki is netagent's small local certificate authority for agent
// identities, the embedded default (any CA works in production): `netagent
// pki init` creates the CA in the data dir, `netagent pki issue NAME` an
// agent certificate whose URI SAN netagent://agent/NAME names the agent (see
// auth.IdentityOf), usable as both TLS server and client.
//
// Keys are ECDSA P-256, stored as PKCS#8 PEM with mode 0600; certificates
// as PEM. Init never overwrites an existing CA. ServerConfig and
// ClientConfig build the agent-to-agent TLS configurations: TLS 1.3
// minimum, the client certificate required and verified against the CA
// pool, and the client checking that the server is the agent it meant to
// reach. Functions are safe for concurrent use; the files are not locked
// (one operator runs init and issue).
package pki
