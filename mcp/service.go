package mcp

import (
	"context"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/yang"
)

// Intents is what the MCP tools need of the intent service; *intent.Service
// satisfies it.
type Intents interface {
	Plan(ctx context.Context, body []byte) (*intent.Intent, *intent.Plan, error)
	Submit(ctx context.Context, body []byte, src intent.Source) (*intent.Record, error)
	Get(ctx context.Context, id string) (*intent.Record, error)
	Withdraw(ctx context.Context, id, reason string) (*intent.Record, error)
	Wait(ctx context.Context, id string, states ...intent.State) (*intent.Record, error)
	Subscribe(fn func(intent.Event)) (cancel func())
}

var _ Intents = (*intent.Service)(nil)

// Parser turns a sentence into an intent to confirm; *nl.Parser satisfies it.
type Parser interface {
	Parse(ctx context.Context, req nl.Request) (*nl.Result, error)
}

var _ Parser = (*nl.Parser)(nil)

// Devices lists the inventory with health and reads a device's
// configuration and state. PoolDevices implements it over the adapters'
// inventory and pool.
type Devices interface {
	// List returns every device, sorted by name, with its protocols' health.
	List(ctx context.Context) ([]DeviceStatus, error)
	// Config returns the device's configuration at or below path. An
	// unknown device is an *adapters.InventoryError.
	Config(ctx context.Context, device string, path yang.Path) (*yang.Tree, error)
	// State reads the values at or below path once (one sample or poll,
	// state and counters included where the protocol serves them).
	State(ctx context.Context, device, path string) ([]adapters.Update, error)
}

// DeviceStatus is one inventory device and how it is reached now.
type DeviceStatus struct {
	Name    string            `json:"name"`
	Kind    string            `json:"kind,omitempty"`
	Address string            `json:"address,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	// Active is the protocol serving the device ("" when none is up).
	Active    string           `json:"active"`
	Protocols []ProtocolHealth `json:"protocols"`
	// Error says why the device could not be opened, if it could not.
	Error string `json:"error,omitempty"`
}

// ProtocolHealth is one protocol's health on a device.
type ProtocolHealth struct {
	Name   string `json:"name"`
	Health string `json:"health"`
}

// TelemetryQuery selects series from the telemetry store.
type TelemetryQuery struct {
	Device string `json:"device,omitempty"`
	Metric string `json:"metric"`
	// Since is a Go duration ("5m"): how far back to read.
	Since string `json:"since,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// Telemetry answers telemetry queries with a JSON-encodable result. Nil in
// Config means query_telemetry is not offered.
type Telemetry interface {
	Query(ctx context.Context, q TelemetryQuery) (any, error)
}

// Knowledge searches the knowledge base and returns a JSON-encodable
// result. Nil in Config means search_knowledge is not offered.
type Knowledge interface {
	Search(ctx context.Context, query string, limit int) (any, error)
}
