package main

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/netagent/netagent/internal/agent"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/lab/topologies"
)

func agentVersion() string { return agent.Version }

func newServeCmd(g *globals) *cobra.Command {
	var listen, inventory string
	var direct bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the agent: HTTP API, intent intake, device adapters",
		Long: `Run the agent. With no configuration it listens on 127.0.0.1:8080, starts the
simulated lab in-process (the embedded two-node topology, or lab.topology), keeps
its state in ./.netagent and drives the lab's devices. Give an inventory
(--inventory: a netagent inventory, containerlab's topology-data.json or
ansible-inventory.yml) to drive real devices instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			cfg := g.cfg
			if cmd.Flags().Changed("listen") {
				cfg.Listen = listen
			}
			if cmd.Flags().Changed("inventory") {
				cfg.Inventory = inventory
			}
			if cmd.Flags().Changed("mcp-direct-apply") {
				cfg.MCP.DirectApply = direct
			}
			ctx := cmd.Context()
			a, closeLab, err := newAgent(cmd, cfg, g.log)
			if err != nil {
				return err
			}
			defer func() { err = errors.Join(err, closeLab()) }()
			return a.Run(ctx)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "HTTP API address (env NETAGENT_LISTEN)")
	cmd.Flags().StringVar(&inventory, "inventory", "", "inventory file; empty starts the simulated lab (env NETAGENT_INVENTORY)")
	cmd.Flags().BoolVar(&direct, "mcp-direct-apply", false, "apply MCP writes at /mcp without the plan-then-confirm token (env NETAGENT_MCP_DIRECT_APPLY)")
	return cmd
}

// newAgent builds the agent for cfg, first starting the simulated lab when
// no inventory is configured; closeLab stops the lab (a no-op without one)
// and must be called once the agent has stopped. The data directory is
// locked before the lab writes its state there, so a second agent on it
// stops here, before touching anything.
func newAgent(cmd *cobra.Command, cfg config.Config, log *slog.Logger) (a *agent.Agent, closeLab func() error, err error) {
	closeLab = func() error { return nil }
	lock, err := agent.LockDataDir(cfg.DataDir)
	if err != nil {
		return nil, closeLab, err
	}
	if cfg.Inventory == "" && cfg.Lab.Enabled {
		l, err := startLab(cmd, cfg)
		if err != nil {
			lock.Release()
			return nil, closeLab, err
		}
		closeLab = l.Close
		cfg.Inventory = l.InventoryPath()
	}
	a, err = agent.NewLocked(cmd.Context(), cfg, log, lock)
	if err != nil {
		return nil, closeLab, errors.Join(err, closeLab())
	}
	return a, closeLab, nil
}

// startLab starts the simulated lab the agent drives by default and prints
// where its devices are.
func startLab(cmd *cobra.Command, cfg config.Config) (*lab.Lab, error) {
	var t *topo.Topology
	var err error
	if cfg.Lab.Topology != "" {
		t, err = topo.ReadFile(cfg.Lab.Topology)
	} else {
		t, err = topo.Parse(topologies.TwoNode)
	}
	if err != nil {
		return nil, err
	}
	l, err := lab.Start(cmd.Context(), t, lab.Options{Dir: filepath.Join(cfg.DataDir, "lab", t.Name)})
	if err != nil {
		return nil, fmt.Errorf("simulated lab: %w", err)
	}
	out := cmd.ErrOrStderr()
	fmt.Fprintf(out, "simulated lab %s: %d devices (inventory %s)\n", t.Name, len(l.Devices()), l.InventoryPath())
	fmt.Fprint(out, lab.ListDevices(l.Devices(), l.Credentials()))
	return l, nil
}
