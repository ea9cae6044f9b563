package telemetry

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/netagent/netagent/internal/auth"
)

// API serves the series store, the collector's view and the assurance
// results over HTTP, and every series and the agent's own health at
// /metrics in Prometheus format.
type API struct {
	Store     *Store
	Collector *Collector // optional
	Adaptive  *Adaptive  // optional
	Assurer   *Assurer   // optional
	// Extra collectors on /metrics (intents by state, transactions by
	// outcome: the agent registers them).
	Extra []prometheus.Collector
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Routes returns the API's routes with their scopes.
func (a *API) Routes() ([]auth.Route, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), &promSeries{a: a})
	for _, c := range a.Extra {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("telemetry: /metrics: %w", err)
		}
	}
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, EnableOpenMetrics: true})
	return []auth.Route{
		{Pattern: "GET /v1/telemetry", Scope: auth.TelemetryRead, Handler: http.HandlerFunc(a.query)},
		{Pattern: "GET /v1/telemetry/metrics", Scope: auth.TelemetryRead, Handler: http.HandlerFunc(a.metricList)},
		{Pattern: "GET /v1/telemetry/series", Scope: auth.TelemetryRead, Handler: http.HandlerFunc(a.seriesList)},
		{Pattern: "GET /v1/telemetry/collectors", Scope: auth.TelemetryRead, Handler: http.HandlerFunc(a.collectors)},
		{Pattern: "GET /v1/telemetry/assurance/{intent}", Scope: auth.TelemetryRead, Handler: http.HandlerFunc(a.assurance)},
		{Pattern: "GET /metrics", Scope: auth.TelemetryRead, Handler: metrics},
	}, nil
}

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// QueryAnswer is the body of GET /v1/telemetry.
type QueryAnswer struct {
	Metric string        `json:"metric"`
	Unit   string        `json:"unit"`
	Since  time.Time     `json:"since"`
	Step   time.Duration `json:"step,omitempty"`
	Series []Result      `json:"series"`
}

// ParseQuery reads the parameters of GET /v1/telemetry: metric (required,
// a known name), device and label (optional), since (an RFC 3339 time or
// a duration back from now, default 10m), step (a duration, optional).
// Errors name the parameter.
func ParseQuery(v map[string][]string, now time.Time, devices func(string) bool) (Query, error) {
	get := func(k string) string {
		if s := v[k]; len(s) > 0 {
			return s[0]
		}
		return ""
	}
	for k := range v {
		switch k {
		case "metric", "device", "label", "since", "step":
		default:
			return Query{}, &ParamError{k, "is not a parameter of this query (metric, device, label, since, step)"}
		}
	}
	q := Query{Metric: get("metric"), Device: get("device"), Label: get("label")}
	if q.Metric == "" {
		return Query{}, &ParamError{"metric", "is required: one of " + metricNames()}
	}
	if _, ok := Info(q.Metric); !ok {
		return Query{}, &ParamError{"metric", fmt.Sprintf("%q is not a metric: one of %s", q.Metric, metricNames())}
	}
	if q.Device != "" && devices != nil && !devices(q.Device) {
		return Query{}, &ParamError{"device", fmt.Sprintf("%q is not a device of the inventory", q.Device)}
	}
	q.Since = now.Add(-10 * time.Minute)
	if s := get("since"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			if d <= 0 {
				return Query{}, &ParamError{"since", fmt.Sprintf("%q must be a positive duration back from now", s)}
			}
			q.Since = now.Add(-d)
		} else if t, err := time.Parse(time.RFC3339, s); err == nil {
			if t.After(now) {
				return Query{}, &ParamError{"since", fmt.Sprintf("%q is in the future", s)}
			}
			q.Since = t
		} else {
			return Query{}, &ParamError{"since", fmt.Sprintf("%q is neither an RFC 3339 time nor a duration such as 15m", s)}
		}
	}
	if s := get("step"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second {
			return Query{}, &ParamError{"step", fmt.Sprintf("%q is not a duration of at least 1s", s)}
		}
		q.Step = d
	}
	return q, nil
}

// ParamError names a bad query parameter.
type ParamError struct {
	Param  string
	Reason string
}

func (e *ParamError) Error() string { return "parameter " + e.Param + ": " + e.Reason }

func metricNames() string {
	names := make([]string, len(Metrics))
	for i, m := range Metrics {
		names[i] = m.Name
	}
	return strings.Join(names, ", ")
}

func (a *API) query(w http.ResponseWriter, r *http.Request) {
	now := a.now()
	var known func(string) bool
	if a.Collector != nil {
		known = a.Collector.Knows
	}
	q, err := ParseQuery(r.URL.Query(), now, known)
	if err != nil {
		pe := err.(*ParamError)
		writeProblem(w, http.StatusBadRequest, "Bad query parameter", err.Error(), r.URL.Path, pe.Param, pe.Reason)
		return
	}
	info, _ := Info(q.Metric)
	res := a.Store.Query(q)
	writeJSON(w, http.StatusOK, QueryAnswer{Metric: q.Metric, Unit: info.Unit, Since: q.Since.UTC(), Step: q.Step, Series: res})
}

func (a *API) metricList(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"metrics": Metrics})
}

// SeriesInfo describes one stored series.
type SeriesInfo struct {
	Key      Key       `json:"key"`
	Last     Point     `json:"last"`
	Interval string    `json:"interval"`
	Why      string    `json:"why"`
	Updated  time.Time `json:"-"`
}

func (a *API) seriesList(w http.ResponseWriter, r *http.Request) {
	dev := r.URL.Query().Get("device")
	var out []SeriesInfo
	for _, k := range a.Store.Keys() {
		if dev != "" && k.Device != dev {
			continue
		}
		si := SeriesInfo{Key: k}
		si.Last, _ = a.Store.Last(k)
		if a.Adaptive != nil {
			iv, why := a.Adaptive.Interval(k)
			si.Interval, si.Why = iv.String(), why
		}
		out = append(out, si)
	}
	writeJSON(w, http.StatusOK, map[string]any{"series": out, "series_bytes": a.Store.Options().SeriesBytes()})
}

func (a *API) collectors(w http.ResponseWriter, r *http.Request) {
	if a.Collector == nil {
		writeJSON(w, http.StatusOK, map[string]any{"devices": []DeviceStats{}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": a.Collector.Stats()})
}

func (a *API) assurance(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("intent")
	if a.Assurer == nil {
		writeProblem(w, http.StatusNotFound, "Not found", "assurance is not running", r.URL.Path, "", "")
		return
	}
	as := a.Assurer.Assessments(id)
	if len(as) == 0 {
		writeProblem(w, http.StatusNotFound, "Not found", fmt.Sprintf("intent %q has no objective under assurance", id), r.URL.Path, "intent", "no objective under assurance")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"intent": id, "assessments": as})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeProblem answers an RFC 9457 problem; param, when set, names the
// query parameter at fault.
func writeProblem(w http.ResponseWriter, code int, title, detail, instance, param, reason string) {
	p := map[string]any{"type": "about:blank", "title": title, "status": code, "detail": detail, "instance": instance}
	if param != "" {
		p["errors"] = []map[string]string{{"parameter": param, "reason": reason}}
		p["detail"] = "bad value for the query parameter " + param
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(p)
}

// promSeries exposes the store's latest values and the collector's health.
type promSeries struct{ a *API }

var (
	descSamples  = prometheus.NewDesc("netagent_telemetry_samples_total", "Samples stored per device.", []string{"device"}, nil)
	descDrops    = prometheus.NewDesc("netagent_telemetry_drops_total", "Values refused per device, by reason (malformed, not_a_number, unknown_status, out_of_range, counter_time, stale).", []string{"device", "reason"}, nil)
	descErrors   = prometheus.NewDesc("netagent_telemetry_errors_total", "Collection errors per device.", []string{"device"}, nil)
	descLag      = prometheus.NewDesc("netagent_telemetry_lag_seconds", "Arrival minus device timestamp of the last sample.", []string{"device"}, nil)
	descInterval = prometheus.NewDesc("netagent_telemetry_interval_seconds", "Current sampling interval of a series.", []string{"metric", "device", "label"}, nil)
	descSeries   = prometheus.NewDesc("netagent_telemetry_series", "Series held in memory.", nil, nil)
	descBytes    = prometheus.NewDesc("netagent_telemetry_series_max_bytes", "Most memory one series holds.", nil, nil)
	descStore    = prometheus.NewDesc("netagent_telemetry_store_bytes", "Memory the rings of every series hold now (they grow to their bound).", nil, nil)
)

func (p *promSeries) Describe(ch chan<- *prometheus.Desc) {
	// Unchecked collector: series appear and go with devices.
}

func (p *promSeries) Collect(ch chan<- prometheus.Metric) {
	a := p.a
	descs := map[string]*prometheus.Desc{}
	keys := a.Store.Keys()
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		pt, ok := a.Store.Last(k)
		if !ok {
			continue
		}
		info, _ := Info(k.Metric)
		d := descs[k.Metric]
		if d == nil {
			labels := []string{"device"}
			if info.Label != "" {
				labels = append(labels, info.Label)
			}
			d = prometheus.NewDesc(info.Prom, info.Help+" (netagent metric "+info.Name+")", labels, nil)
			descs[k.Metric] = d
		}
		values := []string{k.Device}
		if info.Label != "" {
			values = append(values, k.Label)
		}
		v := pt.Value
		if info.PromScale != 0 {
			v *= info.PromScale
		}
		if m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, values...); err == nil {
			ch <- m
		}
		if a.Adaptive != nil {
			iv, _ := a.Adaptive.Interval(k)
			ch <- prometheus.MustNewConstMetric(descInterval, prometheus.GaugeValue, iv.Seconds(), k.Metric, k.Device, k.Label)
		}
	}
	ch <- prometheus.MustNewConstMetric(descSeries, prometheus.GaugeValue, float64(len(keys)))
	ch <- prometheus.MustNewConstMetric(descBytes, prometheus.GaugeValue, float64(a.Store.Options().SeriesBytes()))
	ch <- prometheus.MustNewConstMetric(descStore, prometheus.GaugeValue, float64(a.Store.Bytes()))
	if a.Collector != nil {
		for _, s := range a.Collector.Stats() {
			ch <- prometheus.MustNewConstMetric(descSamples, prometheus.CounterValue, float64(s.Samples), s.Device)
			for r, n := range s.ByReason {
				ch <- prometheus.MustNewConstMetric(descDrops, prometheus.CounterValue, float64(n), s.Device, DropReason(r).String())
			}
			ch <- prometheus.MustNewConstMetric(descErrors, prometheus.CounterValue, float64(s.Errors), s.Device)
			ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, s.Lag.Seconds(), s.Device)
		}
	}
}
