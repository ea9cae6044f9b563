package adapters_test

import (
	"context"
	"log/slog"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/adapters/netconf"
	"github.com/netagent/netagent/yang"
)

// How main wires the adapters, and how a caller changes one leaf and
// drives a transaction without knowing the protocol.
func ExampleNewPool() {
	ctx := context.Background()
	log := slog.Default()
	reg := adapters.NewRegistry()
	_ = reg.Register(adapters.NETCONF, netconf.Opener)
	_ = reg.Register(adapters.GNMI, gnmi.Opener)
	_ = reg.Register(adapters.CLI, cli.Opener)
	inv, err := adapters.LoadInventory("clab-lab/netagent-inventory.yml", adapters.LoadOptions{})
	if err != nil {
		log.Error("inventory", "err", err)
		return
	}
	pool := adapters.NewPool(inv, reg,
		adapters.TargetOptions{HostKeys: adapters.NewHostKeys(inv.KnownHosts, false, log), Logger: log,
			Timeouts: adapters.Timeouts{Connect: 5 * time.Second, RPC: 30 * time.Second, Commit: time.Minute}},
		adapters.FailoverOptions{Logger: log, OnEvent: func(e adapters.Event) { log.Info("switch", "device", e.Device, "to", e.To) }})
	defer pool.Close()

	dev, err := pool.Device(ctx, "leaf1")
	if err != nil {
		log.Error("open", "err", err)
		return
	}
	mtu := yang.InterfacePath("ethernet-1/1").Leaf("config", "mtu")
	before, err := dev.Query(ctx, []yang.Path{mtu})
	if err != nil {
		return
	}
	after := before.Clone()
	_ = after.Set(mtu, uint64(9000))
	changes := yang.Diff(before, after)

	// One-shot:
	if err := dev.Configure(ctx, changes); err != nil && adapters.Retryable(err) {
		log.Warn("not applied; safe to retry", "err", err)
	}
	// Or as a participant of a two-phase commit:
	var p adapters.Transactional = dev
	if err := p.Prepare(ctx, "tx-42", changes); err != nil {
		return
	}
	if err := p.Commit(ctx, "tx-42", 2*time.Minute); err != nil {
		_ = p.Abort(ctx, "tx-42")
		return
	}
	_ = p.Confirm(ctx, "tx-42")
}
