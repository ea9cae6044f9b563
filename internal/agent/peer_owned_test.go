package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/pki"
	"github.com/netagent/netagent/lab"
)

// TestPeerDevicesNotCollected: with a peer entry owning r2, the agent's
// telemetry collector works on r1 only (r2 is the peer's to collect), and
// GET /v1/peers names r2 as the peer's.
func TestPeerDevicesNotCollected(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, base, _, cfg := startLabAgentWith(t, ctx, nil, lab.Options{}, func(c *config.Config) {
		c.Telemetry.Interval, c.Telemetry.MinInterval, c.Telemetry.MaxInterval = 300*time.Millisecond, 100*time.Millisecond, 500*time.Millisecond
		c.Peer.Name = "a1"
		// The peer is never started: nothing here must need it.
		c.Peers = []config.PeerAgent{{Name: "b1", URL: "https://127.0.0.1:23999", Devices: "r2"}}
		ca, err := pki.Init(c.PKIDir(), "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ca.Issue("a1", pki.IssueOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	api := bearerClient(t, cfg.AdminTokenPath())
	var col struct {
		Devices []struct {
			Device string `json:"device"`
		} `json:"devices"`
	}
	resp, err := api.Get(base + "/v1/telemetry/collectors")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/telemetry/collectors: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&col); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range col.Devices {
		names = append(names, d.Device)
	}
	if !slices.Equal(names, []string{"r1"}) {
		t.Fatalf("the collector works on %v, want [r1] (r2 is peer b1's)", names)
	}
	var peers struct {
		Peers []struct {
			Name    string   `json:"name"`
			Devices []string `json:"devices"`
		} `json:"peers"`
	}
	r2, err := api.Get(base + "/v1/peers")
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Body.Close()
	if err := json.NewDecoder(r2.Body).Decode(&peers); err != nil {
		t.Fatal(err)
	}
	if len(peers.Peers) != 1 || peers.Peers[0].Name != "b1" || !slices.Equal(peers.Peers[0].Devices, []string{"r2"}) {
		t.Fatalf("GET /v1/peers: %+v", peers.Peers)
	}
}
