package rest

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/netagent/netagent/intent"
)

// DevicePage is how many devices' plans GET /v1/intents/{id} returns at
// once by default; ?devices=N returns the page starting at device N
// (sorted by name), ?devices_limit=K pages of K (1 to MaxDevicePage).
// Only the page's device plans are decoded from the store: a record of
// thousands of devices answers in about the time of its page.
const DevicePage = 20

// MaxDevicePage bounds ?devices_limit=.
const MaxDevicePage = 1000

// recordView is a record as the REST API shows it: the plan replaced by
// a planView (a page of its devices, or in lists none, with totals), so a
// record of a thousand devices stays small.
type recordView struct {
	*intent.Record
	Plan *planView `json:"plan,omitempty"`
}

type planView struct {
	IntentID string              `json:"intent_id"`
	Devices  []intent.DevicePlan `json:"devices,omitempty"`
	// DevicesTotal and ChangesTotal count the whole plan.
	DevicesTotal int `json:"devices_total"`
	ChangesTotal int `json:"changes_total"`
	// DevicesOffset is the index of Devices[0]; NextDevices, when more
	// follow, is the ?devices= value of the next page.
	DevicesOffset int  `json:"devices_offset"`
	NextDevices   *int `json:"next_devices,omitempty"`
}

// view shows rec with devices [offset, offset+limit) of its plan (limit 0:
// none, a summary only).
func view(rec *intent.Record, offset, limit int) recordView {
	v := recordView{Record: rec}
	p := rec.Plan
	if p == nil {
		return v
	}
	pv := &planView{IntentID: p.IntentID, DevicesTotal: len(p.Devices), ChangesTotal: p.Len(), DevicesOffset: offset}
	if limit > 0 && offset < len(p.Devices) {
		end := min(offset+limit, len(p.Devices))
		pv.Devices = p.Devices[offset:end]
		if end < len(p.Devices) {
			pv.NextDevices = &end
		}
	}
	v.Plan = pv
	return v
}

// windowView shows a record read through win (its plan holds only the
// window's devices) with the whole plan's totals.
func windowView(rec *intent.Record, win *intent.PlanWindow) recordView {
	v := recordView{Record: rec}
	p := rec.Plan
	if p == nil {
		return v
	}
	pv := &planView{IntentID: p.IntentID, DevicesTotal: win.DevicesTotal, ChangesTotal: win.ChangesTotal, DevicesOffset: win.Offset}
	if len(p.Devices) > 0 {
		pv.Devices = p.Devices
	}
	if end := win.Offset + len(p.Devices); len(p.Devices) > 0 && end < win.DevicesTotal {
		pv.NextDevices = &end
	}
	v.Plan = pv
	return v
}

// devicesParam reads ?devices= (a device index, default 0) and
// ?devices_limit= (the page size, default DevicePage).
func devicesParam(r *http.Request) (*intent.PlanWindow, error) {
	win := &intent.PlanWindow{Limit: DevicePage}
	q := r.URL.Query()
	if s := q.Get("devices"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, &intent.InvalidError{Stage: intent.StageSyntax, Problems: []intent.Problem{{Pointer: "",
				Reason: fmt.Sprintf("devices %q must be a device index (0 or more): the first device of the page", s)}}}
		}
		win.Offset = n
	}
	if s := q.Get("devices_limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxDevicePage {
			return nil, &intent.InvalidError{Stage: intent.StageSyntax, Problems: []intent.Problem{{Pointer: "",
				Reason: fmt.Sprintf("devices_limit %q must be a whole number from 1 to %d: the devices of the page", s, MaxDevicePage)}}}
		}
		win.Limit = n
	}
	return win, nil
}
