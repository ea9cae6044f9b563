package cli

import (
	"errors"
	"strings"

	"github.com/netagent/netagent/yang"
)

// ParseInterfaceBrief reads the interface names out of a brief interface
// listing (FRR's "show interface brief": a header, a dashed rule, then one
// line per interface starting with its name; address continuation lines
// start with blanks). It lists interfaces that carry no configuration,
// which show running-config omits.
func ParseInterfaceBrief(text string) ([]string, error) {
	var names []string
	header := false
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
			continue
		case strings.HasPrefix(line, "%"):
			return nil, errors.New("cli: interface listing refused: " + line)
		case fields[0] == "Interface":
			header = true
			continue
		case strings.Trim(fields[0], "-") == "":
			continue
		case line[0] == ' ' || line[0] == '\t':
			continue // an interface's further addresses
		case !header:
			return nil, errors.New("cli: interface listing without its header: " + line)
		}
		names = append(names, fields[0])
	}
	if !header {
		return nil, errors.New("cli: no interface listing")
	}
	return names, nil
}

// addBare adds to t, as entries holding only their name, the interfaces in
// names that t does not have: they exist on the device without
// configuration.
func addBare(t *yang.Tree, names []string) {
	for _, n := range names {
		p := yang.InterfacePath(n)
		if t.Has(p) {
			continue
		}
		_ = t.Set(p.Leaf("config", "name"), n) // a name the model refuses is skipped
	}
}
