// Package knowledge is netagent's memory of failures: cases that say what
// went wrong on a device (error type, protocol, platform, a normalised
// message template), what it affected (devices, intents, services), how to
// fix it in words, and, when it is safe, a remediation the agent runs by
// itself (retry after a lock frees, retry a transient transport failure,
// configure one device at a time, switch the failing device's protocol,
// configure the failing device after the others), bounded by the case's
// attempts; the intent service applies it and reports whether it worked
// (Outcome).
//
// A Base keeps the cases in the embedded store (internal/store, owner
// "knowledge") with an FTS5 index. Lookup answers in two steps: an exact
// fingerprint (error type, protocol, tag and template hashed) first, then
// BM25 over the message and the structured fields, re-ranked by how much of
// a case's template the message covers and by tag, protocol and platform;
// every match carries its score and why it matched. Cases below Threshold
// are not returned as matches.
//
// Lookup reads an in-memory copy of the cases (memindex.go): a map of
// fingerprints and an inverted index of the FTS5 table's terms, scored with
// FTS5's own BM25 formula (a test holds the two to the same scores). The
// store stays the truth: a write commits, then the rows it touched are read
// back into the index, so a lookup never sees a write that rolled back and
// never waits on SQLite. FTS5 answers Search when no whole word of the
// query is in any case, with the words taken as prefixes.
//
// Seed cases (seeds.json, embedded) are written from the protocols' and
// vendors' documentation: RFC 6241 Appendix A error-tags, RFC 7950 error
// app tags, gRPC status codes as gNMI uses them, FRR and EOS CLI errors,
// SSH and TLS failures. New calls to Base.New load seeds whose id is not
// stored yet; a corrected seed stays corrected.
//
// Recording (Observe through a Recorder) runs off the critical path: the
// Recorder's Submit never blocks (a full buffer drops the observation and
// counts it), and its Run goroutine, owned by the caller, writes sightings:
// a known case's count goes up, an unknown failure becomes a learned case
// whose fingerprint later sightings match. Nothing here is called while a
// transaction waits, except Lookup, which is a read bounded by its ctx.
//
// Import is all or nothing: one invalid case refuses the whole document,
// each problem named by its JSON pointer. Base is safe for concurrent use.
//
// This package sits beside txn and does not import intent: the intent
// service declares the small Advisor interface it consults, and the agent
// (internal/agent) adapts a Base to it.
package knowledge
