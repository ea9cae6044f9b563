package cli

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/netagent/netagent/adapters"
)

// StateShow is one show command the CLI polls for state outside the
// interfaces: what it prints is parsed with regular expressions into
// OpenConfig (or lab-model) state updates. Top is the first path element
// the show serves ("system", "components", "lab"): it runs only when a
// subscription asks for that subtree.
type StateShow struct {
	Command string
	Top     string
	Parse   func(out string) []adapters.Update
}

// The lab model's shows, which the simulated lab's FRR and EOS
// personalities print; a real device answers them with an error, and the
// adapter then stops asking it (see Monitor).
var labShows = []StateShow{
	{Command: "show lab resources", Top: "system", Parse: ParseLabResources},
	{Command: "show lab resources", Top: "components", Parse: ParseLabResources},
	{Command: "show lab links", Top: "lab", Parse: ParseLabLinks},
	{Command: "show lab traffic", Top: "lab", Parse: ParseLabTraffic},
}

var eosShows = []StateShow{
	{Command: "show processes top once", Top: "system", Parse: ParseEOSTop},
	{Command: "show environment power", Top: "components", Parse: ParseEOSPower},
}

var (
	reCPU    = regexp.MustCompile(`(?m)^CPU utilization: ([0-9.]+)%`)
	reMem    = regexp.MustCompile(`(?m)^Memory: (\d+) used of (\d+) bytes \(([0-9.]+)%\)`)
	rePSU    = regexp.MustCompile(`(?m)^Power supply (\S+): (ACTIVE|INACTIVE|DISABLED), ([0-9.]+) W`)
	reLink   = regexp.MustCompile(`(?m)^(\S+:\S+)\s+(\S+)\s+(up|down)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s*$`)
	reSess   = regexp.MustCompile(`(?m)^Sessions: (\d+)`)
	rePeak   = regexp.MustCompile(`(?m)^Traffic peak: ([0-9.]+) bps`)
	reConv   = regexp.MustCompile(`(?m)^Route convergence: ([0-9.]+) ms`)
	reApp    = regexp.MustCompile(`(?m)^\s+(\S+)\s+([0-9.]+)%\s*$`)
	reTopCPU = regexp.MustCompile(`(?m)^%Cpu\(s\):\s*([0-9.]+) us,\s*([0-9.]+) sy`)
	reTopMem = regexp.MustCompile(`(?m)^KiB Mem\s*:\s*(\d+) total,\s*(\d+) free,\s*(\d+) used`)
	rePower  = regexp.MustCompile(`(?m)^(\d+)\s+\S+\s+\S+\s+\S+\s+\S+\s+([0-9.]+)W\s+(\S+)\s*$`)
)

func float(s string) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

func uint64Of(s string) (uint64, bool) {
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

// ParseLabResources reads "show lab resources": CPU, memory and power
// supplies.
func ParseLabResources(out string) []adapters.Update {
	var ups []adapters.Update
	if m := reCPU.FindStringSubmatch(out); m != nil {
		if v, ok := float(m[1]); ok {
			ups = append(ups, adapters.Update{Path: "/system/cpus/cpu[index=ALL]/state/total/instant", Value: v})
		}
	}
	if m := reMem.FindStringSubmatch(out); m != nil {
		used, ok1 := uint64Of(m[1])
		phys, ok2 := uint64Of(m[2])
		util, ok3 := float(m[3])
		if ok1 && ok2 && ok3 {
			ups = append(ups,
				adapters.Update{Path: "/system/memory/state/used", Value: used},
				adapters.Update{Path: "/system/memory/state/physical", Value: phys},
				adapters.Update{Path: "/lab/system/state/memory-util", Value: util})
		}
	}
	for _, m := range rePSU.FindAllStringSubmatch(out, -1) {
		base := "/components/component[name=" + escapeKey(m[1]) + "]"
		ups = append(ups, adapters.Update{Path: base + "/state/oper-status", Value: m[2]})
		if w, ok := float(m[3]); ok {
			ups = append(ups, adapters.Update{Path: base + "/power-supply/state/output-power", Value: w})
		}
	}
	return ups
}

// ParseLabLinks reads "show lab links": per link latency, jitter and loss.
func ParseLabLinks(out string) []adapters.Update {
	var ups []adapters.Update
	for _, m := range reLink.FindAllStringSubmatch(out, -1) {
		base := "/lab/links/link[local=" + escapeKey(m[1]) + "]/state/"
		ups = append(ups, adapters.Update{Path: base + "remote", Value: m[2]}, adapters.Update{Path: base + "up", Value: m[3] == "up"})
		for i, leaf := range []string{"latency-ms", "jitter-ms", "loss-pct"} {
			if v, ok := float(m[4+i]); ok {
				ups = append(ups, adapters.Update{Path: base + leaf, Value: v})
			}
		}
	}
	return ups
}

// ParseLabTraffic reads "show lab traffic": sessions, the traffic peak,
// the last route convergence and the application mix.
func ParseLabTraffic(out string) []adapters.Update {
	var ups []adapters.Update
	if m := reSess.FindStringSubmatch(out); m != nil {
		if v, ok := uint64Of(m[1]); ok {
			ups = append(ups, adapters.Update{Path: "/lab/sessions/state/count", Value: v})
		}
	}
	if m := rePeak.FindStringSubmatch(out); m != nil {
		if v, ok := float(m[1]); ok {
			ups = append(ups, adapters.Update{Path: "/lab/traffic/state/peak-bps", Value: v})
		}
	}
	if m := reConv.FindStringSubmatch(out); m != nil {
		if v, ok := float(m[1]); ok {
			ups = append(ups, adapters.Update{Path: "/lab/routing/state/convergence-ms", Value: v})
		}
	}
	if _, mix, ok := strings.Cut(out, "Application mix:"); ok {
		for _, m := range reApp.FindAllStringSubmatch(mix, -1) {
			if v, ok := float(m[2]); ok {
				ups = append(ups, adapters.Update{Path: "/lab/applications/application[name=" + escapeKey(m[1]) + "]/state/share", Value: v / 100})
			}
		}
	}
	return ups
}

// ParseEOSTop reads EOS's "show processes top once" summary: CPU (user +
// system) and memory.
func ParseEOSTop(out string) []adapters.Update {
	var ups []adapters.Update
	if m := reTopCPU.FindStringSubmatch(out); m != nil {
		us, ok1 := float(m[1])
		sy, ok2 := float(m[2])
		if ok1 && ok2 {
			ups = append(ups, adapters.Update{Path: "/system/cpus/cpu[index=ALL]/state/total/instant", Value: us + sy})
		}
	}
	if m := reTopMem.FindStringSubmatch(out); m != nil {
		total, ok1 := uint64Of(m[1])
		used, ok2 := uint64Of(m[3])
		if ok1 && ok2 && total > 0 {
			ups = append(ups,
				adapters.Update{Path: "/system/memory/state/physical", Value: total * 1024},
				adapters.Update{Path: "/system/memory/state/used", Value: used * 1024},
				adapters.Update{Path: "/lab/system/state/memory-util", Value: 100 * float64(used) / float64(total)})
		}
	}
	return ups
}

// ParseEOSPower reads EOS's "show environment power": one line per supply,
// "Ok" as ACTIVE, anything else INACTIVE.
func ParseEOSPower(out string) []adapters.Update {
	var ups []adapters.Update
	for _, m := range rePower.FindAllStringSubmatch(out, -1) {
		base := "/components/component[name=PSU" + m[1] + "]"
		status := "INACTIVE"
		if m[3] == "Ok" {
			status = "ACTIVE"
		}
		ups = append(ups, adapters.Update{Path: base + "/state/oper-status", Value: status})
		if w, ok := float(m[2]); ok {
			ups = append(ups, adapters.Update{Path: base + "/power-supply/state/output-power", Value: w})
		}
	}
	return ups
}
