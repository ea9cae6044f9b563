// Package nl understands natural-language intents in English and Chinese
// ("shut down eth1 on leaf1", "把 leaf1 的 eth1 接口 MTU 改成 9000") and turns
// them into structured intents, or asks.
//
// The knowledge is data, not code: an intent library in YAML (rules.yaml,
// embedded as the default, replaceable at run time with LoadRules, which
// the REST API exposes as PUT /v1/nl/rules). Each library entry has a kind,
// category and scene, keywords and sentence patterns per language with
// named slots ({device}, {interface}, {mtu}...), the required slots,
// defaults for optional ones, a spec template and the sentence shown back
// for confirmation. Slots have types (device names come from the
// inventory, so "the" is never a device) and the question to ask when they
// are missing.
//
// Parsing produces candidates with a confidence: 0.95 when a pattern
// matches the whole sentence, 0.70 when it matches only part of it
// (something else was said that the rule does not cover), at most 0.60 for
// keywords alone; 0.05 less for each element taken from the session's
// previous turns (the device named before); times 0.4 when the sentence
// contains a negation. Under the threshold (0.75 by default), with a
// missing element, an invalid value, or two readings close together, the
// answer is StatusClarify with a question: the parser asks rather than
// guesses. A StatusConfirm answer carries the intent, already checked
// against its JSON Schema, and a summary to show the user; it is submitted
// only after the user confirms.
//
// Concurrency: a Parser is safe for concurrent use; rule reloads are
// atomic (a parse sees the old rules or the new ones). Sessions expire
// after 30 minutes; at most 10,000 are kept.
package nl
