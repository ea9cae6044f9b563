package kafkaintake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/trace"
)

// Default topic and group names.
const (
	DefaultTopic        = "intents"
	DefaultResultsTopic = "intent-results"
	DefaultDLQTopic     = "intents-dlq"
	DefaultGroupID      = "netagent-intents"
)

// Config configures a Consumer.
type Config struct {
	// Brokers are host:port addresses. Required.
	Brokers []string
	// Topic, ResultsTopic, DLQTopic and GroupID default to the constants above.
	Topic, ResultsTopic, DLQTopic, GroupID string
	// Service receives every intent. Required.
	Service *intent.Service
	// Concurrency is how many messages are handled at once; default 8.
	Concurrency int
	// Dialer and Transport carry TLS and SASL settings (Security.Build);
	// nil uses plain TCP.
	Dialer    *kafka.Dialer
	Transport kafka.RoundTripper
	// Principal is the broker connection's identity (intake.kafka_principal):
	// who an unsigned message acts for, and the hop that delivers a signed
	// one. Empty means the service "kafka".
	Principal auth.Principal
	// Signers are whose signed requesters (HeaderSignature) are trusted;
	// nil refuses every signed message.
	Signers *Signers
	// Audit records messages refused for their signature; nil records
	// nothing.
	Audit audit.Recorder
	// Log receives what the consumer does; nil discards it.
	Log *slog.Logger
}

// Consumer feeds intents from Kafka into the service.
type Consumer struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg and returns a consumer; nothing connects until Run.
func New(cfg Config) (*Consumer, error) {
	if len(cfg.Brokers) == 0 || cfg.Service == nil {
		return nil, errors.New("kafkaintake: Brokers and Service are required")
	}
	if cfg.Topic == "" {
		cfg.Topic = DefaultTopic
	}
	if cfg.ResultsTopic == "" {
		cfg.ResultsTopic = DefaultResultsTopic
	}
	if cfg.DLQTopic == "" {
		cfg.DLQTopic = DefaultDLQTopic
	}
	if cfg.GroupID == "" {
		cfg.GroupID = DefaultGroupID
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Principal.Subject == "" {
		cfg.Principal = auth.Principal{Subject: "kafka", Kind: "service", Via: "kafka", Scopes: []auth.Scope{auth.IntentsWrite}}
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Consumer{cfg: cfg, log: log}, nil
}

// Result is what the consumer publishes on the results topic for each
// message, keyed by the intent id.
type Result struct {
	ID string `json:"id,omitempty"`
	// Status is accepted, duplicate or rejected when the message is
	// handled, and outcome for a later lifecycle outcome (State says which).
	Status string `json:"status"`
	State  string `json:"state,omitempty"`
	// Errors lists why a rejected intent was refused.
	Errors []intent.Problem `json:"errors,omitempty"`
	Reason string           `json:"reason,omitempty"`
	Diff   string           `json:"diff,omitempty"`
	Source Position         `json:"source"`
}

// Position is where a message was read.
type Position struct {
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
}

// Run consumes until ctx ends. It returns nil on cancellation and an error
// only when the reader cannot go on, or at the start when a broker refuses
// the intake's TLS or SASL credentials (Check).
func (c *Consumer) Run(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := Check(cctx, c.cfg.Brokers, c.cfg.Dialer)
	cancel()
	if err != nil {
		return err
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:           c.cfg.Brokers,
		GroupID:           c.cfg.GroupID,
		Topic:             c.cfg.Topic,
		Dialer:            c.cfg.Dialer,
		MinBytes:          1,
		MaxBytes:          16 << 20,
		MaxWait:           250 * time.Millisecond,
		StartOffset:       kafka.FirstOffset,
		CommitInterval:    0, // synchronous commits, after the intent is stored
		HeartbeatInterval: time.Second,
		SessionTimeout:    10 * time.Second,
		RebalanceTimeout:  10 * time.Second,
		JoinGroupBackoff:  200 * time.Millisecond,
		ReadBackoffMin:    50 * time.Millisecond,
		ReadBackoffMax:    500 * time.Millisecond,
		Logger: kafka.LoggerFunc(func(msg string, args ...any) {
			c.log.Debug("kafka reader: " + fmt.Sprintf(msg, args...))
		}),
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			c.log.Warn("kafka reader: " + fmt.Sprintf(msg, args...))
		}),
	})
	w := &kafka.Writer{
		Addr:                   kafka.TCP(c.cfg.Brokers...),
		Balancer:               &kafka.Hash{},
		BatchTimeout:           2 * time.Millisecond,
		RequiredAcks:           kafka.RequireAll,
		AllowAutoTopicCreation: true,
		Transport:              c.cfg.Transport,
	}
	defer func() {
		if err := w.Close(); err != nil {
			c.log.Warn("kafka writer close", "err", err)
		}
		if err := r.Close(); err != nil {
			c.log.Warn("kafka reader close", "err", err)
		}
	}()
	c.log.Info("kafka intake started", "topic", c.cfg.Topic, "group", c.cfg.GroupID)

	// Outcomes of intents that came from Kafka go to the results topic too.
	outcomes := make(chan intent.Event, 1024)
	unsubscribe := c.cfg.Service.Subscribe(func(e intent.Event) {
		if e.Source.Channel != "kafka" || !outcome(e.State) {
			return
		}
		select {
		case outcomes <- e:
		default:
			c.log.Warn("kafka outcome not published: queue full", "id", e.ID, "state", e.State)
		}
	})
	defer unsubscribe()
	pctx, stopPublisher := context.WithCancel(ctx)
	published := make(chan struct{})
	go func() {
		defer close(published)
		c.publishOutcomes(pctx, w, outcomes)
	}()
	defer func() { stopPublisher(); <-published }()

	return c.consume(ctx, r, w)
}

// job is one message being handled.
type job struct {
	m    kafka.Message
	done chan struct{} // closed when handled
	err  error
}

// consume reads messages and hands each to its own handler, at most
// Concurrency at a time, and commits them in the order they were read: a
// message's offset is committed only once it and every message before it
// are handled, so a crash redelivers exactly what was not finished.
func (c *Consumer) consume(ctx context.Context, r *kafka.Reader, w *kafka.Writer) error {
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan *job, c.cfg.Concurrency)
	var handlers sync.WaitGroup
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		stopped := false
		for j := range jobs {
			<-j.done
			if stopped {
				continue // after a failure nothing more is committed
			}
			if j.err == nil {
				j.err = retry(hctx, c.log, "commit", func() error { return r.CommitMessages(hctx, j.m) })
			}
			if j.err != nil {
				stopped = true
				cancel() // stop reading; this message and the rest are redelivered
			}
		}
	}()
	var ferr error
	for {
		m, err := r.FetchMessage(hctx)
		if err != nil {
			if hctx.Err() == nil {
				ferr = fmt.Errorf("kafkaintake: fetch from %s: %w", c.cfg.Topic, err)
			}
			break
		}
		j := &job{m: m, done: make(chan struct{})}
		sent := false
		select {
		case jobs <- j: // waits while Concurrency messages are in hand
			sent = true
		case <-hctx.Done():
		}
		if !sent {
			break
		}
		handlers.Add(1)
		go func() {
			defer handlers.Done()
			defer close(j.done)
			j.err = c.handle(hctx, w, j.m)
		}()
	}
	cancel()
	handlers.Wait()
	close(jobs)
	<-committed
	return ferr
}

// handle accepts one message into the service, answers it on the results
// topic (and the dead-letter topic when it can never succeed), retrying what
// may pass. It returns only when the message is dealt with or ctx ends.
func (c *Consumer) handle(ctx context.Context, w *kafka.Writer, m kafka.Message) error {
	pos := Position{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset}
	src := intent.Source{Channel: "kafka", Ref: fmt.Sprintf("%s/%d/%d", m.Topic, m.Partition, m.Offset)}
	if tc, err := trace.Parse(header(m, "traceparent")); err == nil {
		src.TraceID = tc.TraceID
	}
	var res Result
	var rec *intent.Record
	err := retry(ctx, c.log, "submit", func() error {
		in, err := intent.Decode(m.Value)
		if err == nil {
			src.Principal, err = c.requester(m, in)
			if err != nil {
				res = Result{ID: in.ID, Status: "rejected", Reason: err.Error(), Source: pos}
				return c.refused(ctx, m, src, in.ID, err)
			}
		}
		if err == nil {
			if in.ID == "" {
				in.ID = messageID(m)
			}
			rec, err = c.cfg.Service.SubmitIntent(ctx, in, src)
		}
		if err != nil && !permanent(err) {
			return err
		}
		res = result(rec, err, pos)
		return nil
	})
	if err != nil {
		return err
	}
	out := []kafka.Message{{Topic: c.cfg.ResultsTopic, Key: []byte(res.ID), Value: mustJSON(res)}}
	if res.Status == "rejected" {
		probs := mustJSON(res.Errors)
		out = append(out, kafka.Message{Topic: c.cfg.DLQTopic, Key: m.Key, Value: m.Value, Headers: append(append([]kafka.Header(nil), m.Headers...),
			kafka.Header{Key: "netagent-reason", Value: []byte(res.Reason)},
			kafka.Header{Key: "netagent-errors", Value: probs},
			kafka.Header{Key: "netagent-source", Value: []byte(src.Ref)},
		)})
		c.log.Warn("kafka intent rejected", "source", src.Ref, "reason", res.Reason)
	}
	return retry(ctx, c.log, "publish result", func() error { return w.WriteMessages(ctx, out...) })
}

// requester returns who a message acts for: with a signature
// (HeaderSignature) its verified signer, delivered by the broker
// connection's principal on the signer's behalf (scopes narrowed to what
// both hold); without one, nil, and the service gives it the channel's
// configured identity. A signed intent must carry its id, so that a replay
// of the message is answered as a duplicate.
func (c *Consumer) requester(m kafka.Message, in *intent.Intent) (*auth.Principal, error) {
	var sigs []string
	for _, h := range m.Headers {
		if h.Key == HeaderSignature {
			sigs = append(sigs, string(h.Value))
		}
	}
	switch len(sigs) {
	case 0:
		p := c.cfg.Principal
		return &p, nil
	case 1:
	default:
		return nil, &SignatureError{Reason: fmt.Sprintf("%d %s headers, want one", len(sigs), HeaderSignature)}
	}
	who, err := c.cfg.Signers.Verify(m.Value, sigs[0])
	if err != nil {
		return nil, err
	}
	if in.ID == "" {
		return nil, &SignatureError{Signer: who.Subject, Reason: "a signed intent must carry its id (a replay is then a duplicate)"}
	}
	p := who.Narrow(c.cfg.Principal)
	return &p, nil
}

// refused records a message refused for its signature: an audit entry by
// the broker connection's principal, naming the source, the intent id the
// message gave and why. Nothing of the intent is stored.
func (c *Consumer) refused(ctx context.Context, m kafka.Message, src intent.Source, id string, why error) error {
	c.log.Warn("kafka intent refused: bad signature", "source", src.Ref, "id", id, "reason", why.Error())
	if c.cfg.Audit == nil {
		return nil
	}
	d := map[string]string{"channel": "kafka", "source": src.Ref, "intent_id": id, "reason": why.Error(), "key": string(m.Key)}
	var se *SignatureError
	if errors.As(why, &se) && se.Signer != "" {
		d["claimed_signer"] = se.Signer
	}
	_, err := c.cfg.Audit.Record(context.WithoutCancel(ctx), audit.Entry{Action: audit.ActionIntentRefused,
		Actor: audit.ActorJSON(c.cfg.Principal), Trace: string(src.TraceID), Detail: audit.Detail(d)})
	if err != nil {
		return fmt.Errorf("kafkaintake: audit the refusal of %s: %w", src.Ref, err)
	}
	return nil
}

// header returns the value of m's header key, "" if none.
func header(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// outcome reports whether a state is an outcome callers hear about on the
// results topic (acceptance is answered when the message is handled).
func outcome(s intent.State) bool {
	switch s {
	case intent.StateApplied, intent.StateFailed, intent.StateRolledBack, intent.StateWithdrawn,
		intent.StateAssured, intent.StateDrifted, intent.StateBreached:
		return true
	}
	return false
}

// publishOutcomes writes lifecycle outcomes until ctx ends.
func (c *Consumer) publishOutcomes(ctx context.Context, w *kafka.Writer, events <-chan intent.Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-events:
			res := Result{ID: e.ID, Status: "outcome", State: string(e.State), Reason: e.Reason, Source: sourcePosition(e.Source.Ref)}
			err := retry(ctx, c.log, "publish outcome", func() error {
				return w.WriteMessages(ctx, kafka.Message{Topic: c.cfg.ResultsTopic, Key: []byte(e.ID), Value: mustJSON(res)})
			})
			if err != nil {
				return
			}
		}
	}
}

// sourcePosition parses the topic/partition/offset reference of a Kafka source.
func sourcePosition(ref string) Position {
	var p Position
	parts := strings.Split(ref, "/")
	if len(parts) == 3 {
		p.Topic = parts[0]
		p.Partition, _ = strconv.Atoi(parts[1])
		p.Offset, _ = strconv.ParseInt(parts[2], 10, 64)
	}
	return p
}

// permanent reports whether an error will recur on every delivery.
func permanent(err error) bool {
	return errors.Is(err, intent.ErrInvalid) || errors.Is(err, intent.ErrConflict)
}

func result(rec *intent.Record, err error, pos Position) Result {
	if err != nil {
		res := Result{Status: "rejected", Reason: err.Error(), Source: pos}
		var ie *intent.InvalidError
		if errors.As(err, &ie) {
			res.Errors = ie.Problems
			res.Reason = "refused at the " + string(ie.Stage) + " check"
		}
		return res
	}
	res := Result{ID: rec.ID, Status: "accepted", State: string(rec.State), Source: pos}
	if rec.Duplicate {
		res.Status = "duplicate"
	}
	if rec.Plan != nil {
		res.Diff = rec.Plan.Diff()
	}
	return res
}

// messageID is the idempotency key of a message whose intent has no id:
// its key, else its position, both stable across redeliveries.
func messageID(m kafka.Message) string {
	if k := string(m.Key); k != "" && validID(k) {
		return k
	}
	return "kafka-" + m.Topic + "-" + strconv.Itoa(m.Partition) + "-" + strconv.FormatInt(m.Offset, 10)
}

func validID(s string) bool {
	if len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || (i > 0 && (c == '.' || c == '_' || c == ':' || c == '@' || c == '-'))
		if !ok {
			return false
		}
	}
	return true
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("kafkaintake: encode %T: %v", v, err))
	}
	return b
}

// retry runs fn until it succeeds or ctx ends, backing off from 100ms to 5s.
func retry(ctx context.Context, log *slog.Logger, what string, fn func() error) error {
	backoff := 100 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn("kafka intake retrying", "op", what, "err", err, "in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}
