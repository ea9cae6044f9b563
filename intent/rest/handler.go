package rest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/internal/auth"
)

//go:embed openapi.json
var openapi []byte

// OpenAPI returns the OpenAPI 3.1 description of the API.
func OpenAPI() []byte { return append([]byte(nil), openapi...) }

// maxRulesBytes bounds a natural-language rule set upload.
const maxRulesBytes = 1 << 20

// Handler serves the intent REST API. It is safe for concurrent use.
type Handler struct {
	svc *intent.Service
	nl  *nl.Parser
	log *slog.Logger
}

// New returns the REST handler over a service and a natural-language
// parser. A nil logger discards logs.
func New(svc *intent.Service, parser *nl.Parser, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{svc: svc, nl: parser, log: log}
}

// Routes returns every route of the API with the scope it requires.
func (h *Handler) Routes() []auth.Route {
	return []auth.Route{
		{Pattern: "POST /v1/intents", Scope: auth.IntentsWrite, Handler: http.HandlerFunc(h.submit)},
		{Pattern: "POST /v1/intents:plan", Scope: auth.IntentsRead, Handler: http.HandlerFunc(h.plan)},
		{Pattern: "POST /v1/intents:parse", Scope: auth.IntentsRead, Handler: http.HandlerFunc(h.parse)},
		{Pattern: "GET /v1/intents", Scope: auth.IntentsRead, Handler: http.HandlerFunc(h.list)},
		{Pattern: "GET /v1/intents/{id}", Scope: auth.IntentsRead, Handler: http.HandlerFunc(h.get)},
		{Pattern: "DELETE /v1/intents/{id}", Scope: auth.IntentsWrite, Handler: http.HandlerFunc(h.withdraw)},
		{Pattern: "GET /v1/schemas", Scope: auth.IntentsRead, Handler: http.HandlerFunc(h.schemas)},
		{Pattern: "GET /v1/schemas/{kind}", Scope: auth.IntentsRead, Handler: http.HandlerFunc(h.schema)},
		{Pattern: "GET /v1/nl/rules", Scope: auth.IntentsRead, Handler: http.HandlerFunc(h.getRules)},
		{Pattern: "PUT /v1/nl/rules", Scope: auth.Admin, Handler: http.HandlerFunc(h.putRules)},
		{Pattern: "GET /v1/openapi.json", Scope: auth.Public, Handler: http.HandlerFunc(h.openapi)},
	}
}

// Register adds every route to m, an *http.ServeMux, without checking
// credentials: the agent mounts Routes behind its authentication layer.
func (h *Handler) Register(m interface{ Handle(string, http.Handler) }) {
	for _, rt := range h.Routes() {
		m.Handle(rt.Pattern, rt.Handler)
	}
}

// readBody reads a JSON request body of at most intent.MaxBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "application/problem+json") {
			return nil, errUnsupportedMedia
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, intent.MaxBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, fmt.Errorf("%w: %w", intent.ErrTooLarge, &intent.InvalidError{Stage: intent.StageSyntax, Problems: []intent.Problem{{Pointer: "",
			Reason: fmt.Sprintf("the body is larger than the limit of %d bytes (1 MiB)", intent.MaxBytes)}}})
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading the body: %w", intent.ErrMalformed, err)
	}
	return body, nil
}

var errUnsupportedMedia = errors.New("rest: unsupported media type")

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errUnsupportedMedia) {
		writeProblem(w, Problem{Type: typeMedia, Title: "Unsupported media type", Status: http.StatusUnsupportedMediaType,
			Detail: "send application/json", Instance: r.URL.Path, Stage: intent.StageSyntax,
			Errors: []intent.Problem{{Pointer: "", Reason: fmt.Sprintf("Content-Type %q is not application/json", r.Header.Get("Content-Type"))}}})
		return
	}
	p := problemFor(r, err)
	if p.Status >= 500 && p.Device == "" {
		h.log.Error("intent api", "method", r.Method, "path", r.URL.Path, "err", err)
		p.Detail = "internal error; see the agent's log"
	}
	writeProblem(w, p)
}

func source(r *http.Request) intent.Source {
	return intent.Source{Channel: "rest", Ref: r.RemoteAddr}
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rec, err := h.svc.Submit(r.Context(), body, source(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if rec.DryRun {
		writeJSON(w, http.StatusOK, view(rec, 0, DevicePage))
		return
	}
	w.Header().Set("Location", "/v1/intents/"+url.PathEscape(rec.ID))
	code := http.StatusAccepted
	if rec.Duplicate {
		code = http.StatusOK
	}
	writeJSON(w, code, view(rec, 0, DevicePage))
}

// PlanResult is the answer to a dry run.
type PlanResult struct {
	Intent *intent.Intent `json:"intent"`
	Plan   *intent.Plan   `json:"plan"`
	Diff   string         `json:"diff"`
}

func (h *Handler) plan(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, plan, err := h.svc.Plan(r.Context(), body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, PlanResult{Intent: in, Plan: plan, Diff: plan.Diff()})
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	win, err := devicesParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rec, err := h.svc.GetWindow(r.Context(), r.PathValue("id"), win)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, windowView(rec, win))
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lq := intent.ListQuery{State: intent.State(q.Get("state")), PageToken: q.Get("page_token")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			h.fail(w, r, &intent.InvalidError{Stage: intent.StageSyntax, Problems: []intent.Problem{{Pointer: "",
				Reason: fmt.Sprintf("limit %q must be a whole number from 1 to 1000", s)}}})
			return
		}
		lq.Limit = n
	}
	page, err := h.svc.List(r.Context(), lq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Lists carry summaries: each plan's totals, none of its devices.
	out := struct {
		Records       []recordView `json:"records"`
		NextPageToken string       `json:"next_page_token,omitempty"`
	}{Records: make([]recordView, len(page.Records)), NextPageToken: page.NextPageToken}
	for i, rec := range page.Records {
		out.Records[i] = view(rec, 0, 0)
	}
	writeJSON(w, http.StatusOK, out)
}

// WithdrawPlan is the answer to a withdraw's dry run: what withdrawing
// the intent would change now, and what it would keep.
type WithdrawPlan struct {
	IntentID string       `json:"intent_id"`
	Plan     *intent.Plan `json:"plan"`
	Diff     string       `json:"diff"`
}

func (h *Handler) withdraw(w http.ResponseWriter, r *http.Request) {
	if dry, err := boolParam(r, "dry_run"); err != nil {
		h.fail(w, r, err)
		return
	} else if dry {
		plan, err := h.svc.PlanWithdraw(r.Context(), r.PathValue("id"))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, WithdrawPlan{IntentID: r.PathValue("id"), Plan: plan, Diff: plan.Diff()})
		return
	}
	reason := "withdrawn over REST by " + r.RemoteAddr
	if p, ok := auth.FromContext(r.Context()); ok {
		reason = "withdrawn over REST by " + p.String() + " from " + r.RemoteAddr
	}
	if q := r.URL.Query().Get("reason"); q != "" {
		reason += ": " + q
	}
	rec, err := h.svc.Withdraw(r.Context(), r.PathValue("id"), reason)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	code := http.StatusAccepted
	if rec.State == intent.StateWithdrawn {
		code = http.StatusOK
	}
	writeJSON(w, code, view(rec, 0, DevicePage))
}

// boolParam reads an optional boolean query parameter.
func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &intent.InvalidError{Stage: intent.StageSyntax, Problems: []intent.Problem{{Pointer: "",
			Reason: fmt.Sprintf("query parameter %s=%q must be true or false", name, v)}}}
	}
	return b, nil
}

// ParseRequest is the body of POST /v1/intents:parse.
type ParseRequest = nl.Request

func (h *Handler) parse(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req nl.Request
	if err := dec.Decode(&req); err != nil || req.Text == "" {
		reason := "the body must be {\"text\": \"...\", \"session\": \"...\", \"lang\": \"en|zh\"} with a non-empty text"
		if err != nil {
			reason += ": " + err.Error()
		}
		h.fail(w, r, &intent.InvalidError{Stage: intent.StageSyntax, Problems: []intent.Problem{{Pointer: "/text", Reason: reason}}})
		return
	}
	res, err := h.nl.Parse(r.Context(), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *Handler) schemas(w http.ResponseWriter, r *http.Request) {
	var kinds []string
	for _, k := range intent.Kinds() {
		kinds = append(kinds, string(k))
	}
	writeJSON(w, http.StatusOK, map[string][]string{"kinds": kinds})
}

func (h *Handler) schema(w http.ResponseWriter, r *http.Request) {
	doc, ok := intent.Schema(intent.Kind(r.PathValue("kind")))
	if !ok {
		h.fail(w, r, fmt.Errorf("%w: no intent kind %q", intent.ErrNotFound, r.PathValue("kind")))
		return
	}
	w.Header().Set("Content-Type", "application/schema+json")
	_, _ = w.Write(doc)
}

func (h *Handler) getRules(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(h.nl.Rules())
}

func (h *Handler) putRules(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRulesBytes))
	if err != nil {
		h.fail(w, r, fmt.Errorf("%w: %w", intent.ErrTooLarge, &intent.InvalidError{Stage: intent.StageSyntax,
			Problems: []intent.Problem{{Reason: "the rule set is larger than 1 MiB"}}}))
		return
	}
	if err := h.nl.LoadRules(body); err != nil {
		h.fail(w, r, &intent.InvalidError{Stage: intent.StageSchema, Problems: []intent.Problem{{Pointer: "", Reason: err.Error()}}})
		return
	}
	h.log.Info("natural-language rules reloaded", "bytes", len(body), "by", r.RemoteAddr)
	writeJSON(w, http.StatusOK, map[string]any{"status": "loaded", "bytes": len(body)})
}

func (h *Handler) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapi)
}

// Serve is a convenience for tests and tools: a mux with every route,
// answering unknown paths and methods as problems (WithProblems).
func (h *Handler) Serve() http.Handler {
	mux := http.NewServeMux()
	h.Register(mux)
	return WithProblems(mux)
}
