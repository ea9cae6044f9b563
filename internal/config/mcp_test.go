package config

import (
	"testing"
	"time"
)

func TestMCPKeysFromEnv(t *testing.T) {
	cfg, err := Load("", []string{"NETAGENT_MCP_DIRECT_APPLY=true", "NETAGENT_MCP_TOKEN_TTL=90s", "NETAGENT_MCP_RESOURCE=https://agent.example/mcp"})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.MCP.DirectApply || cfg.MCP.TokenTTL != 90*time.Second || cfg.MCP.Resource != "https://agent.example/mcp" {
		t.Errorf("mcp = %+v", cfg.MCP)
	}
	if d := Default(); d.MCP.DirectApply {
		t.Error("direct apply must be off by default")
	}
}
