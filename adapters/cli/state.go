package cli

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/yang"
)

// Patterns of "show interfaces" in FRR and EOS (and the lab's renderings
// of both): a header line per interface, then counters.
var (
	reIfHeader = regexp.MustCompile(`(?m)^(?:Interface )?(\S+) is (administratively down|up|down)(?:, line protocol is (up|down))?`)
	reInPkts   = regexp.MustCompile(`(?i)(?:input packets (\d+), bytes (\d+)|(\d+) packets input, (\d+) bytes)`)
	reOutPkts  = regexp.MustCompile(`(?i)(?:output packets (\d+), bytes (\d+)|(\d+) packets output, (\d+) bytes)`)
	reInErrs   = regexp.MustCompile(`(?i)(?:input errors (\d+)|(\d+) input errors|input packets \d+, bytes \d+, errors (\d+))`)
	reInDrops  = regexp.MustCompile(`(?i)(?:(\d+) input discards|input packets \d+, bytes \d+(?:, errors \d+)?, dropped (\d+))`)
)

// StatePaths are the subscription paths the CLI serves from show
// interfaces (any key, or a wildcard).
const statePrefix = "/interfaces/interface"

// ParseInterfaces reads "show interfaces" into OpenConfig state updates:
// admin-status, oper-status and the counters in-pkts, in-octets,
// in-errors, in-discards, out-pkts, out-octets.
func ParseInterfaces(out string) []adapters.Update {
	var ups []adapters.Update
	idx := reIfHeader.FindAllStringSubmatchIndex(out, -1)
	for i, m := range idx {
		end := len(out)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		block := out[m[1]:end]
		name := out[m[2]:m[3]]
		base := statePrefix + "[name=" + escapeKey(name) + "]/state/"
		admin, oper := "UP", "UP"
		switch out[m[4]:m[5]] {
		case "administratively down":
			admin, oper = "DOWN", "DOWN"
		case "down":
			oper = "DOWN"
		}
		if m[6] >= 0 && out[m[6]:m[7]] == "down" {
			oper = "DOWN"
		}
		ups = append(ups, adapters.Update{Path: base + "admin-status", Value: admin},
			adapters.Update{Path: base + "oper-status", Value: oper})
		add := func(leaf string, re *regexp.Regexp, groups ...int) {
			sm := re.FindStringSubmatch(block)
			if sm == nil {
				return
			}
			for _, g := range groups {
				if g < len(sm) && sm[g] != "" {
					if v, err := strconv.ParseUint(sm[g], 10, 64); err == nil {
						ups = append(ups, adapters.Update{Path: base + "counters/" + leaf, Value: v})
					}
					return
				}
			}
		}
		add("in-pkts", reInPkts, 1, 3)
		add("in-octets", reInPkts, 2, 4)
		add("out-pkts", reOutPkts, 1, 3)
		add("out-octets", reOutPkts, 2, 4)
		add("in-errors", reInErrs, 1, 2, 3)
		add("in-discards", reInDrops, 1, 2)
	}
	return ups
}

func escapeKey(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `]`, `\]`)
	return r.Replace(v)
}

// stateTops reports whether every path is state the CLI serves from show
// commands (interface state from show interfaces; /system, /components and
// /lab from the platform's StateShows) and which top-level elements they
// name.
func stateTops(paths []string) (map[string]bool, bool) {
	tops := map[string]bool{}
	for _, s := range paths {
		p, err := yang.ParseAnyPath(s)
		if err != nil || len(p) == 0 {
			return nil, false
		}
		switch p[0].Name {
		case "interfaces":
			if len(p) < 2 || p[1].Name != "interface" || (len(p) > 2 && p[2].Name != "state") {
				return nil, false
			}
		case "system", "components", "lab":
		default:
			return nil, false
		}
		tops[p[0].Name] = true
	}
	return tops, len(tops) > 0
}

// selected reports whether update path u lies at or below one of paths
// (a key value "*" matches any).
func selected(u string, paths []string) bool {
	up, err := yang.ParseAnyPath(u)
	if err != nil {
		return false
	}
	for _, s := range paths {
		p, err := yang.ParseAnyPath(s)
		if err != nil || len(p) > len(up) {
			continue
		}
		ok := true
		for i := range p {
			if p[i].Name != up[i].Name {
				ok = false
				break
			}
			for _, k := range p[i].Keys {
				if k.Value == "*" {
					continue
				}
				found := false
				for _, uk := range up[i].Keys {
					if uk.Name == k.Name && uk.Value == k.Value {
						found = true
					}
				}
				if !found {
					ok = false
				}
			}
		}
		if ok {
			return true
		}
	}
	return false
}
