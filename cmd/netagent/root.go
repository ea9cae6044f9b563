package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/logging"
)

// globals are the flags every subcommand shares.
type globals struct {
	configFile string
	logFormat  string
	logLevel   string
	cfg        config.Config
	log        *slog.Logger
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "netagent",
		Short:         "Intent-driven network automation agent",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return g.load(cmd.Flags(), cmd.ErrOrStderr())
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.configFile, "config", os.Getenv("NETAGENT_CONFIG"), "YAML configuration file (env NETAGENT_CONFIG)")
	pf.StringVar(&g.logFormat, "log-format", "", "log format: text or json (default text; env NETAGENT_LOG_FORMAT)")
	pf.StringVar(&g.logLevel, "log-level", "", "log level: debug, info, warn, error (default info; env NETAGENT_LOG_LEVEL)")

	root.AddCommand(newServeCmd(g), newVersionCmd(), newDeviceCmd(g), newIntentCmd(g), newLabCmd(g),
		newTokenCmd(g), newPKICmd(g), newTelemetryCmd(g), newMCPCmd(g), newKBCmd(g), newAuditCmd(g), newTxnCmd(g))
	return root
}

// load builds the configuration (file, then environment, then the flags the
// user set) and the logger.
func (g *globals) load(flags *pflag.FlagSet, stderr io.Writer) error {
	cfg, err := config.Load(g.configFile, os.Environ())
	if err != nil {
		return err
	}
	if flags.Changed("log-format") {
		cfg.LogFormat = g.logFormat
	}
	if flags.Changed("log-level") {
		cfg.LogLevel = g.logLevel
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	g.cfg = cfg
	g.log = newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	return nil
}

func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	// logging adds the trace id and principal from the context and
	// redacts secret-named attributes.
	if format == "json" {
		return slog.New(logging.New(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(logging.New(slog.NewTextHandler(w, opts)))
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "netagent", agentVersion())
			return err
		},
	}
}
