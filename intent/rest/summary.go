package rest

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/netagent/netagent/intent"
)

// DevicePage is how many devices' plans GET /v1/intents/{id} returns at
// once; ?devices=N returns the page starting at device N (sorted by name).
const DevicePage = 100

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

// devicesParam reads ?devices= (a device index, default 0).
func devicesParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("devices")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, &intent.InvalidError{Stage: intent.StageSyntax, Problems: []intent.Problem{{Pointer: "",
			Reason: fmt.Sprintf("devices %q must be a device index (0 or more): the first device of the page", s)}}}
	}
	return n, nil
}
