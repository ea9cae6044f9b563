package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/knowledge"
	"github.com/netagent/netagent/lab"
)

// lockCases are the seed cases a held lock matches, per protocol.
var lockCases = []string{"netconf-lock-denied", "netconf-in-use", "gnmi-aborted-locked", "cli-config-locked"}

// lockCasesSeen reads how often each lock case was seen.
func lockCasesSeen(ctx context.Context, t *testing.T, api string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, id := range lockCases {
		c, err := getCase(ctx, api, id)
		if err != nil {
			t.Fatal(err)
		}
		out[id] = c.Seen
	}
	return out
}

func getCase(ctx context.Context, api, id string) (*knowledge.Case, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+"/v1/knowledge/"+id, nil)
	if err != nil {
		return nil, err
	}
	resp, err := kbAPI.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var c knowledge.Case
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

// waitLockSighting returns once a lock case was seen more often than in
// before, when ctx ends, or after at most.
func waitLockSighting(ctx context.Context, api string, before map[string]int, at time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, at)
	defer cancel()
	for {
		for _, id := range lockCases {
			if c, err := getCase(ctx, api, id); err == nil && c.Seen > before[id] {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// remediated submits an intent that fails once, and checks that the
// remediation kind ran because a case matched, that the intent is applied,
// and that the case, the record and the audit log say so.
func remediated(ctx context.Context, t *testing.T, a *Agent, api string, _ *lab.Lab, id, body, kind string) *intent.Record {
	t.Helper()
	rec := submitAndWait(ctx, t, api, body)
	if rec.State != intent.StateApplied {
		t.Fatalf("%s ended %s: %s (failures %+v, advice %+v)", id, rec.State, rec.Error, rec.Failures, rec.Advice)
	}
	if len(rec.Failures) == 0 || len(rec.Advice) == 0 {
		t.Fatalf("%s: failures %+v, advice %+v: want the first attempt's failure and its case", id, rec.Failures, rec.Advice)
	}
	var adv *intent.Advice
	for i := range rec.Advice {
		if len(rec.Advice[i].Applied) > 0 {
			adv = &rec.Advice[i]
		}
	}
	if adv == nil || adv.Applied[0].Kind != kind || adv.Applied[len(adv.Applied)-1].Outcome != "succeeded" || adv.Fix == "" {
		t.Fatalf("%s: advice %+v, want a case whose %s ran and succeeded", id, rec.Advice, kind)
	}
	c := waitCase(ctx, t, api, adv.Case, func(c knowledge.Case) bool { return c.FixWorked >= 1 && c.Seen >= 1 })
	checkRemediationAudit(ctx, t, a, id, adv.Case, kind)
	t.Logf("%s: case %s (%s) seen %d, fix worked %d; remediation %s %s; fix: %s", id, c.ID, c.Title, c.Seen, c.FixWorked,
		adv.Applied[0].Kind, adv.Applied[0].Outcome, c.Fix)
	return rec
}

// checkRemediationAudit finds the intent's knowledge.remediation entry for
// caseID and kind, ending in success, attributed to whoever submitted the
// intent, under the submission's trace.
func checkRemediationAudit(ctx context.Context, t *testing.T, a *Agent, id, caseID, kind string) {
	t.Helper()
	entries, err := audit.Query(ctx, a.net.db, audit.Filter{Intent: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatalf("%s: no audit entries", id)
	}
	first := entries[0]
	p0, _ := first.Principal()
	for _, e := range entries {
		if e.Action != intent.ActionRemediation {
			continue
		}
		var d intent.RemediationAudit
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatal(err)
		}
		if d.Case != caseID || d.Kind != kind || d.Outcome != "succeeded" {
			continue
		}
		p, _ := e.Principal()
		if p.Subject == "" || p.Subject != p0.Subject || e.Trace == "" || e.Trace != first.Trace {
			t.Errorf("%s: remediation entry actor %q trace %q, want the submission's %q %q", id, p.Subject, e.Trace, p0.Subject, first.Trace)
		}
		return
	}
	t.Errorf("%s: no successful %s entry for case %s among %d audit entries", id, kind, caseID, len(entries))
}
