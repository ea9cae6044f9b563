package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// intentClient talks to a running agent's intent REST API.
type intentClient struct {
	server string
	token  string
	http   *http.Client
	output string // "text" or "json"
}

// apiError is an RFC 9457 problem returned by the agent.
type apiError struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Stage  string `json:"stage"`
	Errors []struct {
		Pointer   string `json:"pointer"`
		Parameter string `json:"parameter"`
		Reason    string `json:"reason"`
	} `json:"errors"`
}

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.Status, e.Title)
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	for _, p := range e.Errors {
		ptr := p.Pointer
		switch {
		case p.Parameter != "":
			ptr = "parameter " + p.Parameter
		case ptr == "":
			ptr = "(document)"
		}
		fmt.Fprintf(&b, "\n  %s: %s", ptr, p.Reason)
	}
	return b.String()
}

func (c *intentClient) do(ctx context.Context, method, path, contentType string, body []byte) ([]byte, int, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.server, "/")+path, bytes.NewReader(body))
	if err != nil {
		return nil, 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("intent api %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, 0, nil, fmt.Errorf("intent api %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		ae := &apiError{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
		_ = json.Unmarshal(b, ae)
		return nil, resp.StatusCode, resp.Header, ae
	}
	return b, resp.StatusCode, resp.Header, nil
}

// bind gives cmd the flags every client of the agent's API shares
// (--server, --token, --token-file, and --output when output is set) and
// connects c before the subcommand runs: the server defaults to the
// configured listen address, the token to the admin token in the data dir.
func (c *intentClient) bind(cmd *cobra.Command, g *globals, output bool) {
	var tokenFile string
	cmd.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if err := g.load(cmd.Flags(), cmd.ErrOrStderr()); err != nil {
			return err
		}
		if c.server == "" {
			c.server = "http://" + g.cfg.Listen
		}
		tok, err := clientToken(g, c.token, tokenFile)
		if err != nil {
			return err
		}
		c.token = tok
		if c.output != "text" && c.output != "json" {
			return fmt.Errorf("--output must be text or json, not %q", c.output)
		}
		return nil
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&c.server, "server", os.Getenv("NETAGENT_SERVER"), "agent URL (default http://<listen address>; env NETAGENT_SERVER)")
	pf.StringVar(&c.token, "token", os.Getenv("NETAGENT_TOKEN"), "bearer token secret (env NETAGENT_TOKEN; prefer --token-file)")
	pf.StringVar(&tokenFile, "token-file", os.Getenv("NETAGENT_TOKEN_FILE"), "file holding the bearer token (default: the admin token in the data dir; env NETAGENT_TOKEN_FILE)")
	if output {
		pf.StringVarP(&c.output, "output", "o", "text", "output: text or json")
	} else {
		c.output = "json"
	}
}

// record is the part of an intent record the command line shows.
type record struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	State  string `json:"state"`
	Error  string `json:"error"`
	DryRun bool   `json:"dry_run"`
	Dup    bool   `json:"duplicate"`
	Advice []struct {
		Case    string `json:"case"`
		Title   string `json:"title"`
		Fix     string `json:"fix"`
		Device  string `json:"device"`
		Applied []struct {
			Kind    string `json:"kind"`
			Attempt int    `json:"attempt"`
			Outcome string `json:"outcome"`
		} `json:"applied"`
	} `json:"advice"`
	History []struct {
		State  string    `json:"state"`
		Reason string    `json:"reason"`
		At     time.Time `json:"at"`
	} `json:"history"`
	Plan *struct {
		Devices []struct {
			Device string `json:"device"`
			Diff   string `json:"diff"`
		} `json:"devices"`
	} `json:"plan"`
}

func (c *intentClient) print(w io.Writer, raw []byte, text func(io.Writer) error) error {
	if c.output == "json" {
		var buf bytes.Buffer
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			return err
		}
		buf.WriteByte('\n')
		_, err := w.Write(buf.Bytes())
		return err
	}
	return text(w)
}

func printRecord(w io.Writer, r record) error {
	status := r.State
	switch {
	case r.DryRun:
		status = "dry run (nothing stored)"
	case r.Dup:
		status += " (already submitted)"
	}
	fmt.Fprintf(w, "intent %s (%s): %s\n", r.ID, r.Kind, status)
	if r.Error != "" {
		fmt.Fprintf(w, "error: %s\n", r.Error)
	}
	for _, a := range r.Advice {
		fmt.Fprintf(w, "likely cause on %s: %s (case %s)\n  fix: %s\n", a.Device, a.Title, a.Case, a.Fix)
		for _, ap := range a.Applied {
			fmt.Fprintf(w, "  remediation %s, attempt %d: %s\n", ap.Kind, ap.Attempt, ap.Outcome)
		}
	}
	if r.Plan != nil {
		for _, d := range r.Plan.Devices {
			diff := strings.TrimRight(d.Diff, "\n")
			if diff == "" {
				diff = "(no changes)"
			}
			fmt.Fprintf(w, "%s:\n  %s\n", d.Device, strings.ReplaceAll(diff, "\n", "\n  "))
		}
	}
	for _, h := range r.History {
		fmt.Fprintf(w, "  %s  %-12s %s\n", h.At.Local().Format(time.RFC3339), h.State, h.Reason)
	}
	return nil
}

var terminalStates = map[string]bool{"applied": true, "failed": true, "rolled-back": true, "withdrawn": true,
	"assured": true, "drifted": true, "breached": true}

// wait polls an intent until it reaches a state the service is done with.
func (c *intentClient) wait(ctx context.Context, id string) ([]byte, record, error) {
	for {
		raw, _, _, err := c.do(ctx, "GET", "/v1/intents/"+url.PathEscape(id), "", nil)
		if err != nil {
			return nil, record{}, err
		}
		var r record
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, record{}, err
		}
		if terminalStates[r.State] {
			return raw, r, nil
		}
		select {
		case <-ctx.Done():
			return raw, r, fmt.Errorf("waiting for intent %s (state %s): %w", id, r.State, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// intentDocuments reads one file (or stdin for "-"): a JSON intent, a JSON
// array of intents, or YAML holding one or many, and returns each as JSON.
func intentDocuments(path string, stdin io.Reader) ([][]byte, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, 16<<20))
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return [][]byte{data}, nil // sent as is: the agent checks it strictly
	}
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(trimmed, &arr); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out := make([][]byte, len(arr))
		for i, r := range arr {
			out[i] = r
		}
		return out, nil
	}
	var out [][]byte
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		items := []any{doc}
		if l, ok := doc.([]any); ok {
			items = l
		}
		for _, it := range items {
			b, err := json.Marshal(it)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no intent", path)
	}
	return out, nil
}

func newIntentCmd(g *globals) *cobra.Command {
	c := &intentClient{http: &http.Client{Timeout: 60 * time.Second}}
	cmd := &cobra.Command{
		Use:   "intent",
		Short: "Submit, plan, follow and withdraw intents on a running agent",
		Long: `Talk to a running agent's intent API (netagent serve). Intents are JSON or
YAML files; see GET /v1/schemas/{kind} for each kind's schema.`,
	}
	c.bind(cmd, g, true)

	var wait, follow, followDevices bool
	var waitFor time.Duration
	submit := &cobra.Command{
		Use:   "submit FILE|-",
		Short: "Submit the intents in a file (JSON or YAML, one or many)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			docs, err := intentDocuments(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var errs []error
			for _, doc := range docs {
				raw, _, _, err := c.do(ctx, "POST", "/v1/intents", "application/json", doc)
				if err != nil {
					errs = append(errs, err)
					fmt.Fprintln(cmd.ErrOrStderr(), "refused:", err)
					continue
				}
				var r record
				if err := json.Unmarshal(raw, &r); err != nil {
					return err
				}
				if follow && !r.DryRun {
					w := cmd.OutOrStdout()
					f := &follower{w: w, tty: isTerminal(w), devices: followDevices}
					fctx, cancel := context.WithTimeout(ctx, waitFor)
					e, err := c.followIntent(fctx, r.ID, f)
					cancel()
					if err != nil {
						return err
					}
					if err := outcomeErr(e); err != nil {
						errs = append(errs, fmt.Errorf("intent %s: %w", r.ID, err))
					}
					continue
				}
				if wait && !r.DryRun {
					wctx, cancel := context.WithTimeout(ctx, waitFor)
					raw, r, err = c.wait(wctx, r.ID)
					cancel()
					if err != nil {
						return err
					}
				}
				if err := c.print(cmd.OutOrStdout(), raw, func(w io.Writer) error { return printRecord(w, r) }); err != nil {
					return err
				}
				if r.State == "failed" || r.State == "rolled-back" {
					errs = append(errs, fmt.Errorf("intent %s %s: %s", r.ID, r.State, r.Error))
				}
			}
			return errors.Join(errs...)
		},
	}
	submit.Flags().BoolVarP(&wait, "wait", "w", false, "wait until each intent is applied, failed or rolled back")
	submit.Flags().BoolVar(&follow, "follow", false, "follow each intent's transaction, drawing its progress")
	submit.Flags().BoolVar(&followDevices, "devices", false, "with --follow, one line per device")
	submit.Flags().DurationVar(&waitFor, "wait-timeout", 2*time.Minute, "how long --wait waits")

	plan := &cobra.Command{
		Use:   "plan FILE|-",
		Short: "Dry run: show what the intents would change, apply nothing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			docs, err := intentDocuments(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			for _, doc := range docs {
				raw, _, _, err := c.do(cmd.Context(), "POST", "/v1/intents:plan", "application/json", doc)
				if err != nil {
					return err
				}
				var pr struct {
					Diff string `json:"diff"`
				}
				if err := json.Unmarshal(raw, &pr); err != nil {
					return err
				}
				if err := c.print(cmd.OutOrStdout(), raw, func(w io.Writer) error { _, err := io.WriteString(w, pr.Diff); return err }); err != nil {
					return err
				}
			}
			return nil
		},
	}

	get := &cobra.Command{
		Use:   "get ID",
		Short: "Show an intent: state, plan and history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, _, _, err := c.do(cmd.Context(), "GET", "/v1/intents/"+url.PathEscape(args[0]), "", nil)
			if err != nil {
				return err
			}
			var r record
			if err := json.Unmarshal(raw, &r); err != nil {
				return err
			}
			return c.print(cmd.OutOrStdout(), raw, func(w io.Writer) error { return printRecord(w, r) })
		},
	}

	var state string
	var limit int
	var all bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List intents, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			token := ""
			tw := cmd.OutOrStdout()
			if c.output == "text" {
				fmt.Fprintf(tw, "%-36s %-13s %-12s %s\n", "ID", "KIND", "STATE", "UPDATED")
			}
			for {
				q := url.Values{}
				if state != "" {
					q.Set("state", state)
				}
				q.Set("limit", fmt.Sprint(limit))
				if token != "" {
					q.Set("page_token", token)
				}
				raw, _, _, err := c.do(cmd.Context(), "GET", "/v1/intents?"+q.Encode(), "", nil)
				if err != nil {
					return err
				}
				var page struct {
					Records []struct {
						ID        string    `json:"id"`
						Kind      string    `json:"kind"`
						State     string    `json:"state"`
						UpdatedAt time.Time `json:"updated_at"`
					} `json:"records"`
					Next string `json:"next_page_token"`
				}
				if err := json.Unmarshal(raw, &page); err != nil {
					return err
				}
				err = c.print(tw, raw, func(w io.Writer) error {
					for _, r := range page.Records {
						fmt.Fprintf(w, "%-36s %-13s %-12s %s\n", r.ID, r.Kind, r.State, r.UpdatedAt.Local().Format(time.RFC3339))
					}
					return nil
				})
				if err != nil {
					return err
				}
				if !all || page.Next == "" {
					if page.Next != "" && c.output == "text" {
						fmt.Fprintln(cmd.ErrOrStderr(), "(more: use --all)")
					}
					return nil
				}
				token = page.Next
			}
		},
	}
	list.Flags().StringVar(&state, "state", "", "only intents in this state")
	list.Flags().IntVar(&limit, "limit", 100, "page size (1 to 1000)")
	list.Flags().BoolVar(&all, "all", false, "follow every page")

	var reason string
	var withdrawDry bool
	withdraw := &cobra.Command{
		Use:   "withdraw ID",
		Short: "Withdraw an intent and remove what it configured",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/v1/intents/" + url.PathEscape(args[0])
			if withdrawDry {
				raw, _, _, err := c.do(cmd.Context(), "DELETE", path+"?dry_run=true", "", nil)
				if err != nil {
					return err
				}
				var wp struct {
					Diff string `json:"diff"`
				}
				if err := json.Unmarshal(raw, &wp); err != nil {
					return err
				}
				return c.print(cmd.OutOrStdout(), raw, func(w io.Writer) error {
					diff := wp.Diff
					if diff == "" {
						diff = "(nothing to remove)\n"
					}
					_, err := fmt.Fprintf(w, "withdraw of %s (dry run, nothing changed):\n%s", args[0], diff)
					return err
				})
			}
			if reason != "" {
				path += "?reason=" + url.QueryEscape(reason)
			}
			raw, _, _, err := c.do(cmd.Context(), "DELETE", path, "", nil)
			if err != nil {
				return err
			}
			var r record
			if err := json.Unmarshal(raw, &r); err != nil {
				return err
			}
			if wait && r.State != "withdrawn" {
				wctx, cancel := context.WithTimeout(cmd.Context(), waitFor)
				defer cancel()
				if raw, r, err = c.wait(wctx, r.ID); err != nil {
					return err
				}
			}
			return c.print(cmd.OutOrStdout(), raw, func(w io.Writer) error { return printRecord(w, r) })
		},
	}
	withdraw.Flags().StringVar(&reason, "reason", "", "why (recorded in the history)")
	withdraw.Flags().BoolVar(&withdrawDry, "dry-run", false, "show what withdrawing would remove and keep; change nothing")
	withdraw.Flags().BoolVarP(&wait, "wait", "w", false, "wait until its configuration is removed")
	withdraw.Flags().DurationVar(&waitFor, "wait-timeout", 2*time.Minute, "how long --wait waits")

	var session, lang string
	var doSubmit, yes bool
	parse := &cobra.Command{
		Use:   "parse SENTENCE...",
		Short: "Understand a sentence (English or Chinese); with --submit, confirm and submit it",
		Example: `  netagent intent parse shut down eth1 on leaf1
  netagent intent parse --submit "把 leaf1 的 eth1 接口 MTU 改成 9000"`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, _ := json.Marshal(map[string]string{"text": strings.Join(args, " "), "session": session, "lang": lang})
			raw, _, _, err := c.do(cmd.Context(), "POST", "/v1/intents:parse", "application/json", body)
			if err != nil {
				return err
			}
			var res struct {
				Status     string  `json:"status"`
				Confidence float64 `json:"confidence"`
				Summary    string  `json:"summary"`
				Question   string  `json:"question"`
				Session    string  `json:"session"`
				// Document is what is shown and submitted: a removal
				// ("ensure": "absent") has one even while its intent is
				// left out.
				Document json.RawMessage `json:"document"`
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				return err
			}
			err = c.print(cmd.OutOrStdout(), raw, func(w io.Writer) error {
				if res.Status != "confirm" {
					fmt.Fprintf(w, "%s (confidence %.2f)\n", res.Question, res.Confidence)
					if res.Session != "" && res.Session != session {
						fmt.Fprintf(w, "answer with --session %s\n", res.Session)
					}
					return nil
				}
				var pretty bytes.Buffer
				_ = json.Indent(&pretty, res.Document, "", "  ")
				fmt.Fprintf(w, "%s (confidence %.2f)\n%s\n", res.Summary, res.Confidence, pretty.String())
				return nil
			})
			if err != nil || !doSubmit || res.Status != "confirm" {
				return err
			}
			if !yes {
				fmt.Fprint(cmd.OutOrStdout(), "Submit this intent? [y/N] ")
				line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" && a != "是" {
					fmt.Fprintln(cmd.OutOrStdout(), "not submitted")
					return nil
				}
			}
			raw, _, _, err = c.do(cmd.Context(), "POST", "/v1/intents", "application/json", res.Document)
			if err != nil {
				return err
			}
			var r record
			if err := json.Unmarshal(raw, &r); err != nil {
				return err
			}
			return c.print(cmd.OutOrStdout(), raw, func(w io.Writer) error { return printRecord(w, r) })
		},
	}
	parse.Flags().StringVar(&session, "session", "cli", "conversation session: context carries between parses")
	parse.Flags().StringVar(&lang, "lang", "", "en or zh (default: detect)")
	parse.Flags().BoolVar(&doSubmit, "submit", false, "after confirmation, submit the parsed intent")
	parse.Flags().BoolVarP(&yes, "yes", "y", false, "with --submit, do not ask for confirmation")

	cmd.AddCommand(submit, plan, get, list, withdraw, parse)
	return cmd
}
