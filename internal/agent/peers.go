package agent

import (
	"crypto/tls"
	"fmt"
	"maps"

	"github.com/netagent/netagent/adapters"
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
		pc.Peers = append(pc.Peers, txn.PeerSpec{Name: p.Name, URL: p.URL, Devices: config.List(p.Devices), Labels: ls})
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
