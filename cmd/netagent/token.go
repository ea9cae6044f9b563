package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/pki"
)

// clientToken is the bearer secret a client subcommand presents: --token
// (or NETAGENT_TOKEN) if given, else the file --token-file names (or
// NETAGENT_TOKEN_FILE), else the admin token the agent wrote in its data
// dir on first start. No token at all is not an error here: the agent
// answers 401 and says why.
func clientToken(g *globals, token, file string) (string, error) {
	if token != "" {
		return token, nil
	}
	explicit := file != ""
	if !explicit {
		file = g.cfg.AdminTokenPath()
	}
	secret, err := auth.ReadSecretFile(file)
	if err != nil && !explicit && errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	return secret, err
}

func newTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke the agent's bearer tokens",
		Long: `Manage the bearer tokens in the agent's token file (auth.tokens_file, default
<data_dir>/tokens.json, mode 0600). Only a hash of each secret is stored; a
running agent picks up changes within a second. Each create and revoke is
recorded in the agent's audit chain (<data_dir>/netagent.db) as the local
operator; a create whose entry cannot be written is revoked again. Scopes:
` + scopeList() + `.`,
	}
	open := func() (*auth.TokenStore, error) { return auth.OpenTokenStore(g.cfg.TokensPath()) }

	var scopes []string
	var ttl time.Duration
	var subject string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a token and print its secret (shown once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := open()
			if err != nil {
				return err
			}
			var sc []auth.Scope
			for _, x := range scopes {
				for _, y := range strings.Split(x, ",") {
					if y = strings.TrimSpace(y); y != "" {
						sc = append(sc, auth.Scope(y))
					}
				}
			}
			t, secret, err := s.Create(subject, sc, ttl)
			if err != nil {
				return err
			}
			if err := auditToken(cmd.Context(), g, "create", t); err != nil {
				// A token nobody can account for must not work: take it back.
				if _, rerr := s.Revoke(t.ID); rerr != nil {
					return fmt.Errorf("%w; and revoking the unaudited token %s failed: %w", err, t.ID, rerr)
				}
				return fmt.Errorf("%w (token %s revoked again)", err, t.ID)
			}
			exp := "never"
			if !t.Expiry.IsZero() {
				exp = t.Expiry.Format(time.RFC3339)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "token %s for %s, scopes %s, expires %s (the secret below is shown once)\n", t.ID, t.Subject, joinScopes(t.Scopes), exp)
			_, err = fmt.Fprintln(cmd.OutOrStdout(), secret)
			return err
		},
	}
	create.Flags().StringSliceVar(&scopes, "scope", nil, "scope to grant (repeat or comma-separate): "+scopeList())
	create.Flags().DurationVar(&ttl, "ttl", 0, "lifetime, e.g. 720h (default: no expiry)")
	create.Flags().StringVar(&subject, "subject", "", "who the token is for (recorded with every intent it submits)")
	_ = create.MarkFlagRequired("scope")
	_ = create.MarkFlagRequired("subject")

	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := open()
			if err != nil {
				return err
			}
			toks, err := s.List()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSUBJECT\tSCOPES\tCREATED\tEXPIRES\tSTATUS")
			now := time.Now()
			for _, t := range toks {
				exp, status := "never", "active"
				if !t.Expiry.IsZero() {
					exp = t.Expiry.Format(time.RFC3339)
				}
				switch {
				case !t.Revoked.IsZero():
					status = "revoked " + t.Revoked.Format(time.RFC3339)
				case !t.Active(now):
					status = "expired"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Subject, joinScopes(t.Scopes), t.Created.Format(time.RFC3339), exp, status)
			}
			return tw.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token; a running agent refuses it within a second",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := open()
			if err != nil {
				return err
			}
			t, err := s.Revoke(args[0])
			if err != nil {
				return err
			}
			if err := auditToken(cmd.Context(), g, "revoke", t); err != nil {
				return fmt.Errorf("token %s is revoked, but %w", t.ID, err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "revoked %s (%s)\n", t.ID, t.Subject)
			return err
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// auditToken records a token change in the agent's audit chain (the
// store in the data dir), attributed to the operating-system user who ran
// the command, under a new trace, and signs the head with the agent key.
//
// The command writes the chain itself rather than asking the running agent:
// token commands must work when the agent is down (the first token, a lost
// admin token) and must not depend on a credential they may be revoking;
// whoever can write the token file is the local operator anyway. The chain
// is safe to append to from two processes: each entry is written under the
// store's write lock (audit.Log), so the agent's entries and these
// interleave without a gap or a fork.
func auditToken(ctx context.Context, g *globals, op string, t auth.Token) error {
	au, actx, err := openDeviceAudit(ctx, g)
	if err != nil {
		return fmt.Errorf("audit entry for token %s not written: %w", t.ID, err)
	}
	rerr := au.log.RecordTokenChange(actx, audit.TokenChange{Op: op, TokenID: t.ID, Subject: t.Subject, Scopes: t.Scopes, ExpiresAt: t.Expiry})
	if cerr := au.close(actx); rerr == nil && cerr != nil {
		rerr = cerr
	}
	if rerr != nil {
		return fmt.Errorf("audit entry for token %s not written: %w", t.ID, rerr)
	}
	return nil
}

func scopeList() string {
	var s []string
	for _, x := range auth.Scopes() {
		s = append(s, string(x))
	}
	return strings.Join(s, ", ")
}

func joinScopes(sc []auth.Scope) string {
	var s []string
	for _, x := range sc {
		s = append(s, string(x))
	}
	return strings.Join(s, ",")
}

func newPKICmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pki",
		Short: "A small local CA for agent identities (agent-to-agent mutual TLS)",
		Long: `Create a local CA in <data_dir>/pki and issue agent certificates from it. Each
certificate names its agent in a URI SAN (netagent://agent/NAME); the peer
listener (peer.listen) admits agents by that name. Any CA works in production:
point peer.ca, peer.cert and peer.key at its files.`,
	}
	var org string
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Create the CA (ECDSA P-256) in <data_dir>/pki; never overwrites one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ca, err := pki.Init(g.cfg.PKIDir(), org)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "CA %q: %s (key %s, mode 0600)\n", ca.Cert.Subject.CommonName, pki.CertPath(g.cfg.PKIDir(), "ca"), pki.KeyPath(g.cfg.PKIDir(), "ca"))
			return err
		},
	}
	initCmd.Flags().StringVar(&org, "org", "local", "organisation named in the CA")
	var hosts []string
	var validity time.Duration
	issue := &cobra.Command{
		Use:   "issue NAME",
		Short: "Issue the certificate of agent NAME (server and client use)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ca, err := pki.Load(g.cfg.PKIDir())
			if err != nil {
				return err
			}
			if _, err := ca.Issue(args[0], pki.IssueOptions{Hosts: hosts, Validity: validity}); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "agent %s (%s): %s, key %s\n", args[0], auth.AgentURI(args[0]),
				pki.CertPath(g.cfg.PKIDir(), args[0]), pki.KeyPath(g.cfg.PKIDir(), args[0]))
			return err
		},
	}
	issue.Flags().StringSliceVar(&hosts, "host", nil, "extra DNS name or IP address the agent serves on (localhost, 127.0.0.1 and ::1 are included)")
	issue.Flags().DurationVar(&validity, "validity", 365*24*time.Hour, "certificate lifetime")
	cmd.AddCommand(initCmd, issue)
	return cmd
}
