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
// Errors that may pass (the store is busy, a broker is away) are retried
// with backoff on the same message, never skipped. Run blocks until its
// context ends and closes the reader and writer it opened before returning.
package kafkaintake
