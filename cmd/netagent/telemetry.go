package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newTelemetryCmd(g *globals) *cobra.Command {
	c := &intentClient{http: &http.Client{Timeout: 30 * time.Second}}
	var device, label, since, step string
	cmd := &cobra.Command{
		Use:   "telemetry [METRIC]",
		Short: "Show the series a running agent collects, with a sparkline each",
		Long: `Show what a running agent (netagent serve) has collected from its devices.

With no METRIC, list the metrics and their units. With one, print a row per
series (device, interface or link, last value, min, max) and a sparkline of
the range asked for:

  netagent telemetry link.latency.ms --since 15m
  netagent telemetry if.in.bps --device leaf1 --step 1m
  netagent telemetry collectors          # per device: interval, samples, drops, errors`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			w := cmd.OutOrStdout()
			if len(args) == 0 {
				b, _, _, err := c.do(ctx, http.MethodGet, "/v1/telemetry/metrics", "", nil)
				if err != nil {
					return err
				}
				return c.print(w, b, func(w io.Writer) error { return printMetrics(w, b) })
			}
			q := url.Values{"metric": {args[0]}}
			for k, v := range map[string]string{"device": device, "label": label, "since": since, "step": step} {
				if v != "" {
					q.Set(k, v)
				}
			}
			b, _, _, err := c.do(ctx, http.MethodGet, "/v1/telemetry?"+q.Encode(), "", nil)
			if err != nil {
				return err
			}
			return c.print(w, b, func(w io.Writer) error { return printSeries(w, b) })
		},
	}
	c.bind(cmd, g, true)
	cmd.Flags().StringVar(&device, "device", "", "only this device")
	cmd.Flags().StringVar(&label, "label", "", "only this interface, link (device:interface), power supply or application")
	cmd.Flags().StringVar(&since, "since", "", "how far back: a duration (15m) or an RFC 3339 time (default 10m)")
	cmd.Flags().StringVar(&step, "step", "", "average into buckets of this width (1m)")
	cmd.AddCommand(&cobra.Command{
		Use:   "collectors",
		Short: "Per device: sampling interval, samples, drops, errors and lag",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, _, _, err := c.do(cmd.Context(), http.MethodGet, "/v1/telemetry/collectors", "", nil)
			if err != nil {
				return err
			}
			return c.print(cmd.OutOrStdout(), b, func(w io.Writer) error { return printCollectors(w, b) })
		},
	})
	return cmd
}

func printMetrics(w io.Writer, b []byte) error {
	var ans struct {
		Metrics []struct{ Name, Unit, Help, Label string }
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tUNIT\tPER\tMEANING")
	for _, m := range ans.Metrics {
		per := "device"
		if m.Label != "" {
			per = m.Label
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, m.Unit, per, m.Help)
	}
	return tw.Flush()
}

func printSeries(w io.Writer, b []byte) error {
	var ans struct {
		Metric string
		Unit   string
		Since  time.Time
		Series []struct {
			Key    struct{ Device, Label string }
			Points []struct{ Value float64 }
		}
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		return err
	}
	if len(ans.Series) == 0 {
		fmt.Fprintf(w, "no %s series since %s\n", ans.Metric, ans.Since.Format(time.RFC3339))
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "DEVICE\tSERIES\tLAST %s\tMIN\tMAX\tSINCE %s\n", ans.Unit, ans.Since.Local().Format("15:04:05"))
	for _, s := range ans.Series {
		vs := make([]float64, len(s.Points))
		for i, p := range s.Points {
			vs[i] = p.Value
		}
		lo, hi := minMax(vs)
		last := math.NaN()
		if len(vs) > 0 {
			last = vs[len(vs)-1]
		}
		lbl := s.Key.Label
		if lbl == "" {
			lbl = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.4g\t%.4g\t%.4g\t%s\n", s.Key.Device, lbl, last, lo, hi, sparkline(vs, 40))
	}
	return tw.Flush()
}

func printCollectors(w io.Writer, b []byte) error {
	var ans struct {
		Devices []struct {
			Device                 string
			Interval, Lag          time.Duration
			Samples, Drops, Errors uint64
			LastError              string `json:"last_error"`
			Resubscribes           uint64
		}
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tINTERVAL\tSAMPLES\tDROPS\tERRORS\tLAG\tLAST ERROR")
	for _, d := range ans.Devices {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", d.Device, d.Interval, d.Samples, d.Drops, d.Errors, d.Lag.Round(time.Microsecond), d.LastError)
	}
	return tw.Flush()
}

func minMax(vs []float64) (float64, float64) {
	if len(vs) == 0 {
		return math.NaN(), math.NaN()
	}
	lo, hi := vs[0], vs[0]
	for _, v := range vs[1:] {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return lo, hi
}

// sparkline draws vs (resampled to at most width) with block characters.
func sparkline(vs []float64, width int) string {
	if len(vs) == 0 {
		return ""
	}
	if len(vs) > width {
		out := make([]float64, width)
		for i := range out {
			a, b := i*len(vs)/width, (i+1)*len(vs)/width
			sum := 0.0
			for _, v := range vs[a:b] {
				sum += v
			}
			out[i] = sum / float64(b-a)
		}
		vs = out
	}
	const ticks = "▁▂▃▄▅▆▇█"
	runes := []rune(ticks)
	lo, hi := minMax(vs)
	var sb strings.Builder
	for _, v := range vs {
		i := 0
		if hi > lo {
			i = int((v - lo) / (hi - lo) * float64(len(runes)-1))
		}
		sb.WriteRune(runes[i])
	}
	return sb.String()
}
