package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/netagent/netagent/mcp"
)

func newMCPCmd(g *globals) *cobra.Command {
	var inventory, url string
	var direct bool
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve the Model Context Protocol over stdio, for an AI agent that starts netagent",
		Long: `Serve MCP over stdin/stdout. The agent's services run in this process, against the
configured inventory or, with none, the simulated lab (as netagent serve does); calls
act as the local operator. Logs and the lab's listing go to stderr. Writes are
two-step: a write tool returns the diff and a confirmation token, and applies only
when called again with it (--mcp-direct-apply turns this off, for trusted agents).
A running agent serves the same tools over streamable HTTP at /mcp; --url relays
stdio to it instead, with the bearer token from NETAGENT_MCP_TOKEN.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if url != "" {
				b := &mcp.Bridge{URL: url, Token: os.Getenv("NETAGENT_MCP_TOKEN")}
				return b.Run(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout())
			}
			cfg := g.cfg
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
			return a.ServeMCP(ctx, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&inventory, "inventory", "", "inventory file; empty starts the simulated lab (env NETAGENT_INVENTORY)")
	cmd.Flags().StringVar(&url, "url", "", "relay to a running agent's MCP endpoint (http://host:8080/mcp) instead of running one in-process; token from NETAGENT_MCP_TOKEN")
	cmd.Flags().BoolVar(&direct, "mcp-direct-apply", false, "apply MCP writes without the plan-then-confirm token (env NETAGENT_MCP_DIRECT_APPLY)")
	return cmd
}
