package txn

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/netagent/netagent/internal/auth"
)

// Routes is the transaction API, each route with the scope it needs:
//
//	GET /v1/txns?intent=&state=&limit=  stored transactions, newest first
//	GET /v1/txns/{id}                   one, with its result once it ended
//	GET /v1/txns/{id}/events            progress as Server-Sent Events
//
// The event stream starts with a snapshot of the current state (or, with
// Last-Event-ID, replays the events after it) and ends after the outcome
// event. A transaction that ended long ago streams its outcome only.
func (c *Coordinator) Routes() []auth.Route {
	return []auth.Route{
		{Pattern: "GET /v1/txns", Scope: auth.IntentsRead, Handler: http.HandlerFunc(c.handleList)},
		{Pattern: "GET /v1/txns/{id}", Scope: auth.IntentsRead, Handler: http.HandlerFunc(c.handleGet)},
		{Pattern: "GET /v1/txns/{id}/events", Scope: auth.IntentsRead, Handler: http.HandlerFunc(c.handleEvents)},
	}
}

// problem is an RFC 9457 problem detail.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
}

func writeProblem(w http.ResponseWriter, r *http.Request, status int, typ, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{Type: typ, Title: title, Status: status, Detail: detail, Instance: r.URL.Path})
}

func writeErr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNotFound) {
		writeProblem(w, r, http.StatusNotFound, "/problems/not-found", "Not found", err.Error())
		return
	}
	writeProblem(w, r, http.StatusInternalServerError, "/problems/internal", "Internal error", err.Error())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (c *Coordinator) handleList(w http.ResponseWriter, r *http.Request) {
	q := ListQuery{Intent: r.URL.Query().Get("intent"), State: State(r.URL.Query().Get("state"))}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 1000 {
			writeProblem(w, r, http.StatusBadRequest, "/problems/malformed-request", "Malformed request", fmt.Sprintf("limit %q: want 1 to 1000", s))
			return
		}
		q.Limit = n
	}
	l, err := c.List(r.Context(), q)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	writeJSON(w, map[string]any{"txns": l})
}

// Status is GET /v1/txns/{id}: the stored transaction and, while it runs,
// its progress.
type Status struct {
	Summary
	Percent int `json:"percent"`
}

func (c *Coordinator) handleGet(w http.ResponseWriter, r *http.Request) {
	s, err := c.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		writeErr(w, r, err)
		return
	}
	st := Status{Summary: *s, Percent: c.hub.percent(s.ID)}
	if s.Result != nil {
		st.Percent = 100
	}
	writeJSON(w, st)
}

func (c *Coordinator) handleEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	fl, ok := w.(http.Flusher)
	if !ok {
		writeProblem(w, r, http.StatusInternalServerError, "/problems/internal", "Internal error", "streaming unsupported")
		return
	}
	var after int64
	if s := r.Header.Get("Last-Event-ID"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			writeProblem(w, r, http.StatusBadRequest, "/problems/malformed-request", "Malformed request", fmt.Sprintf("Last-Event-ID %q is not an event sequence number", s))
			return
		}
		after = n
	}
	// Known at all? A stored transaction not in memory streams its outcome.
	sum, err := c.Get(r.Context(), id)
	if err != nil && !c.hub.has(id) {
		writeErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	send := func(e Event) error {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, b); err != nil {
			return err
		}
		fl.Flush()
		return nil
	}
	found, err := c.Follow(r.Context(), id, after, send)
	if !found && err == nil && sum != nil {
		e := Event{Txn: id, Intent: sum.Intent, Type: "state", State: sum.State, At: sum.UpdatedAt}
		if sum.Result != nil {
			e.Type, e.Result, e.Percent, e.Message = "outcome", sum.Result, 100, sum.Result.Reason
		}
		_ = send(e)
	}
}
