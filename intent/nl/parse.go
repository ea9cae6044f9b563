package nl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
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

	conditional bool // its rule reads conditions ("warn me if ...")
}

// Result is the parser's answer: an intent to confirm, or a question.
type Result struct {
	Status     Status         `json:"status"`
	Language   string         `json:"language"`
	Confidence float64        `json:"confidence"`
	Threshold  float64        `json:"threshold"`
	Intent     *intent.Intent `json:"intent,omitempty"`
	// Document is the intent as the JSON document to submit.
	Document map[string]any `json:"document,omitempty"`
	Summary  string         `json:"summary,omitempty"`
	Question string         `json:"question,omitempty"`
	// Session is the conversation the next turn should name: the
	// request's, or one started for it when the parser asks about a
	// request that has no session, so the answer keeps what was given.
	Session    string      `json:"session,omitempty"`
	Candidates []Candidate `json:"candidates"`
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
	// last is the session's previous complete request, repeated by a
	// follow-up; pending is a request still missing slots, completed by
	// an answer. Both keep the slots as given.
	last, pending *turn
	at            time.Time
}

// turn is a reading kept for the session's next turns.
type turn struct {
	rule  string
	slots map[string]string
}

// Session limits.
const (
	maxSessions = 10000
	sessionTTL  = 30 * time.Minute
	maxText     = 1000
)

// compiledDefault loads the embedded rules once; a compiled rule set is
// never changed after loading, so parsers share it.
var compiledDefault = sync.OnceValues(func() (*compiled, error) { return loadRules(defaultRules) })

// New returns a parser with the embedded default rules. inv names the
// devices a sentence may mention; nil accepts any device-like name.
func New(inv intent.Inventory) (*Parser, error) {
	c, err := compiledDefault()
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
	devices map[string]string // lower case -> the inventory's name
	// prefixes are the devices' names without their trailing digits
	// ("leaf" for leaf1): a word like leaf9 is an unknown device.
	prefixes map[string]bool
	pats     []map[string][]*regexp.Regexp // per intent: language -> anchored
	loose    []map[string][]*regexp.Regexp // per intent: language -> unanchored
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
	m := &matcher{rules: p.rules, devKey: key, devices: map[string]string{}, prefixes: map[string]bool{}}
	for _, n := range names {
		l := strings.ToLower(n)
		m.devices[l] = n
		if a := strings.TrimRightFunc(l, unicode.IsDigit); a != l && a != "" {
			m.prefixes[a] = true
		}
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
	confFrame    = 0.90 // every slot found, by the frame reader
	confLoose    = 0.70 // a pattern matches part of it: something else was said
	confContext  = 0.05 // subtracted per element taken from an earlier turn
	confNegation = 0.4  // multiplied when the sentence negates
	confQuestion = 0.5  // the most a question can reach
	confPartial  = 0.6  // the most an incomplete frame reading can reach
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
	rules := &call{compiled: m.rules, decoded: map[string]decoded{}}
	text, lang, polite := rules.prepare(req.Text, req.Lang)
	res := &Result{Language: lang, Threshold: rules.threshold, Candidates: []Candidate{}}

	els, masked := extract(text, m.devices, m.prefixes)
	rd := &reading{els: els, hits: findHits(rules.lex[lang], strings.ToLower(masked), rules.usesSlot), vagueTime: vagueTime(masked, lang)}
	for _, h := range rd.hits {
		switch h.kind {
		case lexRemoval:
			rd.removal = true
		case lexNegation:
			rd.negation = true
		case lexCondition:
			rd.condition = true
		case lexReport:
			rd.report = true
		}
	}
	negated := rd.negation
	question := rd.report || isQuestion(text, masked, rules.questions[lang], lang, polite)
	ctxSess := p.session(req.Session)

	flat := strings.ToLower(strings.ReplaceAll(text, " ", ""))
	otherCues := false
	needs := newNeedsSeen(flat, rules.needWords)
	bests := make([]*Candidate, len(rules.intents))
	consider := func(i int, c Candidate) {
		if bests[i] == nil || better(c, *bests[i]) {
			bests[i] = &c
		}
	}
	skip := func(ci compiledIntent) bool { return ci.FollowUp || ci.Removal != rd.removal }
	sure := false // a complete reading at or above the threshold
	for i, ci := range rules.intents {
		if skip(ci) {
			continue
		}
		if ok, _ := rd.fires(rules.compiled, i, lang); ok {
			otherCues = true
			consider(i, p.frameCandidate(rules, ci, lang, rd, ctxSess))
		}
		for j, re := range m.pats[i][lang] {
			if !startsWith(flat, ci.starts[lang][j]) || !needs.mayMatch(ci.needs[lang][j]) {
				continue
			}
			if sm := re.FindStringSubmatch(text); sm != nil {
				consider(i, p.candidate(rules, m, ci, lang, re, sm, confExact, ctxSess))
			}
		}
		if b := bests[i]; b != nil && complete(*b) && b.Confidence >= rules.threshold {
			sure = true
		}
	}
	// A pattern matching part of the sentence (confLoose, under the
	// threshold) only gives a reading to ask about: it is looked for when
	// no reading is sure, and only for rules without a complete one. The
	// unanchored form is tried at every position, so this pass is the
	// costly one and is skipped when it cannot change the answer.
	if !sure {
		for i, ci := range rules.intents {
			if skip(ci) || (bests[i] != nil && complete(*bests[i])) {
				continue
			}
			for j, lre := range m.loose[i][lang] {
				if !needs.mayMatch(ci.needs[lang][j]) || !lre.MatchString(text) {
					continue
				}
				if sm := lre.FindStringSubmatch(text); sm != nil {
					consider(i, p.candidate(rules, m, ci, lang, lre, sm, confLoose, ctxSess))
				}
			}
		}
	}
	for _, b := range bests {
		if b != nil {
			res.Candidates = append(res.Candidates, *b)
		}
	}
	if c, ok := p.answer(rules, lang, rd, ctxSess, res.Candidates); ok {
		res.Candidates = append(res.Candidates, c)
	}
	if !otherCues {
		if c, ok := p.followUp(rules, lang, rd, ctxSess); ok {
			res.Candidates = append(res.Candidates, c)
		}
	}
	for i := range res.Candidates {
		c := &res.Candidates[i]
		if rd.vagueTime != "" && c.Problem == "" {
			// A window left at its default when the sentence gave one
			// in words the parser cannot read would be a wrong intent.
			c.Problem = say(lang, fmt.Sprintf("I cannot read the time in %q; give it in figures (10 minutes, 1 hour)", rd.vagueTime),
				fmt.Sprintf("无法读懂时间“%s”；请用数字写明（如 10 分钟、1 小时）", rd.vagueTime))
		}
		if negated {
			c.Confidence *= confNegation
		}
		if question {
			c.Confidence = min(c.Confidence, confQuestion)
		}
		if rd.condition && !c.conditional {
			c.Confidence = min(c.Confidence, confQuestion)
		}
		c.Confidence = round2(c.Confidence)
	}
	sort.SliceStable(res.Candidates, func(i, j int) bool { return better(res.Candidates[i], res.Candidates[j]) })
	if len(res.Candidates) > 5 {
		res.Candidates = res.Candidates[:5]
	}
	p.decide(rules, lang, negated, question, rd, res)
	res.Session = req.Session
	if len(res.Candidates) > 0 {
		top := res.Candidates[0]
		if res.Session == "" && res.Status == StatusClarify && len(top.Missing) > 0 && top.Problem == "" && !negated && !question {
			res.Session = newSessionID()
		}
		p.remember(res.Session, top, res.Status == StatusConfirm)
	}
	return res, nil
}

// prepare normalises a sentence for matching (width, length, spaces
// around Chinese, politeness removed) and finds its language; polite
// reports a sentence that opened with politeness ("could you ...").
func (c *compiled) prepare(raw, lang string) (text, language string, polite bool) {
	text = normalise(raw)
	if len([]rune(text)) > maxText {
		text = string([]rune(text)[:maxText])
	}
	if lang != "en" && lang != "zh" {
		lang = detect(text)
	}
	if lang == "zh" {
		text = outsideQuotes(text, joinHan)
	}
	polite = startsWithFiller(text, c.fillers[lang])
	text = outsideQuotes(text, func(s string) string { return stripFillers(s, c.fillers[lang]) })
	text = strings.Join(strings.Fields(text), " ")
	text = strings.Trim(text, " ,，")
	return text, lang, polite
}

// newSessionID names a conversation the parser starts.
func newSessionID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "nl-" + hex.EncodeToString(b[:])
}

// complete reports whether a candidate builds an intent.
func complete(c Candidate) bool { return c.Document != nil && c.Problem == "" && len(c.Missing) == 0 }

// better orders candidates: complete ones first, then by confidence, then
// by fewer missing slots.
func better(a, b Candidate) bool {
	if complete(a) != complete(b) {
		return complete(a)
	}
	if a.Confidence != b.Confidence {
		return a.Confidence > b.Confidence
	}
	return len(a.Missing) < len(b.Missing)
}

func (p *Parser) decide(rules *call, lang string, negated, question bool, rd *reading, res *Result) {
	if len(res.Candidates) == 0 {
		res.Status = StatusNoMatch
		res.Question = say(lang, "I did not understand that. Try, for example: \"shut down eth1 on leaf1\".",
			"没有理解这句话。可以这样说：“把 leaf1 的 eth1 接口 MTU 改成 9000”。")
		return
	}
	top := res.Candidates[0]
	res.Confidence = top.Confidence
	res.Status = StatusClarify
	var second *Candidate
	for i := 1; i < len(res.Candidates); i++ {
		if c := res.Candidates[i]; complete(c) && c.Rule != top.Rule {
			second = &res.Candidates[i]
			break
		}
	}
	switch {
	case negated:
		res.Question = say(lang, "That sentence contains a negation, so I will not act on it. What should be done?",
			"这句话包含否定词，我不会据此操作。请问需要做什么？")
	case rd.condition && !top.conditional:
		res.Question = say(lang, "That depends on a condition I cannot check; what should be done now?",
			"这个请求依赖一个我无法判断的条件；现在需要做什么？")
	case question:
		res.Question = say(lang, "That sounds like a question; I only make changes. Did you mean: "+orSomething(top.Summary, lang)+"?",
			"这听起来是一个问题，我只执行变更。您是想："+orSomething(top.Summary, lang)+"？")
	case top.Problem != "":
		res.Question = say(lang, "That would not be a valid intent: "+top.Problem+". What should it be?",
			"这样的意图无效："+top.Problem+"。请问应该是什么？")
	case top.Rule == followUpNone:
		res.Question = say(lang, "Which change should I repeat? There is no earlier request in this conversation.",
			"要重复哪个操作？本次会话中还没有之前的请求。")
	case len(top.Missing) > 0:
		res.Question = rules.slots[top.Missing[0]].Ask[lang]
		if res.Question == "" {
			res.Question = say(lang, "Which "+top.Missing[0]+"?", "请补充："+top.Missing[0])
		}
	case second != nil && second.Confidence >= rules.threshold && top.Confidence-second.Confidence < 0.1:
		res.Question = say(lang, fmt.Sprintf("Did you mean \"%s\" or \"%s\"?", top.Summary, second.Summary),
			fmt.Sprintf("您是想“%s”还是“%s”？", top.Summary, second.Summary))
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

func orSomething(s, lang string) string {
	if s == "" {
		return say(lang, "a change", "某项变更")
	}
	return s
}

func say(lang, en, zh string) string {
	if lang == "zh" {
		return zh
	}
	return en
}

// candidate builds a reading from a pattern match.
func (p *Parser) candidate(rules *call, m *matcher, ci compiledIntent, lang string, re *regexp.Regexp, sm []string, conf float64, sess *session) Candidate {
	slots := map[string]string{}
	for i, name := range re.SubexpNames() {
		if name != "" && i < len(sm) && sm[i] != "" {
			slots[name] = sm[i]
			if rules.slots[name].Type == "device" {
				if n, ok := m.devices[strings.ToLower(sm[i])]; ok {
					slots[name] = n // the inventory's spelling
				}
			}
		}
	}
	return p.finish(rules, ci, lang, slots, conf, sess)
}

// frameCandidate builds a reading from the elements found anywhere in the
// sentence.
func (p *Parser) frameCandidate(rules *call, ci compiledIntent, lang string, rd *reading, sess *session) Candidate {
	slots, problem := rd.fill(rules.compiled, ci)
	c := p.finish(rules, ci, lang, slots, confFrame, sess)
	if problem != "" && c.Problem == "" {
		c.Problem = problem
	}
	if d := rd.of("duration"); len(d) > 0 && c.Problem == "" && !hasType(rules.compiled, ci, "duration") {
		c.Problem = say(lang, "a time limit ("+d[0].text+") is not something this change can keep; say it without one",
			"这个变更无法保证时限（"+d[0].text+"）；请去掉时限再说")
	}
	if c.Problem == "" {
		for _, m := range c.Missing {
			if rules.slots[m].Type == "device" {
				if u := rd.of("unknown-device"); len(u) > 0 {
					c.Problem = say(lang, u[0].text+" is not a device in the inventory", u[0].text+" 不在设备清单中")
				}
			}
		}
	}
	if !complete(c) {
		filled := 0
		for _, r := range ci.Required {
			if _, ok := slots[r]; ok {
				filled++
			}
		}
		c.Confidence = min(confPartial, 0.3+0.3*float64(filled)/float64(max(1, len(ci.Required))))
		c.Intent, c.Document = nil, nil
	}
	return c
}

// hasType reports whether a rule has a slot of a type.
func hasType(c *compiled, ci compiledIntent, typ string) bool {
	for _, n := range append(append([]string(nil), ci.Required...), ci.Optional...) {
		if c.slots[n].Type == typ {
			return true
		}
	}
	return false
}

// followUpNone names the reading of a follow-up with nothing to follow.
const followUpNone = "follow-up"

// followUp repeats the session's previous request with the elements this
// sentence gives: "and the same on leaf2" takes everything from before
// and leaf2 as the device.
func (p *Parser) followUp(rules *call, lang string, rd *reading, sess *session) (Candidate, bool) {
	var fu *compiledIntent
	for i := range rules.intents {
		if rules.intents[i].FollowUp {
			if ok, _ := rd.fires(rules.compiled, i, lang); ok {
				fu = &rules.intents[i]
			}
		}
	}
	if fu == nil {
		return Candidate{}, false
	}
	if sess == nil || sess.last == nil {
		return Candidate{Rule: followUpNone, Confidence: confPartial, Slots: map[string]string{}}, true
	}
	ci, ok := rules.intent(sess.last.rule)
	if !ok {
		return Candidate{}, false
	}
	slots := maps.Clone(sess.last.slots)
	given, problem := rd.fill(rules.compiled, ci)
	changed := 0
	for name, v := range given {
		if _, isDefault := ci.Defaults[name]; isDefault && slots[name] == ci.Defaults[name] && v == ci.Defaults[name] {
			continue
		}
		if rules.slots[name].Type == "metric" || rules.slots[name].Type == "comparison" {
			continue // words, not elements: keep the previous request's
		}
		if slots[name] != v {
			changed++
		}
		slots[name] = v
	}
	c := p.finish(rules, ci, lang, slots, confFrame-confContext, nil)
	for name := range slots {
		if _, ok := given[name]; !ok {
			c.FromContext = append(c.FromContext, name)
		}
	}
	sort.Strings(c.FromContext)
	if problem != "" && c.Problem == "" {
		c.Problem = problem
	}
	if changed == 0 && c.Problem == "" {
		c.Problem = say(lang, "that is the same request as before", "这与上一个请求相同")
	}
	return c, true
}

// answer completes the session's pending request (one that was asked
// about) with the elements of this sentence, when the sentence is not a
// complete request of its own. Slots already given are kept.
func (p *Parser) answer(rules *call, lang string, rd *reading, sess *session, direct []Candidate) (Candidate, bool) {
	if sess == nil || sess.pending == nil {
		return Candidate{}, false
	}
	for _, c := range direct {
		if complete(c) {
			return Candidate{}, false
		}
	}
	ci, ok := rules.intent(sess.pending.rule)
	if !ok {
		return Candidate{}, false
	}
	got, _ := rd.fill(rules.compiled, ci)
	slots := maps.Clone(sess.pending.slots)
	filled := 0
	for name, v := range got {
		if _, had := slots[name]; had {
			continue
		}
		slots[name] = v
		filled++
	}
	if filled == 0 {
		return Candidate{}, false
	}
	c := p.finish(rules, ci, lang, slots, confFrame-confContext, nil)
	for name := range sess.pending.slots {
		c.FromContext = append(c.FromContext, name)
	}
	sort.Strings(c.FromContext)
	if !complete(c) {
		c.Confidence = confPartial
	}
	return c, true
}

func (c *compiled) intent(name string) (compiledIntent, bool) {
	for _, ci := range c.intents {
		if ci.Name == name {
			return ci, true
		}
	}
	return compiledIntent{}, false
}

// isQuestion: a question word (at the start in English, anywhere in
// Chinese), or a question mark after something that is not a polite
// request ("could you ...?").
func isQuestion(text, masked string, words []string, lang string, polite bool) bool {
	lower := strings.ToLower(masked)
	for _, w := range words {
		w = strings.ToLower(w)
		if lang == "zh" && !isASCII(w) {
			if strings.Contains(lower, w) {
				return true
			}
			continue
		}
		if strings.HasPrefix(lower, w) && wordBoundary(lower, len(w), false) {
			return true
		}
	}
	t := strings.TrimSpace(text)
	return !polite && (strings.HasSuffix(t, "?") || strings.HasSuffix(t, "？"))
}

// finish fills context and defaults, checks slot values, builds the intent.
func (p *Parser) finish(rules *call, ci compiledIntent, lang string, slots map[string]string, conf float64, sess *session) Candidate {
	c := Candidate{Rule: ci.Name, Kind: intent.Kind(ci.Kind), Slots: slots, Confidence: conf, conditional: ci.Conditional}
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
	var devices []any
	for _, d := range strings.Split(slots["device"], ",") {
		if d = strings.TrimSpace(d); d != "" {
			devices = append(devices, d)
		}
	}
	spec, _ := substitute(ci.Spec, typed, slots).(map[string]any)
	doc := map[string]any{
		"kind":    ci.Kind,
		"targets": map[string]any{"devices": devices},
		"spec":    spec,
	}
	in, err := rules.decode(doc)
	if err != nil {
		if spec["ensure"] != "absent" {
			c.Problem = plainProblem(err)
			return c
		}
		// The removal form: until the schema in force knows "ensure",
		// check the identifying members against it with the members a
		// creating intent would need filled by placeholders.
		if perr := checkRemoval(doc); perr != nil {
			c.Problem = plainProblem(perr)
			return c
		}
		in = nil
	}
	c.Document = doc
	c.Intent = in
	return c
}

// call is one Parse: the rules and what it has decoded, since several
// readings often build the same document.
type call struct {
	*compiled
	decoded map[string]decoded
}

type decoded struct {
	in  *intent.Intent
	err error
}

func (c *call) decode(doc map[string]any) (*intent.Intent, error) {
	key := string(appendKey(nil, doc))
	if d, ok := c.decoded[key]; ok {
		return d.in, d.err
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return intent.DecodeValue(doc)
	}
	in, err := intent.Decode(raw)
	c.decoded[key] = decoded{in, err}
	return in, err
}

// appendKey writes a document's values in a fixed order (map keys
// sorted): two documents have the same key exactly when they are equal.
// It is cheaper than encoding JSON, which only a document not seen
// before in the call needs.
func appendKey(b []byte, v any) []byte {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for _, k := range keys {
			b = strconv.AppendQuote(b, k)
			b = append(b, ':')
			b = appendKey(b, x[k])
			b = append(b, ',')
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for _, e := range x {
			b = appendKey(b, e)
			b = append(b, ',')
		}
		return append(b, ']')
	case string:
		return strconv.AppendQuote(b, x)
	case int64:
		return strconv.AppendInt(append(b, 'i'), x, 10)
	case float64:
		return strconv.AppendFloat(append(b, 'f'), x, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(b, x)
	case nil:
		return append(b, "null"...)
	}
	return fmt.Appendf(append(b, '?'), "%T:%v", v, v)
}

// checkRemoval validates a removal document's identifying members (prefix,
// address, interface name and addresses) with the kind's schema.
func checkRemoval(doc map[string]any) error {
	spec := maps.Clone(doc["spec"].(map[string]any))
	delete(spec, "ensure")
	switch doc["kind"] {
	case "static-route":
		if len(spec) != 1 || spec["prefix"] == nil {
			return fmt.Errorf("a static route is removed by its prefix alone")
		}
		spec["next_hops"] = []any{map[string]any{"next_hop": "DROP"}}
	case "bgp-neighbor":
		if len(spec) != 1 || spec["address"] == nil {
			return fmt.Errorf("a BGP neighbour is removed by its address alone")
		}
		spec["peer_as"] = 1
	case "interface":
		if len(spec) != 2 || spec["name"] == nil || spec["ipv4"] == nil {
			return fmt.Errorf("an interface's addresses are removed by name and addresses")
		}
	default:
		return fmt.Errorf("kind %v has no removal form", doc["kind"])
	}
	check := maps.Clone(doc)
	check["spec"] = spec
	_, err := intent.DecodeValue(check)
	return err
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
	case "integer", "asn", "number":
		// A unit written after the number ("5 ms", "90%") is not part of it.
		if raw != "" && unicode.IsDigit(rune(raw[0])) {
			raw = strings.TrimRightFunc(raw, func(r rune) bool { return !unicode.IsDigit(r) })
		}
	}
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
		unit := strings.ToLower(strings.Trim(raw[i:], " -"))
		if u, ok := s.Values[lang][unit]; ok {
			unit = u
		}
		return raw[:i] + unit, ""
	case "text":
		return strings.Trim(raw, `"'“”「」｢｣`), ""
	case "interface":
		return interfaceName(raw), ""
	}
	return raw, ""
}

// interfaceName normalises the case of an interface name as typed: a
// capital at the start of a sentence or a name typed in capitals ("Eth1",
// "ETH1", "E1-1") is lower case, as the lab and most platforms spell
// them; a vendor's mixed-case name ("GigabitEthernet0/0/1") is kept.
func interfaceName(raw string) string {
	upper, lower := 0, 0
	for i, r := range raw {
		switch {
		case unicode.IsUpper(r) && i > 0:
			upper++
		case unicode.IsLower(r):
			lower++
		}
	}
	if upper > 0 && lower > 0 {
		return raw
	}
	return strings.ToLower(raw)
}

func fmtNum(f *float64) string {
	if f == nil {
		return "any"
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// substitute replaces {slot} references in a spec template. A member
// whose value is a slot the sentence did not give is left out, and so is
// a map left empty (an slo's scope without an interface).
func substitute(v any, typed map[string]any, text map[string]string) any {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "{") && strings.HasSuffix(x, "}") && strings.Count(x, "{") == 1 {
			if tv, ok := typed[x[1:len(x)-1]]; ok {
				return tv
			}
			return nil
		}
		return interpolate(x, text)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if s := substitute(e, typed, text); s != nil {
				out[k] = s
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if s := substitute(e, typed, text); s != nil {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return nil
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

// remember keeps the best reading for the session's next turns: its
// device and interface, the request itself when it was confirmed (for a
// follow-up), or when slots are missing (for the answer).
func (p *Parser) remember(id string, c Candidate, confirmed bool) {
	if id == "" || c.Rule == followUpNone {
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
		d, _, _ = strings.Cut(d, ",")
		s.device = d
	}
	if i := c.Slots["interface"]; i != "" {
		s.iface = i
	}
	switch {
	case confirmed:
		s.last, s.pending = &turn{rule: c.Rule, slots: maps.Clone(c.Slots)}, nil
	case len(c.Missing) > 0 && c.Problem == "":
		s.pending = &turn{rule: c.Rule, slots: maps.Clone(c.Slots)}
		for k, v := range s.pending.slots {
			if v == "" {
				delete(s.pending.slots, k)
			}
		}
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
	lower := strings.ToLower(text)
	for _, f := range fillers {
		if !strings.Contains(lower, f.lower) {
			continue
		}
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

func round2(f float64) float64 {
	return float64(int(f*100+0.5)) / 100
}

// startsWithFiller reports whether the sentence opens with politeness
// ("could you ..."), which makes a question mark part of a request.
func startsWithFiller(text string, fillers []filler) bool {
	lower := strings.ToLower(text)
	for _, f := range fillers {
		w := strings.ToLower(f.word)
		if strings.HasPrefix(lower, w) && (!isASCII(w) || wordBoundary(lower, len(w), false)) {
			return true
		}
	}
	return false
}

// outsideQuotes applies f to the parts of s outside quoted text, so that
// a description keeps its spaces and its words.
func outsideQuotes(s string, f func(string) string) string {
	qs := quoted(s)
	if len(qs) == 0 {
		return f(s)
	}
	sort.Slice(qs, func(i, j int) bool { return qs[i][0] < qs[j][0] })
	var b strings.Builder
	at := 0
	for _, q := range qs {
		b.WriteString(f(s[at:q[0]]))
		b.WriteString(" ")
		b.WriteString(s[q[0]:q[1]])
		b.WriteString(" ")
		at = q[1]
	}
	b.WriteString(f(s[at:]))
	return b.String()
}
