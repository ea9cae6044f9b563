package knowledge

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	"github.com/netagent/netagent/internal/auth"
)

// Handler serves the knowledge API:
//
//	GET  /v1/knowledge?q=&limit=  search (no q: list, paged with after=)
//	GET  /v1/knowledge/{id}       one case with its sightings and impact
//	POST /v1/knowledge            add a case, or correct one (same id)
//	GET  /v1/knowledge:export     every case, as an Export document
//	POST /v1/knowledge:import     an Export document, all or nothing
//
// Refusals are RFC 9457 problems (application/problem+json) listing each
// problem with its JSON pointer and reason. Safe for concurrent use.
type Handler struct {
	base *Base
	log  *slog.Logger
}

// NewHandler returns the API over b. A nil logger discards logs.
func NewHandler(b *Base, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{base: b, log: log}
}

// Routes returns the API's routes with the scope each requires.
func (h *Handler) Routes() []auth.Route {
	return []auth.Route{
		{Pattern: "GET /v1/knowledge", Scope: auth.KnowledgeRead, Handler: http.HandlerFunc(h.search)},
		{Pattern: "GET /v1/knowledge/{id}", Scope: auth.KnowledgeRead, Handler: http.HandlerFunc(h.get)},
		{Pattern: "POST /v1/knowledge", Scope: auth.KnowledgeWrite, Handler: http.HandlerFunc(h.put)},
		{Pattern: "GET /v1/knowledge:export", Scope: auth.KnowledgeRead, Handler: http.HandlerFunc(h.export)},
		{Pattern: "POST /v1/knowledge:import", Scope: auth.KnowledgeWrite, Handler: http.HandlerFunc(h.importCases)},
	}
}

// HTTPProblem is an RFC 9457 problem detail.
type HTTPProblem struct {
	Type     string    `json:"type"`
	Title    string    `json:"title"`
	Status   int       `json:"status"`
	Detail   string    `json:"detail,omitempty"`
	Instance string    `json:"instance,omitempty"`
	Errors   []Problem `json:"errors,omitempty"`
}

// SearchResult is the answer of GET /v1/knowledge.
type SearchResult struct {
	Query   string  `json:"query,omitempty"`
	Matches []Match `json:"matches,omitempty"`
	Cases   []*Case `json:"cases,omitempty"`
	// Next continues a listing (after=Next).
	Next string `json:"next,omitempty"`
}

func (h *Handler) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			h.problem(w, r, http.StatusBadRequest, "Bad query", "limit must be an integer from 1 to 1000", nil)
			return
		}
		limit = n
	}
	if text := q.Get("q"); text != "" {
		ms, err := h.base.Search(r.Context(), text, limit)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, SearchResult{Query: text, Matches: ms})
		return
	}
	if limit == 0 {
		limit = 100
	}
	cs, err := h.base.List(r.Context(), q.Get("after"), limit)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	res := SearchResult{Cases: cs}
	if len(cs) == limit {
		res.Next = cs[len(cs)-1].ID
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	c, err := h.base.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, ErrNotFound) {
		h.problem(w, r, http.StatusNotFound, "Not found", "no case has id "+strconv.Quote(r.PathValue("id")), nil)
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (h *Handler) put(w http.ResponseWriter, r *http.Request) {
	body, ok := h.body(w, r)
	if !ok {
		return
	}
	c, err := DecodeCase(body)
	if err != nil {
		h.invalid(w, r, err)
		return
	}
	out, created, err := h.base.Put(r.Context(), c)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
		w.Header().Set("Location", "/v1/knowledge/"+out.ID)
	}
	h.log.Info("knowledge case stored", "case", out.ID, "created", created, "revision", out.Revision)
	writeJSON(w, code, out)
}

func (h *Handler) export(w http.ResponseWriter, r *http.Request) {
	ex, err := h.base.Export(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="netagent-knowledge.json"`)
	writeJSON(w, http.StatusOK, ex)
}

// ImportResult is the answer of POST /v1/knowledge:import.
type ImportResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

func (h *Handler) importCases(w http.ResponseWriter, r *http.Request) {
	body, ok := h.body(w, r)
	if !ok {
		return
	}
	ex, err := DecodeExport(body)
	if err != nil {
		h.invalid(w, r, err)
		return
	}
	created, updated, err := h.base.Import(r.Context(), ex)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.log.Info("knowledge imported", "created", created, "updated", updated)
	writeJSON(w, http.StatusOK, ImportResult{Created: created, Updated: updated})
}

func (h *Handler) body(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			h.problem(w, r, http.StatusUnsupportedMediaType, "Unsupported media type", "send application/json", nil)
			return nil, false
		}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxDocument))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		h.problem(w, r, http.StatusRequestEntityTooLarge, "Request body too large", "at most 16 MiB", nil)
		return nil, false
	}
	if err != nil {
		h.problem(w, r, http.StatusBadRequest, "Bad request", err.Error(), nil)
		return nil, false
	}
	return b, true
}

func (h *Handler) invalid(w http.ResponseWriter, r *http.Request, err error) {
	var ie *InvalidError
	if !errors.As(err, &ie) {
		h.internal(w, r, err)
		return
	}
	h.problem(w, r, http.StatusUnprocessableEntity, "Invalid case", "nothing was stored; see errors", ie.Problems)
}

func (h *Handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("knowledge api", "path", r.URL.Path, "err", err)
	h.problem(w, r, http.StatusInternalServerError, "Internal error", err.Error(), nil)
}

func (h *Handler) problem(w http.ResponseWriter, r *http.Request, status int, title, detail string, ps []Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(HTTPProblem{Type: "/problems/knowledge", Title: title, Status: status, Detail: detail, Instance: r.URL.Path, Errors: ps})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
