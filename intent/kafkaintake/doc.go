// Package kafkaintake takes intents from Kafka: a consumer group on the
// intents topic (kafka-go), one result per message on intent-results, and
// messages that can never succeed on intents-dlq with the reason.
//
// Messages are handled concurrently (Config.Concurrency, default 8) and
// their offsets committed in the order they were read. Delivery is at
// least once and application exactly once:
//
//   - a message's offset is committed only after intent.Service has stored
//     the intent durably (or the message has been answered as refused and
//     copied to the dead-letter topic), and after every message read before
//     it; a crash before that redelivers it;
//   - the intent's id is its idempotency key: the id in the message, else
//     the message key, else one derived from topic, partition and offset
//     (stable across redeliveries). A redelivered id is answered from the
//     stored record ("duplicate") and applies nothing.
//
// Each message is answered on the results topic when it is handled
// (accepted, duplicate or rejected), and each outcome of an intent that
// came from Kafka (applied, failed, rolled-back, withdrawn, assured,
// drifted, breached) follows there as a result with status "outcome"; the
// stored record (GET /v1/intents/{id}) remains the authority.
//
// Identity. The broker connection is authenticated with the options of
// Security: TLS (the brokers verified against a CA bundle), a client
// certificate (mutual TLS) and SASL/SCRAM-SHA-256 or -512 with the password
// read from a 0600 file. Run first connects once (Check): a broker that
// refuses the credentials or the certificate stops Run with an error
// naming the broker and the setting to fix (ErrBrokerRefused); a broker
// that cannot be reached is retried like any other.
//
// An unsigned message acts for the connection's principal
// (Config.Principal, intake.kafka_principal) only. A message may carry a
// signed requester: the netagent-signature header, a detached compact JWS
// (EdDSA or ES256, typ netagent-intent+jws) over exactly the message value,
// with the signer's certificate chain in x5c, verified against
// Config.Signers (the agents' and operators' CA, optionally an allow list
// of identities) at the time of reading. Such an intent acts for the
// signer, delivered by the connection's principal on its behalf (scopes
// narrowed to what both hold), and must carry its id, so a replay of the
// message is a duplicate. A bad signature (malformed, untrusted or expired
// certificate, a value changed after signing, a signer not admitted, two
// signatures) is refused: answered rejected, copied to the dead-letter
// topic, recorded as an intent.refused audit entry by the connection's
// principal, and nothing is stored or applied. A traceparent header gives
// the intent its trace.
//
// Errors that may pass (the store is busy, a broker is away) are retried
// with backoff on the same message, never skipped. Run blocks until its
// context ends and closes the reader and writer it opened before returning.
package kafkaintake
