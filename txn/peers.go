package txn

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/txn/event"
	"github.com/netagent/netagent/yang"
)

// PeerSpec is one peer agent as configured: its name (the identity its
// certificate must carry, netagent://agent/NAME), the URL of its peer
// listener, and the devices it owns, by name or by label.
type PeerSpec struct {
	Name string
	URL  string
	// Devices are owned by name.
	Devices []string
	// Labels own every inventory device carrying all of them (key=value).
	Labels map[string]string
	// First runs the peer's part as a stage of its own before this
	// agent's (Arrange).
	First bool
}

// PeersConfig is what Peers needs.
type PeersConfig struct {
	// Self is this agent's name.
	Self  string
	Peers []PeerSpec
	// Local opens the devices this agent owns (the adapters' pool).
	Local Devices
	// Labels gives each inventory device's labels, to resolve PeerSpec.Labels.
	Labels map[string]map[string]string
	// TLS returns the client configuration for calling peer name (mutual
	// TLS, the server's certificate checked to name it). Required when
	// Peers is not empty.
	TLS func(name string) *tls.Config
	// Timeout bounds one call to a peer; default 30s.
	Timeout time.Duration
}

// Peers routes devices to their owners: the devices a peer agent owns are
// opened as remote participants over the peer API, the others locally. It
// implements Devices (give it to the coordinator), lists the peers with
// their health at GET /v1/peers, and asks a coordinator peer for its
// decision (PeerServerConfig.Decision). Safe for concurrent use.
type Peers struct {
	cfg     PeersConfig
	owner   map[string]string // device -> peer name
	clients map[string]*peerClient

	mu    sync.Mutex                // protects known
	known map[string]PeerDeviceInfo // device -> what its owner last said of it
}

// ErrNotOwner is matched when a device belongs to another agent.
var ErrNotOwner = errors.New("txn: device owned by another agent")

// NewPeers resolves which peer owns which device; a device claimed by two
// peers, a peer without a name or URL, or a peer named as this agent are
// errors naming it.
func NewPeers(cfg PeersConfig) (*Peers, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	p := &Peers{cfg: cfg, owner: map[string]string{}, clients: map[string]*peerClient{}, known: map[string]PeerDeviceInfo{}}
	claim := func(dev, peer string) error {
		if o, ok := p.owner[dev]; ok && o != peer {
			return fmt.Errorf("peers: device %s is claimed by both %s and %s", dev, o, peer)
		}
		p.owner[dev] = peer
		return nil
	}
	for i, s := range cfg.Peers {
		switch {
		case s.Name == "":
			return nil, fmt.Errorf("peers[%d].name: must not be empty", i)
		case s.Name == cfg.Self:
			return nil, fmt.Errorf("peers[%d].name: %s is this agent", i, s.Name)
		case s.URL == "":
			return nil, fmt.Errorf("peers[%d].url: must not be empty (peer %s)", i, s.Name)
		case len(s.Devices) == 0 && len(s.Labels) == 0:
			return nil, fmt.Errorf("peers[%d]: peer %s owns no devices (set devices or labels)", i, s.Name)
		case cfg.TLS == nil:
			return nil, fmt.Errorf("peers[%d]: peer %s: no client certificate (set peer.name and run `netagent pki issue`)", i, s.Name)
		}
		if _, dup := p.clients[s.Name]; dup {
			return nil, fmt.Errorf("peers[%d].name: %s appears twice", i, s.Name)
		}
		u, err := url.Parse(s.URL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("peers[%d].url: %q is not an https URL (peer %s)", i, s.URL, s.Name)
		}
		for _, d := range s.Devices {
			if err := claim(d, s.Name); err != nil {
				return nil, err
			}
		}
		if len(s.Labels) > 0 {
			for dev, ls := range cfg.Labels {
				all := true
				for k, v := range s.Labels {
					if ls[k] != v {
						all = false
					}
				}
				if all {
					if err := claim(dev, s.Name); err != nil {
						return nil, err
					}
				}
			}
		}
		tr := &http.Transport{TLSClientConfig: cfg.TLS(s.Name), ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 64}
		p.clients[s.Name] = &peerClient{name: s.Name, base: strings.TrimRight(s.URL, "/"), spec: s,
			http: &http.Client{Transport: tr}, timeout: cfg.Timeout}
	}
	return p, nil
}

// Owner names the peer agent owning device, or "" when this agent does.
func (p *Peers) Owner(device string) string { return p.owner[device] }

// Owns reports whether this agent owns device (no peer claims it).
func (p *Peers) Owns(device string) bool { return p.owner[device] == "" }

// Device opens device where it lives: a remote participant for a peer's
// device, the local pool's device otherwise. A peer that cannot be reached
// (restarting, say) still gives a device it described before, with what
// it said then: the rollback, read-back and re-apply that follow a failure
// retry through it until the peer is back.
func (p *Peers) Device(ctx context.Context, name string) (adapters.Device, error) {
	owner := p.owner[name]
	if owner == "" {
		return p.cfg.Local.Device(ctx, name)
	}
	c := p.clients[owner]
	var info PeerDeviceInfo
	if err := c.call(ctx, http.MethodGet, "/v1/peer/devices/"+url.PathEscape(name), nil, &info); err != nil {
		p.mu.Lock()
		known, ok := p.known[name]
		p.mu.Unlock()
		if !ok || !unreachable(err) {
			return nil, fmt.Errorf("open %s at peer %s: %w", name, owner, err)
		}
		info = known
	} else {
		p.mu.Lock()
		p.known[name] = info
		p.mu.Unlock()
	}
	return &peerDevice{c: c, name: name, caps: adapters.Caps{Protocol: "peer:" + owner + "/" + info.Protocol, Candidate: true, ConfirmTimer: info.ConfirmTimer, Unsupported: info.Unsupported}}, nil
}

// unreachable reports whether err is a failure to reach the peer (no
// answer), as opposed to its refusal.
func unreachable(err error) bool {
	var pe *PeerError
	return err != nil && !errors.As(err, &pe)
}

// PeerStage is the stage Arrange gives the part of peer name.
func PeerStage(name string) string { return "peer:" + name }

// Arrange gives the part of each peer configured First a stage of its own
// (PeerStage) that this agent's part runs after: the peer prepares and
// commits its devices before this agent touches its own. The other peers'
// devices stay in the stage of this agent's, driven in parallel with them.
// A request that has stages already (dependencies between its changes)
// keeps them. The coordinator calls it before it validates a request.
func (p *Peers) Arrange(req *Request) {
	if len(req.Stages) > 0 {
		return
	}
	used := map[string]bool{}
	req.Participants = slices.Clone(req.Participants) // the caller's stays as it was
	for i, pt := range req.Participants {
		o := p.owner[pt.Device]
		if o != "" && pt.Stage == "" && p.clients[o].spec.First {
			req.Participants[i].Stage = PeerStage(o)
			used[o] = true
		}
	}
	if len(used) == 0 {
		return
	}
	var first []string
	for _, s := range p.cfg.Peers {
		if used[s.Name] {
			req.Stages = append(req.Stages, Stage{Name: PeerStage(s.Name)})
			first = append(first, PeerStage(s.Name))
		}
	}
	req.Stages = append(req.Stages, Stage{Name: "", After: first})
}

// arranger is what the coordinator asks of its Devices, when they offer
// it, before it validates a request (Peers: a peer's part as its stage).
type arranger interface{ Arrange(req *Request) }

// Decision asks coordinator agent whether transaction id has its commit
// decision. A coordinator this agent has no peer entry for cannot be
// asked (an error).
func (p *Peers) Decision(ctx context.Context, coordinator, id string) (bool, error) {
	c := p.clients[coordinator]
	if c == nil {
		return false, fmt.Errorf("no peer entry for coordinator %s", coordinator)
	}
	var d PeerDecision
	if err := c.call(ctx, http.MethodGet, "/v1/peer/decisions/"+url.PathEscape(id), nil, &d); err != nil {
		return false, err
	}
	return d.Decided, nil
}

// PeerHealth is one peer as GET /v1/peers lists it.
type PeerHealth struct {
	Name    string            `json:"name"`
	URL     string            `json:"url"`
	Devices []string          `json:"devices"`
	Labels  map[string]string `json:"labels,omitempty"`
	// Health is "up" (the peer answered over mutual TLS) or "down".
	Health    string    `json:"health"`
	Error     string    `json:"error,omitempty"`
	LatencyMS float64   `json:"latency_ms,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
}

// Health probes every peer at once (bounded by timeout each) and lists
// them by name.
func (p *Peers) Health(ctx context.Context, timeout time.Duration) []PeerHealth {
	names := make([]string, 0, len(p.clients))
	for n := range p.clients {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]PeerHealth, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		c := p.clients[n]
		var devs []string
		for d, o := range p.owner {
			if o == n {
				devs = append(devs, d)
			}
		}
		sort.Strings(devs)
		out[i] = PeerHealth{Name: n, URL: c.base, Devices: devs, Labels: c.spec.Labels}
		wg.Go(func() {
			hctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			start := time.Now()
			var h map[string]string
			err := c.call(hctx, http.MethodGet, "/v1/peer/health", nil, &h)
			out[i].CheckedAt = time.Now().UTC()
			if err != nil {
				out[i].Health, out[i].Error = "down", err.Error()
				return
			}
			out[i].Health = "up"
			out[i].LatencyMS = float64(time.Since(start).Microseconds()) / 1000
		})
	}
	wg.Wait()
	return out
}

// Routes is GET /v1/peers (devices:read): the configured peers, the
// devices each owns, and their health probed now.
func (p *Peers) Routes() []auth.Route {
	return []auth.Route{{Pattern: "GET /v1/peers", Scope: auth.DevicesRead, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"agent": p.cfg.Self, "peers": p.Health(r.Context(), 5*time.Second)})
	})}}
}

// Close drops the peers' idle connections.
func (p *Peers) Close() {
	for _, c := range p.clients {
		c.http.CloseIdleConnections()
	}
}

// PeerError is a peer's refusal: its HTTP status and problem detail.
type PeerError struct {
	Peer   string
	Status int
	Type   string
	Detail string
}

func (e *PeerError) Error() string {
	return fmt.Sprintf("peer %s: %d %s: %s", e.Peer, e.Status, e.Type, e.Detail)
}

type peerClient struct {
	name    string
	base    string
	spec    PeerSpec
	http    *http.Client
	timeout time.Duration
}

// call sends one request to the peer and decodes its JSON answer into out.
func (c *peerClient) call(ctx context.Context, method, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("peer %s: %w", c.name, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPeerBody))
	if err != nil {
		return fmt.Errorf("peer %s: %w", c.name, err)
	}
	if resp.StatusCode != http.StatusOK {
		var p problem
		_ = json.Unmarshal(data, &p)
		if p.Detail == "" {
			p.Detail = strings.TrimSpace(string(data))
		}
		return &PeerError{Peer: c.name, Status: resp.StatusCode, Type: p.Type, Detail: p.Detail}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("peer %s: answer: %w", c.name, err)
	}
	return nil
}

// peerDevice is a device another agent owns, driven through its peer API:
// the coordinator sees one more transactional device.
type peerDevice struct {
	c    *peerClient
	name string
	caps adapters.Caps
}

var (
	_ adapters.Device        = (*peerDevice)(nil)
	_ adapters.Transactional = (*peerDevice)(nil)
	_ adapters.Capabler      = (*peerDevice)(nil)
	_ adapters.Resumer       = (*peerDevice)(nil)
)

func (d *peerDevice) Capabilities() adapters.Caps { return d.caps }

// Unsupported names the leaves the owner says the device's platform
// cannot set (intent.Limiter: plans that set them are refused here, as for
// a device of this agent's).
func (d *peerDevice) Unsupported() map[string]string { return d.caps.Unsupported }

func (d *peerDevice) phase(ctx context.Context, tx, name string, req PhaseRequest) error {
	if len(req.Devices) == 0 {
		req.Devices = []PeerDevicePart{{Device: d.name}}
	}
	var resp PhaseResponse
	if err := d.c.call(ctx, http.MethodPost, "/v1/peer/txns/"+url.PathEscape(tx)+"/"+name, req, &resp); err != nil {
		return fmt.Errorf("%s %s: %w", name, d.name, err)
	}
	return nil
}

func (d *peerDevice) Prepare(ctx context.Context, tx string, changes []yang.Change) error {
	return d.phase(ctx, tx, "prepare", PhaseRequest{Devices: []PeerDevicePart{{Device: d.name, Changes: EncodeChanges(changes)}}})
}

func (d *peerDevice) Commit(ctx context.Context, tx string, confirmTimeout time.Duration) error {
	return d.phase(ctx, tx, "commit", PhaseRequest{ConfirmTimeoutMS: confirmTimeout.Milliseconds()})
}

func (d *peerDevice) Confirm(ctx context.Context, tx string) error {
	return d.phase(ctx, tx, "confirm", PhaseRequest{})
}

func (d *peerDevice) Abort(ctx context.Context, tx string) error {
	return d.phase(ctx, tx, "abort", PhaseRequest{})
}

// Rollback has the owner undo tx on the device. An owner that cannot be
// reached is asked again every quarter second until ctx ends: one that
// restarted meanwhile no longer holds tx, and cancels the commit pending
// under its persist-id at once rather than on the device's timer.
func (d *peerDevice) Rollback(ctx context.Context, tx string) error {
	for {
		err := d.phase(ctx, tx, "rollback", PhaseRequest{})
		if !unreachable(err) || !sleepUntil(ctx, time.Now().Add(250*time.Millisecond)) {
			return err
		}
	}
}

// ConfirmPending has the owner confirm the commit the device holds under
// persist-id tx (adapters.Resumer), whether or not it still remembers tx.
// Nothing pending is an error matching adapters.ErrRejected.
func (d *peerDevice) ConfirmPending(ctx context.Context, tx string) error {
	return d.pending(ctx, tx, PendingConfirm)
}

// CancelPending has the owner revert the commit pending under tx now.
func (d *peerDevice) CancelPending(ctx context.Context, tx string) error {
	return d.pending(ctx, tx, PendingCancel)
}

func (d *peerDevice) pending(ctx context.Context, tx, action string) error {
	err := d.c.call(ctx, http.MethodPost, "/v1/peer/devices/"+url.PathEscape(d.name)+"/pending", PendingRequest{Txn: tx, Action: action}, nil)
	var pe *PeerError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe) && pe.Type == "/problems/nothing-pending":
		return fmt.Errorf("%s pending %s: %w: %w", action, d.name, adapters.ErrRejected, err)
	case errors.As(err, &pe) && pe.Type == "/problems/unsupported":
		return fmt.Errorf("%s pending %s: %w: %w", action, d.name, adapters.ErrUnsupported, err)
	}
	return fmt.Errorf("%s pending %s: %w", action, d.name, err)
}

func (d *peerDevice) Query(ctx context.Context, paths []yang.Path) (*yang.Tree, error) {
	var resp struct {
		Leaves []LeafJSON `json:"leaves"`
	}
	if err := d.c.call(ctx, http.MethodGet, "/v1/peer/devices/"+url.PathEscape(d.name)+"/config", nil, &resp); err != nil {
		return nil, fmt.Errorf("read %s: %w", d.name, err)
	}
	t, err := DecodeTree(resp.Leaves)
	if err != nil {
		return nil, fmt.Errorf("read %s at peer %s: %w", d.name, d.c.name, err)
	}
	return t, nil
}

func (d *peerDevice) Configure(ctx context.Context, changes []yang.Change) error {
	if err := d.c.call(ctx, http.MethodPost, "/v1/peer/devices/"+url.PathEscape(d.name)+"/configure", ConfigureRequest{Changes: EncodeChanges(changes)}, nil); err != nil {
		return fmt.Errorf("configure %s: %w", d.name, err)
	}
	return nil
}

func (d *peerDevice) Monitor(ctx context.Context, sub adapters.Subscription, emit func(adapters.Update) error) error {
	return fmt.Errorf("monitor %s: owned by peer %s: %w", d.name, d.c.name, adapters.ErrUnsupported)
}

func (d *peerDevice) Close() error { return nil }

// FollowEvents follows every peer's signed events (GET /v1/peer/events
// over mutual TLS) until ctx ends. Each is verified with v (signature,
// certificate chain, time window, per-sender sequence) and must come from
// the peer it was read from; refused ones are logged and dropped, accepted
// ones go to add. A dropped stream is reopened after a pause, resuming
// after the last event read. It returns ctx's error.
func (p *Peers) FollowEvents(ctx context.Context, v *event.Verifier, add func(*event.Signed, *event.Envelope), log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var wg sync.WaitGroup
	for _, c := range p.clients {
		wg.Go(func() {
			var last int64
			for ctx.Err() == nil {
				err := c.followEvents(ctx, &last, func(m *event.Signed) {
					env, err := v.Verify(m)
					if err == nil && env.Source != c.name {
						err = fmt.Errorf("%w: event from %s read from peer %s", event.ErrUnknownSigner, env.Source, c.name)
					}
					if err != nil {
						log.Warn("peer event refused", "peer", c.name, "err", err)
						return
					}
					add(m, env)
				})
				if ctx.Err() != nil {
					return
				}
				log.Debug("peer events: stream ended; reconnecting", "peer", c.name, "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(2 * time.Second):
				}
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

func (c *peerClient) followEvents(ctx context.Context, last *int64, fn func(*event.Signed)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/peer/events", nil)
	if err != nil {
		return err
	}
	if *last > 0 {
		req.Header.Set("Last-Event-ID", fmt.Sprint(*last))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &PeerError{Peer: c.name, Status: resp.StatusCode, Detail: "events"}
	}
	return event.ReadSigned(resp.Body, func(id int64, m *event.Signed) error {
		*last = id
		fn(m)
		return nil
	})
}
