package nl

import (
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"sort"
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
}

// compiled is a loaded, checked rule set.
type compiled struct {
	raw       []byte
	threshold float64
	negations map[string][]string
	fillers   map[string][]filler
	slots     map[string]SlotRule
	intents   []compiledIntent
}

type compiledIntent struct {
	IntentRule
	// bodies are the patterns as regular expressions, per language, with
	// devicePlaceholder where the device names go.
	bodies map[string][]string
}

// devicePlaceholder stands for the device slot's expression, which
// depends on the inventory (see matcher).
const devicePlaceholder = "\x00device\x00"

// genericDevice matches device-like names when there is no inventory.
const genericDevice = `[A-Za-z][A-Za-z0-9_-]*[0-9]`

var slotTypes = map[string]string{
	"device":     `[A-Za-z][A-Za-z0-9_-]*[A-Za-z0-9]`,
	"interface":  `(?:(?:ethernet|eth|ge|xe|et|e|swp|lo|loopback|port-channel|vlan)[-]?[0-9]+(?:[/.-][0-9]+)*)`,
	"integer":    `[0-9]{1,10}`,
	"number":     `[0-9]{1,10}(?:\.[0-9]{1,6})?`,
	"asn":        `[0-9]{1,10}`,
	"ipv4":       `(?:[0-9]{1,3}\.){3}[0-9]{1,3}`,
	"prefix":     `(?:[0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}`,
	"duration":   `[0-9]{1,6}\s*(?:ms|s|m|h|秒|分钟|小时)`,
	"text":       `"[^"]{1,255}"|“[^”]{1,255}”|'[^']{1,255}'|「[^」]{1,255}」`,
	"metric":     ``, // from Values
	"comparison": ``, // from Values
}

func loadRules(data []byte) (*compiled, error) {
	var r Rules
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRules, err)
	}
	c := &compiled{raw: append([]byte(nil), data...), threshold: r.Threshold, negations: r.Negations, fillers: compileFillers(r.Fillers), slots: r.Slots}
	if c.threshold == 0 {
		c.threshold = 0.75
	}
	if c.threshold < 0 || c.threshold > 1 {
		return nil, fmt.Errorf("%w: threshold %v is not between 0 and 1", ErrRules, c.threshold)
	}
	var errs []error
	for name, s := range r.Slots {
		if _, ok := slotTypes[s.Type]; !ok {
			errs = append(errs, fmt.Errorf("slot %s: unknown type %q", name, s.Type))
		}
		if (s.Type == "metric" || s.Type == "comparison") && len(s.Values) == 0 {
			errs = append(errs, fmt.Errorf("slot %s: type %s needs values", name, s.Type))
		}
	}
	seen := map[string]bool{}
	for _, ir := range r.Intents {
		if ir.Name == "" || seen[ir.Name] {
			errs = append(errs, fmt.Errorf("intent %q: missing or duplicate name", ir.Name))
			continue
		}
		seen[ir.Name] = true
		if !knownKind(ir.Kind) {
			errs = append(errs, fmt.Errorf("intent %s: unknown kind %q", ir.Name, ir.Kind))
		}
		ci := compiledIntent{IntentRule: ir, bodies: map[string][]string{}}
		for _, req := range ir.Required {
			if _, ok := r.Slots[req]; !ok {
				errs = append(errs, fmt.Errorf("intent %s: required slot %q is not declared", ir.Name, req))
			}
		}
		for lang, pats := range ir.Patterns {
			for _, p := range pats {
				body, err := patternRegexp(p, r.Slots, lang)
				if err != nil {
					errs = append(errs, fmt.Errorf("intent %s: pattern %q: %w", ir.Name, p, err))
					continue
				}
				if _, err := regexp.Compile(strings.ReplaceAll(body, devicePlaceholder, genericDevice)); err != nil {
					errs = append(errs, fmt.Errorf("intent %s: pattern %q: %w", ir.Name, p, err))
					continue
				}
				ci.bodies[lang] = append(ci.bodies[lang], body)
			}
		}
		c.intents = append(c.intents, ci)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrRules, errors.Join(errs...))
	}
	return c, nil
}

// filler is a politeness word: English ones match whole words (re),
// Chinese ones anywhere (word).
type filler struct {
	word string
	re   *regexp.Regexp
}

func compileFillers(m map[string][]string) map[string][]filler {
	out := map[string][]filler{}
	for lang, words := range m {
		for _, w := range words {
			if w == "" {
				continue
			}
			f := filler{word: w}
			if isASCII(w) {
				f.re = regexp.MustCompile(`(?i)(^|[\s,])` + regexp.QuoteMeta(w) + `([\s,.!?]|$)`)
			}
			out[lang] = append(out[lang], f)
		}
	}
	return out
}

// slotFinders find a slot's value anywhere in a sentence (keyword readings).
var slotFinders = func() map[string]*regexp.Regexp {
	m := map[string]*regexp.Regexp{}
	for t, expr := range slotTypes {
		if expr != "" {
			m[t] = regexp.MustCompile(`(?i)` + expr)
		}
	}
	return m
}()

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
