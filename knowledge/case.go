package knowledge

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// ErrorType classifies a failure by what the operator has to do about it.
type ErrorType string

// Error types.
const (
	TypeSchema        ErrorType = "schema"         // the request does not fit the device's model or grammar
	TypeLock          ErrorType = "lock"           // another session holds the configuration
	TypeAuth          ErrorType = "auth"           // credentials, authorisation, certificates
	TypeHostKey       ErrorType = "host-key"       // SSH host key unknown or changed
	TypeTimeout       ErrorType = "timeout"        // no answer in time
	TypeTransport     ErrorType = "transport"      // no session: refused, unreachable, closed
	TypeRejectedValue ErrorType = "rejected-value" // a value the device refuses
	TypeUnsupported   ErrorType = "unsupported"    // a capability, model or command the device lacks
	TypeDependency    ErrorType = "dependency"     // something the change needs is missing or in the way
	TypeResource      ErrorType = "resource"       // out of memory, TCAM, sessions, size limits
	TypeUnknown       ErrorType = "unknown"
)

// ErrorTypes lists every error type.
func ErrorTypes() []ErrorType {
	return []ErrorType{TypeSchema, TypeLock, TypeAuth, TypeHostKey, TypeTimeout, TypeTransport, TypeRejectedValue,
		TypeUnsupported, TypeDependency, TypeResource, TypeUnknown}
}

// Remediation kinds. Each may be automatic (Auto): the agent re-plans
// against what the devices hold, then executes again, as it was
// (RetryAfterLock, RetryLater) or changed: one device at a time
// (ReduceFanOut), the failing device through its other protocols
// (SwitchProtocol), the failing device after all others (ReorderDependency).
// An atomic intent's failed attempt was rolled back before any of them.
const (
	RetryAfterLock    = "retry-after-lock"
	RetryLater        = "retry-later"
	ReorderDependency = "reorder-dependency"
	ReduceFanOut      = "reduce-fan-out"
	SwitchProtocol    = "switch-protocol"
)

var remediationKinds = []string{RetryAfterLock, RetryLater, ReorderDependency, ReduceFanOut, SwitchProtocol}

// maxStrategyAttempts bounds the automatic attempts of the kinds that
// change how a change is made.
const maxStrategyAttempts = 2

// Remediation is what the agent can do about a case by itself.
type Remediation struct {
	Kind string `json:"kind"`
	// Auto says the agent applies it without asking.
	Auto bool `json:"auto"`
	// MaxAttempts bounds automatic attempts per failure (1 to 10).
	MaxAttempts int `json:"max_attempts,omitempty"`
	// Wait is the first wait before a retry, doubled on each further one;
	// a Go duration ("2s"), at most 1m.
	Wait string `json:"wait,omitempty"`
}

// WaitDuration is Wait parsed; 0 when unset.
func (r *Remediation) WaitDuration() time.Duration {
	if r == nil || r.Wait == "" {
		return 0
	}
	d, _ := time.ParseDuration(r.Wait)
	return d
}

// Impact is what the sightings of a case affected: the most recent
// devices, intents and services (intent kinds), up to 20 each, and how
// many distinct ones there were in all.
type Impact struct {
	Devices      []string `json:"devices"`
	Intents      []string `json:"intents"`
	Services     []string `json:"services"`
	DeviceCount  int      `json:"device_count"`
	IntentCount  int      `json:"intent_count"`
	ServiceCount int      `json:"service_count"`
}

// Origin says where a case came from.
const (
	OriginSeed     = "seed"     // shipped with netagent
	OriginLearned  = "learned"  // recorded from a failure nobody had described
	OriginOperator = "operator" // added or corrected through the API
	OriginImport   = "import"   // imported from another agent's export
)

// Case is one known failure.
type Case struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	ErrorType ErrorType `json:"error_type"`
	// Protocol is netconf, gnmi or cli; "" matches any (SSH, TLS, TCP).
	Protocol string `json:"protocol,omitempty"`
	// Platform narrows a CLI case to one platform (frr, eos); "" is any.
	Platform string `json:"platform,omitempty"`
	// Tag is the protocol's error tag (rpc-error error-tag, gRPC code, "%"
	// for a CLI error line), compared with CanonTag.
	Tag string `json:"tag,omitempty"`
	// Template is the normalised message (see Normalise); computed from the
	// first of Messages when not given.
	Template string `json:"template,omitempty"`
	// Messages are real examples of the failure, in the device's words.
	Messages []string `json:"messages,omitempty"`
	// Keywords are extra words that point at the case.
	Keywords    []string     `json:"keywords,omitempty"`
	Fix         string       `json:"fix"`
	Remediation *Remediation `json:"remediation,omitempty"`
	// Source cites the documentation the case is written from.
	Source string `json:"source,omitempty"`

	// Read-only: kept by the base.
	Origin      string     `json:"origin,omitempty"`
	Fingerprint string     `json:"fingerprint,omitempty"`
	Revision    int        `json:"revision,omitempty"`
	Seen        int        `json:"seen"`
	FirstSeen   *time.Time `json:"first_seen,omitempty"`
	LastSeen    *time.Time `json:"last_seen,omitempty"`
	FixWorked   int        `json:"fix_worked"`
	FixFailed   int        `json:"fix_failed"`
	Impact      *Impact    `json:"impact,omitempty"`
}

// templates are the case's template and its normalised examples.
func (c *Case) templates() []string {
	out := []string{}
	if c.Template != "" {
		out = append(out, c.Template)
	}
	for _, m := range c.Messages {
		t := Normalise(m)
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// Problem is one reason a case is refused: an RFC 6901 JSON pointer into
// the submitted document and why.
type Problem struct {
	Pointer string `json:"pointer"`
	Reason  string `json:"reason"`
}

// InvalidError lists every problem of a refused case or import.
// errors.Is(err, ErrInvalid) holds.
type InvalidError struct {
	Problems []Problem
}

func (e *InvalidError) Error() string {
	s := "knowledge: invalid case"
	for i, p := range e.Problems {
		if i == 3 {
			s += fmt.Sprintf("; and %d more", len(e.Problems)-3)
			break
		}
		ptr := p.Pointer
		if ptr == "" {
			ptr = "(document)"
		}
		s += "; " + ptr + ": " + p.Reason
	}
	return s
}

// Is matches ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

var reID = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,79}$`)

// field describes one member of a case document for validation.
type field struct {
	name     string
	kind     string // string, bool, int, array, object
	required bool
	readOnly bool
}

var caseFields = []field{
	{"id", "string", true, false}, {"title", "string", true, false}, {"error_type", "string", true, false},
	{"protocol", "string", false, false}, {"platform", "string", false, false}, {"tag", "string", false, false},
	{"template", "string", false, false}, {"messages", "array", false, false}, {"keywords", "array", false, false},
	{"fix", "string", true, false}, {"remediation", "object", false, false}, {"source", "string", false, false},
	{"origin", "string", false, true}, {"fingerprint", "string", false, true}, {"revision", "int", false, true},
	{"seen", "int", false, true}, {"first_seen", "string", false, true}, {"last_seen", "string", false, true},
	{"fix_worked", "int", false, true}, {"fix_failed", "int", false, true}, {"impact", "object", false, true},
}

// checkCase validates one case document (already parsed into a generic
// value) and returns its problems, pointers prefixed with base.
func checkCase(base string, v any) []Problem {
	var ps []Problem
	bad := func(ptr, format string, args ...any) {
		ps = append(ps, Problem{Pointer: base + ptr, Reason: fmt.Sprintf(format, args...)})
	}
	obj, ok := v.(map[string]any)
	if !ok {
		bad("", "a case is a JSON object, not %s", jsonKind(v))
		return ps
	}
	known := map[string]field{}
	for _, f := range caseFields {
		known[f.name] = f
	}
	for k := range obj {
		if _, ok := known[k]; !ok {
			bad("/"+escape(k), "unknown member %q", k)
		}
	}
	for _, f := range caseFields {
		raw, present := obj[f.name]
		if !present || raw == nil {
			if f.required {
				bad("/"+f.name, "%s is required", f.name)
			}
			continue
		}
		if got := jsonKind(raw); got != f.kind && !(f.kind == "int" && got == "number") {
			bad("/"+f.name, "%s must be a %s, not %s", f.name, f.kind, got)
			continue
		}
		if f.kind == "int" {
			n, _ := raw.(json.Number).Int64()
			if _, err := raw.(json.Number).Int64(); err != nil || n < 0 {
				bad("/"+f.name, "%s must be a non-negative integer", f.name)
			}
		}
	}
	reported := map[string]bool{}
	for _, p := range ps {
		reported[p.Pointer] = true
	}
	// str is a string member that passed the checks above ("" and false
	// otherwise, so each member is reported once).
	str := func(k string) (string, bool) {
		if reported[base+"/"+k] {
			return "", false
		}
		s, ok := obj[k].(string)
		return s, ok
	}
	if id, ok := str("id"); ok && !reID.MatchString(id) {
		bad("/id", "id %q must be 2 to 80 lower-case letters, digits, dots and hyphens, starting with a letter or digit", id)
	}
	if t, ok := str("title"); ok && (len(t) < 3 || len(t) > 200) {
		bad("/title", "title must be 3 to 200 characters")
	}
	if et, ok := str("error_type"); ok && !slices.Contains(ErrorTypes(), ErrorType(et)) {
		bad("/error_type", "error_type %q is not one of %v", et, ErrorTypes())
	}
	if p, ok := str("protocol"); ok && p != "" && p != "netconf" && p != "gnmi" && p != "cli" {
		bad("/protocol", "protocol %q is not netconf, gnmi, cli or empty (any)", p)
	}
	if f, ok := str("fix"); ok && len(f) < 10 {
		bad("/fix", "fix must say in words what to do (at least 10 characters)")
	}
	msgs, _ := obj["messages"].([]any)
	for i, m := range msgs {
		if s, ok := m.(string); !ok || s == "" {
			bad(fmt.Sprintf("/messages/%d", i), "a message is a non-empty string")
		}
	}
	kws, _ := obj["keywords"].([]any)
	for i, m := range kws {
		if s, ok := m.(string); !ok || s == "" {
			bad(fmt.Sprintf("/keywords/%d", i), "a keyword is a non-empty string")
		}
	}
	if tmpl, _ := obj["template"].(string); tmpl == "" && len(msgs) == 0 && !reported[base+"/messages"] {
		bad("/messages", "a case needs a template or at least one example message")
	}
	if r, ok := obj["remediation"].(map[string]any); ok {
		for k := range r {
			switch k {
			case "kind", "auto", "max_attempts", "wait":
			default:
				bad("/remediation/"+escape(k), "unknown member %q", k)
			}
		}
		kind, _ := r["kind"].(string)
		if !slices.Contains(remediationKinds, kind) {
			bad("/remediation/kind", "kind %q is not one of %v", kind, remediationKinds)
		}
		auto := false
		if a, present := r["auto"]; present {
			b, ok := a.(bool)
			if !ok {
				bad("/remediation/auto", "auto must be a boolean")
			}
			auto = b
		}
		if m, present := r["max_attempts"]; present {
			n, ok := m.(json.Number)
			v, err := n.Int64()
			switch {
			case !ok || err != nil || v < 1 || v > 10:
				bad("/remediation/max_attempts", "max_attempts must be an integer from 1 to 10")
			case auto && kind != RetryAfterLock && kind != RetryLater && v > maxStrategyAttempts:
				bad("/remediation/max_attempts", "an automatic %s runs at most %d times (repeating it changes nothing more)", kind, maxStrategyAttempts)
			}
		} else if auto {
			bad("/remediation/max_attempts", "an automatic remediation needs max_attempts")
		}
		if w, present := r["wait"]; present {
			s, ok := w.(string)
			d, err := time.ParseDuration(s)
			if !ok || err != nil || d < 0 || d > time.Minute {
				bad("/remediation/wait", "wait must be a duration from 0s to 1m, such as \"2s\"")
			}
		}
	}
	sortProblems(ps)
	return ps
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case json.Number:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func escape(tok string) string {
	out := ""
	for _, r := range tok {
		switch r {
		case '~':
			out += "~0"
		case '/':
			out += "~1"
		default:
			out += string(r)
		}
	}
	return out
}

func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		switch {
		case a.Pointer < b.Pointer:
			return -1
		case a.Pointer > b.Pointer:
			return 1
		}
		return 0
	})
}
