package nl

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The frame reader: a sentence is read as a set of typed elements found
// anywhere in it (devices, interfaces, prefixes, addresses, numbers,
// durations, quoted text) and the library's words found in it (cues,
// removal words, negations, slot values such as metrics and comparisons,
// constants such as "blackhole"). A rule whose cue groups all occur reads
// the sentence by giving each of its slots the one element of the slot's
// type. Every element is used by one slot at most, so a prefix is never
// its own next hop; two elements where one slot needs one is a question,
// not a guess.

// lexKind says what a word of the library is.
type lexKind int

const (
	lexCue lexKind = iota
	lexRemoval
	lexNegation
	lexValue // a slot's value word (metric, comparison)
	lexConst // a word that fills a slot with a constant
	lexFollowUp
	lexCondition
	lexReport
)

type lexItem struct {
	phrase string // lower case
	ascii  bool
	kind   lexKind
	rule   int // cue, const: the rule's index
	group  int // cue: the group's index
	slot   string
	value  string
}

// hit is one occurrence of a library word in a sentence.
type hit struct {
	*lexItem
	start, end int
}

// lexicon is every word of one language, longest first, each phrase once
// with every item it stands for (a word may cue several rules).
type lexicon []*lexPhrase

type lexPhrase struct {
	phrase string // lower case
	ascii  bool
	items  []*lexItem
	// nonValue: an item is not a slot value or constant; a cue inside
	// such a phrase does not count on its own.
	nonValue bool
}

func (c *compiled) buildLexicons() {
	c.lex = map[string]lexicon{}
	phrases := map[string]map[string]*lexPhrase{}
	add := func(lang string, it lexItem) {
		it.phrase = strings.ToLower(strings.TrimSpace(it.phrase))
		if it.phrase == "" {
			return
		}
		it.ascii = isASCII(it.phrase)
		if phrases[lang] == nil {
			phrases[lang] = map[string]*lexPhrase{}
		}
		ph := phrases[lang][it.phrase]
		if ph == nil {
			ph = &lexPhrase{phrase: it.phrase, ascii: it.ascii}
			phrases[lang][it.phrase] = ph
			c.lex[lang] = append(c.lex[lang], ph)
		}
		ph.items = append(ph.items, &it)
		if it.kind != lexValue && it.kind != lexConst {
			ph.nonValue = true
		}
	}
	for lang, ws := range c.removals {
		for _, w := range ws {
			add(lang, lexItem{phrase: w, kind: lexRemoval, rule: -1})
		}
	}
	for lang, ws := range c.negations {
		for _, w := range ws {
			add(lang, lexItem{phrase: w, kind: lexNegation, rule: -1})
		}
	}
	for lang, ws := range c.reports {
		for _, w := range ws {
			add(lang, lexItem{phrase: w, kind: lexReport, rule: -1})
		}
	}
	for lang, ws := range c.conditions {
		for _, w := range ws {
			add(lang, lexItem{phrase: w, kind: lexCondition, rule: -1})
		}
	}
	for name, s := range c.slots {
		if s.Type != "metric" && s.Type != "comparison" {
			continue
		}
		for lang, vals := range s.Values {
			for w, v := range vals {
				add(lang, lexItem{phrase: w, kind: lexValue, rule: -1, slot: name, value: v})
			}
		}
	}
	for i, ci := range c.intents {
		kind := lexCue
		if ci.FollowUp {
			kind = lexFollowUp
		}
		for lang, groups := range ci.Cues {
			for g, words := range groups {
				for _, w := range words {
					if strings.HasPrefix(w, "{") {
						continue // an element, not a word
					}
					add(lang, lexItem{phrase: w, kind: kind, rule: i, group: g})
				}
			}
		}
		for slot, langs := range ci.Consts {
			for lang, vals := range langs {
				for w, v := range vals {
					add(lang, lexItem{phrase: w, kind: lexConst, rule: i, slot: slot, value: v})
				}
			}
		}
		for lang, ws := range ci.Unless {
			for _, w := range ws {
				// Unless words only block; as cues of no group they
				// still take part in containment.
				add(lang, lexItem{phrase: w, kind: lexCue, rule: i, group: -1})
			}
		}
	}
	for lang := range c.lex {
		l := c.lex[lang]
		sort.SliceStable(l, func(i, j int) bool { return len(l[i].phrase) > len(l[j].phrase) })
	}
}

// span is one occurrence of a library phrase.
type span struct {
	p          *lexPhrase
	start, end int
}

// findHits finds the library's words in lower (the sentence in lower
// case, with elements masked). ASCII words match whole words; others
// anywhere. A hit inside a longer hit is dropped: "no shut" is one
// phrase, not a removal "no" and a "shut". Each phrase is looked for once,
// however many rules use it.
//
// A cue inside a longer phrase still cues its rule when every phrase
// around it is a constant or a value of a slot that rule has ("内存" in
// the metric "内存使用率" cues the service-level rules), not otherwise
// ("up" in the comparison "up to" does not bring an interface up).
// uses reports whether rule i has a slot.
func findHits(lex lexicon, lower string, uses func(i int, slot string) bool) []hit {
	var spans []span
	for _, ph := range lex {
		from := 0
		for from < len(lower) {
			i := strings.Index(lower[from:], ph.phrase)
			if i < 0 {
				break
			}
			s, e := from+i, from+i+len(ph.phrase)
			from = s + 1
			if ph.ascii && !(wordBoundary(lower, s, true) && wordBoundary(lower, e, false)) {
				continue
			}
			spans = append(spans, span{ph, s, e})
		}
	}
	var hits []hit
	var around []span
	for _, sp := range spans {
		around = around[:0]
		for _, g := range spans {
			if g.start <= sp.start && sp.end <= g.end && g.end-g.start > sp.end-sp.start {
				around = append(around, g)
			}
		}
		for _, it := range sp.p.items {
			if len(around) == 0 || cueInside(it, around, uses) {
				hits = append(hits, hit{it, sp.start, sp.end})
			}
		}
	}
	return hits
}

// cueInside reports whether a cue inside the phrases around it counts.
func cueInside(it *lexItem, around []span, uses func(i int, slot string) bool) bool {
	if it.kind != lexCue && it.kind != lexFollowUp {
		return false
	}
	for _, g := range around {
		for _, gi := range g.p.items {
			switch {
			case gi.kind == lexConst:
			case gi.kind == lexValue && uses(it.rule, gi.slot):
			default:
				return false
			}
		}
	}
	return true
}

// wordBoundary reports whether position i of s is the edge of an ASCII
// word: the character before (start) or at (end) it is not a letter or digit.
func wordBoundary(s string, i int, start bool) bool {
	if start {
		if i == 0 {
			return true
		}
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		return !isWordRune(r)
	}
	if i >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return !isWordRune(r)
}

func isWordRune(r rune) bool {
	return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// element is one typed value found in a sentence.
type element struct {
	typ        string // device, unknown-device, interface, prefix, ipv4, number, duration, text
	start, end int
	text       string // as written (text: without its quotes)
}

var (
	rePrefix    = regexp.MustCompile(`(?:[0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,3}`)
	reIPv4      = regexp.MustCompile(`(?:[0-9]{1,3}\.){3}[0-9]{1,3}`)
	reInterface = regexp.MustCompile(`(?i)(?:gigabitethernet|tengigabitethernet|tengige|ethernet|eth|ge|xe|et|gi|te|e|swp|lo|loopback|port-channel|vlan|irb|mgmt)[-]?[0-9]+(?:[/.:-][0-9]+)*`)
	reDeviceish = regexp.MustCompile(`(?i)[a-z][a-z_-]*[0-9]+`)
	reDuration  = regexp.MustCompile(`(?i)([0-9]{1,6})[\s-]*(minutes|minute|mins|min|seconds|second|secs|sec|hours|hour|hrs|hr|h|m|s|分钟|小时|秒钟|秒|分)`)
	reNumber    = regexp.MustCompile(`(?i)[0-9]+(?:\.[0-9]+)?(?:\s*(?:%|percent|pct|milliseconds|millisecond|msec|ms|毫秒))?`)
)

// extract finds the elements of a sentence and returns them with the
// sentence masked where they were (same length, spaces), so that library
// words are not found inside a description or a device name.
func extract(text string, devices map[string]string, devicePrefixes map[string]bool) ([]element, string) {
	masked := []byte(text)
	var els []element
	mask := func(s, e int) {
		for i := s; i < e; i++ {
			masked[i] = ' '
		}
	}
	free := func(s, e int) bool {
		for i := s; i < e; i++ {
			if masked[i] == ' ' && text[i] != ' ' {
				return false
			}
		}
		return true
	}
	for _, q := range quoted(text) {
		els = append(els, element{typ: "text", start: q[0], end: q[1], text: text[q[2]:q[3]]})
		mask(q[0], q[1])
	}
	find := func(typ string, re *regexp.Regexp, check func(s, e int) bool) {
		cur := string(masked)
		for _, m := range re.FindAllStringIndex(cur, -1) {
			s, e := m[0], m[1]
			if !free(s, e) || !wordBoundary(cur, s, true) || !numBoundary(cur, e) || (check != nil && !check(s, e)) {
				continue
			}
			els = append(els, element{typ: typ, start: s, end: e, text: text[s:e]})
			mask(s, e)
		}
	}
	find("prefix", rePrefix, nil)
	find("ipv4", reIPv4, nil)
	// Devices: the inventory's names, longest first, whole words.
	lower := strings.ToLower(string(masked))
	var names []string
	for n := range devices {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if len(names[i]) != len(names[j]) {
			return len(names[i]) > len(names[j])
		}
		return names[i] < names[j]
	})
	for _, n := range names {
		from := 0
		for {
			i := strings.Index(lower[from:], n)
			if i < 0 {
				break
			}
			s, e := from+i, from+i+len(n)
			from = e
			if wordBoundary(lower, s, true) && wordBoundary(lower, e, false) && free(s, e) {
				els = append(els, element{typ: "device", start: s, end: e, text: devices[n]})
				mask(s, e)
				lower = strings.ToLower(string(masked))
			}
		}
	}
	find("interface", reInterface, func(s, e int) bool { return wordBoundary(text, e, false) })
	if len(devices) == 0 {
		// No inventory: any device-like name is taken as a device.
		find("device", reDeviceish, func(s, e int) bool { return wordBoundary(text, e, false) })
	}
	find("unknown-device", reDeviceish, func(s, e int) bool {
		w := strings.ToLower(text[s:e])
		alpha := strings.TrimRightFunc(w, func(r rune) bool { return unicode.IsDigit(r) })
		return devicePrefixes[alpha] && wordBoundary(text, e, false)
	})
	find("duration", reDuration, func(s, e int) bool { return wordBoundary(text, e, false) })
	// Durations with their number in words: "ten minutes", "十分钟".
	for _, d := range wordDurations(string(masked)) {
		if free(d.start, d.end) {
			els = append(els, d)
			mask(d.start, d.end)
		}
	}
	// Durations in words: "an hour", "半小时".
	cur := strings.ToLower(string(masked))
	for _, w := range durationWords {
		from := 0
		for {
			i := strings.Index(cur[from:], w.phrase)
			if i < 0 {
				break
			}
			s, e := from+i, from+i+len(w.phrase)
			from = e
			if (!isASCII(w.phrase) || (wordBoundary(cur, s, true) && wordBoundary(cur, e, false))) && free(s, e) {
				els = append(els, element{typ: "duration", start: s, end: e, text: w.value})
				mask(s, e)
				cur = strings.ToLower(string(masked))
			}
		}
	}
	find("number", reNumber, func(s, e int) bool {
		return wordBoundary(text, s, true) && (wordBoundary(text, e, false) || !isDigitByte(text[e-1]))
	})
	sort.Slice(els, func(i, j int) bool { return els[i].start < els[j].start })
	return els, string(masked)
}

// durationWords are windows written in words, longest first.
var durationWords = []struct{ phrase, value string }{
	{"half an hour", "30m"}, {"one hour", "1h"}, {"an hour", "1h"}, {"one minute", "1m"}, {"a minute", "1m"},
	{"一个小时", "1h"}, {"一小时", "1h"}, {"半小时", "30m"}, {"一分钟", "1m"},
}

var (
	reWordDurationEN = regexp.MustCompile(`(?i)\b((?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)[\s-]+(minutes|minute|mins|min|hours|hour|hrs|hr|seconds|second|secs|sec)\b`)
	reWordDurationZH = regexp.MustCompile(`([一二两三四五六七八九十]+)\s*个?\s*(分钟|小时|秒钟|秒)`)
	// reTimeUnit finds a unit of time; one left after the durations were
	// taken is a time the sentence gives without a number we can read
	// ("several minutes", "几分钟", "for 2 days").
	reTimeUnitEN = regexp.MustCompile(`(?i)\b(minutes|minute|mins|hours|hour|hrs|seconds|second|secs|days|day|weeks|week|months|month)\b`)
	reTimeUnitZH = regexp.MustCompile(`分钟|小时|秒钟|秒|[几数多两一二三四五六七八九十0-9]\s*(?:个)?\s*(?:天|星期|礼拜|月)`)
)

var numberWordsEN = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
	"nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}

// englishNumber reads "ten", "forty-five", "twenty one".
func englishNumber(w string) int {
	n := 0
	for _, part := range strings.FieldsFunc(strings.ToLower(w), func(r rune) bool { return r == '-' || r == ' ' }) {
		n += numberWordsEN[part]
	}
	return n
}

// chineseNumber reads 一 to 九十九 (两 is 2); 0 when it cannot.
func chineseNumber(w string) int {
	digits := map[rune]int{'一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	rs := []rune(w)
	switch {
	case len(rs) == 1 && rs[0] == '十':
		return 10
	case len(rs) == 1:
		return digits[rs[0]]
	case len(rs) == 2 && rs[0] == '十':
		return 10 + digits[rs[1]]
	case len(rs) == 2 && rs[1] == '十' && digits[rs[0]] > 0:
		return 10 * digits[rs[0]]
	case len(rs) == 3 && rs[1] == '十' && digits[rs[0]] > 0 && digits[rs[2]] > 0:
		return 10*digits[rs[0]] + digits[rs[2]]
	}
	return 0
}

// wordDurations finds durations whose number is written in words, as
// elements holding the duration in figures ("ten minutes" -> "10m").
func wordDurations(s string) []element {
	var out []element
	unit := func(u string) string {
		switch strings.ToLower(u) {
		case "hours", "hour", "hrs", "hr", "小时":
			return "h"
		case "seconds", "second", "secs", "sec", "秒", "秒钟":
			return "s"
		}
		return "m"
	}
	for _, m := range reWordDurationEN.FindAllStringSubmatchIndex(s, -1) {
		if n := englishNumber(s[m[2]:m[3]]); n > 0 {
			out = append(out, element{typ: "duration", start: m[0], end: m[1], text: strconv.Itoa(n) + unit(s[m[4]:m[5]])})
		}
	}
	for _, m := range reWordDurationZH.FindAllStringSubmatchIndex(s, -1) {
		if n := chineseNumber(s[m[2]:m[3]]); n > 0 {
			out = append(out, element{typ: "duration", start: m[0], end: m[1], text: strconv.Itoa(n) + unit(s[m[4]:m[5]])})
		}
	}
	return out
}

// vagueTime finds a unit of time left in the masked sentence (the
// durations found are masked): a time the parser could not read.
func vagueTime(masked, lang string) string {
	re := reTimeUnitEN
	if lang == "zh" {
		re = reTimeUnitZH
	}
	return re.FindString(masked)
}

func isDigitByte(b byte) bool { return b >= '0' && b <= '9' }

// numBoundary: a match does not stop in the middle of a number or an
// address ("10.0.0.1" is not "10.0.0.1" followed by ".5").
func numBoundary(s string, e int) bool {
	if e >= len(s) {
		return true
	}
	if isDigitByte(s[e]) {
		return false
	}
	if s[e] == '.' && e+1 < len(s) && isDigitByte(s[e+1]) {
		return false
	}
	if s[e] == '/' && e+1 < len(s) && isDigitByte(s[e+1]) {
		return false
	}
	return true
}

// quoted finds quoted text: "...", “...”, 「...」 and '...' (a single
// quote only opens after a non-letter, so "spine2's" and "don't" are not
// quotes). Each result is start, end, inner start, inner end.
func quoted(s string) [][4]int {
	var out [][4]int
	pairs := []struct{ open, close string }{{`"`, `"`}, {"“", "”"}, {"「", "」"}, {"｢", "｣"}, {"'", "'"}}
	taken := func(i int) bool {
		for _, q := range out {
			if i >= q[0] && i < q[1] {
				return true
			}
		}
		return false
	}
	for _, p := range pairs {
		from := 0
		for from < len(s) {
			i := strings.Index(s[from:], p.open)
			if i < 0 {
				break
			}
			i += from
			from = i + len(p.open)
			if taken(i) {
				continue
			}
			if p.open == "'" && i > 0 {
				r, _ := utf8.DecodeLastRuneInString(s[:i])
				if unicode.IsLetter(r) && r < 0x80 {
					continue
				}
			}
			j := strings.Index(s[i+len(p.open):], p.close)
			if j < 0 {
				break
			}
			j += i + len(p.open)
			inner := s[i+len(p.open) : j]
			if inner == "" || len(inner) > 255*3 {
				continue
			}
			out = append(out, [4]int{i, j + len(p.close), i + len(p.open), j})
			from = j + len(p.close)
		}
	}
	return out
}

// reading is what the frame reader found in one sentence.
type reading struct {
	els       []element
	hits      []hit
	removal   bool
	negation  bool
	condition bool
	report    bool
	// vagueTime is a unit of time the sentence gives without a number
	// the parser can read ("several minutes"); every reading is then a
	// question, never a default window.
	vagueTime string
}

func (r *reading) of(typ string) []element {
	var out []element
	for _, e := range r.els {
		if e.typ == typ {
			out = append(out, e)
		}
	}
	return out
}

// elementTypes maps slot types to the element types that fill them.
var elementTypes = map[string]string{
	"device": "device", "interface": "interface", "prefix": "prefix", "ipv4": "ipv4",
	"integer": "number", "number": "number", "asn": "number", "duration": "duration", "text": "text",
}

// fires reports whether rule i's cue groups all occur and nothing it is
// unless-ed by does.
func (r *reading) fires(c *compiled, i int, lang string) (bool, int) {
	ci := c.intents[i]
	groups := ci.Cues[lang]
	if len(groups) == 0 {
		return false, 0
	}
	if len(ci.Unless[lang]) > 0 {
		for _, h := range r.hits {
			if h.rule == i && h.group == -1 && h.kind == lexCue {
				return false, 0
			}
		}
	}
	n := 0
	for g, words := range groups {
		ok := false
		for _, w := range words {
			if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") {
				s := c.slots[w[1:len(w)-1]]
				if len(r.of(elementTypes[s.Type])) > 0 {
					ok = true
				}
			}
		}
		for _, h := range r.hits {
			if h.rule == i && h.group == g && (h.kind == lexCue || h.kind == lexFollowUp) {
				ok = true
				n += h.end - h.start
			}
		}
		if !ok {
			return false, 0
		}
	}
	return true, n
}

// fill gives rule i's slots the sentence's elements. problem is set when
// the sentence names more of something than the rule takes.
func (r *reading) fill(c *compiled, ci compiledIntent) (slots map[string]string, problem string) {
	slots = map[string]string{}
	used := map[int]bool{}
	names := append(append([]string(nil), ci.Required...), ci.Optional...)
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		s := c.slots[name]
		if s.Type == "metric" || s.Type == "comparison" {
			var vals []string
			for _, h := range r.hits {
				if h.kind == lexValue && h.slot == name && !(s.Type == "comparison" && r.durationAfter(h.end)) {
					vals = appendUnique(vals, h.lexItem.phrase)
				}
			}
			switch {
			case len(vals) == 1:
				slots[name] = vals[0]
			case len(vals) > 1 && distinctValues(s, vals) > 1:
				problem = "the sentence names several " + name + "s (" + strings.Join(vals, ", ") + ")"
			case len(vals) > 1:
				slots[name] = vals[0]
			}
			continue
		}
		for _, h := range r.hits {
			if h.kind == lexConst && h.rule == ci.index && h.slot == name {
				slots[name] = h.value
			}
		}
		typ := elementTypes[s.Type]
		var cands []int
		for k, e := range r.els {
			if e.typ == typ && !used[k] {
				cands = append(cands, k)
			}
		}
		limit := 1
		if s.Type == "device" && ci.MaxDevices > 1 {
			limit = ci.MaxDevices
		}
		if _, isConst := slots[name]; isConst && len(cands) > 0 {
			problem = "the sentence gives " + name + " twice"
			continue
		}
		if len(cands) == 0 {
			continue
		}
		if len(cands) > limit {
			var vs []string
			for _, k := range cands {
				vs = append(vs, r.els[k].text)
			}
			problem = "the sentence names several values for " + name + " (" + strings.Join(vs, ", ") + ")"
			continue
		}
		var vs []string
		for _, k := range cands {
			used[k] = true
			vs = append(vs, r.els[k].text)
		}
		slots[name] = strings.Join(vs, ", ")
	}
	return slots, problem
}

// durationAfter reports whether a duration follows position end closely
// ("over 10 minutes", "over the last 10 minutes"): the word before it is
// then the window's, not a comparison.
func (r *reading) durationAfter(end int) bool {
	for _, e := range r.els {
		if e.typ == "duration" && e.start >= end && e.start-end <= 12 {
			gap := true
			for _, o := range r.els {
				if o.start >= end && o.start < e.start {
					gap = false // another element lies between
				}
			}
			if gap {
				return true
			}
		}
	}
	return false
}

func appendUnique(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

func distinctValues(s SlotRule, words []string) int {
	vals := map[string]bool{}
	for _, w := range words {
		v := w
		for _, m := range s.Values {
			for k, val := range m {
				if strings.EqualFold(k, w) {
					v = val
				}
			}
		}
		vals[v] = true
	}
	return len(vals)
}
