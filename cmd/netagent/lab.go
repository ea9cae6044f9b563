package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/synth"
	"github.com/netagent/netagent/lab/topo"
)

func newLabCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run the simulated lab: devices speaking NETCONF, gNMI and SSH CLI from a containerlab topology",
	}
	cmd.AddCommand(newLabUpCmd(g), newLabCheckCmd(), newLabListCmd(), newLabGenCmd(), newLabFaultCmd())
	return cmd
}

func newLabUpCmd(g *globals) *cobra.Command {
	var opts lab.Options
	var strict bool
	cmd := &cobra.Command{
		Use:   "up TOPOLOGY",
		Short: "Start one simulated device per node of a containerlab topology; Ctrl-C stops them",
		Long: `Start the simulated lab. State (host keys, credentials, known_hosts, the netagent
inventory, containerlab's topology-data.json and ansible-inventory.yml) goes to
clab-<name>/ beside the topology file, or --dir. Host keys and the password
persist across restarts.

Every containerlab kind is accepted. Network operating systems become
devices serving the protocols the real system offers (see the kinds table in
the README); hosts, bridges and appliances netagent does not configure take
part in the links but are not in the inventory, and are listed as hosts. A
node of a kind containerlab does not have is a host, with a warning naming
it and its line; --strict refuses such a topology.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := topo.Options{Strict: strict}.ReadFile(args[0])
			if err != nil {
				return err
			}
			opts.Log = g.log
			l, err := lab.Start(cmd.Context(), t, opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "lab %s: %d devices, %d hosts\n\n", t.Name, len(l.Devices()), len(l.Hosts()))
			fmt.Fprint(out, lab.ListDevices(l.Devices(), l.Credentials()))
			if hs := lab.ListHosts(l.Hosts()); hs != "" {
				fmt.Fprint(out, "\nhosts (in the topology, not managed):\n"+hs)
			}
			for _, w := range t.Warnings {
				fmt.Fprintln(out, "warning:", w)
			}
			for _, n := range t.Notes {
				fmt.Fprintln(out, "note:", n)
			}
			fmt.Fprintf(out, "\ninventory:   %s\nknown_hosts: %s\nadmin api:   http://%s\nCtrl-C stops the lab.\n",
				l.InventoryPath(), l.KnownHostsPath(), l.AdminAddr())
			<-cmd.Context().Done()
			fmt.Fprintln(out, "stopping lab", t.Name)
			return l.Close()
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Dir, "dir", "", "state directory (default clab-<name> beside the topology)")
	f.StringVar(&opts.Username, "username", "admin", "username of every device")
	f.StringVar(&opts.Password, "password", "", "password of every device (default: generated once and kept in the state directory)")
	f.IntVar(&opts.BasePort, "base-port", 0, "first port to hand out (0: ephemeral ports)")
	f.Int64Var(&opts.Seed, "seed", 1, "seed of the synthetic telemetry")
	f.BoolVar(&opts.GNMITLS, "gnmi-tls", false, "serve gNMI over TLS (certificate in the state directory)")
	f.BoolVar(&strict, "strict", false, "refuse unknown kinds, undefined groups and unknown link types instead of warning")
	return cmd
}

func newLabCheckCmd() *cobra.Command {
	var o lab.CheckOptions
	var verbose bool
	cmd := &cobra.Command{
		Use:   "check FILE|DIR...",
		Short: "Start each containerlab topology briefly and report its devices, hosts and warnings",
		Long: `Read each topology (a directory is searched for *.clab.yml and *.clab.yaml),
start it as a simulated lab in a temporary directory, check that every
device's endpoints answer, and stop it. One report per file; the exit status
is non-zero when any topology fails.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := lab.TopologyFiles(args)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			failed, devices, hosts, warnings := 0, 0, 0, 0
			start := time.Now()
			for _, f := range files {
				r := lab.Check(cmd.Context(), f, o)
				writeCheck(out, r, verbose)
				if r.Err != nil {
					failed++
				}
				devices, hosts, warnings = devices+len(r.Devices), hosts+len(r.Hosts), warnings+len(r.Warnings)
			}
			fmt.Fprintf(out, "%d topologies: %d ok, %d failed; %d devices, %d hosts, %d warnings (%s)\n",
				len(files), len(files)-failed, failed, devices, hosts, warnings, time.Since(start).Round(time.Millisecond))
			if failed > 0 {
				return fmt.Errorf("lab check: %d of %d topologies failed", failed, len(files))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.Strict, "strict", false, "fail on unknown kinds, undefined groups and unknown link types")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "also list the notes (settings kept or ignored)")
	return cmd
}

// writeCheck renders one file's result of lab check.
func writeCheck(out io.Writer, r lab.CheckResult, verbose bool) {
	if r.Err != nil {
		fmt.Fprintf(out, "FAIL %s\n", r.File)
		for _, line := range strings.Split(r.Err.Error(), "\n") {
			fmt.Fprintf(out, "       error   %s\n", line)
		}
		return
	}
	fmt.Fprintf(out, "ok   %s  lab %s: %d devices, %d hosts, %d links, %d warnings, %d notes (%s)\n",
		r.File, r.Name, len(r.Devices), len(r.Hosts), r.Links, len(r.Warnings), len(r.Notes), r.Elapsed.Round(time.Millisecond))
	for _, d := range r.Devices {
		var ps []string
		for _, e := range d.Endpoints {
			p := e.Protocol
			if e.Platform != "" {
				p += "(" + e.Platform + ")"
			}
			ps = append(ps, p)
		}
		fmt.Fprintf(out, "       device  %-20s %-22s %s\n", d.Name, d.Kind, strings.Join(ps, " "))
	}
	for _, h := range r.Hosts {
		fmt.Fprintf(out, "       host    %-20s %-22s %s\n", h.Name, h.Kind, h.System)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(out, "       warning %s\n", w)
	}
	if verbose {
		for _, n := range r.Notes {
			fmt.Fprintf(out, "       note    %s\n", n)
		}
	}
}

func newLabGenCmd() *cobra.Command {
	var nodes int
	var name, output string
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Write a leaf-spine containerlab topology of N nodes (for scale runs)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				name = fmt.Sprintf("gen%d", nodes)
			}
			b, err := topo.Generate(name, nodes)
			if err != nil {
				return err
			}
			if output == "" || output == "-" {
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			return os.WriteFile(output, b, 0o644)
		},
	}
	cmd.Flags().IntVar(&nodes, "nodes", 6, "number of nodes")
	cmd.Flags().StringVar(&name, "name", "", "topology name (default genN)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "file to write (default stdout)")
	return cmd
}

// findLab locates the state of a running lab: dir if given, else the only
// clab-*/lab.json under the working directory (up to two levels down) or
// lab started by `netagent serve` under .netagent/lab/.
func findLab(dir string) (lab.State, error) {
	if dir != "" {
		return lab.ReadState(dir)
	}
	var found []string
	for _, pat := range []string{"clab-*/lab.json", "*/clab-*/lab.json", "*/*/clab-*/lab.json", ".netagent/lab/*/lab.json"} {
		m, _ := filepath.Glob(pat)
		found = append(found, m...)
	}
	switch len(found) {
	case 0:
		return lab.State{}, errors.New("no running lab found here; start one with `netagent lab up TOPOLOGY` or pass --dir")
	case 1:
		return lab.ReadState(filepath.Dir(found[0]))
	}
	sort.Strings(found)
	return lab.State{}, fmt.Errorf("several labs found (%s); pick one with --dir", strings.Join(found, ", "))
}

func adminCall(ctx context.Context, st lab.State, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+st.AdminAddr+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if st.AdminTokenFile != "" {
		secret, err := auth.ReadSecretFile(st.AdminTokenFile)
		if err != nil {
			return fmt.Errorf("lab %s admin token: %w", st.Name, err)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("lab %s admin api: %w (is the lab still running?)", st.Name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error, Detail string }
		_ = json.Unmarshal(b, &e)
		if e.Error == "" {
			e.Error = e.Detail
		}
		return fmt.Errorf("lab %s: %s %s: %d %s", st.Name, method, path, resp.StatusCode, e.Error)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// labListEntry is one device in `lab list --output json`.
type labListEntry struct {
	Name      string            `json:"name"`
	Kind      string            `json:"kind"`
	Labels    map[string]string `json:"labels,omitempty"`
	Username  string            `json:"username"`
	Password  string            `json:"password"`
	Protocols []labListProto    `json:"protocols"`
}

type labListProto struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	TLS      bool   `json:"tls,omitempty"`
	Platform string `json:"platform,omitempty"`
}

func newLabListCmd() *cobra.Command {
	var dir, output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the devices of a running lab: name, kind, protocol addresses, credentials",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := findLab(dir)
			if err != nil {
				return err
			}
			var info lab.LabInfo
			if err := adminCall(cmd.Context(), st, http.MethodGet, "/v1/lab", nil, &info); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch output {
			case "table":
				if _, err := fmt.Fprint(out, lab.ListDevices(info.Devices, info.Credentials)); err != nil {
					return err
				}
				if hs := lab.ListHosts(info.Hosts); hs != "" {
					_, err := fmt.Fprint(out, "\nhosts (in the topology, not managed):\n"+hs)
					return err
				}
				return nil
			case "json":
				list := []labListEntry{}
				for _, d := range info.Devices {
					e := labListEntry{Name: d.Name, Kind: d.Kind, Labels: d.Labels, Username: info.Credentials.Username, Password: info.Credentials.Password, Protocols: []labListProto{}}
					for _, p := range d.Endpoints {
						e.Protocols = append(e.Protocols, labListProto{Name: p.Protocol, Address: p.Addr(), TLS: p.TLS, Platform: p.Platform})
					}
					list = append(list, e)
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			return fmt.Errorf("--output %q: want table or json", output)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "state directory of the lab (default: found under the working directory)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

func newLabFaultCmd() *cobra.Command {
	var dir string
	var f fault.Fault
	var protocol, kind string
	cmd := &cobra.Command{
		Use:   "fault",
		Short: "Inject, clear and list faults of a running lab's devices; take links down and up",
	}
	cmd.PersistentFlags().StringVar(&dir, "dir", "", "state directory of the lab (default: found under the working directory)")
	inject := &cobra.Command{
		Use:   "inject DEVICE",
		Short: "Inject a fault: down, hang, latency, reject-commit, drop-commit, slow-commit",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := findLab(dir)
			if err != nil {
				return err
			}
			f.Kind, f.Protocol = fault.Kind(kind), fault.Protocol(protocol)
			if err := f.Validate(); err != nil {
				return err
			}
			if err := adminCall(cmd.Context(), st, http.MethodPost, "/v1/devices/"+url.PathEscape(args[0])+"/faults", f, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s fault injected on %s\n", args[0], f.Kind, protoName(f.Protocol))
			return nil
		},
	}
	fl := inject.Flags()
	fl.StringVar(&kind, "kind", "", "down | hang | latency | reject-commit | drop-commit | slow-commit")
	fl.StringVar(&protocol, "protocol", "", "netconf | gnmi | cli (default: every protocol)")
	fl.DurationVar(&f.Delay, "delay", 0, "latency or slow-commit delay, e.g. 500ms")
	fl.StringVar(&f.ErrorTag, "error-tag", "", "reject-commit: the NETCONF error-tag (default operation-failed)")
	fl.StringVar(&f.Message, "message", "", "reject-commit: the error message")
	fl.IntVar(&f.Count, "count", 0, "reject-commit / drop-commit: how many commits it hits (default 1)")
	_ = inject.MarkFlagRequired("kind")

	clear := &cobra.Command{
		Use:   "clear DEVICE",
		Short: "Clear a device's faults (all, or those of --protocol / --kind)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := findLab(dir)
			if err != nil {
				return err
			}
			q := url.Values{}
			if protocol != "" {
				q.Set("protocol", protocol)
			}
			if kind != "" {
				q.Set("kind", kind)
			}
			var res struct{ Cleared int }
			if err := adminCall(cmd.Context(), st, http.MethodDelete, "/v1/devices/"+url.PathEscape(args[0])+"/faults?"+q.Encode(), nil, &res); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d faults cleared\n", args[0], res.Cleared)
			return nil
		},
	}
	clear.Flags().StringVar(&protocol, "protocol", "", "only faults of this protocol")
	clear.Flags().StringVar(&kind, "kind", "", "only faults of this kind")

	list := &cobra.Command{
		Use:   "list DEVICE",
		Short: "Show a device's active faults and how often each fired",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := findLab(dir)
			if err != nil {
				return err
			}
			var info lab.FaultInfo
			if err := adminCall(cmd.Context(), st, http.MethodGet, "/v1/devices/"+url.PathEscape(args[0])+"/faults", nil, &info); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(info.Faults) == 0 {
				fmt.Fprintln(out, "no active faults")
			}
			for _, f := range info.Faults {
				fmt.Fprintf(out, "active: %s on %s", f.Kind, protoName(f.Protocol))
				if f.Delay > 0 {
					fmt.Fprintf(out, " delay %s", f.Delay)
				}
				if f.Message != "" {
					fmt.Fprintf(out, " message %q", f.Message)
				}
				fmt.Fprintln(out)
			}
			keys := make([]string, 0, len(info.Hits))
			for k := range info.Hits {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(out, "hits: %s %d\n", k, info.Hits[k])
			}
			return nil
		},
	}
	link := &cobra.Command{
		Use:   "link ENDPOINT up|down",
		Short: "Take the link at ENDPOINT (\"leaf1:e1-1\") down or up",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[1] != "up" && args[1] != "down" {
				return fmt.Errorf("link state %q: want up or down", args[1])
			}
			st, err := findLab(dir)
			if err != nil {
				return err
			}
			if err := adminCall(cmd.Context(), st, http.MethodPost, "/v1/links/"+url.PathEscape(args[0])+"/"+args[1], nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "link %s %s\n", args[0], args[1])
			return nil
		},
	}
	var an synth.Anomaly
	var anKind string
	anomaly := &cobra.Command{
		Use:   "anomaly",
		Short: "Script a telemetry anomaly: cpu-spike, latency-climb, loss-burst, psu-fail, traffic-surge, garbage",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := findLab(dir)
			if err != nil {
				return err
			}
			an.Kind = synth.AnomalyKind(anKind)
			if err := adminCall(cmd.Context(), st, http.MethodPost, "/v1/anomalies", an, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "anomaly %s on %s from %s\n", an.Kind, an.Target, an.Start)
			return nil
		},
	}
	af := anomaly.Flags()
	af.StringVar(&anKind, "kind", "", "cpu-spike | latency-climb | loss-burst | psu-fail | traffic-surge | garbage")
	af.StringVar(&an.Target, "target", "", "device (cpu-spike, psu-fail, traffic-surge, garbage) or link endpoint node:if (latency-climb, loss-burst)")
	af.DurationVar(&an.Start, "start", 0, "offset from the lab's start")
	af.DurationVar(&an.Duration, "duration", 0, "how long (0: until the lab stops)")
	af.Float64Var(&an.Magnitude, "magnitude", 0, "cpu points, ms per second, loss %, or traffic factor")
	_ = anomaly.MarkFlagRequired("kind")
	_ = anomaly.MarkFlagRequired("target")
	cmd.AddCommand(inject, clear, list, link, anomaly)
	return cmd
}

func protoName(p fault.Protocol) string {
	if p == fault.Any {
		return "every protocol"
	}
	return string(p)
}
