package lab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/netagent/netagent/lab/topo"
)

// CheckResult is what Check found for one topology file.
type CheckResult struct {
	File     string         `json:"file"`
	Name     string         `json:"name,omitempty"`
	Devices  []DeviceInfo   `json:"devices,omitempty"`
	Hosts    []HostInfo     `json:"hosts,omitempty"`
	Links    int            `json:"links"`
	Warnings []topo.Warning `json:"warnings,omitempty"`
	Notes    []topo.Warning `json:"notes,omitempty"`
	Elapsed  time.Duration  `json:"elapsed_ns"`
	// Err is why the topology does not come up; nil when it does.
	Err error `json:"-"`
}

// CheckOptions configure Check.
type CheckOptions struct {
	Strict bool // unknown kinds, groups and link types fail the check
	// LookupEnv resolves ${VAR} in the topology (default os.LookupEnv).
	LookupEnv func(string) (string, bool)
}

// Check reads the topology at file, starts it as a lab in a temporary
// state directory, checks that every endpoint of every device answers
// (SSH endpoints with an SSH banner), and stops it again. It never returns
// an error itself: a failure is in CheckResult.Err.
func Check(ctx context.Context, file string, o CheckOptions) CheckResult {
	start := time.Now()
	res := CheckResult{File: file}
	defer func() { res.Elapsed = time.Since(start) }()
	t, err := topo.Options{Strict: o.Strict, LookupEnv: o.LookupEnv}.ReadFile(file)
	if err != nil {
		res.Err = err
		res.Elapsed = time.Since(start)
		return res
	}
	res.Name, res.Links, res.Warnings, res.Notes = t.Name, len(t.Links), t.Warnings, t.Notes
	dir, err := os.MkdirTemp("", "netagent-lab-check-")
	if err != nil {
		res.Err = fmt.Errorf("lab check %s: %w", file, err)
		return res
	}
	defer os.RemoveAll(dir)
	l, err := Start(ctx, t, Options{Dir: dir, NoAdmin: true})
	if err != nil {
		res.Err = err
		return res
	}
	res.Devices, res.Hosts = l.Devices(), l.Hosts()
	var errs []error
	for _, d := range res.Devices {
		for _, e := range d.Endpoints {
			if err := probe(ctx, e); err != nil {
				errs = append(errs, fmt.Errorf("device %s %s at %s: %w", d.Name, e.Protocol, e.Addr(), err))
			}
		}
	}
	errs = append(errs, l.Close())
	res.Err = errors.Join(errs...)
	res.Elapsed = time.Since(start)
	return res
}

// probe connects to e; an SSH endpoint must greet with its banner.
func probe(ctx context.Context, e Endpoint) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", e.Addr())
	if err != nil {
		return err
	}
	defer c.Close()
	if e.Protocol == ProtoGNMI {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetReadDeadline(dl)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("no SSH banner: %w", err)
	}
	if !strings.HasPrefix(line, "SSH-2.0-") {
		return fmt.Errorf("not an SSH banner: %q", strings.TrimSpace(line))
	}
	return nil
}

// TopologyFiles expands paths into topology files: a file is taken as it
// is, a directory is searched (recursively) for *.clab.yml and
// *.clab.yaml, sorted. A directory without any is an error.
func TopologyFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("lab check: %w", err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".clab.yml") || strings.HasSuffix(path, ".clab.yaml")) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("lab check: %w", err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("lab check: no *.clab.yml or *.clab.yaml under %s", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}
