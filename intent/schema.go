package intent

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed schemas/*.json
var schemaFS embed.FS

// schemaSet holds, per kind, the composed schema document (the envelope
// with the kind's spec schema in place) and its compiled form, plus the bare
// envelope used when the kind itself is missing or unknown.
type schemaSet struct {
	docs     map[Kind][]byte
	compiled map[Kind]*jsonschema.Schema
	envelope *jsonschema.Schema
	// fast holds, per kind, the fast evaluator (see fastNode); a kind
	// without one is always validated by the authority.
	fast map[Kind]*fastNode
	// words are the member names and enumerated values the schemas know,
	// so that decoding shares one copy of each instead of allocating.
	words map[string]string
}

// collectWords adds to words every property name and string enum or const
// value in a schema document.
func collectWords(v any, words map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		if props, ok := x["properties"].(map[string]any); ok {
			for k := range props {
				words[k] = k
			}
		}
		for _, kw := range []string{"enum", "const"} {
			switch e := x[kw].(type) {
			case string:
				words[e] = e
			case []any:
				for _, w := range e {
					if s, ok := w.(string); ok {
						words[s] = s
					}
				}
			}
		}
		for _, c := range x {
			collectWords(c, words)
		}
	case []any:
		for _, c := range x {
			collectWords(c, words)
		}
	}
}

var (
	schemasOnce sync.Once
	schemas     *schemaSet
	schemasErr  error
)

func loadSchemas() (*schemaSet, error) {
	schemasOnce.Do(func() { schemas, schemasErr = buildSchemas() })
	return schemas, schemasErr
}

func schemaURL(k Kind) string { return "urn:netagent:intent:" + string(k) }

func buildSchemas() (*schemaSet, error) {
	envRaw, err := schemaFS.ReadFile("schemas/envelope.json")
	if err != nil {
		return nil, fmt.Errorf("intent: schema envelope: %w", err)
	}
	set := &schemaSet{docs: map[Kind][]byte{}, compiled: map[Kind]*jsonschema.Schema{}, fast: map[Kind]*fastNode{}, words: map[string]string{}}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	for _, k := range Kinds() {
		var env map[string]any
		if err := json.Unmarshal(envRaw, &env); err != nil {
			return nil, fmt.Errorf("intent: schema envelope: %w", err)
		}
		specRaw, err := schemaFS.ReadFile("schemas/" + string(k) + ".json")
		if err != nil {
			return nil, fmt.Errorf("intent: schema %s: %w", k, err)
		}
		var spec map[string]any
		if err := json.Unmarshal(specRaw, &spec); err != nil {
			return nil, fmt.Errorf("intent: schema %s: %w", k, err)
		}
		env["$id"] = schemaURL(k)
		env["title"] = "netagent " + string(k) + " intent"
		props := env["properties"].(map[string]any)
		props["kind"] = map[string]any{"const": string(k)}
		props["spec"] = spec
		doc, err := json.MarshalIndent(env, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("intent: schema %s: %w", k, err)
		}
		set.docs[k] = doc
		var plain map[string]any
		if err := json.Unmarshal(doc, &plain); err != nil {
			return nil, fmt.Errorf("intent: schema %s: %w", k, err)
		}
		if fast, err := compileFast(plain); err == nil {
			set.fast[k] = fast
		}
		collectWords(plain, set.words)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
		if err != nil {
			return nil, fmt.Errorf("intent: schema %s: %w", k, err)
		}
		if err := c.AddResource(schemaURL(k), inst); err != nil {
			return nil, fmt.Errorf("intent: schema %s: %w", k, err)
		}
		if set.compiled[k], err = c.Compile(schemaURL(k)); err != nil {
			return nil, fmt.Errorf("intent: schema %s: %w", k, err)
		}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(envRaw))
	if err != nil {
		return nil, fmt.Errorf("intent: schema envelope: %w", err)
	}
	if err := c.AddResource(schemaURL("envelope"), inst); err != nil {
		return nil, fmt.Errorf("intent: schema envelope: %w", err)
	}
	if set.envelope, err = c.Compile(schemaURL("envelope")); err != nil {
		return nil, fmt.Errorf("intent: schema envelope: %w", err)
	}
	return set, nil
}

// Schema returns the JSON Schema (draft 2020-12) of intents of kind k: the
// common envelope with the kind's spec. ok is false for an unknown kind.
func Schema(k Kind) (doc []byte, ok bool) {
	set, err := loadSchemas()
	if err != nil {
		return nil, false
	}
	doc, ok = set.docs[k]
	return bytes.Clone(doc), ok
}

// validateSchema validates a generic document against its kind's schema
// (or the envelope when the kind is missing or unknown) and returns every
// problem, or nil.
func validateSchema(doc any) *InvalidError {
	set, err := loadSchemas()
	if err != nil {
		return invalid(StageSchema, "", "the schemas failed to load: %v", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return invalid(StageSchema, "", "must be a JSON object, not %s", typeName(doc))
	}
	sch := set.envelope
	if k, ok := obj["kind"].(string); ok {
		if f := set.fast[Kind(k)]; f != nil && f.valid(doc) {
			return nil
		}
		if s, ok := set.compiled[Kind(k)]; ok {
			sch = s
		}
	}
	err = sch.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return invalid(StageSchema, "", "%v", err)
	}
	var probs []Problem
	collect(ve, &probs)
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Pointer < probs[j].Pointer })
	out := probs[:0]
	for i, p := range probs {
		if i > 0 && p == probs[i-1] {
			continue
		}
		out = append(out, p)
	}
	return &InvalidError{Stage: StageSchema, Problems: out}
}

// collect walks the error tree and turns each leaf into plain-worded problems.
func collect(e *jsonschema.ValidationError, out *[]Problem) {
	if _, ok := e.ErrorKind.(*kind.AnyOf); ok && len(e.Causes) > 1 {
		// The branches of a spec's anyOf are its forms, told apart by
		// ensure (present or absent): report the problems of the form the
		// document has. With no form matching, ensure itself is wrong, and
		// its enum says so.
		for _, c := range e.Causes {
			if !failsOnForm(c) {
				collect(c, out)
			}
		}
		return
	}
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collect(c, out)
		}
		return
	}
	ptr := joinPointer(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			*out = append(*out, Problem{Pointer: ptr + "/" + pointerEscape(m), Reason: "is required"})
		}
	case *kind.AdditionalProperties:
		for _, m := range k.Properties {
			*out = append(*out, Problem{Pointer: ptr + "/" + pointerEscape(m), Reason: "is not a known member here"})
		}
	default:
		*out = append(*out, Problem{Pointer: ptr, Reason: reason(e)})
	}
}

// failsOnForm reports whether e, or an error below it, is the document not
// having the form a branch describes: a const mismatch, or ensure missing.
func failsOnForm(e *jsonschema.ValidationError) bool {
	switch k := e.ErrorKind.(type) {
	case *kind.Const:
		return true
	case *kind.Required:
		if slices.Contains(k.Missing, "ensure") {
			return true
		}
	}
	for _, c := range e.Causes {
		if failsOnForm(c) {
			return true
		}
	}
	return false
}

func joinPointer(toks []string) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteByte('/')
		b.WriteString(pointerEscape(t))
	}
	return b.String()
}

// patternWords describes, by the schema location that holds a pattern,
// what the pattern asks for.
var patternWords = map[string]string{
	"$defs/ipv4":        "must be an IPv4 address such as 192.0.2.1",
	"$defs/ipv4prefix":  "must be an IPv4 address or prefix with a length such as 10.0.0.1/31",
	"$defs/duration":    "must be a duration such as 500ms, 30s, 5m or 1h30m",
	"$defs/name":        "must be a name of letters, digits, '.', '_' or '-' (at most 63, starting with a letter or digit)",
	"$defs/ifname":      "must be an interface name such as eth1 or ethernet-1/1",
	"properties/id":     "must be 1 to 128 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit",
	"/next_hop":         "must be an IPv4 address, DROP or LOCAL_LINK",
	"/index":            "must be 1 to 64 letters, digits, '_' or '-'",
	"/description":      "must not contain control characters (tab is allowed)",
	"propertyNames":     "label names must be letters, digits, '.', '_' or '-'",
	"properties/target": "must be a number",
}

func reason(e *jsonschema.ValidationError) string {
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		return fmt.Sprintf("must be %s, not %s", article(strings.Join(k.Want, " or ")), article(k.Got))
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		return fmt.Sprintf("%s is not one of: %s", display(k.Got), strings.Join(want, ", "))
	case *kind.Const:
		return fmt.Sprintf("must be %v", k.Want)
	case *kind.Minimum:
		return fmt.Sprintf("%s is below the minimum %s", rat(k.Got), rat(k.Want))
	case *kind.Maximum:
		return fmt.Sprintf("%s is above the maximum %s", rat(k.Got), rat(k.Want))
	case *kind.ExclusiveMinimum:
		return fmt.Sprintf("must be greater than %s", rat(k.Want))
	case *kind.ExclusiveMaximum:
		return fmt.Sprintf("must be less than %s", rat(k.Want))
	case *kind.MinLength:
		if k.Want == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must be at least %d characters long", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("is %d characters long; the maximum is %d", k.Got, k.Want)
	case *kind.MinItems:
		if k.Want == 1 {
			return "must list at least one item"
		}
		return fmt.Sprintf("must list at least %d items", k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("lists %d items; the maximum is %d", k.Got, k.Want)
	case *kind.MinProperties:
		if k.Want == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must have at least %d members", k.Want)
	case *kind.MaxProperties:
		if k.Want == 1 && strings.HasSuffix(e.SchemaURL, "$defs/targets") {
			return "give either devices or selector, not both"
		}
		if k.Want == 1 {
			return "must have only one member"
		}
		return fmt.Sprintf("has %d members; the maximum is %d", k.Got, k.Want)
	case *kind.UniqueItems:
		return fmt.Sprintf("items %d and %d are the same; each may appear once", k.Duplicates[0], k.Duplicates[1])
	case *kind.Pattern:
		loc := e.SchemaURL
		for suffix, words := range patternWords {
			if strings.HasSuffix(loc, suffix) {
				return fmt.Sprintf("%q %s", k.Got, words)
			}
		}
		return fmt.Sprintf("%q is not in the expected form", k.Got)
	case *kind.PropertyNames:
		return fmt.Sprintf("%q is not a valid label name", k.Property)
	case *kind.FalseSchema:
		if strings.Contains(e.SchemaURL, "/anyOf/1/") {
			// The second branch of a spec's anyOf is its removal form.
			return "is not allowed when ensure is absent"
		}
		return "is not allowed here"
	}
	return e.ErrorKind.LocalizedString(englishPrinter)
}

var englishPrinter = message.NewPrinter(language.English)

func article(s string) string {
	switch s {
	case "integer", "object", "array":
		return "an " + s
	case "null":
		return "null"
	}
	return "a " + s
}

func rat(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	return r.FloatString(3)
}

func display(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

func typeName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
