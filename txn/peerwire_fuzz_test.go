package txn

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzDecodePhaseRequest feeds the peer API's phase decoder arbitrary
// bodies: it never panics, and what it accepts encodes and decodes again
// to the same devices and changes.
func FuzzDecodePhaseRequest(f *testing.F) {
	for _, s := range []string{
		`{"devices":[{"device":"leaf1","changes":[{"op":"update","path":"/network-instances/network-instance[name=default]/protocols/protocol[identifier=STATIC][name=static]/static-routes/static[prefix=198.51.100.0/24]/next-hops/next-hop[index=0]/config/next-hop","new":"192.0.2.1"}]}],"confirm_timeout_ms":3000}`,
		`{"devices":[{"device":"leaf1"},{"device":"leaf2"}]}`,
		`{"devices":[{"device":"leaf1","changes":[{"op":"delete","path":"/interfaces/interface[name=eth1]"}]}]}`,
		`{"devices":[]}`, `{"devices":[{"device":"a"},{"device":"a"}]}`, `{"devices":[{"device":"../x"}]}`,
		`{"devices":[{"device":"leaf1"}]} {}`, `{"force":1}`, `[]`, `null`, `{"devices":[{"device":"leaf1","changes":[{"op":"update","path":"/interfaces/interface[name=e1]/config/mtu","new":"99999999"}]}]}`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, withChanges bool) {
		req, err := DecodePhaseRequest(bytes.NewReader(body), withChanges)
		if err != nil {
			return
		}
		for i := range req.Devices {
			req.Devices[i].Changes = EncodeChanges(req.Devices[i].changes)
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		req2, err := DecodePhaseRequest(bytes.NewReader(again), withChanges)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", again, err)
		}
		if len(req2.Devices) != len(req.Devices) || req2.ConfirmTimeoutMS != req.ConfirmTimeoutMS {
			t.Fatalf("round trip changed the request: %s", again)
		}
		for i := range req.Devices {
			a, b := EncodeChanges(req.Devices[i].changes), EncodeChanges(req2.Devices[i].changes)
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if req.Devices[i].Device != req2.Devices[i].Device || !bytes.Equal(ja, jb) {
				t.Fatalf("device %d changed in the round trip: %s vs %s", i, ja, jb)
			}
		}
	})
}

// FuzzDecodeTree: leaves that decode encode to the same leaves.
func FuzzDecodeTree(f *testing.F) {
	f.Add(`[{"path":"/interfaces/interface[name=eth1]/config/mtu","value":"9000"}]`)
	f.Add(`[{"path":"/interfaces/interface[name=eth1]/config/enabled","value":"true"}]`)
	f.Add(`[{"path":"/nope","value":"1"}]`)
	f.Fuzz(func(t *testing.T, s string) {
		var ls []LeafJSON
		if json.Unmarshal([]byte(s), &ls) != nil {
			return
		}
		tr, err := DecodeTree(ls)
		if err != nil {
			return
		}
		tr2, err := DecodeTree(EncodeTree(tr))
		if err != nil || !tr.Equal(tr2) {
			t.Fatalf("round trip of %s: %v", s, err)
		}
	})
}

// FuzzDecodePendingRequest: the pending call's decoder never panics, and
// what it accepts names a valid transaction and action and encodes and
// decodes again to the same request.
func FuzzDecodePendingRequest(f *testing.F) {
	for _, s := range []string{
		`{"txn":"tx-1f2e","action":"confirm"}`, `{"txn":"tx-1","action":"cancel"}`, `{"txn":"","action":"cancel"}`,
		`{"txn":"../x","action":"confirm"}`, `{"txn":"tx-1","action":"undo"}`, `{"txn":"tx-1","action":"cancel"} {}`,
		`{"txn":"tx-1","action":"cancel","force":true}`, `[]`, `null`, `{"txn":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodePendingRequest(bytes.NewReader(body))
		if err != nil {
			return
		}
		if !validID(req.Txn) || (req.Action != PendingConfirm && req.Action != PendingCancel) {
			t.Fatalf("accepted %q as %+v", body, req)
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		req2, err := DecodePendingRequest(bytes.NewReader(again))
		if err != nil || *req2 != *req {
			t.Fatalf("round trip of %s: %+v, %v", again, req2, err)
		}
	})
}
