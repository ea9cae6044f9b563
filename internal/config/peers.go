package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// PeerAgent is another netagent that owns devices of the inventory: its
// part of a transaction goes to it over the peer API (mutual TLS), never
// straight to its devices.
type PeerAgent struct {
	// Name is the peer's agent name, which its certificate's URI SAN
	// (netagent://agent/NAME) must carry.
	Name string `yaml:"name"`
	// URL is the peer listener's base URL (https://host:port).
	URL string `yaml:"url"`
	// Devices it owns, comma-separated.
	Devices string `yaml:"devices"`
	// Labels: it owns every inventory device carrying all of these
	// comma-separated key=value labels.
	Labels string `yaml:"labels"`
	// First runs its part of a transaction as a stage of its own before
	// this agent's (prepare and commit there first; a plan with
	// dependency stages of its own keeps those).
	First bool `yaml:"first"`
}

// PeerLabels parses Labels ("role=leaf,pod=1").
func (p PeerAgent) PeerLabels() (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range List(p.Labels) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("peers: %s: labels: %q is not key=value", p.Name, kv)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

func (c Config) validatePeers() error {
	var errs []error
	seen := map[string]bool{}
	for i, p := range c.Peers {
		switch {
		case p.Name == "":
			errs = append(errs, fmt.Errorf("peers[%d].name: must not be empty", i))
		case seen[p.Name]:
			errs = append(errs, fmt.Errorf("peers[%d].name: %s appears twice", i, p.Name))
		case p.Name == c.Peer.Name:
			errs = append(errs, fmt.Errorf("peers[%d].name: %s is this agent (peer.name)", i, p.Name))
		}
		seen[p.Name] = true
		if u, err := url.Parse(p.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("peers[%d].url: %q is not an https URL", i, p.URL))
		}
		if len(List(p.Devices)) == 0 && len(List(p.Labels)) == 0 {
			errs = append(errs, fmt.Errorf("peers[%d]: %s owns no devices: set devices or labels", i, p.Name))
		}
		if _, err := p.PeerLabels(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(c.Peers) > 0 && c.Peer.Name == "" {
		errs = append(errs, errors.New("peer.name: must be set when peers are configured (this agent's certificate)"))
	}
	return errors.Join(errs...)
}
