package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/synth"
)

// Admin API (JSON over HTTP on the lab's host; see the package doc). Every
// route needs the lab's admin token (Authorization: Bearer, scope admin),
// which the lab writes to <dir>/credentials/admin.token (mode 0600) and
// names in its state file:
//
//	GET    /v1/lab                              name, credentials, devices, hosts
//	GET    /v1/devices/{name}/faults            active faults and hit counters
//	POST   /v1/devices/{name}/faults            inject a fault.Fault
//	DELETE /v1/devices/{name}/faults?protocol=&kind=   clear faults
//	POST   /v1/links/{endpoint}/{down|up}       link state ("leaf1:e1-1")
//	POST   /v1/anomalies                        script a synth.Anomaly

// LabInfo is the answer of GET /v1/lab.
type LabInfo struct {
	Name        string       `json:"name"`
	Dir         string       `json:"dir"`
	Credentials Credentials  `json:"credentials"`
	Devices     []DeviceInfo `json:"devices"`
	Hosts       []HostInfo   `json:"hosts,omitempty"`
}

// FaultInfo is the answer of GET /v1/devices/{name}/faults.
type FaultInfo struct {
	Faults []fault.Fault     `json:"faults"`
	Hits   map[string]uint64 `json:"hits"`
}

type adminServer struct {
	addr string
	srv  *http.Server
	done chan error
	// tokenFile holds the admin token (mode 0600) beside the lab's
	// credentials; token is its secret.
	tokenFile string
	token     string
}

func startAdmin(l *Lab, host string) (*adminServer, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, err
	}
	tokens, err := auth.OpenTokenStore(filepath.Join(l.dir, "credentials", "admin-tokens.json"))
	if err != nil {
		ln.Close()
		return nil, err
	}
	tokenFile := filepath.Join(l.dir, "credentials", "admin.token")
	if _, err := auth.Bootstrap(tokens, tokenFile); err != nil {
		ln.Close()
		return nil, err
	}
	secret, err := auth.ReadSecretFile(tokenFile)
	if err != nil {
		ln.Close()
		return nil, err
	}
	layer, err := auth.NewLayer(auth.WithTokens(tokens), auth.WithRealm("netagent-lab"))
	if err != nil {
		ln.Close()
		return nil, err
	}
	a := &adminServer{
		addr: ln.Addr().String(),
		srv: &http.Server{Handler: layer.Handler(l.AdminRoutes()), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10},
		done:      make(chan error, 1),
		tokenFile: tokenFile,
		token:     secret,
	}
	go func() {
		err := a.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		a.done <- err
	}()
	return a, nil
}

// AdminRoutes lists the admin API's routes, each with scope admin: the
// server mounts them behind the auth layer, tests walk them.
func (l *Lab) AdminRoutes() []auth.Route {
	var routes []auth.Route
	handle := func(pattern string, h http.HandlerFunc) {
		routes = append(routes, auth.Route{Pattern: pattern, Scope: auth.Admin, Handler: h})
	}
	handle("GET /v1/lab", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, l.Info())
	})
	handle("GET /v1/devices/{name}/faults", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		fs, err := l.Faults(name)
		if err != nil {
			writeErr(w, err)
			return
		}
		hits, _ := l.FaultHits(name)
		writeJSON(w, http.StatusOK, FaultInfo{Faults: fs, Hits: hits})
	})
	handle("POST /v1/devices/{name}/faults", func(w http.ResponseWriter, r *http.Request) {
		var f fault.Fault
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "fault: " + err.Error()})
			return
		}
		if err := l.InjectFault(r.PathValue("name"), f); err != nil {
			writeErr(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	handle("DELETE /v1/devices/{name}/faults", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		n, err := l.ClearFaults(r.PathValue("name"), fault.Protocol(q.Get("protocol")), fault.Kind(q.Get("kind")))
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"cleared": n})
	})
	handle("POST /v1/links/{endpoint}/{state}", func(w http.ResponseWriter, r *http.Request) {
		st := r.PathValue("state")
		if st != "up" && st != "down" {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "state is up or down"})
			return
		}
		if err := l.SetLink(r.PathValue("endpoint"), st == "up"); err != nil {
			writeErr(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	handle("POST /v1/anomalies", func(w http.ResponseWriter, r *http.Request) {
		var a synth.Anomaly
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "anomaly: " + err.Error()})
			return
		}
		if err := l.AddAnomaly(a); err != nil {
			writeErr(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return routes
}

func (a *adminServer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := a.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// A connection that never sent a request (a client's spare dial)
		// counts as active for its first seconds: close it, the lab is
		// going away.
		err = a.srv.Close()
	}
	return errors.Join(err, <-a.done)
}

// Info describes the lab as the admin API and `netagent lab list` show it.
func (l *Lab) Info() LabInfo {
	return LabInfo{Name: l.topo.Name, Dir: l.dir, Credentials: l.creds, Devices: l.Devices(), Hosts: l.Hosts()}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, err error) {
	code := http.StatusBadRequest
	if errors.Is(err, ErrUnknownDevice) || errors.Is(err, ErrUnknownLink) {
		code = http.StatusNotFound
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func pid() int { return os.Getpid() }

// ReadState reads the state file of a running lab in dir.
func ReadState(dir string) (State, error) {
	b, err := os.ReadFile(dir + string(os.PathSeparator) + stateFile)
	if err != nil {
		return State{}, fmt.Errorf("lab state in %s: %w", dir, err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, fmt.Errorf("lab state in %s: %w", dir, err)
	}
	return st, nil
}
