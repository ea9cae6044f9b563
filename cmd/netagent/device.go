package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/internal/agent"
	"github.com/netagent/netagent/yang"
)

// newRegistry registers every protocol adapter.
func newRegistry() (*adapters.Registry, error) { return agent.Registry() }

type deviceFlags struct {
	inventory  string
	knownHosts string
	acceptNew  bool
	timeout    time.Duration
	protocol   string
	tls        adapters.TLSFiles
}

func (f *deviceFlags) open(ctx context.Context, g *globals, name string, au *deviceAudit) (adapters.Device, *adapters.Failover, error) {
	inv, err := adapters.LoadInventory(f.inventory, adapters.LoadOptions{KnownHosts: f.knownHosts})
	if err != nil {
		return nil, nil, err
	}
	reg, err := newRegistry()
	if err != nil {
		return nil, nil, err
	}
	hk := au.hostKeys(ctx, adapters.NewHostKeys(inv.KnownHosts, f.acceptNew, g.log), g)
	ts, err := inv.Targets(name, adapters.TargetOptions{HostKeys: hk, Logger: g.log, TLS: f.tls.ForAll()})
	if err != nil {
		return nil, nil, err
	}
	if f.protocol != "" {
		var only []adapters.Target
		for _, t := range ts {
			if t.Protocol.Name == f.protocol {
				only = append(only, t)
			}
		}
		if len(only) == 0 {
			return nil, nil, fmt.Errorf("device %s does not offer %s", name, f.protocol)
		}
		ts = only
	}
	fo, err := adapters.OpenDevice(ctx, reg, ts, adapters.FailoverOptions{Logger: g.log})
	if err != nil {
		return nil, nil, err
	}
	return fo, fo, nil
}

func newDeviceCmd(g *globals) *cobra.Command {
	f := &deviceFlags{}
	cmd := &cobra.Command{
		Use:   "device",
		Short: "Read and change one device's configuration through the adapters (NETCONF, gNMI, CLI with failover)",
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.inventory, "inventory", "netagent-inventory.yml", "inventory: netagent YAML, containerlab topology-data.json or ansible-inventory.yml")
	pf.StringVar(&f.knownHosts, "known-hosts", "", "known_hosts file (default: the inventory's)")
	pf.BoolVar(&f.acceptNew, "ssh-accept-new", false, "trust an unknown SSH host key on first use and record it (a changed key is always refused)")
	pf.DurationVar(&f.timeout, "timeout", 60*time.Second, "overall time limit")
	pf.StringVar(&f.protocol, "protocol", "", "use only this protocol (gnmi, netconf, cli)")
	pf.StringVar(&f.tls.CA, "tls-ca", "", "gNMI over TLS: PEM file of the CA that signed the devices' certificates (default: system roots)")
	pf.StringVar(&f.tls.Cert, "tls-cert", "", "gNMI mutual TLS: client certificate (PEM)")
	pf.StringVar(&f.tls.Key, "tls-key", "", "gNMI mutual TLS: client key (PEM)")

	get := &cobra.Command{
		Use:   "get DEVICE [PATH...]",
		Short: "Print the configuration at PATHs (gNMI path syntax), one leaf per line",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			var paths []yang.Path
			for _, s := range args[1:] {
				p, err := yang.ParsePath(s)
				if err != nil {
					return err
				}
				paths = append(paths, p)
			}
			// A host key trusted on first use is a decision to audit.
			var au *deviceAudit
			if f.acceptNew {
				if au, ctx, err = openDeviceAudit(ctx, g); err != nil {
					return err
				}
				defer func() { err = errors.Join(err, au.close(ctx)) }()
			}
			d, fo, err := f.open(ctx, g, args[0], au)
			if err != nil {
				return err
			}
			defer d.Close()
			t, err := d.Query(ctx, paths)
			if err != nil {
				return err
			}
			g.log.Debug("served", "protocol", fo.Active())
			_, err = fmt.Fprint(cmd.OutOrStdout(), t.String())
			return err
		},
	}
	set := &cobra.Command{
		Use:   "set DEVICE PATH VALUE",
		Short: "Set one leaf (read, diff, configure, read back)",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			p, err := yang.ParsePath(args[1])
			if err != nil {
				return err
			}
			s, err := p.Schema()
			if err != nil {
				return err
			}
			v, err := yang.ParseValue(s, args[2])
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			// The change is audited like an intent, in the data dir's log.
			au, ctx, err := openDeviceAudit(ctx, g)
			if err != nil {
				return err
			}
			defer func() { err = errors.Join(err, au.close(ctx)) }()
			d, fo, err := f.open(ctx, g, args[0], au)
			if err != nil {
				return err
			}
			defer d.Close()
			before, err := d.Query(ctx, nil)
			if err != nil {
				return err
			}
			after := before.Clone()
			if err := after.Set(p, v); err != nil {
				return err
			}
			if err := yang.Validate(after); err != nil {
				return err
			}
			changes := yang.Diff(before, after)
			if len(changes) == 0 {
				_, err = fmt.Fprintln(cmd.OutOrStdout(), "no change")
				return err
			}
			// What the platform has no command for is refused before
			// anything is sent, as plans refuse it.
			if why, ok := fo.Capabilities().Unsupported[yang.SchemaPath(p)]; ok {
				return fmt.Errorf("device %s: cannot set %s over %s: %s", args[0], p, fo.Active(), why)
			}
			if err := au.accepted(ctx, args[0], p, v); err != nil {
				return err
			}
			g.log.InfoContext(ctx, "device configure", "device", args[0], "changes", len(changes))
			cerr := d.Configure(ctx, changes)
			afterRead, _ := d.Query(ctx, nil)
			if err := au.changed(ctx, args[0], changes, before, afterRead, cerr); err != nil {
				return errors.Join(cerr, err)
			}
			if cerr != nil {
				return cerr
			}
			got, err := d.Query(ctx, []yang.Path{p})
			if err != nil {
				return err
			}
			if gv, _ := got.Get(p); yang.FormatValue(gv) != yang.FormatValue(v) {
				return fmt.Errorf("device %s: read back %s = %v, want %v", args[0], p, gv, v)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%svia %s\n", yang.Render(changes), fo.Active())
			return err
		},
	}
	ping := &cobra.Command{
		Use:   "ping DEVICE",
		Short: "Connect over every protocol and report which one serves and the session set-up time",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			start := time.Now()
			// A host key trusted on first use is a decision to audit.
			var au *deviceAudit
			if f.acceptNew {
				if au, ctx, err = openDeviceAudit(ctx, g); err != nil {
					return err
				}
				defer func() { err = errors.Join(err, au.close(ctx)) }()
			}
			d, fo, err := f.open(ctx, g, args[0], au)
			if err != nil {
				return err
			}
			defer d.Close()
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: served by %s, opened in %s\n", args[0], fo.Active(),
				strconv.FormatFloat(time.Since(start).Seconds()*1000, 'f', 1, 64)+"ms")
			return err
		},
	}
	cmd.AddCommand(get, set, ping)
	return cmd
}
