package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/yang"
)

func yes() *bool { v := true; return &v }
func no() *bool  { v := false; return &v }

type hints struct{ readOnly, destructive, idempotent bool }

func newTool(name, title, desc string, h hints, in, out string) mcpgo.Tool {
	t := mcpgo.Tool{Name: name, Title: title, Description: desc, RawInputSchema: json.RawMessage(in), RawOutputSchema: json.RawMessage(out)}
	t.Annotations = mcpgo.ToolAnnotation{Title: title, ReadOnlyHint: no(), DestructiveHint: no(), IdempotentHint: no(), OpenWorldHint: no()}
	if h.readOnly {
		t.Annotations.ReadOnlyHint = yes()
	}
	if h.destructive {
		t.Annotations.DestructiveHint = yes()
	}
	if h.idempotent {
		t.Annotations.IdempotentHint = yes()
	}
	return t
}

var (
	readHints  = hints{readOnly: true, idempotent: true}
	writeHints = hints{destructive: true, idempotent: true}
)

// Schema fragments shared by the write tools.
const (
	targetsProps = `"devices": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}, "description": "Devices to change, by inventory name (see list_devices). Give devices or selector."},
    "selector": {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1, "description": "Select devices by labels instead: every label must match."},
    "id": {"type": "string", "description": "Idempotency key of the intent; one is assigned if omitted."},
    "confirmation_token": {"type": "string", "description": "The token a previous call without it returned. Without it, nothing is applied: the call returns the plan (diff) and a token."},
    "wait": {"type": "boolean", "default": true, "description": "Wait for the intent to be applied (progress is reported when the request has a progress token)."}`

	writeOut = `{"type": "object", "required": ["status"], "properties": {
    "status": {"type": "string", "description": "needs_confirmation (nothing applied yet), or the intent's lifecycle state"},
    "intent_id": {"type": "string"},
    "diff": {"type": "string", "description": "the changes, device by device"},
    "plan": {"type": "object"},
    "confirmation_token": {"type": "string"},
    "expires_at": {"type": "string"},
    "record": {"type": "object"},
    "next": {"type": "string"}}}`
	withdrawOut = `{"type": "object", "required": ["status", "intent_id"], "properties": {
    "status": {"type": "string", "description": "needs_confirmation (nothing withdrawn yet), or the intent's lifecycle state"},
    "intent_id": {"type": "string"},
    "diff": {"type": "string", "description": "what withdrawing undoes, device by device"},
    "confirmation_token": {"type": "string"},
    "expires_at": {"type": "string"},
    "record": {"type": "object"},
    "next": {"type": "string"}}}`
	recordOut = `{"type": "object", "required": ["id", "state"], "properties": {"id": {"type": "string"}, "kind": {"type": "string"}, "state": {"type": "string"}, "plan": {"type": "object"}, "history": {"type": "array"}, "error": {"type": "string"}}}`
)

func (s *Server) toolset() []*tool {
	ts := []*tool{
		{def: newTool("list_devices", "List devices", "List every inventory device with its labels, protocols, each protocol's health (healthy, degraded, down) and the protocol serving it now.", readHints,
			`{"type": "object", "additionalProperties": false, "properties": {}}`,
			`{"type": "object", "required": ["devices"], "properties": {"devices": {"type": "array", "items": {"type": "object", "required": ["name", "protocols"], "properties": {"name": {"type": "string"}, "active": {"type": "string"}, "protocols": {"type": "array"}, "labels": {"type": "object"}, "error": {"type": "string"}}}}}}`),
			scope: auth.DevicesRead, run: s.listDevices},
		{def: newTool("get_config", "Get configuration", "Read a device's running configuration at or below an OpenConfig path (the whole configuration when path is omitted).", readHints,
			`{"type": "object", "additionalProperties": false, "required": ["device"], "properties": {
    "device": {"type": "string", "minLength": 1, "description": "Inventory name of the device."},
    "path": {"type": "string", "description": "OpenConfig path, e.g. /interfaces/interface[name=eth1]/config"}}}`,
			`{"type": "object", "required": ["device", "leaves"], "properties": {"device": {"type": "string"}, "path": {"type": "string"}, "leaves": {"type": "array", "items": {"type": "object", "required": ["path"], "properties": {"path": {"type": "string"}, "value": {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "null"}]}}}}}}`),
			scope: auth.DevicesRead, run: s.getConfig},
		{def: newTool("get_state", "Get state", "Read a device's values at or below a path once (one sample or poll): operational state and counters where the device's protocol serves them, configuration otherwise.", readHints,
			`{"type": "object", "additionalProperties": false, "required": ["device", "path"], "properties": {
    "device": {"type": "string", "minLength": 1, "description": "Inventory name of the device."},
    "path": {"type": "string", "minLength": 1, "description": "gNMI-style path, e.g. /interfaces/interface[name=eth1]/state"}}}`,
			`{"type": "object", "required": ["device", "updates"], "properties": {"device": {"type": "string"}, "path": {"type": "string"}, "updates": {"type": "array", "items": {"type": "object", "required": ["path"], "properties": {"path": {"type": "string"}, "value": {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "null"}]}, "time": {"type": "string"}}}}}}`),
			scope: auth.DevicesRead, run: s.getState},
		{def: newTool("set_interface", "Set an interface", "Set an interface's settings (enabled, description, MTU, IPv4 addresses) on the target devices, as an interface intent. Without confirmation_token it only plans and returns the diff and a token; call again with the token to apply. Settings left out are not touched.", writeHints,
			`{"type": "object", "additionalProperties": false, "required": ["name"], "properties": {`+targetsProps+`,
    "name": {"type": "string", "minLength": 1, "description": "Interface name as the device names it (eth1, e1-1, GigabitEthernet0/0/1)."},
    "enabled": {"type": "boolean"},
    "description": {"type": "string"},
    "mtu": {"type": "integer", "description": "Layer-3 MTU in bytes."},
    "type": {"type": "string"},
    "subinterface": {"type": "integer", "minimum": 0},
    "ipv4": {"type": "array", "items": {"type": "string"}, "description": "Addresses with prefix length, e.g. 10.0.0.1/31."}}}`, writeOut),
			scope: auth.IntentsWrite, run: s.specWrite(intent.KindInterface, "name", "enabled", "description", "mtu", "type", "subinterface", "ipv4"), pointer: specPointer},
		{def: newTool("add_static_route", "Add a static route", "Add a static route, or replace the next hops of an existing one, on the target devices, as a static-route intent. Two-step: plan, then apply with confirmation_token.", writeHints,
			`{"type": "object", "additionalProperties": false, "required": ["prefix", "next_hops"], "properties": {`+targetsProps+`,
    "prefix": {"type": "string", "description": "IPv4 prefix, e.g. 10.20.0.0/16."},
    "next_hops": {"type": "array", "minItems": 1, "items": {"type": "object", "additionalProperties": false, "properties": {"next_hop": {"type": "string"}, "interface": {"type": "string"}, "index": {"type": "string"}}}}}}`, writeOut),
			scope: auth.IntentsWrite, run: s.specWrite(intent.KindStaticRoute, "prefix", "next_hops"), pointer: specPointer},
		{def: newTool("remove_static_route", "Remove a static route", "Remove a static route from the target devices (a static-route intent with ensure: absent). Two-step: plan, then apply with confirmation_token.", writeHints,
			`{"type": "object", "additionalProperties": false, "required": ["prefix"], "properties": {`+targetsProps+`,
    "prefix": {"type": "string", "description": "IPv4 prefix of the route to remove."}}}`, writeOut),
			scope: auth.IntentsWrite, run: s.removeRoute, pointer: specPointer},
		{def: newTool("set_bgp_neighbor", "Set a BGP neighbour", "Add or change a BGP neighbour (peer AS, enabled, description; local AS and router id set the BGP instance) on the target devices, as a bgp-neighbor intent. Two-step: plan, then apply with confirmation_token.", writeHints,
			`{"type": "object", "additionalProperties": false, "required": ["address", "peer_as"], "properties": {`+targetsProps+`,
    "address": {"type": "string", "description": "Neighbour IP address."},
    "peer_as": {"type": "integer", "minimum": 1},
    "local_as": {"type": "integer", "minimum": 1},
    "router_id": {"type": "string"},
    "enabled": {"type": "boolean"},
    "description": {"type": "string"}}}`, writeOut),
			scope: auth.IntentsWrite, run: s.specWrite(intent.KindBGPNeighbor, "address", "peer_as", "local_as", "router_id", "enabled", "description"), pointer: specPointer},
		{def: newTool("plan_intent", "Plan an intent", "Dry run: plan any intent (see the netagent://schemas resources) against the devices' current configuration and return the diff, without applying anything. Unless direct apply is on, the answer carries the confirmation_token submit_intent needs.", readHints,
			`{"type": "object", "additionalProperties": false, "required": ["intent"], "properties": {"intent": {"type": "object", "description": "An intent document: {kind, targets, spec, options}."}}}`, writeOut),
			scope: auth.IntentsRead, run: s.planIntent, pointer: intentPointer},
		{def: newTool("submit_intent", "Submit an intent", "Submit an intent document to be applied. Needs the confirmation_token plan_intent returned for the same intent (unless direct apply is on); refused if the devices changed since that plan.", writeHints,
			`{"type": "object", "additionalProperties": false, "required": ["intent"], "properties": {
    "intent": {"type": "object", "description": "An intent document: {kind, targets, spec, options}."},
    "confirmation_token": {"type": "string", "description": "The token plan_intent returned for this intent."},
    "wait": {"type": "boolean", "default": true, "description": "Wait for the intent to be applied."}}}`, writeOut),
			scope: auth.IntentsWrite, run: s.submitIntent, pointer: intentPointer},
		{def: newTool("intent_status", "Intent status", "Return an intent's record: its state, plan, lifecycle history and error.", readHints,
			`{"type": "object", "additionalProperties": false, "required": ["id"], "properties": {"id": {"type": "string", "minLength": 1}}}`, recordOut),
			scope: auth.IntentsRead, run: s.intentStatus},
		{def: newTool("withdraw_intent", "Withdraw an intent", "Withdraw an intent: the configuration it applied is removed from its devices (changes made since by others are kept). Two-step: without confirmation_token it returns what would be undone and a token; call again with the token to withdraw.", writeHints,
			`{"type": "object", "additionalProperties": false, "required": ["id"], "properties": {
    "id": {"type": "string", "minLength": 1},
    "reason": {"type": "string"},
    "confirmation_token": {"type": "string", "description": "The token a previous call without it returned. Without it, nothing is withdrawn: the call returns what withdrawing would undo, and a token."},
    "wait": {"type": "boolean", "default": true, "description": "Wait until the configuration is removed."}}}`, withdrawOut),
			scope: auth.IntentsWrite, run: s.withdrawIntent},
	}
	if s.cfg.Parser != nil {
		ts = append(ts, &tool{def: newTool("parse_request", "Parse a request", "Turn a natural-language request (English or Chinese) into an intent to confirm, or a question when something is missing. Nothing is applied: pass the intent to plan_intent.", hints{readOnly: true},
			`{"type": "object", "additionalProperties": false, "required": ["text"], "properties": {
    "text": {"type": "string", "minLength": 1},
    "session": {"type": "string", "description": "Ties turns of one conversation together."},
    "lang": {"type": "string", "enum": ["en", "zh"]}}}`,
			`{"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}, "intent": {"type": "object"}, "summary": {"type": "string"}, "question": {"type": "string"}, "candidates": {"anyOf": [{"type": "array"}, {"type": "null"}]}}}`),
			scope: auth.IntentsRead, run: s.parseRequest})
	}
	if s.cfg.Transactions != nil {
		ts = append(ts, &tool{def: newTool("txn_status", "Transaction status", "Return a two-phase-commit transaction's state, the furthest phase it reached, its progress and each device's last step and outcome (prepared, committed, confirmed, rolled back, ...), by transaction id or by the id of the intent it applied (its latest transaction).", readHints,
			`{"type": "object", "additionalProperties": false, "properties": {
    "txn": {"type": "string", "minLength": 1, "description": "Transaction id (tx-...). Give txn or intent."},
    "intent": {"type": "string", "minLength": 1, "description": "Intent id: its latest transaction."}}}`,
			`{"type": "object", "required": ["txn", "state", "running", "percent", "devices"], "properties": {
    "txn": {"type": "string"}, "intent": {"type": "string"},
    "state": {"type": "string", "description": "preparing, prepared, committing, committed, verifying, confirmed; aborting, aborted, rolling-back, rolled-back, failed"},
    "phase": {"type": "string", "description": "the furthest phase reached (once ended)"},
    "reason": {"type": "string"}, "running": {"type": "boolean"}, "percent": {"type": "integer"},
    "devices": {"type": "array", "items": {"type": "object", "required": ["device"], "properties": {"device": {"type": "string"}, "step": {"type": "string"}, "outcome": {"type": "string"}, "phase": {"type": "string"}, "undo_by": {"type": "string"}, "error": {"type": "object"}}}},
    "created_at": {"type": "string"}, "updated_at": {"type": "string"}}}`),
			scope: auth.IntentsRead, run: s.txnStatus})
	}
	if s.cfg.Telemetry != nil {
		ts = append(ts, &tool{def: newTool("query_telemetry", "Query telemetry", "Query the telemetry store: a metric's series for a device over a recent window.", readHints,
			`{"type": "object", "additionalProperties": false, "required": ["metric"], "properties": {
    "metric": {"type": "string", "minLength": 1},
    "device": {"type": "string"},
    "since": {"type": "string", "description": "Go duration, e.g. 5m."},
    "limit": {"type": "integer", "minimum": 1, "maximum": 10000}}}`,
			`{"type": "object", "required": ["result"], "properties": {"result": {"type": "array", "description": "the service's answer: the series (telemetry) or the matching cases (knowledge)", "items": {"type": "object", "additionalProperties": true}}}}`),
			scope: auth.TelemetryRead, run: s.queryTelemetry})
	}
	if s.cfg.Knowledge != nil {
		ts = append(ts, &tool{def: newTool("search_knowledge", "Search the knowledge base", "Search the knowledge base of known problems and fixes.", readHints,
			`{"type": "object", "additionalProperties": false, "required": ["query"], "properties": {
    "query": {"type": "string", "minLength": 1},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100}}}`,
			`{"type": "object", "required": ["result"], "properties": {"result": {"type": "array", "description": "the service's answer: the series (telemetry) or the matching cases (knowledge)", "items": {"type": "object", "additionalProperties": true}}}}`),
			scope: auth.KnowledgeRead, run: s.searchKnowledge})
	}
	return ts
}

// specPointer maps the pointers of an intent built from a write tool's
// arguments back to those arguments.
func specPointer(p string) string {
	switch {
	case strings.HasPrefix(p, "/spec"):
		return strings.TrimPrefix(p, "/spec")
	case strings.HasPrefix(p, "/targets"):
		return strings.TrimPrefix(p, "/targets")
	}
	return p
}

func intentPointer(p string) string { return "/intent" + p }

func decode(args json.RawMessage, v any) error {
	if err := json.Unmarshal(args, v); err != nil {
		return &intent.InvalidError{Stage: intent.StageSchema, Problems: []intent.Problem{{Reason: err.Error()}}}
	}
	return nil
}

func (s *Server) listDevices(ctx context.Context, c *call, _ json.RawMessage) (any, error) {
	ds, err := s.cfg.Devices.List(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]any{"devices": ds}, nil
}

// LeafValue is one configuration leaf.
type LeafValue struct {
	Path  string `json:"path"`
	Value any    `json:"value"`
}

func (s *Server) getConfig(ctx context.Context, c *call, args json.RawMessage) (any, error) {
	var a struct{ Device, Path string }
	if err := decode(args, &a); err != nil {
		return nil, err
	}
	var p yang.Path
	if a.Path != "" && a.Path != "/" {
		var err error
		if p, err = yang.ParsePath(a.Path); err != nil {
			return nil, &intent.InvalidError{Stage: intent.StageSchema, Problems: []intent.Problem{{Pointer: "/path", Reason: err.Error()}}}
		}
	}
	t, err := s.cfg.Devices.Config(ctx, a.Device, p)
	if err != nil {
		return nil, err
	}
	leaves := []LeafValue{}
	for _, l := range t.Subtree(p) {
		leaves = append(leaves, LeafValue{Path: l.Path.String(), Value: l.Value})
	}
	return map[string]any{"device": a.Device, "path": a.Path, "leaves": leaves}, nil
}

func (s *Server) getState(ctx context.Context, c *call, args json.RawMessage) (any, error) {
	var a struct{ Device, Path string }
	if err := decode(args, &a); err != nil {
		return nil, err
	}
	if _, err := yang.ParseAnyPath(a.Path); err != nil {
		return nil, &intent.InvalidError{Stage: intent.StageSchema, Problems: []intent.Problem{{Pointer: "/path", Reason: err.Error()}}}
	}
	us, err := s.cfg.Devices.State(ctx, a.Device, a.Path)
	if err != nil {
		return nil, err
	}
	type upd struct {
		Path  string    `json:"path"`
		Value any       `json:"value"`
		Time  time.Time `json:"time"`
	}
	out := []upd{}
	for _, u := range us {
		v := u.Value
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		out = append(out, upd{Path: u.Path, Value: v, Time: u.Time})
	}
	return map[string]any{"device": a.Device, "path": a.Path, "updates": out}, nil
}

// writeArgs are the arguments every write tool shares.
type writeArgs struct {
	ID                string            `json:"id"`
	Devices           []string          `json:"devices"`
	Selector          map[string]string `json:"selector"`
	ConfirmationToken string            `json:"confirmation_token"`
	Wait              *bool             `json:"wait"`
}

func (w writeArgs) wait() bool { return w.Wait == nil || *w.Wait }

// check refuses calls that name no targets, or both kinds: the schema
// cannot say so portably (clients reject a top-level oneOf).
func (w writeArgs) check() error {
	switch {
	case len(w.Devices) == 0 && len(w.Selector) == 0:
		return &intent.InvalidError{Stage: intent.StageSchema, Problems: []intent.Problem{{Pointer: "/devices", Reason: "give devices (inventory names) or selector (labels)"}}}
	case len(w.Devices) > 0 && len(w.Selector) > 0:
		return &intent.InvalidError{Stage: intent.StageSchema, Problems: []intent.Problem{{Pointer: "/selector", Reason: "give devices or selector, not both"}}}
	}
	return nil
}

func (w writeArgs) doc(k intent.Kind, spec map[string]any) map[string]any {
	targets := map[string]any{}
	if len(w.Devices) > 0 {
		targets["devices"] = w.Devices
	}
	if len(w.Selector) > 0 {
		targets["selector"] = w.Selector
	}
	d := map[string]any{"kind": string(k), "targets": targets, "spec": spec}
	if w.ID != "" {
		d["id"] = w.ID
	}
	return d
}

// specWrite is a write tool whose listed arguments are the intent's spec.
func (s *Server) specWrite(k intent.Kind, fields ...string) func(context.Context, *call, json.RawMessage) (any, error) {
	return func(ctx context.Context, c *call, args json.RawMessage) (any, error) {
		var w writeArgs
		var all map[string]json.RawMessage
		if err := decode(args, &w); err != nil {
			return nil, err
		}
		if err := decode(args, &all); err != nil {
			return nil, err
		}
		if err := w.check(); err != nil {
			return nil, err
		}
		spec := map[string]any{}
		for _, f := range fields {
			if v, ok := all[f]; ok {
				spec[f] = v
			}
		}
		return s.write(ctx, c, w.doc(k, spec), w.ConfirmationToken, w.wait())
	}
}

func (s *Server) removeRoute(ctx context.Context, c *call, args json.RawMessage) (any, error) {
	var w writeArgs
	var a struct {
		Prefix string `json:"prefix"`
	}
	if err := decode(args, &w); err != nil {
		return nil, err
	}
	if err := decode(args, &a); err != nil {
		return nil, err
	}
	if err := w.check(); err != nil {
		return nil, err
	}
	return s.write(ctx, c, w.doc(intent.KindStaticRoute, map[string]any{"prefix": a.Prefix, "ensure": "absent"}), w.ConfirmationToken, w.wait())
}

func (s *Server) planIntent(ctx context.Context, c *call, args json.RawMessage) (any, error) {
	var a struct {
		Intent map[string]any `json:"intent"`
	}
	if err := decode(args, &a); err != nil {
		return nil, err
	}
	return s.plan(ctx, c, s.withRequester(c, a.Intent))
}

func (s *Server) submitIntent(ctx context.Context, c *call, args json.RawMessage) (any, error) {
	var a struct {
		Intent            map[string]any `json:"intent"`
		ConfirmationToken string         `json:"confirmation_token"`
		Wait              *bool          `json:"wait"`
	}
	if err := decode(args, &a); err != nil {
		return nil, err
	}
	if !s.cfg.DirectApply && a.ConfirmationToken == "" {
		return nil, fmt.Errorf("%w: call plan_intent first and pass its confirmation_token", ErrTokenMissing)
	}
	return s.write(ctx, c, a.Intent, a.ConfirmationToken, a.Wait == nil || *a.Wait)
}

// WriteResult is the answer of a write tool and of plan_intent.
type WriteResult struct {
	// Status is needs_confirmation (planned, nothing applied), planned
	// (plan_intent under direct apply), or the intent's lifecycle state.
	Status            string         `json:"status"`
	IntentID          string         `json:"intent_id,omitempty"`
	Diff              string         `json:"diff"`
	Plan              *intent.Plan   `json:"plan,omitempty"`
	ConfirmationToken string         `json:"confirmation_token,omitempty"`
	ExpiresAt         *time.Time     `json:"expires_at,omitempty"`
	Record            *intent.Record `json:"record,omitempty"`
	Next              string         `json:"next,omitempty"`
}

// StatusNeedsConfirmation is a write that planned and waits for its token.
const StatusNeedsConfirmation = "needs_confirmation"

func (s *Server) withRequester(c *call, doc map[string]any) map[string]any {
	if doc == nil {
		doc = map[string]any{}
	}
	if _, ok := doc["requester"]; !ok {
		r := c.principal.String()
		if len(r) > 128 {
			r = r[:128]
		}
		doc["requester"] = r
	}
	return doc
}

func (s *Server) plan(ctx context.Context, c *call, doc map[string]any) (*WriteResult, error) {
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	in, plan, err := s.cfg.Intents.Plan(ctx, body)
	if err != nil {
		return nil, err
	}
	c.outcome, c.intentID = "planned", in.ID
	res := &WriteResult{Status: string(intent.StatePlanned), IntentID: in.ID, Diff: plan.Diff(), Plan: plan}
	if !s.cfg.DirectApply {
		tok, exp := s.tokens.issue(in, plan, c.principal.Subject)
		res.Status, res.ConfirmationToken, res.ExpiresAt = StatusNeedsConfirmation, tok, &exp
		res.Next = fmt.Sprintf("review the diff, then call again with the same arguments and confirmation_token before %s", exp.UTC().Format(time.RFC3339))
	}
	return res, nil
}

// ErrTokenMissing: a submission without a confirmation token while two-step
// writes are on.
var ErrTokenMissing = fmt.Errorf("a confirmation token is required")

// write plans doc without a token (two-step), or checks the token against
// a fresh plan and submits doc, then waits for it with progress.
func (s *Server) write(ctx context.Context, c *call, doc map[string]any, token string, wait bool) (any, error) {
	doc = s.withRequester(c, doc)
	if !s.cfg.DirectApply {
		if token == "" {
			return s.plan(ctx, c, doc)
		}
		body, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		// The check must see what the devices hold now, out-of-band
		// changes included, not a cached read.
		in, plan, err := s.cfg.Intents.Plan(intent.WithFreshReads(ctx), body)
		if err != nil {
			return nil, err
		}
		want, err := s.tokens.open(token, in, c.principal.Subject)
		if err != nil {
			return nil, err
		}
		if planDigest(plan) != want {
			return nil, ErrPlanChanged
		}
	}
	id, _ := doc["id"].(string)
	if id == "" {
		id = intent.NewID()
		doc["id"] = id
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	c.intentID = id
	stop := s.progress(ctx, c, id, wait)
	rec, err := s.cfg.Intents.Submit(ctx, body, intent.Source{Channel: "mcp", Ref: c.principal.String()})
	if err != nil {
		stop("")
		return nil, err
	}
	c.outcome = "submitted"
	if rec.Duplicate {
		stop("") // nothing moves: no step to wait for
	} else {
		if wait {
			rec = s.wait(ctx, rec)
		}
		stop(rec.State)
	}
	return &WriteResult{Status: string(rec.State), IntentID: rec.ID, Diff: rec.Plan.Diff(), Plan: rec.Plan, Record: rec}, nil
}

// wait waits until the intent needs no more work, or WaitTimeout, and
// returns the record as it is then.
func (s *Server) wait(ctx context.Context, rec *intent.Record) *intent.Record {
	wctx, cancel := context.WithTimeout(ctx, s.cfg.WaitTimeout)
	defer cancel()
	if r, err := s.cfg.Intents.Wait(wctx, rec.ID); r != nil && (err == nil || wctx.Err() != nil) {
		return r
	}
	return rec
}

// progress forwards the lifecycle events of intent id, and the device
// steps of its changes (Config.Steps), to the client as progress
// notifications while the call runs, when the request asked for progress.
// The returned stop ends it and waits for the sender; given the state the
// call ends in, it first waits (stepWait at most) for that state's event,
// which the service may emit just after the record moved, and for the end
// of every change whose steps began, so the client gets every step before
// the answer.
func (s *Server) progress(ctx context.Context, c *call, id string, wait bool) (stop func(final intent.State)) {
	if c.progress == nil || !wait {
		return func(intent.State) {}
	}
	srv := serverFrom(ctx)
	if srv == nil {
		return func(intent.State) {}
	}
	var mu sync.Mutex // protects last and open
	var last intent.State
	open := 0 // changes whose steps began and did not end
	changed := make(chan struct{}, 1)
	poke := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	msgs := make(chan string, 256)
	enqueue := func(m string) {
		select {
		case msgs <- m:
		default: // never block the service; a dropped step is only a missed update
		}
	}
	cancel := s.cfg.Intents.Subscribe(func(e intent.Event) {
		if e.ID != id {
			return
		}
		enqueue(fmt.Sprintf("intent %s: %s: %s", e.ID, e.State, e.Reason))
		mu.Lock()
		last = e.State
		mu.Unlock()
		poke()
	})
	stopSteps := func() {}
	if s.cfg.Steps != nil {
		stopSteps = s.cfg.Steps.Watch(id, func(st DeviceStep) {
			enqueue(stepMessage(st))
			mu.Lock()
			switch st.Step {
			case StepBegin:
				open++
			case StepEnd:
				open = max(open-1, 0)
			}
			mu.Unlock()
			poke()
		})
	}
	// Each notification waits until the last one was written to the
	// session's stream (deliveries): they reach the client in order, and
	// before the answer.
	wrote := func(context.Context, int64, time.Duration) bool { return true }
	unwatch := func() {}
	if d := deliveriesFrom(ctx); d != nil {
		if tok, err := json.Marshal(c.progress); err == nil {
			wrote, unwatch = d.d.watch(d.session, string(tok))
		}
	}
	done := make(chan struct{})
	quit := make(chan struct{})
	n, sent := 0, int64(0) // the sender's: read after done
	go func() {
		defer close(done)
		inOrder := true // until a notification is not seen written in time
		send := func(m string) {
			n++
			if srv.SendNotificationToClient(ctx, "notifications/progress", map[string]any{
				"progressToken": c.progress, "progress": n, "message": m}) == nil {
				sent++
				if inOrder {
					inOrder = wrote(ctx, sent, stepWait)
				}
			}
		}
		for {
			select {
			case m := <-msgs:
				send(m)
			case <-quit:
				for {
					select {
					case m := <-msgs:
						send(m)
					default:
						return
					}
				}
			}
		}
	}()
	return func(final intent.State) {
		deadline := time.NewTimer(stepWait)
		defer deadline.Stop()
		for final != "" {
			mu.Lock()
			settled := last == final && open == 0
			mu.Unlock()
			if settled {
				break
			}
			select {
			case <-changed:
				continue
			case <-deadline.C:
			case <-ctx.Done():
			}
			break
		}
		cancel()
		stopSteps()
		close(quit)
		<-done
		// Answer once what was sent is on the wire (stepWait at most).
		wrote(ctx, sent, stepWait)
		unwatch()
	}
}

// stepWait bounds how long a write's answer waits for its last progress
// steps: they normally follow within milliseconds, and the bound only
// matters when something is lost; generous, for a loaded machine.
const stepWait = 10 * time.Second

func (s *Server) intentStatus(ctx context.Context, c *call, args json.RawMessage) (any, error) {
	var a struct{ ID string }
	if err := decode(args, &a); err != nil {
		return nil, err
	}
	c.intentID = a.ID
	return s.cfg.Intents.Get(ctx, a.ID)
}

// WithdrawResult is the answer of withdraw_intent.
type WithdrawResult struct {
	// Status is needs_confirmation (nothing withdrawn yet) or the intent's state.
	Status   string `json:"status"`
	IntentID string `json:"intent_id"`
	// Diff is what withdrawing removes or restores, device by device.
	Diff              string         `json:"diff"`
	ConfirmationToken string         `json:"confirmation_token,omitempty"`
	ExpiresAt         *time.Time     `json:"expires_at,omitempty"`
	Record            *intent.Record `json:"record,omitempty"`
	Next              string         `json:"next,omitempty"`
}

func undoDiff(p *intent.Plan) string {
	if p == nil {
		return ""
	}
	var b strings.Builder
	for _, d := range p.Devices {
		fmt.Fprintf(&b, "%s:\n", d.Device)
		if len(d.Undo) == 0 {
			b.WriteString("  (no changes)\n")
		}
		for _, c := range d.Undo {
			fmt.Fprintf(&b, "  %s\n", c)
		}
	}
	return b.String()
}

func (s *Server) withdrawIntent(ctx context.Context, c *call, args json.RawMessage) (any, error) {
	var a struct {
		ID                string `json:"id"`
		Reason            string `json:"reason"`
		Wait              *bool  `json:"wait"`
		ConfirmationToken string `json:"confirmation_token"`
	}
	if err := decode(args, &a); err != nil {
		return nil, err
	}
	c.intentID = a.ID
	if !s.cfg.DirectApply {
		rec, err := s.cfg.Intents.Get(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		what, state := withdrawDigests(rec)
		if a.ConfirmationToken == "" {
			tok, exp := s.tokens.issueFor(what, state, c.principal.Subject)
			c.outcome = "planned"
			return &WithdrawResult{Status: StatusNeedsConfirmation, IntentID: rec.ID, Diff: undoDiff(rec.Plan), ConfirmationToken: tok, ExpiresAt: &exp, Record: rec,
				Next: fmt.Sprintf("review the diff, then call again with confirmation_token before %s", exp.UTC().Format(time.RFC3339))}, nil
		}
		want, err := s.tokens.openFor(a.ConfirmationToken, what, c.principal.Subject)
		if err != nil {
			return nil, err
		}
		if want != state {
			return nil, ErrPlanChanged
		}
	}
	reason := "withdrawn over MCP by " + c.principal.String()
	if a.Reason != "" {
		reason += ": " + a.Reason
	}
	wait := a.Wait == nil || *a.Wait
	stop := s.progress(ctx, c, a.ID, wait)
	rec, err := s.cfg.Intents.Withdraw(ctx, a.ID, reason)
	if err != nil {
		stop("")
		return nil, err
	}
	c.outcome = "submitted"
	if wait {
		rec = s.wait(ctx, rec)
	}
	stop(rec.State)
	return &WithdrawResult{Status: string(rec.State), IntentID: rec.ID, Diff: undoDiff(rec.Plan), Record: rec}, nil
}

func (s *Server) parseRequest(ctx context.Context, c *call, args json.RawMessage) (any, error) {
	var req nl.Request
	if err := decode(args, &req); err != nil {
		return nil, err
	}
	return s.cfg.Parser.Parse(ctx, req)
}

func (s *Server) queryTelemetry(ctx context.Context, c *call, args json.RawMessage) (any, error) {
	var q TelemetryQuery
	if err := decode(args, &q); err != nil {
		return nil, err
	}
	if q.Since != "" {
		if _, err := time.ParseDuration(q.Since); err != nil {
			return nil, &intent.InvalidError{Stage: intent.StageSchema, Problems: []intent.Problem{{Pointer: "/since", Reason: "must be a Go duration such as 5m: " + err.Error()}}}
		}
	}
	r, err := s.cfg.Telemetry.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	return map[string]any{"result": r}, nil
}

func (s *Server) searchKnowledge(ctx context.Context, c *call, args json.RawMessage) (any, error) {
	var a struct {
		Query string `json:"query"`
		Limit int    `json:"limit"`
	}
	if err := decode(args, &a); err != nil {
		return nil, err
	}
	if a.Limit == 0 {
		a.Limit = 10
	}
	r, err := s.cfg.Knowledge.Search(ctx, a.Query, a.Limit)
	if err != nil {
		return nil, err
	}
	return map[string]any{"result": r}, nil
}
