package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// kbCase is the part of a knowledge case the command line shows.
type kbCase struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	ErrorType   string   `json:"error_type"`
	Protocol    string   `json:"protocol"`
	Platform    string   `json:"platform"`
	Tag         string   `json:"tag"`
	Template    string   `json:"template"`
	Messages    []string `json:"messages"`
	Fix         string   `json:"fix"`
	Source      string   `json:"source"`
	Origin      string   `json:"origin"`
	Revision    int      `json:"revision"`
	Seen        int      `json:"seen"`
	FixWorked   int      `json:"fix_worked"`
	FixFailed   int      `json:"fix_failed"`
	LastSeen    string   `json:"last_seen"`
	Remediation *struct {
		Kind        string `json:"kind"`
		Auto        bool   `json:"auto"`
		MaxAttempts int    `json:"max_attempts"`
		Wait        string `json:"wait"`
	} `json:"remediation"`
	Impact *struct {
		Devices     []string `json:"devices"`
		Intents     []string `json:"intents"`
		DeviceCount int      `json:"device_count"`
		IntentCount int      `json:"intent_count"`
	} `json:"impact"`
}

func printCase(w io.Writer, c kbCase) error {
	fmt.Fprintf(w, "%s: %s\n", c.ID, c.Title)
	fmt.Fprintf(w, "  type %s", c.ErrorType)
	for _, kv := range [][2]string{{"protocol", c.Protocol}, {"platform", c.Platform}, {"tag", c.Tag}, {"origin", c.Origin}} {
		if kv[1] != "" {
			fmt.Fprintf(w, ", %s %s", kv[0], kv[1])
		}
	}
	fmt.Fprintf(w, "\n  template: %s\n", c.Template)
	fmt.Fprintf(w, "  fix: %s\n", c.Fix)
	if r := c.Remediation; r != nil {
		mode := "suggested"
		if r.Auto {
			mode = fmt.Sprintf("automatic, at most %d attempts, first wait %s", r.MaxAttempts, r.Wait)
		}
		fmt.Fprintf(w, "  remediation: %s (%s)\n", r.Kind, mode)
	}
	fmt.Fprintf(w, "  seen %d times", c.Seen)
	if c.LastSeen != "" {
		fmt.Fprintf(w, ", last %s", c.LastSeen)
	}
	fmt.Fprintf(w, "; fix worked %d, failed %d\n", c.FixWorked, c.FixFailed)
	if im := c.Impact; im != nil && im.DeviceCount+im.IntentCount > 0 {
		fmt.Fprintf(w, "  impact: %d devices (%s), %d intents (%s)\n", im.DeviceCount, strings.Join(im.Devices, ", "),
			im.IntentCount, strings.Join(im.Intents, ", "))
	}
	if c.Source != "" {
		fmt.Fprintf(w, "  source: %s\n", c.Source)
	}
	return nil
}

// readDocument reads a JSON document from a file or stdin ("-").
func readDocument(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(io.LimitReader(stdin, 16<<20))
	}
	return os.ReadFile(path)
}

func newKBCmd(g *globals) *cobra.Command {
	c := &intentClient{http: &http.Client{Timeout: 60 * time.Second}}
	cmd := &cobra.Command{
		Use:   "kb",
		Short: "Search, show, add, export and import knowledge-base cases on a running agent",
		Long: `Talk to a running agent's knowledge API (netagent serve): the failure cases
it ships, learns and applies (GET/POST /v1/knowledge, :export, :import).`,
	}
	c.bind(cmd, g, true)

	var limit int
	search := &cobra.Command{
		Use:   "search WORDS...",
		Short: "Rank cases against an error message or words of a symptom",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"q": {strings.Join(args, " ")}, "limit": {strconv.Itoa(limit)}}
			raw, _, _, err := c.do(cmd.Context(), "GET", "/v1/knowledge?"+q.Encode(), "", nil)
			if err != nil {
				return err
			}
			var res struct {
				Matches []struct {
					Case  kbCase   `json:"case"`
					Score float64  `json:"score"`
					Why   []string `json:"why"`
				} `json:"matches"`
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				return err
			}
			return c.print(cmd.OutOrStdout(), raw, func(w io.Writer) error {
				if len(res.Matches) == 0 {
					_, err := fmt.Fprintln(w, "no case matches")
					return err
				}
				for _, m := range res.Matches {
					fmt.Fprintf(w, "%5.2f  %-32s %s\n", m.Score, m.Case.ID, m.Case.Title)
					fmt.Fprintf(w, "       why: %s\n       fix: %s\n", strings.Join(m.Why, "; "), m.Case.Fix)
				}
				return nil
			})
		},
	}
	search.Flags().IntVar(&limit, "limit", 5, "how many cases to show (1 to 100)")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a case: its template, fix, remediation, sightings and impact",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, _, _, err := c.do(cmd.Context(), "GET", "/v1/knowledge/"+url.PathEscape(args[0]), "", nil)
			if err != nil {
				return err
			}
			var kc kbCase
			if err := json.Unmarshal(raw, &kc); err != nil {
				return err
			}
			return c.print(cmd.OutOrStdout(), raw, func(w io.Writer) error { return printCase(w, kc) })
		},
	}

	add := &cobra.Command{
		Use:   "add FILE|-",
		Short: "Add a case, or correct one (same id), from a JSON document",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := readDocument(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			raw, code, _, err := c.do(cmd.Context(), "POST", "/v1/knowledge", "application/json", body)
			if err != nil {
				return err
			}
			var kc kbCase
			if err := json.Unmarshal(raw, &kc); err != nil {
				return err
			}
			return c.print(cmd.OutOrStdout(), raw, func(w io.Writer) error {
				verb := "corrected"
				if code == http.StatusCreated {
					verb = "added"
				}
				fmt.Fprintf(w, "%s case %s (revision %d)\n", verb, kc.ID, kc.Revision)
				return printCase(w, kc)
			})
		},
	}

	var outFile string
	export := &cobra.Command{
		Use:   "export",
		Short: "Write every case as JSON (to stdout or --file)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, _, _, err := c.do(cmd.Context(), "GET", "/v1/knowledge:export", "", nil)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := json.Indent(&buf, raw, "", "  "); err != nil {
				return err
			}
			if outFile == "" {
				_, err = cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(outFile, buf.Bytes(), 0o600); err != nil {
				return err
			}
			var ex struct {
				Cases []json.RawMessage `json:"cases"`
			}
			_ = json.Unmarshal(raw, &ex)
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "exported %d cases to %s\n", len(ex.Cases), outFile)
			return err
		},
	}
	export.Flags().StringVarP(&outFile, "file", "f", "", "write to this file instead of stdout")

	imp := &cobra.Command{
		Use:   "import FILE|-",
		Short: "Import an export document: all cases or none",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := readDocument(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			raw, _, _, err := c.do(cmd.Context(), "POST", "/v1/knowledge:import", "application/json", body)
			if err != nil {
				return err
			}
			var res struct{ Created, Updated int }
			if err := json.Unmarshal(raw, &res); err != nil {
				return err
			}
			return c.print(cmd.OutOrStdout(), raw, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "imported: %d new cases, %d updated\n", res.Created, res.Updated)
				return err
			})
		},
	}
	cmd.AddCommand(search, show, add, export, imp)
	return cmd
}
