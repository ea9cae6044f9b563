package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/mcp"
	"github.com/netagent/netagent/telemetry"
)

// telemetryStack is the agent's collection and assurance: a device pool of
// its own (collection never queues behind a commit), the collector, the
// series store, the adaptive controller and the assurer over the intents.
type telemetryStack struct {
	pool      *adapters.Pool
	collector *telemetry.Collector
	assurer   *telemetry.Assurer
	drift     *telemetry.DriftLoop
	export    *telemetry.KafkaExporter // nil without Kafka
	api       *telemetry.API
}

// observe, if set, sees every stored sample too (the link events); owns
// says which inventory devices this agent collects from (a peer agent
// collects from its own).
func openTelemetry(cfg config.Config, inv *adapters.Inventory, reg *adapters.Registry, topt adapters.TargetOptions, svc *intent.Service, invalidate func(device string), observe func(telemetry.Sample), owns func(device string) bool, log *slog.Logger) (*telemetryStack, error) {
	// Session set-ups are bounded (a few per core): opening a thousand
	// devices at once would share the CPU so thinly that every handshake
	// timed out; in line, each one finishes in its own time.
	setups := adapters.NewSessionLimit(max(4, 2*runtime.GOMAXPROCS(0)))
	pool := adapters.NewPool(inv, reg, topt, adapters.FailoverOptions{Logger: log, Setups: setups})
	names := make([]string, 0, len(inv.Devices))
	for _, d := range inv.Devices {
		if owns(d.Name) {
			names = append(names, d.Name)
		}
	}
	store := telemetry.NewStore(telemetry.StoreOptions{})
	adapt := telemetry.NewAdaptive(telemetry.AdaptiveOptions{
		Base: cfg.Telemetry.Interval, Min: cfg.Telemetry.MinInterval, Max: cfg.Telemetry.MaxInterval, Budget: float64(cfg.Telemetry.Budget),
	})
	export, extra, err := openExport(cfg, log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	onSample := observe
	if export != nil {
		onSample = export.Offer
		if observe != nil {
			onSample = func(s telemetry.Sample) { export.Offer(s); observe(s) }
		}
	}
	col, err := telemetry.NewCollector(telemetry.CollectorConfig{
		Devices: telemetry.DevicesFunc(func(ctx context.Context, name string) (telemetry.Monitorer, error) { return pool.Device(ctx, name) }),
		Names:   names, Store: store, Adaptive: adapt, Log: log, OnSample: onSample,
	})
	if err != nil {
		pool.Close()
		return nil, err
	}
	as, err := telemetry.NewAssurer(telemetry.AssurerConfig{
		Store: store, Adaptive: adapt, Intents: &assuredIntents{svc: svc}, Log: log,
	})
	if err != nil {
		pool.Close()
		return nil, err
	}
	drift := &telemetry.DriftLoop{Configs: configuredIntents{svc: svc, invalidate: invalidate}, Every: cfg.Telemetry.DriftInterval, Log: log}
	t := &telemetryStack{pool: pool, collector: col, assurer: as, drift: drift, export: export,
		api: &telemetry.API{Store: store, Collector: col, Adaptive: adapt, Assurer: as, Extra: extra}}
	t.subscribeAssurance(func(e telemetry.Event) {
		log.Warn("assurance event", "type", e.Type, "intent", e.Intent, "device", e.Device, "metric", e.Metric, "reason", e.Reason)
	})
	return t, nil
}

func (t *telemetryStack) runs() []func(context.Context) error {
	runs := []func(context.Context) error{t.collector.Run, t.assurer.Run, t.drift.Run}
	if t.export != nil {
		runs = append(runs, t.export.Run)
	}
	return runs
}

// openExport returns the Kafka exporter of every stored sample, with its
// counters for /metrics, when Kafka is configured and a topic is set; nil
// otherwise.
func openExport(cfg config.Config, log *slog.Logger) (*telemetry.KafkaExporter, []prometheus.Collector, error) {
	brokers := cfg.Brokers()
	if len(brokers) == 0 || cfg.Telemetry.KafkaTopic == "" {
		return nil, nil, nil
	}
	ex, err := telemetry.NewKafkaExporter(telemetry.KafkaConfig{Brokers: brokers, Topic: cfg.Telemetry.KafkaTopic, Log: log})
	if err != nil {
		return nil, nil, err
	}
	labels := prometheus.Labels{"topic": cfg.Telemetry.KafkaTopic}
	extra := []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "netagent_telemetry_kafka_exported_total", Help: "Samples written to the Kafka export topic.", ConstLabels: labels},
			func() float64 { e, _ := ex.Stats(); return float64(e) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "netagent_telemetry_kafka_dropped_total", Help: "Samples not exported to Kafka (buffer full, broker errors).", ConstLabels: labels},
			func() float64 { _, d := ex.Stats(); return float64(d) }),
	}
	return ex, extra, nil
}

// assuredIntents adapts the intent service to the assurer: the objectives
// of every intent that is applied or under assurance, on each device it
// targets, refreshed every few seconds.
type assuredIntents struct {
	svc *intent.Service

	mu      sync.Mutex // protects following fields
	cached  []telemetry.Objective
	fetched time.Time
}

var assuredStates = []intent.State{intent.StateApplied, intent.StateAssured, intent.StateDrifted, intent.StateBreached}

func (a *assuredIntents) Objectives(ctx context.Context) ([]telemetry.Objective, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if time.Since(a.fetched) < 2*time.Second {
		return a.cached, nil
	}
	var out []telemetry.Objective
	for _, st := range assuredStates {
		q := intent.ListQuery{State: st, Limit: 1000}
		for {
			page, err := a.svc.List(ctx, q)
			if err != nil {
				return nil, err
			}
			for _, rec := range page.Records {
				objs, err := objectivesOf(a.svc, rec)
				if err != nil {
					return nil, err
				}
				out = append(out, objs...)
			}
			if page.NextPageToken == "" {
				break
			}
			q.PageToken = page.NextPageToken
		}
	}
	a.cached, a.fetched = out, time.Now()
	return out, nil
}

// objectivesOf resolves an intent's objectives (a slo intent's spec and
// any assure block) onto the devices it targets.
func objectivesOf(svc *intent.Service, rec *intent.Record) ([]telemetry.Objective, error) {
	in := rec.Intent
	if in == nil {
		return nil, nil
	}
	objs := append([]intent.Objective(nil), in.Assure...)
	if o, ok := in.Spec.(*intent.Objective); ok && o != nil {
		objs = append(objs, *o)
	}
	if len(objs) == 0 {
		return nil, nil
	}
	devices, err := svc.Compiler().Resolve(in)
	if err != nil {
		return nil, fmt.Errorf("intent %s: %w", rec.ID, err)
	}
	var out []telemetry.Objective
	for _, o := range objs {
		op, err := telemetry.ParseOp(o.Comparison)
		if err != nil {
			return nil, fmt.Errorf("intent %s: %w", rec.ID, err)
		}
		window := time.Duration(o.Window)
		if window <= 0 {
			window = time.Minute
		}
		for _, dev := range devices {
			out = append(out, telemetry.Objective{Intent: rec.ID, Device: dev, Metric: o.Metric, Op: op,
				Bound: o.Target, Window: window, Label: labelOf(dev, o)})
		}
	}
	return out, nil
}

// labelOf maps an objective's scope onto the label of its metric's series.
func labelOf(dev string, o intent.Objective) string {
	switch {
	case strings.HasPrefix(o.Metric, "link.") && o.Scope.Interface != "":
		return dev + ":" + o.Scope.Interface
	case strings.HasPrefix(o.Metric, "if.") && o.Scope.Interface != "":
		return o.Scope.Interface
	case o.Metric == telemetry.AppProtoShare && o.Scope.Application != "":
		return o.Scope.Application
	}
	return ""
}

func (a *assuredIntents) SetStatus(ctx context.Context, id string, s telemetry.Status, reason string) error {
	_, err := a.svc.Transition(ctx, id, intent.State(s), reason)
	if err == nil {
		a.mu.Lock()
		a.fetched = time.Time{} // states moved: list afresh next time
		a.mu.Unlock()
	}
	return err
}

// configuredIntents adapts the intent service to the drift loop: an intent
// that configured something holds when planning it again changes nothing.
// Each pass reads every device once: Configured forgets what the cache
// read of the devices the intents target (invalidate), so the first plan
// of a pass on a device reads it and the others share that read.
type configuredIntents struct {
	svc        *intent.Service
	invalidate func(device string)
}

func (c configuredIntents) Configured(ctx context.Context) ([]telemetry.Configured, error) {
	var out []telemetry.Configured
	devices := map[string]bool{}
	defer func() {
		if c.invalidate != nil {
			for d := range devices {
				c.invalidate(d)
			}
		}
	}()
	for _, st := range assuredStates {
		q := intent.ListQuery{State: st, Limit: 1000}
		for {
			page, err := c.svc.List(ctx, q)
			if err != nil {
				return nil, err
			}
			for _, rec := range page.Records {
				if rec.Intent == nil || rec.Kind == intent.KindSLO {
					continue
				}
				out = append(out, telemetry.Configured{ID: rec.ID, Reconcile: rec.Intent.Options.OnDrift == "reconcile"})
				if names, err := c.svc.Compiler().Resolve(rec.Intent); err == nil {
					for _, n := range names {
						devices[n] = true
					}
				}
			}
			if page.NextPageToken == "" {
				break
			}
			q.PageToken = page.NextPageToken
		}
	}
	return out, nil
}

func (c configuredIntents) Check(ctx context.Context, id string) (string, error) {
	rec, err := c.svc.Get(ctx, id)
	if err != nil {
		return "", err
	}
	plan, err := c.svc.Compiler().Compile(ctx, rec.Intent)
	if err != nil {
		return "", err
	}
	if plan.Len() == 0 {
		return "", nil
	}
	return plan.Diff(), nil
}

func (c configuredIntents) Report(ctx context.Context, id, reason string) error {
	_, err := c.svc.Transition(ctx, id, intent.StateDrifted, reason)
	return err
}

func (c configuredIntents) Reconcile(ctx context.Context, id, reason string) error {
	_, err := c.svc.Reconcile(ctx, id, reason)
	return err
}

// mcpTelemetry answers MCP's query_telemetry from the series store, with
// the same parameter checks as GET /v1/telemetry (errors name the field).
type mcpTelemetry struct{ t *telemetryStack }

func (m mcpTelemetry) Query(ctx context.Context, q mcp.TelemetryQuery) (any, error) {
	v := map[string][]string{"metric": {q.Metric}}
	if q.Device != "" {
		v["device"] = []string{q.Device}
	}
	if q.Since != "" {
		v["since"] = []string{q.Since}
	}
	pq, err := telemetry.ParseQuery(v, time.Now(), m.t.collector.Knows)
	if err != nil {
		var pe *telemetry.ParamError
		if errors.As(err, &pe) {
			return nil, &intent.InvalidError{Stage: intent.StageSchema, Problems: []intent.Problem{{Pointer: "/" + pe.Param, Reason: pe.Reason}}}
		}
		return nil, err
	}
	res := m.t.api.Store.Query(pq)
	if q.Limit > 0 {
		for i := range res {
			if n := len(res[i].Points); n > q.Limit {
				res[i].Points = res[i].Points[n-q.Limit:]
			}
		}
	}
	return res, nil
}

// subscribeAssurance hands every assurance event (breach, breach
// predicted, recovered) to f until the returned function is called; the
// signed event stream subscribes here. f must not block. With telemetry
// disabled (t is nil) it does nothing.
func (t *telemetryStack) subscribeAssurance(f func(telemetry.Event)) (unsubscribe func()) {
	if t == nil {
		return func() {}
	}
	return t.assurer.Subscribe(f)
}
