package knowledge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrInvalid matches every refused case or import (an *InvalidError).
var ErrInvalid = errors.New("knowledge: invalid")

// ErrNotFound: no case has that id.
var ErrNotFound = errors.New("knowledge: not found")

// MaxDocument bounds a case or import document.
const MaxDocument = 16 << 20

// parseJSON reads one JSON document into generic values, numbers kept
// exact. Syntax errors become a problem at the document.
func parseJSON(body []byte) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &InvalidError{Problems: []Problem{{Pointer: "", Reason: "the body is empty; send a JSON document"}}}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &InvalidError{Problems: []Problem{{Pointer: "", Reason: "not valid JSON: " + err.Error()}}}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &InvalidError{Problems: []Problem{{Pointer: "", Reason: "data after the JSON document"}}}
	}
	return v, nil
}

// DecodeCase reads one case document strictly: unknown members, wrong
// types and invalid values are refused with their JSON pointers.
func DecodeCase(body []byte) (*Case, error) {
	v, err := parseJSON(body)
	if err != nil {
		return nil, err
	}
	if ps := checkCase("", v); len(ps) > 0 {
		return nil, &InvalidError{Problems: ps}
	}
	var c Case
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, &InvalidError{Problems: []Problem{{Pointer: "", Reason: err.Error()}}}
	}
	return &c, nil
}

// Export is the document Base.Export writes and Base.Import reads.
type Export struct {
	Version int    `json:"version"`
	Cases   []Case `json:"cases"`
}

// DecodeExport reads an export document strictly. It reports every
// problem of every case; one bad case makes the whole document invalid.
func DecodeExport(body []byte) (*Export, error) {
	v, err := parseJSON(body)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &InvalidError{Problems: []Problem{{Pointer: "", Reason: "an export is an object {\"version\": 1, \"cases\": [...]}, not " + jsonKind(v)}}}
	}
	var ps []Problem
	for k := range obj {
		if k != "version" && k != "cases" {
			ps = append(ps, Problem{Pointer: "/" + escape(k), Reason: fmt.Sprintf("unknown member %q", k)})
		}
	}
	if n, ok := obj["version"].(json.Number); !ok || n.String() != "1" {
		ps = append(ps, Problem{Pointer: "/version", Reason: "version must be 1"})
	}
	cases, ok := obj["cases"].([]any)
	if !ok {
		ps = append(ps, Problem{Pointer: "/cases", Reason: "cases must be an array of cases"})
	}
	seen := map[string]int{}
	for i, c := range cases {
		base := "/cases/" + strconv.Itoa(i)
		ps = append(ps, checkCase(base, c)...)
		if m, ok := c.(map[string]any); ok {
			if id, ok := m["id"].(string); ok {
				if j, dup := seen[id]; dup {
					ps = append(ps, Problem{Pointer: base + "/id", Reason: fmt.Sprintf("id %q appears twice (also at /cases/%d)", id, j)})
				}
				seen[id] = i
			}
		}
	}
	if len(ps) > 0 {
		sortProblems(ps)
		return nil, &InvalidError{Problems: ps}
	}
	var ex Export
	if err := json.Unmarshal(body, &ex); err != nil {
		return nil, &InvalidError{Problems: []Problem{{Pointer: "", Reason: err.Error()}}}
	}
	return &ex, nil
}
