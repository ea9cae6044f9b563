package main

import (
	"github.com/spf13/cobra"

	"github.com/netagent/netagent/internal/agent"
)

func agentVersion() string { return agent.Version }

func newServeCmd(g *globals) *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the agent: HTTP API, intent intake, transactions, telemetry",
		Long: `Run the agent. With no configuration it listens on 127.0.0.1:8080, starts the
simulated lab in-process and keeps its state in ./.netagent.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := g.cfg
			if cmd.Flags().Changed("listen") {
				cfg.Listen = listen
			}
			a, err := agent.New(cfg, g.log)
			if err != nil {
				return err
			}
			return a.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "HTTP API address (env NETAGENT_LISTEN)")
	return cmd
}
