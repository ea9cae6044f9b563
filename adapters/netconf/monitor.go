package netconf

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/yang"
)

// topNamespaces are the namespaces of OpenConfig top-level containers
// outside the configuration model, for state subscriptions. A path may
// also name its module ("openconfig-system:system"); unknown tops are sent
// without a namespace, which a subtree filter matches in any namespace.
var topNamespaces = map[string]string{
	"interfaces":        yang.NSInterfaces,
	"network-instances": yang.NSNetworkInstance,
	"system":            "http://openconfig.net/yang/system",
	"components":        "http://openconfig.net/yang/platform",
	"lab":               "urn:netagent:lab",
}

// stateListKeys are the keys of state lists outside the configuration
// model (OpenConfig system and platform, the lab model), for Flatten.
var stateListKeys = map[string][]string{
	"cpu":         {"index"},
	"component":   {"name"},
	"link":        {"local"},
	"application": {"name"},
}

var moduleNamespaces = map[string]string{
	yang.ModInterfaces:        yang.NSInterfaces,
	yang.ModNetworkInstance:   yang.NSNetworkInstance,
	"openconfig-system":       "http://openconfig.net/yang/system",
	"openconfig-platform":     "http://openconfig.net/yang/platform",
	"ietf-interfaces":         nsIETFIf,
	"ietf-netconf-monitoring": "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring",
}

// Monitor polls the device every interval. Configuration paths of the
// model are read with get-config (adapters.PollMonitor); any other path
// (state, counters, platform data) with <get> and a subtree filter, the
// reply flattened into one Update per leaf.
func (a *Adapter) Monitor(ctx context.Context, sub adapters.Subscription, emit func(adapters.Update) error) error {
	config := true
	for _, p := range sub.Paths {
		if _, err := yang.ParsePath(p); err != nil {
			config = false
		}
	}
	if config {
		return adapters.PollMonitor(ctx, a.t, sub, a.Query, emit)
	}
	paths := make([]yang.Path, 0, len(sub.Paths))
	for _, s := range sub.Paths {
		p, err := yang.ParseAnyPath(s)
		if err != nil {
			return a.t.Err(adapters.PhaseMonitor, adapters.ErrRejected, true, err, "bad subscription path")
		}
		paths = append(paths, p)
	}
	filter := stateFilter(paths)
	return adapters.Poll(ctx, a.t.Device, sub, func(ctx context.Context) ([]adapters.Update, error) {
		s, err := a.session(ctx)
		if err != nil {
			return nil, err
		}
		res, err := s.rpc(ctx, adapters.PhaseMonitor, a.to().RPC, true, getRPC(filter))
		if err != nil {
			return nil, fmt.Errorf("netconf get %s: %w", a.t.Device, err)
		}
		ups, err := Flatten(res, paths)
		if err != nil {
			return nil, &adapters.DeviceError{Device: a.t.Device, Protocol: adapters.NETCONF, Phase: adapters.PhaseMonitor,
				Kind: adapters.ErrRejected, Tag: "malformed-reply", NotApplied: true, Err: err}
		}
		return ups, nil
	}, emit)
}

// stateFilter is a subtree filter selecting paths; wildcard keys ("*") are
// left out so they select every entry.
func stateFilter(paths []yang.Path) string {
	var b bytes.Buffer
	for _, p := range paths {
		if len(p) == 0 {
			return ""
		}
		for i, e := range p {
			name, ns := e.Name, ""
			if m, n, ok := strings.Cut(e.Name, ":"); ok {
				name, ns = n, moduleNamespaces[m]
			} else if i == 0 {
				ns = topNamespaces[name]
			}
			b.WriteString("<" + name)
			if ns != "" {
				b.WriteString(` xmlns="` + ns + `"`)
			}
			b.WriteString(">")
			for _, k := range e.Keys {
				if k.Value == "*" {
					continue
				}
				b.WriteString("<" + k.Name + ">")
				_ = xml.EscapeText(&b, []byte(k.Value))
				b.WriteString("</" + k.Name + ">")
			}
		}
		for i := len(p) - 1; i >= 0; i-- {
			name := p[i].Name
			if _, n, ok := strings.Cut(name, ":"); ok {
				name = n
			}
			b.WriteString("</" + name + ">")
		}
	}
	return b.String()
}

// xnode is a generic XML element.
type xnode struct {
	name     string
	text     string
	children []*xnode
}

// Flatten turns a <get> reply into one Update per leaf (an element with
// no element children), with gNMI path strings. List entries get their keys
// from the subscription path (the key names written there) or, for lists
// of the configuration model, from its schema; key leaves themselves are
// not reported. Values: unsigned and signed integers, decimals, booleans,
// else strings.
func Flatten(reply []byte, subs []yang.Path) ([]adapters.Update, error) {
	d := xml.NewDecoder(bytes.NewReader(reply))
	root := &xnode{}
	stack := []*xnode{root}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > 64 {
				return nil, errors.New("reply nested too deeply")
			}
			n := &xnode{name: t.Name.Local}
			top := stack[len(stack)-1]
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			stack[len(stack)-1].text += strings.TrimSpace(string(t))
		}
	}
	nodes := root.children
	for len(nodes) == 1 && (nodes[0].name == "rpc-reply" || nodes[0].name == "data") {
		nodes = nodes[0].children
	}
	keysAt := map[string][]string{} // "depth/name" -> key names from the subscriptions
	for _, p := range subs {
		for i, e := range p {
			name := e.Name
			if _, n, ok := strings.Cut(name, ":"); ok {
				name = n
			}
			for _, k := range e.Keys {
				keysAt[strconv.Itoa(i)+"/"+name] = appendUnique(keysAt[strconv.Itoa(i)+"/"+name], k.Name)
			}
		}
	}
	var out []adapters.Update
	var walk func(n *xnode, depth int, prefix string, schema *yang.Schema)
	walk = func(n *xnode, depth int, prefix string, schema *yang.Schema) {
		var cs *yang.Schema
		if schema != nil {
			lookup := n.name
			if lookup == "state" {
				lookup = "config" // state mirrors config in OpenConfig
			}
			cs = schema.Child(lookup)
		}
		keys := keysAt[strconv.Itoa(depth)+"/"+n.name]
		if len(keys) == 0 && cs != nil && cs.Kind == yang.KindList {
			keys = cs.Keys
		}
		if len(keys) == 0 && cs == nil {
			keys = stateListKeys[n.name]
		}
		path := prefix + "/" + n.name
		isKey := map[string]bool{}
		for _, k := range keys {
			for _, c := range n.children {
				if c.name == k && len(c.children) == 0 {
					path += "[" + k + "=" + escapeKey(c.text) + "]"
					isKey[k] = true
					break
				}
			}
		}
		if len(n.children) == 0 {
			out = append(out, adapters.Update{Path: path, Value: scalar(n.text)})
			return
		}
		for _, c := range n.children {
			if isKey[c.name] {
				continue
			}
			walk(c, depth+1, path, cs)
		}
	}
	for _, n := range nodes {
		walk(n, 0, "", yang.Root)
	}
	return out, nil
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func escapeKey(v string) string {
	if !strings.ContainsAny(v, `]\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == ']' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// scalar converts a leaf's text to the most specific Go value.
func scalar(s string) any {
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return u
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	if strings.ContainsAny(s, ".eE") {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	if i := strings.IndexByte(s, ':'); i > 0 && !strings.ContainsAny(s, " /.") {
		return s[i+1:] // identity with a module prefix
	}
	return s
}
