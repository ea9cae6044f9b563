package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/store"
)

type auditFlags struct {
	dataDir string
	keyFile string
	output  string
}

// openStore opens the store of the data dir for reading the audit log; it
// works while the agent runs (WAL) and when it is stopped, and never creates
// a store that is not there.
func (f *auditFlags) openStore(ctx context.Context, g *globals) (*store.DB, error) {
	path := g.cfg.StorePath()
	if f.dataDir != "" {
		path = filepath.Join(f.dataDir, "netagent.db")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("audit: no store at %s (set --data-dir or data_dir): %w", path, err)
	}
	return store.Open(ctx, path, store.Options{})
}

// publicKey is the key that verifies signed heads: --key, else the agent
// key in the configuration (its private key file or certificate); nil when
// there is none, and then the stored keys are used.
func (f *auditFlags) publicKey(g *globals) (ed25519.PublicKey, string, error) {
	path := f.keyFile
	if path == "" {
		cfg := g.cfg
		if f.dataDir != "" {
			cfg.DataDir = f.dataDir
		}
		path = cfg.AuditKeyFile()
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, path, nil
		}
	}
	pub, err := audit.LoadPublicKey(path)
	return pub, path, err
}

func newAuditCmd(g *globals) *cobra.Command {
	f := &auditFlags{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check and read the tamper-evident audit log in the data dir (works with the agent running or stopped)",
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.dataDir, "data-dir", "", "the agent's data dir (default: data_dir from the configuration)")
	pf.StringVarP(&f.output, "output", "o", "text", "output: text or json")

	verify := &cobra.Command{
		Use:   "verify",
		Short: "Recompute the hash chain and check the signed heads; fails naming the first bad entry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := f.openStore(ctx, g)
			if err != nil {
				return err
			}
			defer db.Close()
			pub, keyPath, err := f.publicKey(g)
			if err != nil {
				return err
			}
			rep, err := audit.Verify(ctx, db, pub)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f.output == "json" {
				return json.NewEncoder(out).Encode(rep)
			}
			fmt.Fprintf(out, "audit chain intact: %d entries, %d signed heads, signed up to entry %d\n", rep.Entries, rep.Heads, rep.SignedSeq)
			if rep.KeyFromStore {
				fmt.Fprintf(out, "warning: no agent key at %s; signatures checked against the keys stored with them\n", keyPath)
			}
			return nil
		},
	}
	verify.Flags().StringVar(&f.keyFile, "key", "", "file with the key that signed the heads: the agent key, its public key or its certificate (PEM; default audit.key_file)")

	var intentID, device, since string
	var limit int
	show := &cobra.Command{
		Use:   "show",
		Short: "List audit entries, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			flt := audit.Filter{Intent: intentID, Device: device, Limit: limit}
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return err
				}
				flt.Since = t
			}
			db, err := f.openStore(ctx, g)
			if err != nil {
				return err
			}
			defer db.Close()
			es, err := audit.Query(ctx, db, flt)
			if err != nil {
				return err
			}
			return renderEntries(cmd.OutOrStdout(), f.output, es)
		},
	}
	sf := show.Flags()
	sf.StringVar(&intentID, "intent", "", "only this intent's entries")
	sf.StringVar(&device, "device", "", "only this device's entries")
	sf.StringVar(&since, "since", "", "only entries since a duration ago (1h, 30m) or a time (RFC 3339)")
	sf.IntVar(&limit, "limit", 1000, "at most this many (the newest)")
	cmd.AddCommand(verify, show)
	return cmd
}

// parseSince reads --since: a duration before now, or an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("--since %q: the duration must not be negative", s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: neither a duration (1h, 30m) nor a time (2026-12-01T10:00:00Z or 2026-12-01)", s)
}

func renderEntries(w io.Writer, output string, es []audit.Entry) error {
	switch output {
	case "json":
		if es == nil {
			es = []audit.Entry{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(es)
	case "text", "":
	default:
		return fmt.Errorf("--output %q: text or json", output)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tACTION\tACTOR\tINTENT\tDEVICE\tTRACE\tDETAIL")
	for _, e := range es {
		actor := "-"
		if p, ok := e.Principal(); ok {
			actor = p.String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.UTC().Format(time.RFC3339), e.Action, actor,
			dash(e.Intent), dash(e.Device), dash(e.Trace), dash(oneLine(string(e.Detail), 100)))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a table cell on one line and at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
