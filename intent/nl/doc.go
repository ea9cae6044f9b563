// Package nl understands natural-language intents in English and Chinese
// ("shut down eth1 on leaf1", "把 leaf1 的 eth1 接口 MTU 改成 9000",
// "warn me when memory on leaf4 passes 90%") and turns them into
// structured intents, or asks.
//
// The knowledge is data, not code: an intent library in YAML (rules.yaml,
// embedded as the default, replaceable at run time with LoadRules, which
// the REST API exposes as PUT /v1/nl/rules). Each library entry has a kind,
// category and scene, the required and optional slots, defaults, a spec
// template and the sentence shown back for confirmation, and two kinds of
// rule per language:
//
//   - sentence patterns with named slots ({device}, {interface}, {mtu}...);
//   - keyword cues: groups of words (a group may also be met by an element,
//     "{interface}"), words that keep the entry from applying ("unless"),
//     and words that fill a slot with a constant ("blackhole" -> DROP,
//     "默认路由" -> 0.0.0.0/0).
//
// The frame reader finds the typed elements of a sentence anywhere in it
// (quoted text first, then prefixes, addresses, inventory devices,
// interfaces, unknown device-like names, durations, numbers) and the
// library's words. Invariants: each element fills one slot at most, so a
// prefix is never its own next hop and "route P to A" takes A as the next
// hop; a slot offered two different elements is a question, never a
// choice; a library word inside a longer one does not count on its own
// ("no shut" is not the removal "no", "must not exceed" not a negation,
// "drop traffic" not a removal), except a cue inside a value of a slot its
// own rule has ("内存" in the metric "内存使用率"; but "up" in "up to" does
// not bring an interface up). Windows may be written in words ("ten
// minutes", "十分钟"); a unit of time left unread ("a few minutes", "几分钟",
// "2 days") makes every reading a question, never the default window.
//
// Cost: a pattern is tried only when the sentence has the words it needs
// and, for the whole-sentence form, begins with its leading words;
// partial matches are looked for only when no reading is sure; each
// library phrase is looked for once per sentence.
//
// Removal: the library's removal words ("remove", "delete", "no",
// "删除", "去掉"...) select the entries marked removal, which build the
// removal form of a kind ("ensure": "absent": a static route by prefix, a
// BGP neighbour by address, interface addresses by name and addresses),
// and keep every creating entry from reading the sentence at all. Until
// the schemas in force know "ensure", a removal document is checked with
// the kind's schema on its identifying members, and Result.Intent is nil
// while Result.Document holds it; once the schema accepts it, both are set.
//
// Confidence: 0.95 when a pattern matches the whole sentence, 0.90 when
// the frame reader fills every slot, 0.70 when a pattern matches only part
// of it, at most 0.60 for an incomplete reading; 0.05 less for each element
// taken from the session (the device named before); times 0.4 when the
// sentence negates; at most 0.5 for a question. Under the threshold (0.75
// by default), with a missing element, an invalid value, two values for
// one slot, an unknown device, or two complete readings close together,
// the answer is StatusClarify with a question: the parser asks rather than
// guesses. A StatusConfirm answer carries the intent document (checked
// against its JSON Schema) and a summary to show the user; it is submitted
// only after the user confirms.
//
// Context (per Request.Session): a follow-up ("and the same on leaf2",
// "也改一下 leaf2") repeats the session's last confirmed request with the
// elements the follow-up gives; an answer to a question ("via 10.0.0.1",
// "leaf6") completes the pending request, whose slots are kept as given;
// a sentence that is a complete request on its own starts afresh. A
// request without a session that is asked about gets one (Result.Session)
// for the answer to name.
//
// Rules: a rule file that does not load (YAML syntax, an unknown field,
// kind or slot, a broken pattern) is refused with a *RuleError naming its
// line (errors.Is(err, ErrRules)), and the rules in force stay.
//
// Concurrency: a Parser is safe for concurrent use; rule reloads are
// atomic (a parse sees the old rules or the new ones). Sessions expire
// after 30 minutes; at most 10,000 are kept. Parse does no I/O; ctx is
// only checked on entry.
package nl
