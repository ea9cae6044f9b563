package nl

import (
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/netagent/netagent/intent"
)

//go:embed rules.yaml
var defaultRules []byte

// DefaultRules returns the embedded rule set.
func DefaultRules() []byte { return append([]byte(nil), defaultRules...) }

// ErrRules marks a rule set that cannot be loaded; errors.Is matches it.
var ErrRules = errors.New("nl: invalid rules")

// RuleError is a problem in a rule file, at a line (0 when unknown).
type RuleError struct {
	Line   int
	Reason string
}

func (e *RuleError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return e.Reason
}

// Is makes errors.Is(err, ErrRules) true for every RuleError.
func (e *RuleError) Is(target error) bool { return target == ErrRules }

// Rules is the intent library: what the parser knows, as data.
type Rules struct {
	Version int `yaml:"version"`
	// Threshold is the confidence under which the parser asks instead of
	// answering; default 0.75.
	Threshold float64 `yaml:"threshold"`
	// Negations per language: a sentence containing one is never taken at
	// its word.
	Negations map[string][]string `yaml:"negations"`
	// Fillers per language: politeness removed before matching.
	Fillers map[string][]string `yaml:"fillers"`
	// Removals per language: a sentence with one of these (outside a
	// longer phrase of the library, such as "no shut") asks for the
	// removal form; only rules marked removal read it.
	Removals map[string][]string `yaml:"removals"`
	// Questions per language: an English one at the start of a sentence,
	// a Chinese one anywhere, makes it a question, which is asked back.
	Questions map[string][]string `yaml:"questions"`
	// Conditions per language ("if", "unless", "如果"): a request that
	// depends on one is asked back, except by rules marked conditional
	// (an alarm's "warn me if ..." is its point).
	Conditions map[string][]string `yaml:"conditions"`
	// Reports per language ("yesterday", "was", "已经"): a sentence that
	// tells what happened is not a request; it is asked back.
	Reports map[string][]string `yaml:"reports"`
	// Slots are the named elements sentences carry.
	Slots map[string]SlotRule `yaml:"slots"`
	// Intents are the library entries.
	Intents []IntentRule `yaml:"intents"`
}

// SlotRule describes one element: its type and the question asked when
// it is missing, per language.
type SlotRule struct {
	// Type is device, interface, integer, number, ipv4, prefix, asn,
	// metric, comparison, duration or text.
	Type string `yaml:"type"`
	// Min and Max bound integer and number slots.
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
	// Ask is the clarifying question per language.
	Ask map[string]string `yaml:"ask"`
	// Values maps words to canonical values (metric and comparison names,
	// time units...), per language.
	Values map[string]map[string]string `yaml:"values"`
}

// IntentRule is one entry of the intent library.
type IntentRule struct {
	Name     string `yaml:"name"`
	Kind     string `yaml:"kind"`
	Category string `yaml:"category"`
	Scene    string `yaml:"scene"`
	// Keywords per language, matched case-insensitively anywhere.
	Keywords map[string][]string `yaml:"keywords"`
	// Patterns per language: literal words, {slot}, (a|b) alternatives,
	// and (...)? optional groups. A space matches any run of spaces;
	// elsewhere spaces are optional.
	Patterns map[string][]string `yaml:"patterns"`
	// Required slots; a sentence without one is asked about.
	Required []string `yaml:"required"`
	// Defaults fill optional slots the sentence leaves out.
	Defaults map[string]string `yaml:"defaults"`
	// Spec is the intent's spec with {slot} references; a value that is
	// exactly "{slot}" takes the slot's typed value.
	Spec map[string]any `yaml:"spec"`
	// Confirm is the sentence shown back for confirmation, per language.
	Confirm map[string]string `yaml:"confirm"`
	// Cues per language are groups of words; the frame reader reads a
	// sentence with this rule when every group has a word in it. "{slot}"
	// in a group is met by an element of that slot's type.
	Cues map[string][][]string `yaml:"cues"`
	// Unless per language: words that keep the rule from reading a sentence.
	Unless map[string][]string `yaml:"unless"`
	// Consts fill a slot with a constant when a word occurs:
	// slot -> language -> word -> value ("blackhole" -> DROP).
	Consts map[string]map[string]map[string]string `yaml:"consts"`
	// Optional slots are filled when the sentence has them.
	Optional []string `yaml:"optional"`
	// Removal marks the removal form of a kind: read only when the
	// sentence has a removal word, while the other rules are not.
	Removal bool `yaml:"removal"`
	// FollowUp marks the rule that repeats the session's previous request
	// with the elements this sentence gives ("the same on leaf2").
	FollowUp bool `yaml:"follow_up"`
	// Conditional marks rules whose sentences carry a condition.
	Conditional bool `yaml:"conditional"`
	// MaxDevices lets the device slot take several devices (the two ends
	// of a link); default 1.
	MaxDevices int `yaml:"max_devices"`
}

// compiled is a loaded, checked rule set.
type compiled struct {
	raw        []byte
	threshold  float64
	negations  map[string][]string
	removals   map[string][]string
	questions  map[string][]string
	conditions map[string][]string
	reports    map[string][]string
	lex        map[string]lexicon
	fillers    map[string][]filler
	slots      map[string]SlotRule
	intents    []compiledIntent
	// needWords are the words patterns need, each once, so that a parse
	// looks for each at most once whatever the number of rules.
	needWords []string
	needIndex map[string]int
}

// usesSlot reports whether rule i has a slot (required or optional).
func (c *compiled) usesSlot(i int, slot string) bool {
	if i < 0 || i >= len(c.intents) {
		return false
	}
	ci := c.intents[i]
	return slices.Contains(ci.Required, slot) || slices.Contains(ci.Optional, slot)
}

// needIndexes interns a pattern's needs.
func (c *compiled) needIndexes(needs [][]string) [][]int {
	out := make([][]int, len(needs))
	for i, set := range needs {
		for _, w := range set {
			k, ok := c.needIndex[w]
			if !ok {
				k = len(c.needWords)
				c.needWords = append(c.needWords, w)
				c.needIndex[w] = k
			}
			out[i] = append(out[i], k)
		}
	}
	return out
}

type compiledIntent struct {
	IntentRule
	index int
	// bodies are the patterns as regular expressions, per language, with
	// devicePlaceholder where the device names go.
	bodies map[string][]string
	// needs are, per language and pattern, the words a sentence must have
	// for the pattern to match: each set is one word it needs or a choice
	// of words it needs one of, as indexes into compiled.needWords. A
	// pattern is tried only when all are there.
	needs map[string][][][]int
	// starts are, per language and pattern, the words the whole sentence
	// must begin with for the anchored form to match (lower case, without
	// spaces; nil when the pattern begins with a slot or an optional part).
	starts map[string][][]string
}

// devicePlaceholder stands for the device slot's expression, which
// depends on the inventory (see matcher).
const devicePlaceholder = "\x00device\x00"

// genericDevice matches device-like names when there is no inventory.
const genericDevice = `[A-Za-z][A-Za-z0-9_-]*[0-9]`

var slotTypes = map[string]string{
	"device":     `[A-Za-z][A-Za-z0-9_-]*[A-Za-z0-9]`,
	"interface":  `(?:(?:gigabitethernet|tengigabitethernet|tengige|ethernet|eth|ge|xe|et|gi|te|e|swp|lo|loopback|port-channel|vlan|irb|mgmt)[-]?[0-9]+(?:[/.:-][0-9]+)*)`,
	"integer":    `[0-9]{1,10}`,
	"number":     `[0-9]{1,10}(?:\.[0-9]{1,6})?`,
	"asn":        `[0-9]{1,10}`,
	"ipv4":       `(?:[0-9]{1,3}\.){3}[0-9]{1,3}`,
	"prefix":     `(?:[0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}`,
	"duration":   `[0-9]{1,6}\s*(?:ms|s|m|h|秒|分钟|小时)`,
	"text":       `"[^"]{1,255}"|“[^”]{1,255}”|'[^']{1,255}'|「[^」]{1,255}」|｢[^｣]{1,255}｣`,
	"metric":     ``, // from Values
	"comparison": ``, // from Values
}

var reYAMLLine = regexp.MustCompile(`line ([0-9]+)`)

// yamlError turns a YAML decoding error into a RuleError with its line.
func yamlError(err error) error {
	line := 0
	if m := reYAMLLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	return &RuleError{Line: line, Reason: strings.TrimPrefix(err.Error(), "yaml: ")}
}

// ruleLines finds where things are in a rule file, for error messages.
type ruleLines struct{ root *yaml.Node }

// at returns the line of the node reached by keys (mapping keys, or
// sequence indexes as ints); 0 when it is not there.
func (l ruleLines) at(path ...any) int {
	n := l.root
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range path {
		switch k := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return n.Line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					n, found = n.Content[i+1], true
					break
				}
			}
			if !found {
				return n.Line
			}
		case int:
			if n.Kind != yaml.SequenceNode || k >= len(n.Content) {
				return n.Line
			}
			n = n.Content[k]
		}
	}
	return n.Line
}

func loadRules(data []byte) (*compiled, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRules, yamlError(err))
	}
	var r Rules
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRules, yamlError(err))
	}
	lines := ruleLines{root: &root}
	c := &compiled{raw: append([]byte(nil), data...), threshold: r.Threshold, negations: r.Negations,
		removals: r.Removals, questions: r.Questions, conditions: r.Conditions, reports: r.Reports, fillers: compileFillers(r.Fillers), slots: r.Slots,
		needIndex: map[string]int{}}
	if c.threshold == 0 {
		c.threshold = 0.75
	}
	if c.threshold < 0 || c.threshold > 1 {
		return nil, fmt.Errorf("%w: %w", ErrRules, &RuleError{Line: lines.at("threshold"), Reason: fmt.Sprintf("threshold %v is not between 0 and 1", c.threshold)})
	}
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, &RuleError{Line: line, Reason: fmt.Sprintf(format, args...)})
	}
	slotNames := make([]string, 0, len(r.Slots))
	for name := range r.Slots {
		slotNames = append(slotNames, name)
	}
	sort.Strings(slotNames)
	for _, name := range slotNames {
		s := r.Slots[name]
		if _, ok := slotTypes[s.Type]; !ok {
			fail(lines.at("slots", name, "type"), "slot %s: unknown type %q", name, s.Type)
		}
		if (s.Type == "metric" || s.Type == "comparison") && len(s.Values) == 0 {
			fail(lines.at("slots", name), "slot %s: type %s needs values", name, s.Type)
		}
	}
	seen := map[string]bool{}
	followUps := 0
	for i, ir := range r.Intents {
		if ir.Name == "" || seen[ir.Name] {
			fail(lines.at("intents", i), "intent %q: missing or duplicate name", ir.Name)
			continue
		}
		seen[ir.Name] = true
		if ir.FollowUp {
			followUps++
		} else if !knownKind(ir.Kind) {
			fail(lines.at("intents", i, "kind"), "intent %s: unknown kind %q", ir.Name, ir.Kind)
		}
		ci := compiledIntent{IntentRule: ir, index: len(c.intents), bodies: map[string][]string{}, needs: map[string][][][]int{}, starts: map[string][][]string{}}
		for j, req := range ir.Required {
			if _, ok := r.Slots[req]; !ok {
				fail(lines.at("intents", i, "required", j), "intent %s: required slot %q is not declared", ir.Name, req)
			}
		}
		for j, opt := range ir.Optional {
			if _, ok := r.Slots[opt]; !ok {
				fail(lines.at("intents", i, "optional", j), "intent %s: optional slot %q is not declared", ir.Name, opt)
			}
		}
		for slot := range ir.Consts {
			if _, ok := r.Slots[slot]; !ok {
				fail(lines.at("intents", i, "consts", slot), "intent %s: constant for undeclared slot %q", ir.Name, slot)
			}
		}
		for lang, groups := range ir.Cues {
			for g, words := range groups {
				for k, w := range words {
					if strings.HasPrefix(w, "{") {
						if _, ok := r.Slots[strings.Trim(w, "{}")]; !ok || !strings.HasSuffix(w, "}") {
							fail(lines.at("intents", i, "cues", lang, g, k), "intent %s: cue %q names no declared slot", ir.Name, w)
						}
					}
				}
			}
		}
		for _, lang := range sortedKeys(ir.Patterns) {
			for j, p := range ir.Patterns[lang] {
				line := lines.at("intents", i, "patterns", lang, j)
				body, err := patternRegexp(p, r.Slots, lang)
				if err != nil {
					fail(line, "intent %s: pattern %q: %v", ir.Name, p, err)
					continue
				}
				if _, err := regexp.Compile(strings.ReplaceAll(body, devicePlaceholder, genericDevice)); err != nil {
					fail(line, "intent %s: pattern %q: %v", ir.Name, p, err)
					continue
				}
				ci.bodies[lang] = append(ci.bodies[lang], body)
				ci.needs[lang] = append(ci.needs[lang], c.needIndexes(patternNeeds(p)))
				ci.starts[lang] = append(ci.starts[lang], patternStarts(p))
			}
		}
		c.intents = append(c.intents, ci)
	}
	if followUps > 1 {
		fail(lines.at("intents"), "%d follow-up rules; at most one", followUps)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrRules, errors.Join(errs...))
	}
	c.buildLexicons()
	return c, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// filler is a politeness word: English ones match whole words (re),
// Chinese ones anywhere (word).
type filler struct {
	word, lower string
	re          *regexp.Regexp
}

func compileFillers(m map[string][]string) map[string][]filler {
	out := map[string][]filler{}
	for lang, words := range m {
		for _, w := range words {
			if w == "" {
				continue
			}
			f := filler{word: w, lower: strings.ToLower(w)}
			if isASCII(w) {
				f.re = regexp.MustCompile(`(?i)(^|[\s,])` + regexp.QuoteMeta(w) + `([\s,.!?]|$)`)
			}
			out[lang] = append(out[lang], f)
		}
	}
	return out
}

func knownKind(k string) bool {
	for _, kk := range intent.Kinds() {
		if string(kk) == k {
			return true
		}
	}
	return false
}

// patternRegexp translates the pattern language into a regular expression
// with one named group per slot.
func patternRegexp(p string, slots map[string]SlotRule, lang string) (string, error) {
	var b strings.Builder
	depth := 0
	used := map[string]bool{}
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch c {
		case '{':
			j := i + 1
			for j < len(rs) && rs[j] != '}' {
				j++
			}
			if j == len(rs) {
				return "", errors.New("unclosed {")
			}
			name := string(rs[i+1 : j])
			s, ok := slots[name]
			if !ok {
				return "", fmt.Errorf("unknown slot %q", name)
			}
			if used[name] {
				return "", fmt.Errorf("slot %q appears twice", name)
			}
			used[name] = true
			fmt.Fprintf(&b, `(?P<%s>%s)`, name, slotRegexp(s, lang))
			i = j
		case '(':
			depth++
			b.WriteString(`\s*(?:`)
		case ')':
			depth--
			if depth < 0 {
				return "", errors.New("unbalanced )")
			}
			b.WriteByte(')')
			if i+1 < len(rs) && rs[i+1] == '?' {
				b.WriteByte('?')
				i++
			}
			b.WriteString(`\s*`)
		case '|':
			b.WriteByte('|')
		case ' ':
			for i+1 < len(rs) && rs[i+1] == ' ' {
				i++
			}
			b.WriteString(`\s*`)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
			if i+1 < len(rs) && rs[i+1] == '?' {
				b.WriteByte('?')
				i++
			}
			if i+1 < len(rs) && rs[i+1] == '{' {
				b.WriteString(`\s*`)
			}
		}
		if c == '}' || (c == '{') {
			b.WriteString(`\s*`)
		}
	}
	if depth != 0 {
		return "", errors.New("unbalanced (")
	}
	return b.String(), nil
}

func slotRegexp(s SlotRule, lang string) string {
	switch s.Type {
	case "device":
		return devicePlaceholder
	case "metric", "comparison":
		var words []string
		for w := range s.Values[lang] {
			words = append(words, w)
		}
		// Longest first, so "at most" wins over "at".
		sort.Slice(words, func(i, j int) bool {
			if len(words[i]) != len(words[j]) {
				return len(words[i]) > len(words[j])
			}
			return words[i] < words[j]
		})
		for i, w := range words {
			words[i] = regexp.QuoteMeta(w)
		}
		return strings.Join(words, "|")
	case "duration":
		if len(s.Values[lang]) > 0 {
			var units []string
			for w := range s.Values[lang] {
				units = append(units, regexp.QuoteMeta(w))
			}
			sort.Slice(units, func(i, j int) bool { return len(units[i]) > len(units[j]) })
			return `[0-9]{1,6}\s*(?:` + strings.Join(units, "|") + `)`
		}
	}
	return slotTypes[s.Type]
}

// patternNeeds finds the words a pattern cannot match without, lower case
// and without spaces (a space in a pattern matches none or many): the
// literal runs outside groups, and the choices of a group that is not
// optional and holds only words.
func patternNeeds(p string) [][]string {
	var needs [][]string
	var run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			needs = append(needs, []string{strings.ToLower(run.String())})
			run.Reset()
		}
	}
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; {
		case c == ' ':
		case c == '{':
			flush()
			for i < len(rs) && rs[i] != '}' {
				i++
			}
		case c == '(':
			flush()
			depth, j, plain := 1, i+1, true
			for ; j < len(rs) && depth > 0; j++ {
				switch rs[j] {
				case '(':
					depth++
					plain = false
				case ')':
					depth--
				case '{', '?':
					plain = false
				}
			}
			inner := string(rs[i+1 : j-1])
			optional := j < len(rs) && rs[j] == '?'
			if optional {
				j++
			}
			if plain && !optional {
				var alts []string
				for _, a := range strings.Split(inner, "|") {
					a = strings.ToLower(strings.ReplaceAll(a, " ", ""))
					if a == "" {
						alts = nil
						break
					}
					alts = append(alts, a)
				}
				if alts != nil {
					needs = append(needs, alts)
				}
			}
			i = j - 1
		case i+1 < len(rs) && rs[i+1] == '?':
			flush()
			i++
		default:
			run.WriteRune(c)
		}
	}
	flush()
	return needs
}

// patternStarts finds the words a sentence must begin with for the
// anchored form of a pattern to match: its leading literal run, or the
// choices of a leading group that is not optional and holds only words.
func patternStarts(p string) []string {
	rs := []rune(strings.TrimLeft(p, " "))
	if len(rs) == 0 {
		return nil
	}
	clean := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }
	if rs[0] == '(' {
		depth, j := 1, 1
		for ; j < len(rs) && depth > 0; j++ {
			switch rs[j] {
			case '(', '{', '?':
				return nil
			case ')':
				depth--
			}
		}
		if depth != 0 || (j < len(rs) && rs[j] == '?') {
			return nil
		}
		var alts []string
		for _, a := range strings.Split(string(rs[1:j-1]), "|") {
			if a = clean(a); a == "" {
				return nil
			}
			alts = append(alts, a)
		}
		return alts
	}
	var run []rune
	for i, c := range rs {
		if c == '(' || c == '{' || c == '|' || c == ')' || (i+1 < len(rs) && rs[i+1] == '?') {
			break
		}
		run = append(run, c)
	}
	if w := clean(string(run)); w != "" {
		return []string{w}
	}
	return nil
}

// startsWith reports whether flat begins with one of starts (nil: no
// constraint).
func startsWith(flat string, starts []string) bool {
	if starts == nil {
		return true
	}
	for _, w := range starts {
		if strings.HasPrefix(flat, w) {
			return true
		}
	}
	return false
}

// needsSeen remembers, for one sentence, which need words it has: 0 not
// looked for yet, 1 there, 2 not there.
type needsSeen struct {
	flat  string // the sentence in lower case without spaces
	words []string
	seen  []uint8
}

func newNeedsSeen(flat string, words []string) *needsSeen {
	return &needsSeen{flat: flat, words: words, seen: make([]uint8, len(words))}
}

func (n *needsSeen) has(k int) bool {
	if n.seen[k] == 0 {
		n.seen[k] = 2
		if strings.Contains(n.flat, n.words[k]) {
			n.seen[k] = 1
		}
	}
	return n.seen[k] == 1
}

// mayMatch reports whether the sentence has every word a pattern needs.
func (n *needsSeen) mayMatch(needs [][]int) bool {
	for _, set := range needs {
		ok := false
		for _, k := range set {
			if n.has(k) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
