package gnmisrv

import (
	"encoding/json"
	"strings"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/netagent/netagent/lab/synth"
	"github.com/netagent/netagent/yang"
)

// pathKind is what a requested path names in the device's model.
type pathKind int

const (
	pathUnknown pathKind = iota // outside the model: NotFound from Get, Set and Subscribe
	pathConfig                  // configuration (writable)
	pathState                   // state only (read-only)
)

// elemName is a path element's name without its module prefix.
func elemName(e *gpb.PathElem) string {
	n := e.GetName()
	if i := strings.IndexByte(n, ':'); i >= 0 {
		n = n[i+1:]
	}
	return n
}

// classify says whether p (wildcards allowed) is in the configuration
// model, is state (the state mirror of configuration, or a figure the
// device reports), or is unknown. Keys are not judged. state is called
// only when the path is not in the configuration schema.
func classify(p *gpb.Path, state func() []synth.Point) pathKind {
	elems := p.GetElem()
	for _, e := range elems {
		if n := elemName(e); n == "*" || n == "..." {
			return pathConfig // cannot tell: let the request decide
		}
	}
	if inSchema(elems, "") {
		return pathConfig
	}
	if inSchema(elems, "state") {
		return pathState
	}
	if state == nil {
		return pathUnknown
	}
	for _, pt := range state() {
		pe, err := yang.ParseAnyPath(pt.Path)
		if err != nil || len(pe) < len(elems) {
			continue
		}
		match := true
		for i, e := range elems {
			if elemName(e) != pe[i].Name {
				match = false
				break
			}
		}
		if match {
			return pathState
		}
	}
	return pathUnknown
}

// inSchema reports whether the names of elems lead through the
// configuration schema; with mirror "state", a "state" element stands for
// "config" (the state mirror of a config leaf).
func inSchema(elems []*gpb.PathElem, mirror string) bool {
	s := yang.Root
	mirrored := false
	for _, e := range elems {
		n := elemName(e)
		if mirror != "" && n == mirror {
			n, mirrored = "config", true
		}
		if s = s.Child(n); s == nil {
			return false
		}
	}
	return mirror == "" || mirrored
}

// hasWildcard reports whether p has a wildcard key or name.
func hasWildcard(p *gpb.Path) bool {
	for _, e := range p.GetElem() {
		if n := elemName(e); n == "*" || n == "..." {
			return true
		}
		for _, v := range e.GetKey() {
			if v == "*" {
				return true
			}
		}
	}
	return false
}

// expand returns the concrete paths of running that pattern (with
// wildcard keys) matches, each as long as the pattern, in canonical order.
func expand(running *yang.Tree, pattern *gpb.Path) []yang.Path {
	n := len(pattern.GetElem())
	seen := map[string]bool{}
	var out []yang.Path
	for _, lf := range running.Leaves() {
		if len(lf.Path) < n {
			continue
		}
		prefix := lf.Path[:n]
		if !matchElems(pattern.GetElem(), prefix) {
			continue
		}
		k := prefix.String()
		if !seen[k] {
			seen[k] = true
			out = append(out, append(yang.Path(nil), prefix...))
		}
	}
	return out
}

// plainJSON turns RFC 7951 JSON into plain JSON (encoding JSON): member
// names and identity values lose their module prefixes.
func plainJSON(js []byte) []byte {
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		return js
	}
	out, err := json.Marshal(unqualify(v))
	if err != nil {
		return js
	}
	return out
}

func unqualify(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, c := range x {
			if i := strings.IndexByte(k, ':'); i >= 0 {
				k = k[i+1:]
			}
			m[k] = unqualify(c)
		}
		return m
	case []any:
		for i, c := range x {
			x[i] = unqualify(c)
		}
		return x
	case string:
		// An identity: "module:NAME" with a module name of letters,
		// digits and dashes.
		if i := strings.IndexByte(x, ':'); i > 0 && !strings.ContainsAny(x[:i], " ./") && i < len(x)-1 {
			return x[i+1:]
		}
	}
	return v
}
