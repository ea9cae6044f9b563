package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/auth"
)

// Config is what a Server needs. Intents and Devices are required.
type Config struct {
	Intents Intents
	Devices Devices
	// Parser, Telemetry and Knowledge are optional; their tools are not
	// offered when nil.
	Parser    Parser
	Telemetry Telemetry
	Knowledge Knowledge
	// Steps, when set, reports each device's steps of an intent's change
	// as progress too (DeviceSteps for the device executor, TxnSteps for
	// the transaction coordinator); nil reports lifecycle steps only.
	Steps Steps
	// Transactions, when set, offers txn_status.
	Transactions Transactions
	// Log receives one line per tool call; nil discards.
	Log *slog.Logger
	// Audit, when set, is called after every tool call (the lead points it
	// at the audit log). It must return quickly.
	Audit func(context.Context, AuditEntry)
	// DirectApply lets write tools apply without a confirmation token (for
	// trusted agents): the --mcp-direct-apply option.
	DirectApply bool
	// TokenKey signs confirmation tokens; empty means a random key per
	// process (tokens do not survive a restart).
	TokenKey []byte
	// TokenTTL is how long a confirmation token is valid; default 5m.
	TokenTTL time.Duration
	// WaitTimeout bounds how long a write waits for its intent to settle
	// before it returns the record as it is; default 2m.
	WaitTimeout time.Duration
	// Local is the principal calls act as when the context carries none:
	// set it for the stdio transport (the local operator), never for HTTP.
	Local *auth.Principal
	// Resource is the MCP endpoint's public URL for the Protected Resource
	// Metadata; empty derives it from each request's Host.
	Resource string
	// AuthorizationServers are the issuers listed in the metadata.
	AuthorizationServers []string
	// Version is reported to clients in the initialize handshake.
	Version string
	// Clock is for tests; default time.Now.
	Clock func() time.Time
}

// AuditEntry records one tool call.
type AuditEntry struct {
	Time       time.Time `json:"time"`
	Tool       string    `json:"tool"`
	Principal  string    `json:"principal"`
	Via        string    `json:"via,omitempty"`
	OnBehalfOf string    `json:"on_behalf_of,omitempty"`
	// IntentID is the intent the call planned, submitted or withdrew.
	IntentID string `json:"intent_id,omitempty"`
	// Outcome is ok, planned, submitted, refused or error.
	Outcome string        `json:"outcome"`
	Error   string        `json:"error,omitempty"`
	Elapsed time.Duration `json:"elapsed"`
}

// Server is netagent's MCP server.
type Server struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	tokens *tokens
	mcp    *server.MCPServer
	tools  map[string]*tool
	// deliveries counts the progress notifications written; requests
	// numbers the session-less HTTP requests for it.
	deliveries *deliveries
	requests   atomic.Int64
}

type tool struct {
	def    mcpgo.Tool
	scope  auth.Scope
	schema *jsonschema.Schema
	run    func(ctx context.Context, c *call, args json.RawMessage) (any, error)
	// pointer maps a problem's pointer in the intent document to the
	// tool's argument ("/spec/mtu" -> "/mtu"); nil keeps it.
	pointer func(string) string
}

// call is one tool invocation's context for its handler.
type call struct {
	principal auth.Principal
	progress  mcpgo.ProgressToken
	intentID  string
	outcome   string
}

// New returns a server over cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Intents == nil || cfg.Devices == nil {
		return nil, errors.New("mcp: New needs Intents and Devices")
	}
	s := &Server{cfg: cfg, log: cfg.Log, now: cfg.Clock, tools: map[string]*tool{}, deliveries: newDeliveries()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cfg.WaitTimeout <= 0 {
		s.cfg.WaitTimeout = 2 * time.Minute
	}
	var err error
	if s.tokens, err = newTokens(cfg.TokenKey, cfg.TokenTTL, s.now); err != nil {
		return nil, err
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	s.mcp = server.NewMCPServer("netagent", cfg.Version,
		server.WithToolCapabilities(false),
		server.WithResourceCapabilities(false, false),
		server.WithRecovery(),
		server.WithOutputSchemaValidation(),
		server.WithInstructions(instructions))
	for _, t := range s.toolset() {
		if err := s.add(t); err != nil {
			return nil, err
		}
	}
	s.addResources()
	return s, nil
}

const instructions = `netagent drives a network through intents. Read with list_devices, get_config and get_state.
Writes are two-step: call a write tool (set_interface, add_static_route, remove_static_route, set_bgp_neighbor,
submit_intent) without confirmation_token to get the diff and a token, show the diff, then call it again with
the same arguments and the token to apply. plan_intent plans any intent.`

// MCPServer returns the underlying mcp-go server (for in-process clients).
func (s *Server) MCPServer() *server.MCPServer { return s.mcp }

// ServeStdio serves MCP over r and w until ctx ends or r closes.
func (s *Server) ServeStdio(ctx context.Context, r io.Reader, w io.Writer) error {
	// mcp-go writes notifications from another goroutine than answers:
	// counting them lets a tool answer once its progress is out.
	ctx = context.WithValue(ctx, deliveriesKey{}, &deliveryScope{d: s.deliveries, session: stdioSession})
	return server.NewStdioServer(s.mcp).Listen(ctx, r, stdioWriter{w: w, d: s.deliveries})
}

// Tools lists the offered tools' names with the scope each needs.
func (s *Server) Tools() map[string]auth.Scope {
	out := map[string]auth.Scope{}
	for n, t := range s.tools {
		out[n] = t.scope
	}
	return out
}

func (s *Server) add(t *tool) error {
	raw := t.def.RawInputSchema
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("mcp: tool %s input schema: %w", t.def.Name, err)
	}
	c := jsonschema.NewCompiler()
	url := "urn:netagent:mcp:" + t.def.Name
	if err := c.AddResource(url, doc); err != nil {
		return fmt.Errorf("mcp: tool %s input schema: %w", t.def.Name, err)
	}
	if t.schema, err = c.Compile(url); err != nil {
		return fmt.Errorf("mcp: tool %s input schema: %w", t.def.Name, err)
	}
	s.tools[t.def.Name] = t
	s.mcp.AddTool(t.def, s.handler(t))
	return nil
}

func (s *Server) principal(ctx context.Context) (auth.Principal, bool) {
	if p, ok := auth.FromContext(ctx); ok {
		return p, true
	}
	if s.cfg.Local != nil {
		return *s.cfg.Local, true
	}
	return auth.Principal{}, false
}

func (s *Server) handler(t *tool) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
		start := s.now()
		c := &call{}
		if req.Params.Meta != nil {
			c.progress = req.Params.Meta.ProgressToken
		}
		var p auth.Principal
		var ok bool
		var out any
		var err error
		defer func() { s.audit(ctx, t, c, p, ok, start, err) }()
		if p, ok = s.principal(ctx); !ok {
			err = errUnauthenticated
			return errorResult(t, err), nil
		}
		c.principal = p
		if !p.Has(t.scope) {
			err = &ScopeError{Tool: t.def.Name, Scope: t.scope}
			return errorResult(t, err), nil
		}
		args := req.Params.RawArguments
		if a := bytes.TrimSpace(args); len(a) == 0 || string(a) == "null" {
			if args, err = json.Marshal(req.Params.Arguments); err != nil || string(args) == "null" {
				args = []byte("{}")
			}
		}
		if err = validate(t.schema, args); err != nil {
			return errorResult(t, err), nil
		}
		if out, err = t.run(ctx, c, args); err != nil {
			return errorResult(t, err), nil
		}
		text, _ := json.Marshal(out)
		return mcpgo.NewToolResultStructured(out, string(text)), nil
	}
}

var errUnauthenticated = errors.New("unauthenticated: no principal for this call")

// ScopeError refuses a call the principal lacks the scope for.
type ScopeError struct {
	Tool  string
	Scope auth.Scope
}

func (e *ScopeError) Error() string {
	return fmt.Sprintf("insufficient_scope: tool %s needs scope %s", e.Tool, e.Scope)
}

func (s *Server) audit(ctx context.Context, t *tool, c *call, p auth.Principal, ok bool, start time.Time, err error) {
	e := AuditEntry{Time: start.UTC(), Tool: t.def.Name, Principal: "anonymous", IntentID: c.intentID, Outcome: c.outcome, Elapsed: s.now().Sub(start)}
	if ok {
		e.Principal, e.Via = p.Subject, p.Via
		if p.OnBehalfOf != nil {
			e.OnBehalfOf = p.OnBehalfOf.String()
		}
	}
	var se *ScopeError
	switch {
	case err == nil && e.Outcome == "":
		e.Outcome = "ok"
	case errors.Is(err, errUnauthenticated), errors.As(err, &se), errors.Is(err, intent.ErrInvalid), isTokenErr(err):
		e.Outcome = "refused"
	case err != nil:
		e.Outcome = "error"
	}
	if err != nil {
		e.Error = err.Error()
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "mcp tool call", slog.String("tool", e.Tool), slog.String("principal", e.Principal),
		slog.String("on_behalf_of", e.OnBehalfOf), slog.String("intent", e.IntentID), slog.String("outcome", e.Outcome),
		slog.String("err", e.Error), slog.Duration("elapsed", e.Elapsed))
	if s.cfg.Audit != nil {
		s.cfg.Audit(ctx, e)
	}
}

func isTokenErr(err error) bool {
	for _, t := range []error{ErrTokenMalformed, ErrTokenExpired, ErrTokenOther, ErrPlanChanged, ErrTokenMissing} {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// ErrorResult is the JSON text of a refused or failed call.
type ErrorResult struct {
	Error    string           `json:"error"`
	Stage    intent.Stage     `json:"stage,omitempty"`
	Problems []intent.Problem `json:"problems,omitempty"`
}

// errorResult renders err as a tool execution error: a line of text
// naming each argument at fault, then the same as JSON.
func errorResult(t *tool, err error) *mcpgo.CallToolResult {
	er := ErrorResult{Error: err.Error()}
	var ie *intent.InvalidError
	var inv *adapters.InventoryError
	var nf *notFoundError
	switch {
	case errors.As(err, &ie):
		er.Stage = ie.Stage
		parts := make([]string, len(ie.Problems))
		for i, p := range ie.Problems {
			if t.pointer != nil {
				p.Pointer = t.pointer(p.Pointer)
			}
			er.Problems = append(er.Problems, p)
			ptr := p.Pointer
			if ptr == "" {
				ptr = "(arguments)"
			}
			parts[i] = ptr + ": " + p.Reason
		}
		er.Error = fmt.Sprintf("%s: invalid arguments (%s): %s", t.def.Name, ie.Stage, strings.Join(parts, "; "))
	case errors.As(err, &inv) && inv.Device != "":
		er.Problems = []intent.Problem{{Pointer: "/device", Reason: fmt.Sprintf("device %q is %s", inv.Device, inv.Reason)}}
		er.Error = fmt.Sprintf("%s: /device: device %q is %s", t.def.Name, inv.Device, inv.Reason)
	case isTokenErr(err):
		er.Problems = []intent.Problem{{Pointer: "/confirmation_token", Reason: err.Error()}}
		er.Error = t.def.Name + ": /confirmation_token: " + err.Error()
	case errors.As(err, &nf):
		er.Problems = []intent.Problem{{Pointer: nf.pointer, Reason: err.Error()}}
		er.Error = t.def.Name + ": " + nf.pointer + ": " + err.Error()
	case errors.Is(err, intent.ErrNotFound):
		er.Problems = []intent.Problem{{Pointer: "/id", Reason: err.Error()}}
		er.Error = t.def.Name + ": /id: " + err.Error()
	default:
		er.Error = t.def.Name + ": " + err.Error()
	}
	b, _ := json.Marshal(er)
	return &mcpgo.CallToolResult{IsError: true, Content: []mcpgo.Content{mcpgo.NewTextContent(er.Error), mcpgo.NewTextContent(string(b))}}
}

var printer = message.NewPrinter(language.English)

// validate checks args against the tool's input schema and returns every
// problem as an *intent.InvalidError with pointers to the arguments.
func validate(sch *jsonschema.Schema, args json.RawMessage) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(args))
	if err != nil {
		return &intent.InvalidError{Stage: intent.StageSyntax, Problems: []intent.Problem{{Reason: "the arguments are not one JSON object: " + err.Error()}}}
	}
	err = sch.Validate(v)
	var ve *jsonschema.ValidationError
	if err == nil {
		return nil
	}
	if !errors.As(err, &ve) {
		return &intent.InvalidError{Stage: intent.StageSchema, Problems: []intent.Problem{{Reason: err.Error()}}}
	}
	var probs []intent.Problem
	collect(ve, &probs)
	return &intent.InvalidError{Stage: intent.StageSchema, Problems: probs}
}

func collect(ve *jsonschema.ValidationError, out *[]intent.Problem) {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			collect(c, out)
		}
		return
	}
	ptr := pointer(ve.InstanceLocation)
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			*out = append(*out, intent.Problem{Pointer: ptr + "/" + escape(m), Reason: "is required"})
		}
	case *kind.AdditionalProperties:
		for _, m := range k.Properties {
			*out = append(*out, intent.Problem{Pointer: ptr + "/" + escape(m), Reason: "is not an argument of this tool"})
		}
	default:
		*out = append(*out, intent.Problem{Pointer: ptr, Reason: ve.ErrorKind.LocalizedString(printer)})
	}
}

func pointer(toks []string) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString("/" + escape(t))
	}
	return b.String()
}

func escape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}
