package config

import "time"

// MCP configures the MCP server (netagent mcp over stdio, /mcp over HTTP).
type MCP struct {
	// DirectApply lets MCP write tools apply without the plan-then-confirm
	// token (env NETAGENT_MCP_DIRECT_APPLY, flag --mcp-direct-apply). Only
	// for trusted agents.
	DirectApply bool `yaml:"direct_apply"`
	// TokenTTL is how long a confirmation token is valid; 0 means 5m.
	TokenTTL time.Duration `yaml:"token_ttl"`
	// Resource is the public URL of /mcp announced in the Protected
	// Resource Metadata; empty derives it from each request's Host.
	Resource string `yaml:"resource"`
	// AuthorizationServers lists the OAuth issuers announced there,
	// comma-separated.
	AuthorizationServers string `yaml:"authorization_servers"`
}
