package nl

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/width"

	"github.com/netagent/netagent/intent"
)

// Status is the outcome of a parse.
type Status string

// Parse outcomes.
const (
	// StatusConfirm: one intent understood with confidence at or above the
	// threshold; show Summary and Intent back and submit after the user confirms.
	StatusConfirm Status = "confirm"
	// StatusClarify: something is missing, ambiguous or under the threshold;
	// ask Question instead of guessing.
	StatusClarify Status = "clarify"
	// StatusNoMatch: nothing in the library resembles the sentence.
	StatusNoMatch Status = "no_match"
)

// Request is one turn of a conversation.
type Request struct {
	Text string `json:"text"`
	// Session ties turns together: a device or interface named in an
	// earlier turn fills the same element left out of a later one.
	Session string `json:"session,omitempty"`
	// Lang is "en" or "zh"; empty means detect from the text.
	Lang string `json:"lang,omitempty"`
}

// Candidate is one reading of the sentence.
type Candidate struct {
	Rule       string            `json:"rule"`
	Kind       intent.Kind       `json:"kind"`
	Confidence float64           `json:"confidence"`
	Slots      map[string]string `json:"slots"`
	// FromContext lists slots filled from the session's earlier turns.
	FromContext []string `json:"from_context,omitempty"`
	Missing     []string `json:"missing,omitempty"`
	Summary     string   `json:"summary,omitempty"`
	// Document is the intent this reading builds, as the JSON document
	// POST /v1/intents takes, when it is complete.
	Document map[string]any `json:"document,omitempty"`
	// Intent is Document decoded, when it is complete and valid.
	Intent *intent.Intent `json:"intent,omitempty"`
	// Problem says why a complete reading is not a valid intent.
	Problem string `json:"problem,omitempty"`
}

// Result is the parser's answer: an intent to confirm, or a question.
type Result struct {
	Status     Status         `json:"status"`
	Language   string         `json:"language"`
	Confidence float64        `json:"confidence"`
	Threshold  float64        `json:"threshold"`
	Intent     *intent.Intent `json:"intent,omitempty"`
	// Document is the intent as the JSON document to submit.
	Document   map[string]any `json:"document,omitempty"`
	Summary    string         `json:"summary,omitempty"`
	Question   string         `json:"question,omitempty"`
	Candidates []Candidate    `json:"candidates"`
}

// Parser understands sentences with a rule set it can swap at run time. It
// is safe for concurrent use.
type Parser struct {
	inv intent.Inventory

	mu       sync.Mutex // protects following fields
	rules    *compiled
	match    *matcher
	sessions map[string]*session
}

type session struct {
	device, iface string
	at            time.Time
}

// Session limits.
const (
	maxSessions = 10000
	sessionTTL  = 30 * time.Minute
	maxText     = 1000
)

// New returns a parser with the embedded default rules. inv names the
// devices a sentence may mention; nil accepts any device-like name.
func New(inv intent.Inventory) (*Parser, error) {
	c, err := loadRules(defaultRules)
	if err != nil {
		return nil, err
	}
	return &Parser{inv: inv, rules: c, sessions: map[string]*session{}}, nil
}

// LoadRules replaces the rule set with data (YAML). On error the current
// rules stay in force and the error (matching ErrRules) says what is wrong.
func (p *Parser) LoadRules(data []byte) error {
	c, err := loadRules(data)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.rules, p.match = c, nil
	p.mu.Unlock()
	return nil
}

// Rules returns the rule set in force, as loaded.
func (p *Parser) Rules() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.rules.raw...)
}

// matcher is a rule set compiled against one list of device names.
type matcher struct {
	rules   *compiled
	devKey  string
	devices map[string]bool
	pats    []map[string][]*regexp.Regexp // per intent: language -> anchored
	loose   []map[string][]*regexp.Regexp // per intent: language -> unanchored
}

func (p *Parser) matcher() (*matcher, error) {
	var names []string
	if p.inv != nil {
		for _, d := range p.inv.Devices() {
			names = append(names, d.Name)
		}
	}
	key := strings.Join(names, "\x00")
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.match != nil && p.match.rules == p.rules && p.match.devKey == key {
		return p.match, nil
	}
	devExpr := genericDevice
	if len(names) > 0 {
		sorted := append([]string(nil), names...)
		sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
		for i, n := range sorted {
			sorted[i] = regexp.QuoteMeta(n)
		}
		devExpr = strings.Join(sorted, "|")
	}
	m := &matcher{rules: p.rules, devKey: key, devices: map[string]bool{}}
	for _, n := range names {
		m.devices[strings.ToLower(n)] = true
	}
	for _, ci := range p.rules.intents {
		pats, loose := map[string][]*regexp.Regexp{}, map[string][]*regexp.Regexp{}
		for lang, bodies := range ci.bodies {
			for _, body := range bodies {
				b := strings.ReplaceAll(body, devicePlaceholder, devExpr)
				a, err := regexp.Compile(`(?i)^\s*` + b + `\s*[.!?。！？]?\s*$`)
				if err != nil {
					return nil, fmt.Errorf("%w: intent %s: %w", ErrRules, ci.Name, err)
				}
				l, err := regexp.Compile(`(?i)` + b)
				if err != nil {
					return nil, fmt.Errorf("%w: intent %s: %w", ErrRules, ci.Name, err)
				}
				pats[lang] = append(pats[lang], a)
				loose[lang] = append(loose[lang], l)
			}
		}
		m.pats = append(m.pats, pats)
		m.loose = append(m.loose, loose)
	}
	p.match = m
	return m, nil
}

// Confidence levels.
const (
	confExact    = 0.95 // the whole sentence matches a pattern
	confLoose    = 0.70 // a pattern matches part of it: something else was said
	confContext  = 0.05 // subtracted per element taken from an earlier turn
	confNegation = 0.4  // multiplied when the sentence negates
	confKeywords = 0.6  // the most a keyword-only reading can reach
)

// Parse reads one sentence. It never guesses: under the threshold, with a
// missing element, or with two readings close together, it returns
// StatusClarify and a question. ctx is accepted for symmetry with other
// intakes; parsing does no I/O.
func (p *Parser) Parse(ctx context.Context, req Request) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, err := p.matcher()
	if err != nil {
		return nil, err
	}
	rules := m.rules
	text := normalise(req.Text)
	if len([]rune(text)) > maxText {
		text = string([]rune(text)[:maxText])
	}
	lang := req.Lang
	if lang != "en" && lang != "zh" {
		lang = detect(text)
	}
	if lang == "zh" {
		text = joinHan(text)
	}
	res := &Result{Language: lang, Threshold: rules.threshold, Candidates: []Candidate{}}
	text = stripFillers(text, rules.fillers[lang])
	negated := containsAny(text, rules.negations[lang], lang)
	ctxSess := p.session(req.Session)

	for i, ci := range rules.intents {
		var best *Candidate
		for j, re := range m.pats[i][lang] {
			conf := confExact
			sm := re.FindStringSubmatch(text)
			if sm == nil {
				re = m.loose[i][lang][j]
				if sm = re.FindStringSubmatch(text); sm == nil {
					continue
				}
				conf = confLoose
			}
			c := p.candidate(rules, ci, lang, re, sm, conf, ctxSess)
			if best == nil || c.Confidence > best.Confidence || (c.Confidence == best.Confidence && len(c.Missing) < len(best.Missing)) {
				best = &c
			}
		}
		if best == nil {
			if kw := keywordHits(text, ci.Keywords[lang]); kw > 0 {
				c := p.keywordCandidate(rules, m, ci, lang, text, kw, ctxSess)
				best = &c
			}
		}
		if best != nil {
			if negated {
				best.Confidence *= confNegation
			}
			best.Confidence = round2(best.Confidence)
			res.Candidates = append(res.Candidates, *best)
		}
	}
	sort.SliceStable(res.Candidates, func(i, j int) bool {
		a, b := res.Candidates[i], res.Candidates[j]
		if a.Confidence != b.Confidence {
			return a.Confidence > b.Confidence
		}
		return len(a.Missing) < len(b.Missing)
	})
	if len(res.Candidates) > 5 {
		res.Candidates = res.Candidates[:5]
	}
	p.decide(rules, lang, negated, res)
	if len(res.Candidates) > 0 {
		p.remember(req.Session, res.Candidates[0])
	}
	return res, nil
}

func (p *Parser) decide(rules *compiled, lang string, negated bool, res *Result) {
	if len(res.Candidates) == 0 {
		res.Status = StatusNoMatch
		res.Question = say(lang, "I did not understand that. Try, for example: \"shut down eth1 on leaf1\".",
			"没有理解这句话。可以这样说：“把 leaf1 的 eth1 接口 MTU 改成 9000”。")
		return
	}
	top := res.Candidates[0]
	res.Confidence = top.Confidence
	res.Status = StatusClarify
	switch {
	case negated:
		res.Question = say(lang, "That sentence contains a negation, so I will not act on it. What should be done?",
			"这句话包含否定词，我不会据此操作。请问需要做什么？")
	case len(top.Missing) > 0:
		res.Question = rules.slots[top.Missing[0]].Ask[lang]
		if res.Question == "" {
			res.Question = say(lang, "Which "+top.Missing[0]+"?", "请补充："+top.Missing[0])
		}
	case top.Problem != "":
		res.Question = say(lang, "That would not be a valid intent: "+top.Problem+". What should it be?",
			"这样的意图无效："+top.Problem+"。请问应该是什么？")
	case len(res.Candidates) > 1 && res.Candidates[1].Confidence >= rules.threshold && top.Confidence-res.Candidates[1].Confidence < 0.1:
		res.Question = say(lang, fmt.Sprintf("Did you mean \"%s\" or \"%s\"?", top.Summary, res.Candidates[1].Summary),
			fmt.Sprintf("您是想“%s”还是“%s”？", top.Summary, res.Candidates[1].Summary))
	case top.Confidence < rules.threshold:
		res.Question = say(lang, fmt.Sprintf("Did you mean: %s? Please confirm by saying it in full.", top.Summary),
			fmt.Sprintf("您是想：%s？请完整地再说一遍以确认。", top.Summary))
	default:
		res.Status = StatusConfirm
		res.Intent = top.Intent
		res.Document = top.Document
		res.Summary = top.Summary
	}
}

func say(lang, en, zh string) string {
	if lang == "zh" {
		return zh
	}
	return en
}

// candidate builds a reading from a pattern match.
func (p *Parser) candidate(rules *compiled, ci compiledIntent, lang string, re *regexp.Regexp, sm []string, conf float64, sess *session) Candidate {
	slots := map[string]string{}
	for i, name := range re.SubexpNames() {
		if name != "" && i < len(sm) && sm[i] != "" {
			slots[name] = sm[i]
		}
	}
	return p.finish(rules, ci, lang, slots, conf, sess)
}

// keywordCandidate builds a reading from keywords and the elements found
// anywhere in the sentence; it stays under the threshold.
func (p *Parser) keywordCandidate(rules *compiled, m *matcher, ci compiledIntent, lang, text string, hits int, sess *session) Candidate {
	slots := map[string]string{}
	lower := strings.ToLower(text)
	for _, name := range slotNames(ci) {
		s := rules.slots[name]
		switch s.Type {
		case "device":
			for _, f := range tokens(lower) {
				if m.devices[f] {
					slots[name] = f
					break
				}
			}
		case "interface", "prefix", "ipv4", "text":
			if v := slotFinders[s.Type].FindString(text); v != "" {
				slots[name] = v
			}
		}
	}
	conf := min(confKeywords, 0.2+0.15*float64(hits))
	return p.finish(rules, ci, lang, slots, conf, sess)
}

func slotNames(ci compiledIntent) []string {
	names := append([]string(nil), ci.Required...)
	sort.Strings(names)
	return names
}

// finish fills context and defaults, checks slot values, builds the intent.
func (p *Parser) finish(rules *compiled, ci compiledIntent, lang string, slots map[string]string, conf float64, sess *session) Candidate {
	c := Candidate{Rule: ci.Name, Kind: intent.Kind(ci.Kind), Slots: slots, Confidence: conf}
	for _, name := range ci.Required {
		if _, ok := slots[name]; ok {
			continue
		}
		switch {
		case rules.slots[name].Type == "device" && sess != nil && sess.device != "":
			slots[name] = sess.device
			c.FromContext = append(c.FromContext, name)
			c.Confidence -= confContext
		case rules.slots[name].Type == "interface" && sess != nil && sess.iface != "":
			slots[name] = sess.iface
			c.FromContext = append(c.FromContext, name)
			c.Confidence -= confContext
		default:
			c.Missing = append(c.Missing, name)
		}
	}
	for name, v := range ci.Defaults {
		if _, ok := slots[name]; !ok {
			slots[name] = v
		}
	}
	typed := map[string]any{}
	for name, raw := range slots {
		v, problem := typedValue(rules.slots[name], lang, raw)
		if problem != "" {
			c.Problem = fmt.Sprintf("%s %s", name, problem)
			continue
		}
		typed[name] = v
		if s, ok := v.(string); ok {
			slots[name] = s
		} else {
			slots[name] = fmt.Sprint(v)
		}
	}
	c.Summary = interpolate(ci.Confirm[lang], slots)
	if len(c.Missing) > 0 || c.Problem != "" {
		return c
	}
	doc := map[string]any{
		"kind":    ci.Kind,
		"targets": map[string]any{"devices": []any{slots["device"]}},
		"spec":    substitute(ci.Spec, typed, slots),
	}
	c.Document = doc
	in, err := intent.DecodeValue(doc)
	if err != nil {
		c.Problem = plainProblem(err)
		return c
	}
	c.Intent = in
	return c
}

func plainProblem(err error) string {
	var parts []string
	if ie, ok := err.(*intent.InvalidError); ok {
		for _, pr := range ie.Problems {
			parts = append(parts, strings.TrimPrefix(pr.Pointer, "/spec/")+" "+pr.Reason)
		}
		return strings.Join(parts, "; ")
	}
	return err.Error()
}

// typedValue checks and converts a slot's text.
func typedValue(s SlotRule, lang, raw string) (any, string) {
	raw = strings.TrimSpace(raw)
	switch s.Type {
	case "integer", "asn":
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, fmt.Sprintf("%q is not a whole number", raw)
		}
		if (s.Min != nil && float64(n) < *s.Min) || (s.Max != nil && float64(n) > *s.Max) {
			return nil, fmt.Sprintf("%d is out of range %s to %s", n, fmtNum(s.Min), fmtNum(s.Max))
		}
		return n, ""
	case "number":
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return nil, fmt.Sprintf("%q is not a number", raw)
		}
		if (s.Min != nil && f < *s.Min) || (s.Max != nil && f > *s.Max) {
			return nil, fmt.Sprintf("%v is out of range %s to %s", f, fmtNum(s.Min), fmtNum(s.Max))
		}
		return f, ""
	case "metric", "comparison":
		for w, v := range s.Values[lang] {
			if strings.EqualFold(w, raw) {
				return v, ""
			}
		}
		return raw, ""
	case "duration":
		i := strings.IndexFunc(raw, func(r rune) bool { return !unicode.IsDigit(r) })
		if i <= 0 {
			return raw, ""
		}
		unit := strings.TrimSpace(raw[i:])
		if u, ok := s.Values[lang][unit]; ok {
			unit = u
		}
		return raw[:i] + unit, ""
	case "text":
		return strings.Trim(raw, `"'“”「」`), ""
	case "interface":
		return strings.ToLower(raw[:1]) + raw[1:], ""
	}
	return raw, ""
}

func fmtNum(f *float64) string {
	if f == nil {
		return "any"
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// substitute replaces {slot} references in a spec template.
func substitute(v any, typed map[string]any, text map[string]string) any {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "{") && strings.HasSuffix(x, "}") && strings.Count(x, "{") == 1 {
			if tv, ok := typed[x[1:len(x)-1]]; ok {
				return tv
			}
		}
		return interpolate(x, text)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = substitute(e, typed, text)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = substitute(e, typed, text)
		}
		return out
	}
	return v
}

func interpolate(s string, slots map[string]string) string {
	for k, v := range slots {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// session returns a copy of the session's context, expiring old ones.
func (p *Parser) session(id string) *session {
	if id == "" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sessions[id]
	if !ok || time.Since(s.at) > sessionTTL {
		return nil
	}
	c := *s
	return &c
}

// remember keeps the device and interface of the best reading for the
// session's next turn.
func (p *Parser) remember(id string, c Candidate) {
	if id == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sessions[id]
	if !ok {
		if len(p.sessions) >= maxSessions {
			p.evictLocked()
		}
		s = &session{}
		p.sessions[id] = s
	}
	if d := c.Slots["device"]; d != "" {
		s.device = d
	}
	if i := c.Slots["interface"]; i != "" {
		s.iface = i
	}
	s.at = time.Now()
}

func (p *Parser) evictLocked() {
	var oldest string
	var at time.Time
	for id, s := range p.sessions {
		if time.Since(s.at) > sessionTTL {
			delete(p.sessions, id)
			continue
		}
		if oldest == "" || s.at.Before(at) {
			oldest, at = id, s.at
		}
	}
	if len(p.sessions) >= maxSessions && oldest != "" {
		delete(p.sessions, oldest)
	}
}

// normalise folds full-width characters (Chinese input methods type
// digits, letters and punctuation in full width) and trims.
func normalise(s string) string {
	s = width.Narrow.String(s)
	s = strings.Map(func(r rune) rune {
		if r == '\u3000' {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// joinHan removes spaces next to Chinese characters: Chinese is written
// without them, and operators type them around embedded Latin words.
func joinHan(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsSpace(r) {
			prevHan := i > 0 && unicode.Is(unicode.Han, rs[i-1])
			j := i
			for j < len(rs) && unicode.IsSpace(rs[j]) {
				j++
			}
			nextHan := j < len(rs) && unicode.Is(unicode.Han, rs[j])
			if prevHan || nextHan {
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

func detect(s string) string {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return "zh"
		}
	}
	return "en"
}

// stripFillers removes politeness words: whole words in English, anywhere
// in Chinese.
func stripFillers(text string, fillers []filler) string {
	for _, f := range fillers {
		if f.re != nil {
			for f.re.MatchString(text) {
				text = f.re.ReplaceAllString(text, "$1$2")
			}
		} else {
			text = strings.ReplaceAll(text, f.word, "")
		}
	}
	text = strings.Join(strings.Fields(text), " ")
	return strings.Trim(text, " ,，")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func containsAny(text string, words []string, lang string) bool {
	lower := strings.ToLower(text)
	toks := tokens(lower)
	for _, w := range words {
		w = strings.ToLower(w)
		if lang == "zh" || !isASCII(w) || strings.Contains(w, " ") || strings.Contains(w, "'") {
			if strings.Contains(lower, w) {
				return true
			}
			continue
		}
		for _, t := range toks {
			if t == w {
				return true
			}
		}
	}
	return false
}

func keywordHits(text string, kws []string) int {
	lower := strings.ToLower(text)
	n := 0
	for _, k := range kws {
		if k != "" && strings.Contains(lower, strings.ToLower(k)) {
			n++
		}
	}
	return n
}

func tokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' || r == '/' || r == '\'') || unicode.Is(unicode.Han, r)
	})
}

func round2(f float64) float64 {
	return float64(int(f*100+0.5)) / 100
}
