package rest

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/netagent/netagent/intent"
)

// Problem is an RFC 9457 problem detail. Errors lists, for a refused
// intent, every problem found, each with its JSON pointer and reason.
type Problem struct {
	Type     string           `json:"type"`
	Title    string           `json:"title"`
	Status   int              `json:"status"`
	Detail   string           `json:"detail,omitempty"`
	Instance string           `json:"instance,omitempty"`
	Stage    intent.Stage     `json:"stage,omitempty"`
	Errors   []intent.Problem `json:"errors,omitempty"`
	// Device and Phase name, for a device failure (502, 504), the device
	// and what was being done with it; Detail says why.
	Device string `json:"device,omitempty"`
	Phase  string `json:"phase,omitempty"`
}

// Problem type URIs (relative references, resolved against the API).
const (
	typeInvalid   = "/problems/invalid-intent"
	typeMalformed = "/problems/malformed-request"
	typeTooLarge  = "/problems/too-large"
	typeNotFound  = "/problems/not-found"
	typeConflict  = "/problems/conflict"
	typeMedia     = "/problems/unsupported-media-type"
	typeDevice    = "/problems/device-failed"
	typeTimeout   = "/problems/device-timeout"
	typeNoRoute   = "/problems/no-such-route"
	typeMethod    = "/problems/method-not-allowed"
	typeInternal  = "/problems/internal"
)

// problemFor maps a service error to a problem: the edge is the only place
// errors become HTTP status codes.
func problemFor(r *http.Request, err error) Problem {
	p := Problem{Instance: r.URL.Path, Detail: err.Error()}
	var ie *intent.InvalidError
	var de *intent.DeviceError
	switch {
	case errors.As(err, &de) && !errors.As(err, &ie):
		p.Device, p.Phase = de.Device, de.Phase
		p.Type, p.Title, p.Status = typeDevice, "Device failed", http.StatusBadGateway
		if de.Timeout() {
			p.Type, p.Title, p.Status = typeTimeout, "Device timed out", http.StatusGatewayTimeout
		}
	case errors.Is(err, intent.ErrTooLarge):
		p.Type, p.Title, p.Status = typeTooLarge, "Request body too large", http.StatusRequestEntityTooLarge
	case errors.Is(err, intent.ErrMalformed):
		p.Type, p.Title, p.Status = typeMalformed, "Malformed request", http.StatusBadRequest
	case errors.Is(err, intent.ErrInvalid):
		p.Type, p.Title, p.Status = typeInvalid, "Invalid intent", http.StatusUnprocessableEntity
	case errors.Is(err, intent.ErrNotFound):
		p.Type, p.Title, p.Status = typeNotFound, "Not found", http.StatusNotFound
	case errors.Is(err, intent.ErrConflict):
		p.Type, p.Title, p.Status = typeConflict, "Conflict", http.StatusConflict
	default:
		p.Type, p.Title, p.Status = typeInternal, "Internal error", http.StatusInternalServerError
	}
	if errors.As(err, &ie) {
		p.Stage, p.Errors = ie.Stage, ie.Problems
		p.Detail = "the intent was refused at the " + string(ie.Stage) + " check; see errors"
	}
	return p
}

func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
