package agent

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/pki"
	"github.com/netagent/netagent/telemetry"
	"github.com/netagent/netagent/txn"
	"github.com/netagent/netagent/txn/event"
)

// EventsTopic is the Kafka topic signed events go to when intake.kafka_brokers is set.
const EventsTopic = "events"

// eventQueue bounds the events waiting to be signed; beyond it events are
// dropped (and counted) rather than slowing a transaction down.
const eventQueue = 8192

// events signs the agent's events (R15) with its agent certificate
// (peer.cert: `netagent pki issue NAME`), and serves them at GET /v1/events
// and to peers at GET /v1/peer/events; with Kafka brokers configured they
// also go to topic events. Peers' events are followed, verified (signature,
// chain to peer.ca, time window, sequence) and served beside ours.
type events struct {
	bus     *event.Bus
	roots   *x509.CertPool
	queue   chan pending
	dropped atomic.Int64
	brokers []string
	log     *slog.Logger
	// peers is set once the peer router exists.
	peers *txn.Peers
}

type pending struct {
	typ, subject string
	params       map[string]any
}

// openEvents loads the agent certificate; without one, events are off
// (nil) and GET /v1/events says how to turn them on.
func openEvents(cfg config.Config, log *slog.Logger) (*events, error) {
	caPath, certPath, keyPath := cfg.PeerFiles()
	if _, err := os.Stat(certPath); errors.Is(err, os.ErrNotExist) {
		log.Info("signed events off: no agent certificate", "file", certPath, "fix", "netagent pki init && netagent pki issue "+cfg.Peer.Name)
		return nil, nil
	}
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, err
	}
	var chain []*x509.Certificate
	for _, der := range pair.Certificate {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		chain = append(chain, c)
	}
	key, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, errors.New("events: the agent key cannot sign")
	}
	signer, err := event.NewSigner(key, chain)
	if err != nil {
		return nil, err
	}
	// A restarted agent resumes above every sequence it sent before.
	signer.Resume(uint64(time.Now().UnixMicro()))
	roots, err := pki.LoadPool(caPath)
	if err != nil {
		return nil, err
	}
	return &events{bus: event.NewBus(signer), roots: roots, queue: make(chan pending, eventQueue), brokers: cfg.Brokers(), log: log}, nil
}

// publish queues an event; it never blocks. Nil-safe.
func (e *events) publish(typ, subject string, params map[string]any) {
	if e == nil {
		return
	}
	select {
	case e.queue <- pending{typ, subject, params}:
	default:
		if e.dropped.Add(1)%1000 == 1 {
			e.log.Warn("events dropped: the signing queue is full", "dropped", e.dropped.Load())
		}
	}
}

// assurance publishes an assurance event of the telemetry (its type is
// assurance.breach, assurance.breach-predicted or assurance.recovered).
// Nil-safe.
func (e *events) assurance(ev telemetry.Event) {
	if e == nil {
		return
	}
	p := map[string]any{"intent": ev.Intent, "device": ev.Device, "metric": ev.Metric, "reason": ev.Reason}
	if ev.Label != "" {
		p["label"] = ev.Label
	}
	if ev.TimeToBreach > 0 {
		p["time_to_breach"] = ev.TimeToBreach.String()
	}
	e.publish(string(ev.Type), "intent/"+ev.Intent, p)
}

// linkObserver returns the telemetry sample observer that publishes
// link.down and link.up: each change of an interface's operational state
// (if.oper.status, from gNMI ON_CHANGE, NETCONF or CLI polling) as the
// collector stores it. Nil when events are off.
func (e *events) linkObserver() func(telemetry.Sample) {
	if e == nil {
		return nil
	}
	w := &event.LinkWatch{Publish: func(typ, subject string, p map[string]any) {
		e.log.Info("link state", "device", p["device"], "interface", p["interface"], "state", p["state"])
		e.publish(typ, subject, p)
	}}
	return func(s telemetry.Sample) {
		if s.Key.Metric == telemetry.IfOperStatus {
			w.Observe(s.Key.Device, s.Key.Label, s.Value >= 0.5)
		}
	}
}

// txnEvent publishes a transaction's progress or outcome.
func (e *events) txnEvent(ev txn.Event) {
	p := map[string]any{"txn": ev.Txn, "state": ev.State, "percent": ev.Percent}
	if ev.Intent != "" {
		p["intent"] = ev.Intent
	}
	if ev.Device != "" {
		p["device"], p["step"] = ev.Device, ev.Step
	}
	typ := event.TypeTxnProgress
	if ev.Type == "outcome" {
		typ = event.TypeTxnOutcome
		p["reason"] = ev.Message
		if ev.Result != nil {
			var devs []string
			outcomes := map[string]string{}
			for _, d := range ev.Result.Devices {
				devs = append(devs, d.Device)
				outcomes[d.Device] = string(d.Outcome)
			}
			p["devices"], p["outcomes"] = devs, outcomes
		}
	}
	e.publish(typ, "txn/"+ev.Txn, p)
}

// failover publishes a device's protocol switch.
func (e *events) failover(ev adapters.Event) {
	if ev.From == "" {
		return
	}
	e.publish(event.TypeFailover, "device/"+ev.Device, map[string]any{"device": ev.Device, "from": ev.From, "to": ev.To, "reason": ev.Reason})
}

// intentState publishes an intent's stored lifecycle step (intent.state,
// and config.drift when it drifted). It is a subscriber of the intent
// service, which calls it once the step is durable: an event never leaves
// for a step whose write failed, nor twice for a store batch run again.
func (e *events) intentState(ev intent.Event) {
	p := map[string]any{"intent": ev.ID, "kind": string(ev.Kind), "to": string(ev.State), "reason": ev.Reason}
	if ev.From != "" {
		p["from"] = string(ev.From)
	}
	e.publish(event.TypeIntentState, "intent/"+ev.ID, p)
	if ev.State == intent.StateDrifted {
		e.publish(event.TypeConfigDrift, "intent/"+ev.ID, map[string]any{"intent": ev.ID, "reason": ev.Reason})
	}
}

// run signs queued events, feeds Kafka and follows the peers' events
// until ctx ends.
func (e *events) run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		for {
			select {
			case <-ctx.Done():
				return nil
			case p := <-e.queue:
				if err := e.bus.Publish(p.typ, p.subject, p.params); err != nil {
					e.log.Warn("event not signed", "type", p.typ, "err", err)
				}
			}
		}
	})
	if len(e.brokers) > 0 {
		out := make(chan event.Item, eventQueue)
		e.bus.Sink(func(it event.Item) {
			select {
			case out <- it:
			default:
				e.dropped.Add(1)
			}
		})
		g.Go(func() error { return e.toKafka(ctx, out) })
	}
	if e.peers != nil {
		g.Go(func() error {
			_ = e.peers.FollowEvents(ctx, &event.Verifier{Roots: e.roots}, e.bus.Add, e.log)
			return nil
		})
	}
	return g.Wait()
}

// toKafka writes each event's signed JSON to topic events, keyed by its
// source agent (one partition keeps one sender's sequence in order).
func (e *events) toKafka(ctx context.Context, in <-chan event.Item) error {
	w := &kafka.Writer{Addr: kafka.TCP(e.brokers...), Topic: EventsTopic, Balancer: &kafka.Hash{}, BatchTimeout: 5 * time.Millisecond,
		AllowAutoTopicCreation: true, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	for {
		select {
		case <-ctx.Done():
			return nil
		case it := <-in:
			b, err := json.Marshal(it.Signed)
			if err != nil {
				continue
			}
			msgs := []kafka.Message{{Key: []byte(it.Source), Value: b}}
			// Take what else is waiting, in order.
		more:
			for len(msgs) < 256 {
				select {
				case it := <-in:
					if b, err := json.Marshal(it.Signed); err == nil {
						msgs = append(msgs, kafka.Message{Key: []byte(it.Source), Value: b})
					}
				default:
					break more
				}
			}
			if err := w.WriteMessages(ctx, msgs...); err != nil && ctx.Err() == nil {
				e.log.Warn("events to kafka", "topic", EventsTopic, "events", len(msgs), "err", err)
			}
		}
	}
}

// eventRoutes is GET /v1/events (intents:read; SSE of signed envelopes,
// ?type=&device=&intent=) and, for peers, GET /v1/peer/events.
func (e *events) routes() (api, peer []auth.Route) {
	var h http.Handler
	if e == nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]any{"type": "/problems/events-off", "title": "Signed events are off", "status": http.StatusNotFound,
				"detail": "no agent certificate to sign with: run `netagent pki init` and `netagent pki issue NAME` (peer.name), then restart", "instance": r.URL.Path})
		})
	} else {
		h = e.bus
	}
	api = []auth.Route{{Pattern: "GET /v1/events", Scope: auth.IntentsRead, Streaming: true, Handler: h}}
	peer = []auth.Route{{Pattern: "GET /v1/peer/events", Scope: auth.TxnParticipate, Streaming: true, Handler: h}}
	return api, peer
}
