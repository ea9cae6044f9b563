package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/auth"
)

// Resource URIs.
const (
	InventoryURI = "netagent://inventory"
	SchemasURI   = "netagent://schemas"
	// IntentURITemplate is an intent's record, by id.
	IntentURITemplate = "netagent://intents/{id}"
)

func serverFrom(ctx context.Context) *server.MCPServer { return server.ServerFromContext(ctx) }

func (s *Server) addResources() {
	s.mcp.AddResource(mcpgo.NewResource(InventoryURI, "inventory",
		mcpgo.WithResourceDescription("Every inventory device with labels, protocols and their health."), mcpgo.WithMIMEType("application/json")),
		s.resource(auth.DevicesRead, func(ctx context.Context, _ string) (any, error) {
			ds, err := s.cfg.Devices.List(ctx)
			return map[string]any{"devices": ds}, err
		}))
	s.mcp.AddResource(mcpgo.NewResource(SchemasURI, "intent kinds",
		mcpgo.WithResourceDescription("The intent kinds; each kind's JSON Schema is at netagent://schemas/<kind>."), mcpgo.WithMIMEType("application/json")),
		s.resource(auth.IntentsRead, func(context.Context, string) (any, error) {
			var kinds []string
			for _, k := range intent.Kinds() {
				kinds = append(kinds, string(k))
			}
			return map[string]any{"kinds": kinds}, nil
		}))
	for _, k := range intent.Kinds() {
		doc, ok := intent.Schema(k)
		if !ok {
			continue
		}
		s.mcp.AddResource(mcpgo.NewResource(SchemasURI+"/"+string(k), string(k)+" intent schema",
			mcpgo.WithResourceDescription("JSON Schema (draft 2020-12) of "+string(k)+" intents."), mcpgo.WithMIMEType("application/schema+json")),
			s.resource(auth.IntentsRead, func(context.Context, string) (any, error) { return json.RawMessage(doc), nil }))
	}
	s.mcp.AddResourceTemplate(mcpgo.NewResourceTemplate(IntentURITemplate, "intent record",
		mcpgo.WithTemplateDescription("An intent's record: state, plan, lifecycle history."), mcpgo.WithTemplateMIMEType("application/json")),
		server.ResourceTemplateHandlerFunc(s.resource(auth.IntentsRead, func(ctx context.Context, uri string) (any, error) {
			id, ok := strings.CutPrefix(uri, "netagent://intents/")
			if !ok || id == "" {
				return nil, fmt.Errorf("%w: %s names no intent", intent.ErrNotFound, uri)
			}
			return s.cfg.Intents.Get(ctx, id)
		})))
}

func (s *Server) resource(scope auth.Scope, read func(ctx context.Context, uri string) (any, error)) server.ResourceHandlerFunc {
	return func(ctx context.Context, req mcpgo.ReadResourceRequest) ([]mcpgo.ResourceContents, error) {
		p, ok := s.principal(ctx)
		if !ok {
			return nil, errUnauthenticated
		}
		if !p.Has(scope) {
			return nil, &ScopeError{Tool: "resource " + req.Params.URI, Scope: scope}
		}
		v, err := read(ctx, req.Params.URI)
		if err != nil {
			return nil, err
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return nil, err
		}
		mime := "application/json"
		if strings.HasPrefix(req.Params.URI, SchemasURI+"/") {
			mime = "application/schema+json"
		}
		return []mcpgo.ResourceContents{mcpgo.TextResourceContents{URI: req.Params.URI, MIMEType: mime, Text: string(b)}}, nil
	}
}
