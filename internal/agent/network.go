package agent

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/protocols"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/fileintake"
	"github.com/netagent/netagent/intent/fleet"
	"github.com/netagent/netagent/intent/kafkaintake"
	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/intent/rest"
	"github.com/netagent/netagent/intent/txnplan"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/mcp"
	"github.com/netagent/netagent/txn"
)

// network is what the agent drives: the inventory, one pooled device per
// inventory entry, the store, and the intent service over them.
type network struct {
	inv   *adapters.Inventory
	pool  *adapters.Pool
	db    *store.DB
	audit *audit.Log
	// signEvery is how often the audit head is signed.
	signEvery time.Duration
	intent    *intent.Service
	rest      *rest.Handler
	nl        *nl.Parser
	kb        *knowledgeParts
	// intakes besides REST, each a blocking Run(ctx); the Kafka consumer
	// only when brokers are configured.
	files *fileintake.Watcher
	kafka *kafkaintake.Consumer
	// tele collects telemetry and assures intents; nil when disabled.
	tele *telemetryStack
	// txn runs plans as transactions; its recovery runs first in Run.
	txn *txn.Coordinator
	// recovered is closed once txn recovery has finished.
	recovered chan struct{}
	// steps reports the device executor's per-device steps (MCP progress).
	steps *mcp.DeviceSteps
	// viaTxn: intents run through the transaction coordinator.
	viaTxn bool
	// peers routes peer agents' devices to them (peers.go); peerServer is
	// the participant side of the peer API, nil without peer.listen.
	peers      *txn.Peers
	peerServer *txn.PeerServer
	// events signs and serves the agent's events (events.go); nil without
	// an agent certificate.
	events *events
}

// Registry returns the protocol adapters netagent ships, registered once each.
func Registry() (*adapters.Registry, error) { return protocols.Registry(), nil }

// openNetwork loads the inventory, opens the store and builds the intent
// service. On error everything opened so far is closed.
func openNetwork(ctx context.Context, cfg config.Config, log *slog.Logger) (n *network, err error) {
	if cfg.Inventory == "" {
		return nil, fmt.Errorf("agent: no inventory: set inventory (NETAGENT_INVENTORY) or run `netagent serve` with the simulated lab")
	}
	inv, err := adapters.LoadInventory(cfg.Inventory, adapters.LoadOptions{})
	if err != nil {
		return nil, err
	}
	reg, err := Registry()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("agent: data dir: %w", err)
	}
	db, err := store.Open(ctx, cfg.StorePath(), store.Options{})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	alog, err := openAudit(ctx, cfg, db, log)
	if err != nil {
		return nil, err
	}
	ev, err := openEvents(cfg, log)
	if err != nil {
		return nil, err
	}
	topt := adapters.TargetOptions{
		Timeouts: adapters.Timeouts{Connect: cfg.Timeouts.Connect, Auth: cfg.Timeouts.Auth, RPC: cfg.Timeouts.RPC, Commit: cfg.Timeouts.Commit},
		Logger:   log,
		HostKeys: auditedHostKeys(ctx, inv, alog, log),
	}
	pool := adapters.NewPool(inv, reg, topt,
		sessionOptions(cfg.Sessions, adapters.FailoverOptions{
			Logger: log,
			OnEvent: func(e adapters.Event) {
				auditFailover(alog, log, e)
				ev.failover(e)
				if e.From == "" {
					log.Info("device protocol", "device", e.Device, "protocol", e.To, "reason", e.Reason)
					return
				}
				log.Warn("protocol switch", "device", e.Device, "from", e.From, "to", e.To, "reason", e.Reason)
			},
		}))
	fl := fleet.New(inv, pool)
	soak := &soaker{}
	local := txnDevices{pool: pool, invalidate: fl.Invalidate, rec: alog, log: log}
	peers, err := openPeers(cfg, inv, local)
	if err != nil {
		pool.Close()
		return nil, err
	}
	if ev != nil {
		ev.peers = peers
	}
	coord, err := openTxn(ctx, cfg, db, peers, alog, ev, soak, log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	kb, err := openKnowledge(ctx, db, inv, log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	// The intent service runs plans through the transaction coordinator
	// when txn.enabled is set; otherwise device by device.
	steps := mcp.NewDeviceSteps()
	exec := steps.Executor(auditedExecutor(steps.Devices(fl), alog, log))
	// Devices owned by peer agents are only reachable through a
	// transaction, so configured peers turn the coordinator on.
	viaTxn := cfg.Txn.Enabled || len(cfg.Peers) > 0
	if viaTxn {
		exec = intent.AuditExecutor(txnplan.New(coord), alog, log)
	}
	// A peer's devices are read through the peer when planning.
	var planned intent.Devices = fl
	if len(cfg.Peers) > 0 {
		planned = peerRouted{fleet: fl, peers: peers}
	}
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: fl, Devices: planned, Log: log, Principals: channelPrincipals(cfg), Advisor: kb,
		Audit: alog, Executor: exec})
	if err != nil {
		pool.Close()
		return nil, err
	}
	if ev != nil {
		svc.Subscribe(ev.intentState)
	}
	parser, err := nl.New(fl)
	if err != nil {
		pool.Close()
		return nil, err
	}
	n = &network{inv: inv, pool: pool, db: db, audit: alog, signEvery: cfg.Audit.SignInterval, intent: svc, rest: rest.New(svc, parser, log), nl: parser, kb: kb,
		txn: coord, recovered: make(chan struct{}), steps: steps, viaTxn: viaTxn, peers: peers, events: ev}
	if n.files, err = fileintake.New(fileintake.Config{Dir: cfg.InboxDir(), Service: svc, Interval: cfg.Intake.InboxInterval, Log: log}); err != nil {
		pool.Close()
		return nil, err
	}
	if brokers := cfg.Brokers(); len(brokers) > 0 {
		if n.kafka, err = openKafka(cfg, brokers, svc, alog, log); err != nil {
			pool.Close()
			return nil, err
		}
	}
	if cfg.Telemetry.Enabled {
		if n.tele, err = openTelemetry(cfg, inv, reg, topt, svc, fl.Invalidate, ev.linkObserver(), peers.Owns, log); err != nil {
			pool.Close()
			return nil, err
		}
	}
	soak.svc, soak.tele = svc, n.tele
	// Assurance events (breach, breach predicted, recovered) travel on
	// the signed event stream too.
	n.tele.subscribeAssurance(ev.assurance)
	log.Info("inventory loaded", "file", cfg.Inventory, "devices", len(inv.Devices), "inbox", cfg.InboxDir(), "kafka", cfg.Intake.KafkaBrokers)
	return n, nil
}

func (n *network) close() error {
	if n.peerServer != nil {
		n.peerServer.Close()
	}
	n.peers.Close()
	if n.tele != nil {
		n.tele.pool.Close()
	}
	perr := n.pool.Close()
	derr := n.db.Close()
	if perr != nil {
		return perr
	}
	return derr
}
