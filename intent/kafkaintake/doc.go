// Package kafkaintake takes intents from Kafka: a consumer group on the
// intents topic (kafka-go), one result per message on intent-results, and
// messages that can never succeed on intents-dlq with the reason.
//
// Delivery is at least once and application exactly once:
//
//   - a message's offset is committed only after intent.Service has stored
//     the intent durably (or the message has been answered as refused and
//     copied to the dead-letter topic); a crash before that redelivers it;
//   - the intent's id is its idempotency key: the id in the message, else
//     the message key, else one derived from topic, partition and offset
//     (stable across redeliveries). A redelivered id is answered from the
//     stored record ("duplicate") and applies nothing.
//
// Errors that may pass (the store is busy, a broker is away) are retried
// with backoff on the same message, never skipped. Run blocks until its
// context ends and closes the reader and writer it opened before returning.
package kafkaintake
