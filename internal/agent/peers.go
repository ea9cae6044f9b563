package agent

import (
	"context"
	"crypto/tls"
	"fmt"
	"maps"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/fleet"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/pki"
	"github.com/netagent/netagent/txn"
)

// openPeers resolves which configured peer agent owns which inventory
// device (peers: name, url, devices, labels) and returns the router the
// coordinator opens devices through: a peer's devices become remote
// participants called over mutual TLS with this agent's certificate
// (peer.name, peer.cert), the others are the pool's.
func openPeers(cfg config.Config, inv *adapters.Inventory, local txn.Devices) (*txn.Peers, error) {
	labels := map[string]map[string]string{}
	for _, name := range inv.Names() {
		spec, _ := inv.Device(name)
		labels[name] = maps.Clone(spec.Labels)
	}
	pc := txn.PeersConfig{Self: cfg.Peer.Name, Local: local, Labels: labels}
	for _, p := range cfg.Peers {
		ls, err := p.PeerLabels()
		if err != nil {
			return nil, err
		}
		pc.Peers = append(pc.Peers, txn.PeerSpec{Name: p.Name, URL: p.URL, Devices: config.List(p.Devices), Labels: ls, First: p.First})
	}
	if len(cfg.Peers) > 0 {
		caPath, certPath, keyPath := cfg.PeerFiles()
		roots, err := pki.LoadPool(caPath)
		if err != nil {
			return nil, fmt.Errorf("peers: peer.ca: %w", err)
		}
		cert, err := tls.LoadX509KeyPair(certPath, keyPath)
		if err != nil {
			return nil, fmt.Errorf("peers: peer.cert: %w (run `netagent pki issue %s`)", err, cfg.Peer.Name)
		}
		pc.TLS = func(name string) *tls.Config { return pki.ClientConfig(cert, roots, name) }
	}
	return txn.NewPeers(pc)
}

// mountPeers mounts GET /v1/peers on the API and, when the peer listener
// is configured, the participant side of the peer API on it: other
// agents drive the devices this agent owns (in its inventory, claimed by
// no peer) through prepare, commit, confirm, abort and rollback.
func (a *Agent) mountPeers() error {
	n := a.net
	a.Mount(n.peers.Routes())
	api, peer := n.events.routes()
	a.Mount(api)
	if a.trust.peerMux == nil {
		return nil
	}
	if err := a.MountPeer(peer); err != nil {
		return err
	}
	owns := func(device string) bool {
		_, ok := n.inv.Device(device)
		return ok && n.peers.Owns(device)
	}
	ps, err := n.txn.NewPeerServer(txn.PeerServerConfig{Agent: a.cfg.Peer.Name, Owns: owns, Decision: n.peers.Decision, Log: a.log})
	if err != nil {
		return err
	}
	n.peerServer = ps
	return a.MountPeer(ps.Routes())
}

// peerRouted is what the intent service plans against: a device a peer
// agent owns is read (and, outside a transaction, written) through its
// owner's peer API (GET /v1/peer/devices/{name}/config), the others
// through the fleet. An agent thus never needs credentials for devices it
// does not own; its inventory only names them (and their labels).
type peerRouted struct {
	fleet *fleet.Fleet
	peers *txn.Peers
}

func (p peerRouted) Device(ctx context.Context, name string) (intent.Device, error) {
	if p.peers.Owns(name) {
		return p.fleet.Device(ctx, name)
	}
	return p.peers.Device(ctx, name)
}
