package rest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/intent/rest"
	"github.com/netagent/netagent/internal/auth"
)

type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

type operation struct {
	Responses map[string]struct {
		Ref     string                     `json:"$ref"`
		Content map[string]json.RawMessage `json:"content"`
	} `json:"responses"`
}

// TestOpenAPIMatchesRoutes keeps /v1/openapi.json true: every route the
// handler serves is described and every described operation is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc openAPIDoc
	if err := json.Unmarshal(rest.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	described := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			if method == "parameters" {
				continue
			}
			described[strings.ToUpper(method)+" "+path] = true
		}
	}
	s := newServer(t, false)
	served := map[string]bool{}
	for _, rt := range s.h.Routes() {
		pattern := rt.Pattern
		served[pattern] = true
		if !described[pattern] {
			t.Errorf("route %q is not in openapi.json", pattern)
		}
	}
	for op := range described {
		if !served[op] {
			t.Errorf("openapi.json describes %q, which is not served", op)
		}
	}
}

// sample requests per route: every route is exercised at least once, and
// every answer must be one the description lists, with a body that
// validates against the documented schema.
var samples = []struct {
	method, path, contentType, body string
}{
	{"POST", "/v1/intents", "application/json", goodIntent},
	{"POST", "/v1/intents", "application/json", goodIntent},
	{"POST", "/v1/intents", "application/json", `{"id":"mtu-eth2","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","mtu":9100}}`},
	{"POST", "/v1/intents", "application/json", `{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth3","mtu":9000},"options":{"dry_run":true}}`},
	{"POST", "/v1/intents", "application/json", `{"kind":"interface"`},
	{"POST", "/v1/intents", "application/json", `{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth1","mtu":1}}`},
	{"POST", "/v1/intents", "text/plain", `x`},
	{"POST", "/v1/intents:plan", "application/json", goodIntent},
	{"POST", "/v1/intents:plan", "application/json", `{"kind":"interface","targets":{"devices":["nope"]},"spec":{"name":"eth1","mtu":9000}}`},
	{"POST", "/v1/intents:parse", "application/json", `{"text":"shut down eth1 on leaf1"}`},
	{"POST", "/v1/intents:parse", "application/json", `{"text":"shut down eth1"}`},
	{"POST", "/v1/intents:parse", "application/json", `{"words":"x"}`},
	{"POST", "/v1/intents:parse", "application/json", `{"text":"delete the static route 10.20.0.0/16 on leaf1"}`},
	{"POST", "/v1/intents:parse", "application/json", `{"text":"keep latency on leaf1 under 5 ms"}`},
	{"POST", "/v1/intents:parse", "application/json", `{"text":"把 leaf2 的 eth2 接口关掉","session":"oa"}`},
	{"POST", "/v1/intents:parse", "application/json", `{"text":"也改一下 spine1","session":"oa"}`},
	{"POST", "/v1/intents:parse", "application/json", `{"text":"add a static route to 10.7.0.0/16 on leaf1"}`},
	{"POST", "/v1/intents:parse", "application/json", `{"text":"what's for lunch"}`},
	{"GET", "/v1/intents", "", ""},
	{"GET", "/v1/intents?state=planned&limit=1", "", ""},
	{"GET", "/v1/intents?limit=0", "", ""},
	{"GET", "/v1/intents?state=sleeping", "", ""},
	{"GET", "/v1/intents/mtu-eth2", "", ""},
	{"GET", "/v1/intents/none", "", ""},
	{"DELETE", "/v1/intents/none", "", ""},
	{"DELETE", "/v1/intents/mtu-eth2?dry_run=true", "", ""},
	{"DELETE", "/v1/intents/mtu-eth2?dry_run=maybe", "", ""},
	{"DELETE", "/v1/intents/mtu-eth2", "", ""},
	{"GET", "/v1/schemas", "", ""},
	{"GET", "/v1/schemas/interface", "", ""},
	{"GET", "/v1/schemas/vlan", "", ""},
	{"GET", "/v1/nl/rules", "", ""},
	{"PUT", "/v1/nl/rules", "application/yaml", "version: [1"},
	{"GET", "/v1/openapi.json", "", ""},
}

func TestOpenAPIDescribesEveryAnswer(t *testing.T) {
	raw := rest.OpenAPI()
	var doc openAPIDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("urn:netagent:openapi", inst); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, false)
	exercised := map[string]bool{}
	for i, smp := range samples {
		r := s.do(t, smp.method, smp.path, smp.contentType, []byte(smp.body))
		pattern := matchRoute(s.h.Routes(), smp.method, strings.SplitN(smp.path, "?", 2)[0])
		if pattern == "" {
			t.Fatalf("sample %d %s %s matches no route", i, smp.method, smp.path)
		}
		exercised[pattern] = true
		path := strings.SplitN(pattern, " ", 2)[1]
		var op operation
		if err := json.Unmarshal(doc.Paths[path][strings.ToLower(smp.method)], &op); err != nil {
			t.Fatalf("%s: %v", pattern, err)
		}
		resp, ok := op.Responses[strconv.Itoa(r.status)]
		if !ok {
			t.Errorf("sample %d %s %s answered %d, which openapi.json does not list: %s", i, smp.method, smp.path, r.status, truncate(r.body))
			continue
		}
		mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
		var loc string
		if resp.Ref != "" {
			// All shared responses are problems.
			if mt != "application/problem+json" {
				t.Errorf("sample %d: %d answered %s, want application/problem+json", i, r.status, mt)
			}
			loc = "urn:netagent:openapi#/components/schemas/Problem"
		} else {
			if _, ok := resp.Content[mt]; !ok {
				t.Errorf("sample %d %s %s: %d answered %s, not a documented content type", i, smp.method, smp.path, r.status, mt)
				continue
			}
			loc = fmt.Sprintf("urn:netagent:openapi#/paths/%s/%s/responses/%d/content/%s/schema",
				escape(path), strings.ToLower(smp.method), r.status, escape(mt))
		}
		if mt == "application/yaml" {
			continue
		}
		sch, err := c.Compile(loc)
		if err != nil {
			t.Fatalf("compile %s: %v", loc, err)
		}
		body, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
		if err != nil {
			t.Errorf("sample %d: body is not JSON: %v", i, err)
			continue
		}
		if err := sch.Validate(body); err != nil {
			t.Errorf("sample %d %s %s (%d): body does not match openapi.json: %v\n%s", i, smp.method, smp.path, r.status, err, truncate(r.body))
		}
	}
	var missing []string
	for _, rt := range s.h.Routes() {
		if !exercised[rt.Pattern] {
			missing = append(missing, rt.Pattern)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes without a sample: %v", missing)
	}
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// matchRoute finds the route pattern a request path matches.
func matchRoute(routes []auth.Route, method, path string) string {
	for _, rt := range routes {
		pattern := rt.Pattern
		m, p, _ := strings.Cut(pattern, " ")
		if m != method {
			continue
		}
		ps, qs := strings.Split(p, "/"), strings.Split(path, "/")
		if len(ps) != len(qs) {
			continue
		}
		ok := true
		for i := range ps {
			if strings.HasPrefix(ps[i], "{") {
				continue
			}
			if ps[i] != qs[i] {
				ok = false
				break
			}
		}
		if ok {
			return pattern
		}
	}
	return ""
}

// compileOpenAPI compiles one schema of openapi.json by its JSON pointer.
func compileOpenAPI(t *testing.T, pointer string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(rest.OpenAPI()))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("urn:netagent:openapi", inst); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("urn:netagent:openapi#" + pointer)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// TestOpenAPIParseAnswer checks the parse endpoint's real answers against
// ParseResult (which admits no member it does not describe), including
// the members a client relies on: the document to submit, the session
// to name in the next turn, a removal's document without an intent.
func TestOpenAPIParseAnswer(t *testing.T) {
	sch := compileOpenAPI(t, "/components/schemas/ParseResult")
	s := newServer(t, false)
	tests := []struct {
		name, body string
		status     string
		want       []string // members the answer must have
		wantNot    []string // members it must not have
	}{
		{"confirm", `{"text":"set mtu 9000 on eth1 of leaf1"}`, "confirm", []string{"document", "intent", "summary"}, []string{"question", "session"}},
		{"removal", `{"text":"remove the static route 10.20.0.0/16 on leaf2"}`, "confirm", []string{"document", "summary"}, []string{"question"}},
		{"slo", `{"text":"warn me when cpu on spine1 passes 80%"}`, "confirm", []string{"document", "intent"}, nil},
		{"asked without a session", `{"text":"add a static route to 10.8.0.0/16 on leaf1"}`, "clarify", []string{"question", "session"}, []string{"document", "intent"}},
		{"answer in the session", `{"text":"via 10.0.0.9","session":"$session"}`, "confirm", []string{"document", "intent", "session"}, []string{"question"}},
		{"follow-up", `{"text":"and the same on leaf2","session":"$session"}`, "confirm", []string{"document", "session"}, nil},
		{"no match", `{"text":"order pizza"}`, "no_match", []string{"question"}, []string{"document"}},
	}
	session := ""
	for _, tt := range tests {
		body := strings.ReplaceAll(tt.body, "$session", session)
		r := s.do(t, "POST", "/v1/intents:parse", "application/json", []byte(body))
		if r.status != 200 {
			t.Fatalf("%s: status %d: %s", tt.name, r.status, r.body)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: answer does not match ParseResult: %v\n%s", tt.name, err, r.body)
		}
		var got map[string]any
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		if got["status"] != tt.status {
			t.Errorf("%s: status %v, want %s: %s", tt.name, got["status"], tt.status, r.body)
		}
		for _, k := range tt.want {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: answer has no %q: %s", tt.name, k, r.body)
			}
		}
		for _, k := range tt.wantNot {
			if _, ok := got[k]; ok {
				t.Errorf("%s: answer has %q: %s", tt.name, k, r.body)
			}
		}
		if sess, ok := got["session"].(string); ok && session == "" {
			session = sess
		}
		if tt.name == "removal" {
			doc, _ := got["document"].(map[string]any)
			spec, _ := doc["spec"].(map[string]any)
			if spec["ensure"] != "absent" || spec["next_hops"] != nil {
				t.Errorf("removal: document %v is not the removal form", doc)
			}
		}
	}
}

// TestOpenAPIParseSchemaNamesEveryField keeps ParseResult and Candidate in
// step with the Go types the endpoint encodes: every JSON member of
// nl.Result and nl.Candidate is described, and nothing else is.
func TestOpenAPIParseSchemaNamesEveryField(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(rest.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	for schema, typ := range map[string]reflect.Type{
		"ParseResult": reflect.TypeFor[nl.Result](),
		"Candidate":   reflect.TypeFor[nl.Candidate](),
	} {
		fields := map[string]bool{}
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields[name] = true
			if _, ok := doc.Components.Schemas[schema].Properties[name]; !ok {
				t.Errorf("%s member %q (%s.%s) is not described in openapi.json", schema, name, typ.Name(), f.Name)
			}
		}
		for name := range doc.Components.Schemas[schema].Properties {
			if !fields[name] {
				t.Errorf("openapi.json describes %s member %q, which %s does not have", schema, name, typ.Name())
			}
		}
	}
}
