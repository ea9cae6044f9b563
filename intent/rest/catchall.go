package rest

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// methods are those a route pattern may name.
var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// WithProblems serves mux, answering what mux has no route for as
// problem+json: 404 for an unknown path, 405 (with Allow) for a known path
// and another method. Mount it as the API server's handler so every error
// answer of the API, not only the handlers', is a problem.
func WithProblems(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		var allow []string
		for _, m := range methods {
			if m == r.Method {
				continue
			}
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			writeProblem(w, Problem{Type: typeNoRoute, Title: "Not found", Status: http.StatusNotFound, Instance: r.URL.Path,
				Detail: fmt.Sprintf("no such resource: %s; GET /v1/openapi.json lists the API", r.URL.Path)})
			return
		}
		sort.Strings(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblem(w, Problem{Type: typeMethod, Title: "Method not allowed", Status: http.StatusMethodNotAllowed, Instance: r.URL.Path,
			Detail: fmt.Sprintf("%s does not answer %s; it answers %s", r.URL.Path, r.Method, strings.Join(allow, ", "))})
	})
}
