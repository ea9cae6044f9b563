package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/netagent/netagent/txn"
)

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// follower draws a transaction's progress: a bar redrawn in place on a
// terminal (one line per device with --devices), plain lines otherwise.
type follower struct {
	w       io.Writer
	tty     bool
	devices bool
	last    int
	steps   map[string]string
}

func (f *follower) event(e txn.Event) {
	if f.steps == nil {
		f.steps = map[string]string{}
	}
	for d, s := range e.Devices {
		f.steps[d] = s
	}
	if e.Device != "" {
		f.steps[e.Device] = e.Step
	}
	if !f.tty {
		switch e.Type {
		case "outcome":
			fmt.Fprintf(f.w, "%s %3d%% %s\n", e.Txn, e.Percent, e.State)
		case "step":
			if f.devices {
				fmt.Fprintf(f.w, "%s %3d%% %s %s\n", e.Txn, e.Percent, e.Device, e.Step)
			} else if e.Percent != f.last {
				fmt.Fprintf(f.w, "%s %3d%% %s (%d/%d steps)\n", e.Txn, e.Percent, e.State, e.Done, e.Total)
			}
		default:
			fmt.Fprintf(f.w, "%s %3d%% %s\n", e.Txn, e.Percent, e.State)
		}
		f.last = e.Percent
		return
	}
	const width = 40
	filled := e.Percent * width / 100
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	if f.devices {
		names := make([]string, 0, len(f.steps))
		for d := range f.steps {
			names = append(names, d)
		}
		sort.Strings(names)
		// Redraw the device lines under the bar.
		fmt.Fprintf(f.w, "\x1b[H\x1b[2J%s [%s] %3d%% %s\n", e.Txn, bar, e.Percent, e.State)
		for _, d := range names {
			fmt.Fprintf(f.w, "  %-20s %s\n", d, f.steps[d])
		}
	} else {
		fmt.Fprintf(f.w, "\r%s [%s] %3d%% %-12s", e.Txn, bar, e.Percent, e.State)
	}
	if e.Type == "outcome" {
		fmt.Fprintln(f.w)
	}
	f.last = e.Percent
}

// follow streams a transaction's events until its outcome, resuming with
// Last-Event-ID when the stream breaks, and returns the outcome event.
func (c *intentClient) follow(ctx context.Context, id string, fn func(txn.Event)) (txn.Event, error) {
	var last int64
	var out txn.Event
	hc := &http.Client{} // no overall timeout: the stream lasts as long as the transaction
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(c.server, "/")+"/v1/txns/"+url.PathEscape(id)+"/events", nil)
		if err != nil {
			return out, err
		}
		req.Header.Set("Accept", "text/event-stream")
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		if last > 0 {
			req.Header.Set("Last-Event-ID", strconv.FormatInt(last, 10))
		}
		resp, err := hc.Do(req)
		if err == nil && resp.StatusCode >= 400 {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			ae := &apiError{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
			_ = json.Unmarshal(b, ae)
			return out, ae
		}
		if err == nil {
			err = txn.ReadEvents(resp.Body, func(e txn.Event) error {
				if e.Seq > 0 {
					last = e.Seq
				}
				fn(e)
				if e.Type == "outcome" {
					out = e
					return errDone
				}
				return nil
			})
			resp.Body.Close()
			if errors.Is(err, errDone) {
				return out, nil
			}
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		if attempt >= 20 {
			return out, fmt.Errorf("following transaction %s: %w", id, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

var errDone = errors.New("done")

// followIntent waits until the intent's transaction starts, then follows it.
func (c *intentClient) followIntent(ctx context.Context, id string, f *follower) (txn.Event, error) {
	for {
		raw, _, _, err := c.do(ctx, "GET", "/v1/intents/"+url.PathEscape(id), "", nil)
		if err != nil {
			return txn.Event{}, err
		}
		var r struct {
			State string `json:"state"`
			Txn   string `json:"txn"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return txn.Event{}, err
		}
		if r.Txn != "" && r.State == "applying" || r.Txn != "" && terminalStates[r.State] {
			return c.follow(ctx, r.Txn, f.event)
		}
		if terminalStates[r.State] {
			return txn.Event{State: txn.State(r.State)}, nil // nothing to change: no transaction
		}
		select {
		case <-ctx.Done():
			return txn.Event{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func newTxnCmd(g *globals) *cobra.Command {
	c := &intentClient{http: &http.Client{Timeout: 60 * time.Second}}
	cmd := &cobra.Command{
		Use:   "txn",
		Short: "List, show and follow transactions on a running agent",
	}
	c.bind(cmd, g, false)

	var devices bool
	follow := &cobra.Command{
		Use:   "follow ID",
		Short: "Follow a transaction's progress until its outcome (a bar on a terminal, lines otherwise)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			f := &follower{w: w, tty: isTerminal(w), devices: devices}
			e, err := c.follow(cmd.Context(), args[0], f.event)
			if err != nil {
				return err
			}
			return outcomeErr(e)
		},
	}
	follow.Flags().BoolVar(&devices, "devices", false, "one line per device")
	get := &cobra.Command{
		Use:   "get ID",
		Short: "Show a transaction with every device's outcome",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, _, _, err := c.do(cmd.Context(), "GET", "/v1/txns/"+url.PathEscape(args[0]), "", nil)
			if err != nil {
				return err
			}
			return c.print(cmd.OutOrStdout(), raw, nil)
		},
	}
	var intentID string
	list := &cobra.Command{
		Use:   "list",
		Short: "List transactions, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/v1/txns"
			if intentID != "" {
				path += "?intent=" + url.QueryEscape(intentID)
			}
			raw, _, _, err := c.do(cmd.Context(), "GET", path, "", nil)
			if err != nil {
				return err
			}
			return c.print(cmd.OutOrStdout(), raw, nil)
		},
	}
	list.Flags().StringVar(&intentID, "intent", "", "only this intent's transactions")
	cmd.AddCommand(follow, get, list)
	return cmd
}

// outcomeErr is an error unless the transaction confirmed.
func outcomeErr(e txn.Event) error {
	if e.State == txn.StateConfirmed || e.State == "applied" {
		return nil
	}
	msg := string(e.State)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return fmt.Errorf("transaction %s %s", e.Txn, msg)
}
