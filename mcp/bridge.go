package mcp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Bridge relays MCP between stdio and a running agent's /mcp endpoint:
// `netagent mcp --url`. Each line read is POSTed (concurrently, so a long
// tool call does not hold up others); each JSON answer or server-sent event
// is written back as one line. It carries the session id and the bearer
// token, and never follows redirects (so the token goes nowhere else).
// Server-initiated requests on a standalone GET stream are not relayed:
// netagent's tools make none.
type Bridge struct {
	URL   string
	Token string
	// Client is the HTTP client; nil means one that refuses redirects.
	Client *http.Client

	mu      sync.Mutex // protects session and out
	session string
	out     *bufio.Writer
}

// maxLine bounds one JSON-RPC message read from stdio.
const maxLine = maxRequestBytes

// Run relays until r ends or ctx ends, then waits for answers in flight and
// closes the session.
func (b *Bridge) Run(ctx context.Context, r io.Reader, w io.Writer) error {
	if b.Client == nil {
		b.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	b.out = bufio.NewWriter(w)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var wg sync.WaitGroup
	var first sync.Once
	initDone := make(chan struct{})
	for sc.Scan() {
		msg := bytes.TrimSpace(sc.Bytes())
		if len(msg) == 0 {
			continue
		}
		msg = bytes.Clone(msg)
		isInit := false
		first.Do(func() { isInit = true })
		if isInit {
			// The session id comes with the answer to initialize: send it first, alone.
			b.relay(ctx, msg)
			close(initDone)
			continue
		}
		<-initDone
		wg.Add(1)
		go func() { defer wg.Done(); b.relay(ctx, msg) }()
	}
	wg.Wait()
	b.closeSession()
	if err := sc.Err(); err != nil {
		return fmt.Errorf("mcp bridge: reading stdin: %w", err)
	}
	return nil
}

func (b *Bridge) relay(ctx context.Context, msg []byte) {
	var probe struct {
		ID json.RawMessage `json:"id"`
	}
	_ = json.Unmarshal(msg, &probe)
	if err := b.post(ctx, msg); err != nil && len(probe.ID) > 0 {
		// Answer the request so the client does not wait forever.
		e, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": probe.ID, "error": map[string]any{"code": -32603, "message": err.Error()}})
		b.write(e)
	}
}

func (b *Bridge) post(ctx context.Context, msg []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.URL, bytes.NewReader(msg))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	b.headers(req)
	resp, err := b.Client.Do(req)
	if err != nil {
		return fmt.Errorf("mcp bridge: %w", err)
	}
	defer resp.Body.Close()
	if id := resp.Header.Get("Mcp-Session-Id"); id != "" {
		b.mu.Lock()
		b.session = id
		b.mu.Unlock()
	}
	switch {
	case resp.StatusCode == http.StatusAccepted:
		return nil
	case resp.StatusCode >= 300:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("mcp bridge: %s answered %s: %s (WWW-Authenticate: %s)", b.URL, resp.Status, bytes.TrimSpace(body), resp.Header.Get("WWW-Authenticate"))
	case strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream"):
		return b.events(resp.Body)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxLine))
	if err != nil {
		return fmt.Errorf("mcp bridge: %w", err)
	}
	if body = bytes.TrimSpace(body); len(body) > 0 {
		b.write(body)
	}
	return nil
}

// events writes the data of each server-sent event as one line.
func (b *Bridge) events(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			if len(data) > 0 {
				b.write(data)
				data = nil
			}
		case bytes.HasPrefix(line, []byte("data:")):
			if len(data) > 0 {
				data = append(data, '\n')
			}
			data = append(data, bytes.TrimPrefix(bytes.TrimPrefix(line, []byte("data:")), []byte(" "))...)
		}
	}
	if len(data) > 0 {
		b.write(data)
	}
	if err := sc.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("mcp bridge: event stream: %w", err)
	}
	return nil
}

func (b *Bridge) headers(req *http.Request) {
	if b.Token != "" {
		req.Header.Set("Authorization", "Bearer "+b.Token)
	}
	b.mu.Lock()
	if b.session != "" {
		req.Header.Set("Mcp-Session-Id", b.session)
	}
	b.mu.Unlock()
}

func (b *Bridge) write(line []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.out.Write(line)
	b.out.WriteByte('\n')
	b.out.Flush()
}

func (b *Bridge) closeSession() {
	b.mu.Lock()
	id := b.session
	b.mu.Unlock()
	if id == "" {
		return
	}
	req, err := http.NewRequest(http.MethodDelete, b.URL, nil)
	if err != nil {
		return
	}
	b.headers(req)
	if resp, err := b.Client.Do(req); err == nil {
		resp.Body.Close()
	}
}
