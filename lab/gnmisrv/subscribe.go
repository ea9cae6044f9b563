package gnmisrv

import (
	"errors"
	"io"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/netagent/netagent/lab/synth"
	"github.com/netagent/netagent/yang"
)

// DefaultSampleInterval is used when a SAMPLE subscription gives none.
const DefaultSampleInterval = time.Second

// onChangePoll is how often state is checked for ON_CHANGE subscriptions
// (configuration changes are pushed at once).
const onChangePoll = time.Second

type sub struct {
	path     *gpb.Path
	mode     gpb.SubscriptionMode
	interval time.Duration
	suppress bool
	// heartbeat re-sends every value, changed or not, at least this often
	// (ON_CHANGE and suppress_redundant SAMPLE); 0 means never.
	heartbeat time.Duration
	lastFull  time.Time
	next      time.Time
	last      map[string]*gpb.TypedValue // what was sent, by path string
}

// Subscribe serves ONCE, POLL and STREAM (SAMPLE, ON_CHANGE, TARGET_DEFINED)
// subscriptions. Every leaf is sent as a scalar typed value.
func (s *Server) Subscribe(stream gpb.GNMI_SubscribeServer) error {
	req, err := stream.Recv()
	if err != nil {
		return err
	}
	sl := req.GetSubscribe()
	if sl == nil {
		return status.Errorf(codes.InvalidArgument, "gnmi %s: subscribe: the first request must be a subscription list", s.cfg.Device)
	}
	switch sl.GetEncoding() {
	case gpb.Encoding_JSON, gpb.Encoding_JSON_IETF, gpb.Encoding_PROTO:
	default:
		return status.Errorf(codes.Unimplemented, "gnmi %s: subscribe: encoding %s is not supported", s.cfg.Device, sl.GetEncoding())
	}
	known := s.stateAt(time.Now())
	var subs []*sub
	for _, x := range sl.GetSubscription() {
		if full := join(sl.GetPrefix(), x.GetPath()); classify(stripOrigin(full), known) == pathUnknown {
			return s.noSuchPath("subscribe", full)
		}
		sb := &sub{path: join(sl.GetPrefix(), x.GetPath()), mode: x.GetMode(), interval: time.Duration(x.GetSampleInterval()),
			suppress: x.GetSuppressRedundant(), heartbeat: time.Duration(x.GetHeartbeatInterval()), last: map[string]*gpb.TypedValue{}}
		if sb.heartbeat != 0 && sb.heartbeat < MinSampleInterval {
			return status.Errorf(codes.InvalidArgument, "gnmi %s: subscribe: heartbeat interval %v is below the minimum %v", s.cfg.Device, sb.heartbeat, MinSampleInterval)
		}
		if sb.mode == gpb.SubscriptionMode_SAMPLE {
			if sb.interval == 0 {
				sb.interval = DefaultSampleInterval
			}
			if sb.interval < MinSampleInterval {
				return status.Errorf(codes.InvalidArgument, "gnmi %s: subscribe: sample interval %v is below the minimum %v", s.cfg.Device, sb.interval, MinSampleInterval)
			}
		}
		subs = append(subs, sb)
	}
	if len(subs) == 0 {
		subs = []*sub{{path: join(sl.GetPrefix(), &gpb.Path{}), last: map[string]*gpb.TypedValue{}}}
	}
	var prefix *gpb.Path
	if t := sl.GetPrefix().GetTarget(); t != "" {
		prefix = &gpb.Path{Target: t}
	}
	send := func(ups []*gpb.Update, dels []*gpb.Path) error {
		if len(ups) == 0 && len(dels) == 0 {
			return nil
		}
		return stream.Send(&gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_Update{Update: &gpb.Notification{
			Timestamp: time.Now().UnixNano(), Prefix: prefix, Update: ups, Delete: dels,
		}}})
	}
	sync := func() error {
		return stream.Send(&gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_SyncResponse{SyncResponse: true}})
	}
	// snapshot sends every matching leaf of every subscription.
	snapshot := func() error {
		pts := s.points()
		for _, sb := range subs {
			ups, _ := sb.diff(pts, false)
			if err := send(ups, nil); err != nil {
				return err
			}
		}
		return nil
	}
	ctx := stream.Context()
	switch sl.GetMode() {
	case gpb.SubscriptionList_ONCE:
		if !sl.GetUpdatesOnly() {
			if err := snapshot(); err != nil {
				return err
			}
		}
		return sync()
	case gpb.SubscriptionList_POLL:
		if !sl.GetUpdatesOnly() {
			if err := snapshot(); err != nil {
				return err
			}
		}
		if err := sync(); err != nil {
			return err
		}
		for {
			r, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if r.GetPoll() == nil {
				return status.Errorf(codes.InvalidArgument, "gnmi %s: subscribe: only poll requests may follow a POLL subscription", s.cfg.Device)
			}
			if err := snapshot(); err != nil {
				return err
			}
			if err := sync(); err != nil {
				return err
			}
		}
	}
	// STREAM: initial state, sync, then samples and changes.
	pts := s.points()
	for _, sb := range subs {
		ups, _ := sb.diff(pts, true)
		if !sl.GetUpdatesOnly() {
			if err := send(ups, nil); err != nil {
				return err
			}
		}
	}
	if err := sync(); err != nil {
		return err
	}
	now := time.Now()
	for _, sb := range subs {
		sb.lastFull = now
		sb.next = now.Add(sb.interval)
		if sb.mode != gpb.SubscriptionMode_SAMPLE {
			sb.next = now.Add(onChangePoll)
		}
	}
	for {
		changed, _ := s.cfg.Store.Changed()
		due := subs[0].next
		for _, sb := range subs[1:] {
			if sb.next.Before(due) {
				due = sb.next
			}
		}
		timer := time.NewTimer(time.Until(due))
		configChanged := false
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-s.stop:
			timer.Stop()
			return status.Errorf(codes.Unavailable, "gnmi %s: server stopping", s.cfg.Device)
		case <-changed:
			configChanged = true
		case <-timer.C:
		}
		timer.Stop()
		now := time.Now()
		pts := s.points()
		for _, sb := range subs {
			fire := !now.Before(sb.next)
			onChange := sb.mode != gpb.SubscriptionMode_SAMPLE
			if !fire && !(onChange && configChanged) {
				continue
			}
			if fire {
				if onChange {
					sb.next = now.Add(onChangePoll)
				} else {
					sb.next = sb.next.Add(sb.interval)
					if sb.next.Before(now) {
						sb.next = now.Add(sb.interval)
					}
				}
			}
			onlyChanged := onChange || sb.suppress
			if sb.heartbeat > 0 && now.Sub(sb.lastFull) >= sb.heartbeat {
				onlyChanged = false
				sb.lastFull = now
			}
			ups, dels := sb.diff(pts, onlyChanged)
			if err := send(ups, dels); err != nil {
				return err
			}
		}
	}
}

// points returns configuration leaves and state.
func (s *Server) points() []synth.Point {
	pts := leafPoints(s.cfg.Store.Running())
	if s.cfg.State != nil {
		pts = append(pts, s.cfg.State(time.Now())...)
	}
	return pts
}

// diff returns the updates for pts under sb's path (only changed ones when
// onlyChanged) and the deletions of leaves that disappeared, and records
// what it returns as sent.
func (sb *sub) diff(pts []synth.Point, onlyChanged bool) ([]*gpb.Update, []*gpb.Path) {
	var ups []*gpb.Update
	seen := make(map[string]bool, len(sb.last))
	for _, pt := range pts {
		elems, ok := match(sb.path, pt.Path)
		if !ok {
			continue
		}
		seen[pt.Path] = true
		v := typed(pt.Value)
		if onlyChanged {
			if old, ok := sb.last[pt.Path]; ok && proto.Equal(old, v) {
				continue
			}
		}
		sb.last[pt.Path] = v
		ups = append(ups, &gpb.Update{Path: &gpb.Path{Elem: elems}, Val: v})
	}
	var dels []*gpb.Path
	for p := range sb.last {
		if seen[p] {
			continue
		}
		delete(sb.last, p)
		if elems, err := yang.ParseAnyPath(p); err == nil {
			dels = append(dels, elems.GNMI())
		}
	}
	return ups, dels
}
