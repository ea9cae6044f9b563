package netconfsrv

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netagent/netagent/lab/datastore"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/sshsrv"
	"github.com/netagent/netagent/lab/synth"
	"github.com/netagent/netagent/yang"
)

// Capabilities the server announces.
var Capabilities = []string{
	"urn:ietf:params:netconf:base:1.0",
	"urn:ietf:params:netconf:base:1.1",
	"urn:ietf:params:netconf:capability:candidate:1.0",
	"urn:ietf:params:netconf:capability:writable-running:1.0",
	"urn:ietf:params:netconf:capability:confirmed-commit:1.1",
	"urn:ietf:params:netconf:capability:validate:1.1",
	"urn:ietf:params:netconf:capability:rollback-on-error:1.0",
	"urn:ietf:params:netconf:capability:notification:1.0",
	"urn:ietf:params:xml:ns:yang:ietf-netconf-notifications?module=ietf-netconf-notifications&revision=2012-02-06",
	yang.NSInterfaces + "?module=openconfig-interfaces&revision=2023-11-06",
	yang.NSIfIP + "?module=openconfig-if-ip&revision=2023-08-14",
	yang.NSNetworkInstance + "?module=openconfig-network-instance&revision=2023-11-03",
	NSLab + "?module=netagent-lab&revision=2026-01-01",
}

// Config configures a NETCONF server for one device.
type Config struct {
	// Device name, host key, login, session id source (shared by the
	// device's servers) and log.
	sshsrv.Config
	Store  *datastore.Store
	Faults *fault.Set // nil: no faults
	State  func(now time.Time) []synth.Point
}

// Server serves NETCONF over SSH (subsystem "netconf") for one device. It
// is safe for concurrent use. Serve accepts connections on a listener until
// Close; Close drops every session and waits for them.
type Server struct {
	*sshsrv.Server
	cfg Config
	// life ends when Close is called: a commit that has started runs until
	// it is done or life ends, whatever becomes of its session.
	life    context.Context
	endLife context.CancelFunc

	mu       sync.Mutex // protects following fields
	sessions map[uint32]*session
}

// New returns a server; Serve starts it.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("netconf %s: no datastore", cfg.Device)
	}
	if cfg.Faults == nil {
		cfg.Faults = fault.NewSet()
	}
	cfg.Config = cfg.Config.WithDefaults()
	s := &Server{cfg: cfg, sessions: map[uint32]*session{}}
	var err error
	if s.Server, err = sshsrv.New(cfg.Config, sshsrv.Subsystem, s.handle); err != nil {
		return nil, err
	}
	s.life, s.endLife = context.WithCancel(context.Background())
	return s, nil
}

// Close ends every commit still in progress, drops every session and waits
// for them.
func (s *Server) Close() error {
	s.endLife()
	return s.Server.Close()
}

// SessionCount is the number of NETCONF sessions open.
func (s *Server) SessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

type session struct {
	id  uint32
	srv *Server
	ss  *sshsrv.Session
	// work bounds the operations the session has started (a commit under
	// the slow-commit fault): it ends with the server or a kill-session,
	// not when the client goes away.
	work context.Context
	kill context.CancelFunc

	wmu sync.Mutex // serialises writes: replies and notifications

	// subscribe is set by create-subscription; the notifier starts after
	// the reply is written, so no notification overtakes it.
	subscribe  bool
	subscribed bool
	stopNotify context.CancelFunc
	notifyDone chan struct{}
	fr         *Framer
}

func (s *Server) handle(ctx context.Context, ss *sshsrv.Session) {
	sess := &session{id: ss.ID, srv: s, ss: ss, fr: NewFramer(ss.Channel, ss.Channel)}
	sess.work, sess.kill = context.WithCancel(s.life)
	defer sess.kill()
	s.mu.Lock()
	s.sessions[sess.id] = sess
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.sessions, sess.id)
		s.mu.Unlock()
		s.cfg.Store.SessionEnded(sess.id)
	}()
	err := sess.run(ctx)
	if sess.stopNotify != nil {
		sess.stopNotify()
		<-sess.notifyDone
	}
	if err != nil && !errors.Is(err, io.EOF) {
		s.cfg.Log.Debug("netconf session ended", "device", s.cfg.Device, "session", sess.id, "err", err)
	}
}

func (s *session) run(ctx context.Context) error {
	var hello bytes.Buffer
	hello.WriteString(`<?xml version="1.0" encoding="UTF-8"?><hello xmlns="` + NSBase + `"><capabilities>`)
	for _, c := range Capabilities {
		hello.WriteString("<capability>")
		_ = xml.EscapeText(&hello, []byte(c))
		hello.WriteString("</capability>")
	}
	fmt.Fprintf(&hello, "</capabilities><session-id>%d</session-id></hello>", s.id)
	if err := s.fr.WriteMsg(hello.Bytes()); err != nil {
		return err
	}
	msg, err := s.fr.ReadMsg()
	if err != nil {
		return err
	}
	var h node
	if err := xml.Unmarshal(msg, &h); err != nil || h.XMLName.Local != "hello" {
		return fmt.Errorf("netconf %s: session %d: first message is not a hello", s.srv.cfg.Device, s.id)
	}
	caps := h.child("capabilities")
	if caps == nil {
		return fmt.Errorf("netconf %s: session %d: hello without capabilities", s.srv.cfg.Device, s.id)
	}
	for _, c := range caps.Children {
		if strings.TrimSpace(c.Text) == "urn:ietf:params:netconf:base:1.1" {
			s.fr.Chunked = true
		}
	}
	for {
		msg, err := s.fr.ReadMsg()
		if err != nil {
			if errors.Is(err, ErrFrame) || errors.Is(err, ErrTooLarge) {
				_ = s.reply(nil, errorReply(rpcError{Type: "rpc", Tag: "malformed-message", Message: err.Error()}))
			}
			return err
		}
		if err := s.srv.cfg.Faults.HangWhile(ctx, fault.NETCONF); err != nil {
			return err
		}
		if err := s.srv.cfg.Faults.Delay(ctx, fault.NETCONF); err != nil {
			return err
		}
		done, err := s.dispatch(ctx, msg)
		if err != nil || done {
			return err
		}
	}
}

// reply writes an rpc-reply around body, echoing the rpc's attributes.
func (s *session) reply(rpc *node, body []byte) error {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rpc-reply xmlns="` + NSBase + `"`)
	if rpc != nil {
		for _, a := range rpc.Attrs {
			if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" && a.Name.Space == "" {
				if a.Name.Space == "xmlns" {
					fmt.Fprintf(&b, ` xmlns:%s="`, a.Name.Local)
					_ = xml.EscapeText(&b, []byte(a.Value))
					b.WriteString(`"`)
				}
				continue
			}
			if a.Name.Space != "" && a.Name.Space != NSBase {
				continue
			}
			fmt.Fprintf(&b, ` %s="`, a.Name.Local)
			_ = xml.EscapeText(&b, []byte(a.Value))
			b.WriteString(`"`)
		}
	}
	b.WriteString(">")
	b.Write(body)
	b.WriteString("</rpc-reply>")
	return s.write(b.Bytes())
}

func (s *session) write(msg []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.fr.WriteMsg(msg)
}

var okReply = []byte("<ok/>")

// dispatch handles one message; done reports the session should end.
func (s *session) dispatch(ctx context.Context, msg []byte) (done bool, err error) {
	rpc, err := parseNode(msg)
	if err != nil {
		return false, s.reply(nil, errorReply(rpcError{Type: "rpc", Tag: "malformed-message", Message: "malformed XML: " + err.Error()}))
	}
	if rpc.XMLName.Local != "rpc" || rpc.XMLName.Space != NSBase {
		return false, s.reply(nil, errorReply(rpcError{Type: "rpc", Tag: "malformed-message",
			Message: fmt.Sprintf("expected an rpc element in %s, got %q", NSBase, rpc.XMLName.Local)}))
	}
	if _, ok := rpc.attr("message-id"); !ok {
		return false, s.reply(&rpc, errorReply(rpcError{Type: "rpc", Tag: "missing-attribute", Message: "rpc without message-id",
			Info: "<bad-attribute>message-id</bad-attribute><bad-element>rpc</bad-element>"}))
	}
	if len(rpc.Children) != 1 {
		return false, s.reply(&rpc, errorReply(rpcError{Type: "rpc", Tag: "malformed-message", Message: "an rpc holds exactly one operation"}))
	}
	op := &rpc.Children[0]
	body, done, err := s.operation(&rpc, op)
	if err != nil {
		return true, err
	}
	if body == nil {
		return done, nil // the session was dropped on purpose
	}
	if werr := s.reply(&rpc, body); werr != nil {
		return true, werr
	}
	if s.subscribe && !s.subscribed {
		s.subscribed = true
		s.startNotifier(ctx)
	}
	return done, nil
}

func (s *session) store() *datastore.Store { return s.srv.cfg.Store }

func target(op *node, elem string) (datastore.Target, *rpcError) {
	t := op.child(elem)
	if t == nil || len(t.Children) != 1 {
		return "", &rpcError{Type: "protocol", Tag: "missing-element", Message: fmt.Sprintf("%s needs <%s> with one datastore", op.XMLName.Local, elem),
			Info: "<bad-element>" + elem + "</bad-element>"}
	}
	switch name := t.Children[0].XMLName.Local; name {
	case "running":
		return datastore.Running, nil
	case "candidate":
		return datastore.Candidate, nil
	default:
		return "", &rpcError{Type: "protocol", Tag: "invalid-value", Message: fmt.Sprintf("datastore %q is not supported (running, candidate)", name),
			Info: "<bad-element>" + name + "</bad-element>"}
	}
}

// operation runs op; a nil body with no error means the session was dropped.
func (s *session) operation(rpc, op *node) (body []byte, done bool, err error) {
	st := s.store()
	sid := s.id
	switch op.XMLName.Local {
	case "get":
		b, rerr := s.get(rpc, op)
		return replyOr(b, rerr), false, nil
	case "get-config":
		src, rerr := target(op, "source")
		if rerr != nil {
			return errorReply(*rerr), false, nil
		}
		f := op.child("filter")
		if f != nil {
			if rerr := checkFilterType(f); rerr != nil {
				return errorReply(*rerr), false, nil
			}
		}
		// Filtered and encoded in place, under the datastore's lock: no
		// copy of the whole configuration per read.
		var body []byte
		var ferr error
		_ = st.Read(src, func(tree *yang.Tree) {
			if f != nil {
				if tree, ferr = yang.FilterXML(tree, wrap("filter", f, op, rpc)); ferr != nil {
					return
				}
			}
			body = append(append([]byte("<data>"), yang.EncodeTreeXML(tree)...), "</data>"...)
		})
		if ferr != nil {
			return errorReply(fromErr(ferr)...), false, nil
		}
		return body, false, nil
	case "edit-config":
		return s.editConfig(rpc, op), false, nil
	case "lock", "unlock":
		t, rerr := target(op, "target")
		if rerr != nil {
			return errorReply(*rerr), false, nil
		}
		var e error
		if op.XMLName.Local == "lock" {
			e = st.Lock(t, sid)
		} else {
			e = st.Unlock(t, sid)
		}
		if e != nil {
			return errorReply(fromErr(e)...), false, nil
		}
		return okReply, false, nil
	case "validate":
		src, rerr := target(op, "source")
		if rerr != nil {
			if c := op.child("source"); c != nil && c.child("config") != nil {
				return s.validateInline(rpc, op, c.child("config")), false, nil
			}
			return errorReply(*rerr), false, nil
		}
		if e := st.Validate(src); e != nil {
			return errorReply(fromErr(e)...), false, nil
		}
		return okReply, false, nil
	case "commit":
		// The commit runs to its end even if the client goes away meanwhile
		// (the session is torn down after it), as on a real device.
		return s.commit(s.work, op)
	case "cancel-commit":
		pid := ""
		if p := op.child("persist-id"); p != nil {
			pid = strings.TrimSpace(p.Text)
		}
		if e := st.CancelCommit(sid, pid); e != nil {
			return errorReply(fromErr(e)...), false, nil
		}
		return okReply, false, nil
	case "discard-changes":
		if e := st.Discard(sid); e != nil {
			return errorReply(fromErr(e)...), false, nil
		}
		return okReply, false, nil
	case "copy-config":
		return s.copyConfig(rpc, op), false, nil
	case "delete-config":
		t, rerr := target(op, "target")
		if rerr != nil {
			return errorReply(*rerr), false, nil
		}
		// RFC 6241 7.4: the running configuration cannot be deleted; the
		// candidate is reset to running (it cannot be empty either).
		if t == datastore.Running {
			return errorReply(rpcError{Type: "protocol", Tag: "operation-not-supported", Message: "the running datastore cannot be deleted"}), false, nil
		}
		if e := st.Discard(sid); e != nil {
			return errorReply(fromErr(e)...), false, nil
		}
		return okReply, false, nil
	case "create-subscription":
		if s.subscribe {
			return errorReply(rpcError{Type: "protocol", Tag: "operation-failed", Message: "this session already has a subscription"}), false, nil
		}
		if st := op.child("stream"); st != nil && strings.TrimSpace(st.Text) != "NETCONF" {
			return errorReply(rpcError{Type: "application", Tag: "invalid-value", Message: fmt.Sprintf("stream %q does not exist (NETCONF)", strings.TrimSpace(st.Text))}), false, nil
		}
		if op.child("startTime") != nil {
			return errorReply(rpcError{Type: "protocol", Tag: "operation-failed", Message: "replay is not supported"}), false, nil
		}
		s.subscribe = true
		return okReply, false, nil
	case "close-session":
		return okReply, true, nil
	case "kill-session":
		idn := op.child("session-id")
		if idn == nil {
			return errorReply(rpcError{Type: "protocol", Tag: "missing-element", Message: "kill-session needs <session-id>", Info: "<bad-element>session-id</bad-element>"}), false, nil
		}
		id, perr := strconv.ParseUint(strings.TrimSpace(idn.Text), 10, 32)
		if perr != nil || uint32(id) == sid {
			return errorReply(rpcError{Type: "protocol", Tag: "invalid-value", Message: "session-id must be another session's id"}), false, nil
		}
		s.srv.mu.Lock()
		victim := s.srv.sessions[uint32(id)]
		s.srv.mu.Unlock()
		if victim == nil {
			return errorReply(rpcError{Type: "protocol", Tag: "invalid-value", Message: fmt.Sprintf("no session %d", id)}), false, nil
		}
		// RFC 6241 7.9: the victim's operations in progress are aborted.
		victim.kill()
		_ = victim.ss.Close()
		st.SessionEnded(uint32(id))
		return okReply, false, nil
	}
	return errorReply(rpcError{Type: "protocol", Tag: "operation-not-supported",
		Message: fmt.Sprintf("operation %q is not supported", op.XMLName.Local)}), false, nil
}

func replyOr(b []byte, rerr *rpcError) []byte {
	if rerr != nil {
		return errorReply(*rerr)
	}
	return b
}

func checkFilterType(f *node) *rpcError {
	if t, ok := f.attr("type"); ok && t != "subtree" {
		return &rpcError{Type: "protocol", Tag: "bad-attribute", Message: fmt.Sprintf("filter type %q is not supported (subtree)", t),
			Info: "<bad-attribute>type</bad-attribute><bad-element>filter</bad-element>"}
	}
	return nil
}

// get answers <get>: running configuration and state.
func (s *session) get(rpc, op *node) ([]byte, *rpcError) {
	root := &xel{}
	for _, lf := range s.store().Running().Leaves() {
		root.addPoint(lf.Path.String(), lf.Value)
	}
	if s.srv.cfg.State != nil {
		for _, p := range s.srv.cfg.State(time.Now()) {
			root.addPoint(p.Path, p.Value)
		}
	}
	if f := op.child("filter"); f != nil {
		if rerr := checkFilterType(f); rerr != nil {
			return nil, rerr
		}
		var fn node
		if err := xml.Unmarshal(wrap("filter", f, op, rpc), &fn); err != nil {
			return nil, &rpcError{Type: "rpc", Tag: "malformed-message", Message: err.Error()}
		}
		root = root.filter(fn.Children)
	}
	var b bytes.Buffer
	b.WriteString("<data>")
	for _, c := range root.children {
		c.write(&b, "")
	}
	b.WriteString("</data>")
	return b.Bytes(), nil
}

func (s *session) editConfig(rpc, op *node) []byte {
	t, rerr := target(op, "target")
	if rerr != nil {
		return errorReply(*rerr)
	}
	defOp := "merge"
	if d := op.child("default-operation"); d != nil {
		defOp = strings.TrimSpace(d.Text)
	}
	switch defOp {
	case "merge", "replace", "none":
	default:
		return errorReply(rpcError{Type: "protocol", Tag: "invalid-value", Message: fmt.Sprintf("default-operation %q", defOp)})
	}
	if e := op.child("error-option"); e != nil {
		switch strings.TrimSpace(e.Text) {
		case "stop-on-error", "continue-on-error", "rollback-on-error":
		default:
			return errorReply(rpcError{Type: "protocol", Tag: "invalid-value", Message: fmt.Sprintf("error-option %q", strings.TrimSpace(e.Text))})
		}
	}
	testOpt := "" // unspecified: validate running at once, the candidate at commit
	if e := op.child("test-option"); e != nil {
		testOpt = strings.TrimSpace(e.Text)
		switch testOpt {
		case "test-then-set", "set", "test-only":
		default:
			return errorReply(rpcError{Type: "protocol", Tag: "invalid-value", Message: fmt.Sprintf("test-option %q", testOpt)})
		}
	}
	cfg := op.child("config")
	if cfg == nil {
		if op.child("url") != nil {
			return errorReply(rpcError{Type: "protocol", Tag: "operation-not-supported", Message: "edit-config from a url is not supported"})
		}
		return errorReply(rpcError{Type: "protocol", Tag: "missing-element", Message: "edit-config needs <config>", Info: "<bad-element>config</bad-element>"})
	}
	edit, err := yang.DecodeEdit(wrap("config", cfg, op, rpc))
	if err != nil {
		return errorReply(fromErr(err)...)
	}
	err = s.store().Edit(t, s.id, "netconf", func(tr *yang.Tree) error {
		if err := tr.ApplyEdit(edit, defOp); err != nil {
			return err
		}
		// Running takes effect at once, so it is always checked; the candidate
		// when the client asks (test-then-set, test-only) and at commit.
		if (t == datastore.Running && testOpt != "set") || testOpt == "test-then-set" || testOpt == "test-only" {
			if err := yang.Validate(tr); err != nil {
				return err
			}
		}
		if testOpt == "test-only" {
			return errTestOnly
		}
		return nil
	})
	if errors.Is(err, errTestOnly) {
		return okReply
	}
	if err != nil {
		return errorReply(fromErr(err)...)
	}
	return okReply
}

var errTestOnly = errors.New("test-only")

// copyConfig copies running, candidate or an inline <config> over the
// target datastore as a whole (replace semantics), validated like an edit.
func (s *session) copyConfig(rpc, op *node) []byte {
	t, rerr := target(op, "target")
	if rerr != nil {
		return errorReply(*rerr)
	}
	src := op.child("source")
	if src == nil || len(src.Children) != 1 {
		return errorReply(rpcError{Type: "protocol", Tag: "missing-element", Message: "copy-config needs <source>", Info: "<bad-element>source</bad-element>"})
	}
	var from *yang.Tree
	switch c := &src.Children[0]; c.XMLName.Local {
	case "running", "candidate":
		from, _ = s.store().Get(datastore.Target(c.XMLName.Local))
	case "config":
		edit, err := yang.DecodeEdit(wrap("config", c, src, op, rpc))
		if err != nil {
			return errorReply(fromErr(err)...)
		}
		from = yang.NewTree()
		if err := from.ApplyEdit(edit, "merge"); err != nil {
			return errorReply(fromErr(err)...)
		}
	default:
		return errorReply(rpcError{Type: "protocol", Tag: "invalid-value", Message: fmt.Sprintf("copy-config source %q is not supported (running, candidate, config)", c.XMLName.Local)})
	}
	err := s.store().Edit(t, s.id, "netconf", func(tr *yang.Tree) error {
		tr.Delete(yang.Path{})
		for _, c := range yang.Diff(tr, from) {
			if err := yang.Apply(tr, []yang.Change{c}); err != nil {
				return err
			}
		}
		if t == datastore.Running {
			return yang.Validate(tr)
		}
		return nil
	})
	if err != nil {
		return errorReply(fromErr(err)...)
	}
	return okReply
}

func (s *session) validateInline(rpc, op, cfg *node) []byte {
	edit, err := yang.DecodeEdit(wrap("config", cfg, op.child("source"), op, rpc))
	if err != nil {
		return errorReply(fromErr(err)...)
	}
	tr := yang.NewTree()
	if err := tr.ApplyEdit(edit, "merge"); err != nil {
		return errorReply(fromErr(err)...)
	}
	if err := yang.Validate(tr); err != nil {
		return errorReply(fromErr(err)...)
	}
	return okReply
}

func (s *session) commit(ctx context.Context, op *node) ([]byte, bool, error) {
	f := s.srv.cfg.Faults
	rf, err := f.BeforeCommit(ctx, fault.NETCONF)
	if err != nil {
		return nil, true, err
	}
	if rf != nil {
		return errorReply(rpcError{Type: "application", Tag: rf.ErrorTag, Message: rf.Message}), false, nil
	}
	var opts *datastore.ConfirmOptions
	persistID := ""
	if p := op.child("persist-id"); p != nil {
		persistID = strings.TrimSpace(p.Text)
	}
	if op.child("confirmed") != nil {
		opts = &datastore.ConfirmOptions{PersistID: persistID}
		if t := op.child("confirm-timeout"); t != nil {
			n, err := strconv.ParseUint(strings.TrimSpace(t.Text), 10, 32)
			if err != nil || n == 0 {
				return errorReply(rpcError{Type: "protocol", Tag: "invalid-value", Message: fmt.Sprintf("confirm-timeout %q is not a positive number of seconds", strings.TrimSpace(t.Text)),
					Info: "<bad-element>confirm-timeout</bad-element>"}), false, nil
			}
			opts.Timeout = time.Duration(n) * time.Second
		}
		if p := op.child("persist"); p != nil {
			opts.Persist = strings.TrimSpace(p.Text)
			if opts.Persist == "" {
				return errorReply(rpcError{Type: "protocol", Tag: "invalid-value", Message: "persist needs a token"}), false, nil
			}
		}
	}
	if err := s.store().Commit(s.id, "netconf", opts, persistID); err != nil {
		return errorReply(fromErr(err)...), false, nil
	}
	if _, ok := f.Take(fault.NETCONF, fault.DropCommit); ok {
		_ = s.ss.Close()
		return nil, true, nil
	}
	return okReply, false, nil
}

// rpcError is one <rpc-error> (RFC 6241 section 4.3 and appendix A).
type rpcError struct {
	Type     string // transport, rpc, protocol, application
	Tag      string
	Severity string // default error
	AppTag   string
	Path     string // XPath
	Message  string
	Info     string // raw XML inside error-info
}

func errorReply(errs ...rpcError) []byte {
	var b bytes.Buffer
	for _, e := range errs {
		sev := e.Severity
		if sev == "" {
			sev = "error"
		}
		b.WriteString("<rpc-error><error-type>" + e.Type + "</error-type><error-tag>" + e.Tag + "</error-tag><error-severity>" + sev + "</error-severity>")
		if e.AppTag != "" {
			b.WriteString("<error-app-tag>")
			_ = xml.EscapeText(&b, []byte(e.AppTag))
			b.WriteString("</error-app-tag>")
		}
		if e.Path != "" {
			b.WriteString("<error-path>")
			escText(&b, e.Path)
			b.WriteString("</error-path>")
		}
		if e.Message != "" {
			b.WriteString(`<error-message xml:lang="en">`)
			escText(&b, e.Message)
			b.WriteString("</error-message>")
		}
		if e.Info != "" {
			b.WriteString("<error-info>" + e.Info + "</error-info>")
		}
		b.WriteString("</rpc-error>")
	}
	return b.Bytes()
}

// xpath turns a gNMI path string into an XPath for error-path.
func xpath(p string) string {
	elems, err := yang.ParseAnyPath(p)
	if err != nil {
		return p
	}
	var b strings.Builder
	for _, e := range elems {
		b.WriteString("/" + e.Name)
		for _, k := range e.Keys {
			fmt.Fprintf(&b, "[%s='%s']", k.Name, k.Value)
		}
	}
	return b.String()
}

// fromErr maps a datastore or yang error to rpc-errors.
func fromErr(err error) []rpcError {
	var le *datastore.LockError
	var ee *yang.EditError
	var ve *yang.ValidationError
	switch {
	case errors.As(err, &le):
		return []rpcError{{Type: "protocol", Tag: "lock-denied", Message: le.Error(),
			Info: fmt.Sprintf("<session-id>%d</session-id>", le.Holder)}}
	case errors.As(err, &ee):
		typ := "application"
		if ee.Tag == "malformed-message" {
			typ = "rpc"
		}
		if ee.Tag == "bad-attribute" || ee.Tag == "bad-element" {
			typ = "protocol"
		}
		e := rpcError{Type: typ, Tag: ee.Tag, Message: ee.Message}
		if ee.Path != "" {
			e.Path = xpath(ee.Path)
		}
		return []rpcError{e}
	case errors.As(err, &ve):
		out := make([]rpcError, 0, len(ve.Errors))
		for _, f := range ve.Errors {
			out = append(out, rpcError{Type: "application", Tag: "invalid-value", Path: xpath(f.Path), Message: f.Reason})
		}
		return out
	case errors.Is(err, datastore.ErrNotLockHolder):
		return []rpcError{{Type: "protocol", Tag: "operation-failed", Message: err.Error()}}
	case errors.Is(err, datastore.ErrPersistID):
		return []rpcError{{Type: "protocol", Tag: "invalid-value", Message: err.Error(), Info: "<bad-element>persist-id</bad-element>"}}
	case errors.Is(err, datastore.ErrNoPending):
		return []rpcError{{Type: "protocol", Tag: "operation-failed", Message: err.Error()}}
	}
	return []rpcError{{Type: "application", Tag: "operation-failed", Message: err.Error()}}
}

// escText escapes character data; quotes stay as they are (error-path
// XPaths read better).
func escText(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
}

// NSNotification is RFC 5277's namespace; NSConfigChange RFC 6470's.
const (
	NSNotification = "urn:ietf:params:xml:ns:netconf:notification:1.0"
	NSConfigChange = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"
)

// startNotifier sends a netconf-config-change notification (RFC 6470) for
// every change of running from now on, until the session ends.
func (s *session) startNotifier(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	s.stopNotify, s.notifyDone = cancel, make(chan struct{})
	st := s.store()
	ch, seq := st.Changed()
	go func() {
		defer close(s.notifyDone)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
			}
			ch, _ = st.Changed()
			for _, ev := range st.EventsSince(seq) {
				seq = ev.Seq
				if err := s.write(configChange(ev, s.srv.cfg.Username)); err != nil {
					return
				}
			}
		}
	}()
}

// configChange renders a change of running as an RFC 6470 notification.
func configChange(ev datastore.Event, user string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><notification xmlns="` + NSNotification + `"><eventTime>`)
	b.WriteString(ev.Time.UTC().Format(time.RFC3339Nano))
	b.WriteString(`</eventTime><netconf-config-change xmlns="` + NSConfigChange + `"><changed-by>`)
	switch ev.Source {
	case "confirm-timeout", "cancel-commit", "session-end":
		b.WriteString("<server/>")
	default:
		b.WriteString("<username>")
		escText(&b, user)
		b.WriteString("</username><session-id>0</session-id>")
	}
	b.WriteString("</changed-by><datastore>running</datastore>")
	for _, c := range ev.Changes {
		op := "merge"
		switch c.Op {
		case yang.OpCreate:
			op = "create"
		case yang.OpDelete:
			op = "delete"
		}
		b.WriteString("<edit><target>")
		escText(&b, xpath(c.Path.String()))
		b.WriteString("</target><operation>" + op + "</operation></edit>")
	}
	b.WriteString("</netconf-config-change></notification>")
	return b.Bytes()
}
