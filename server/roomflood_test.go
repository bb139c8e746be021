package server_test

import (
	"testing"
)

// A hostile delegate over REST: the live socket bounds each connection's
// messages (token bucket), but the same room changes sent as REST calls were
// not bounded at all. Checking in and out, or asking to speak and
// withdrawing, 150 times as fast as the server answers made 300 events, each
// journaled (the store the minutes are built from grew by an object each)
// and sent to every tablet and the wall, whose list of speakers flickered.
// Now the changes a participant makes for themselves are bounded per person
// and meeting, whatever face they arrive on: a burst, then a few a second;
// the rest get 429 too_many_messages and change nothing. Others are not
// slowed by it.
func TestDelegateCannotFloodTheRoomOverREST(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(2)
	base := "/api/v1/meetings/" + f.id
	for _, c := range []struct {
		what    string
		on, off func() response
	}{
		{"check-in/out", func() response { return h.do("POST", base+"/attendance", "daibieu01", nil) }, func() response { return h.do("DELETE", base+"/attendance", "daibieu01", nil) }},
		{"request/withdraw", func() response {
			return h.do("POST", base+"/speakers", "daibieu01", map[string]string{"action": "request"})
		},
			func() response {
				return h.do("POST", base+"/speakers", "daibieu01", map[string]string{"action": "withdraw"})
			}},
	} {
		taken, refused := 0, 0
		for range 150 {
			for _, r := range []response{c.on(), c.off()} {
				switch r.status {
				case 200:
					taken++
				case 429:
					refused++
					if r.errorCode() != "too_many_requests" {
						t.Fatalf("%s: %s", c.what, r.body)
					}
				default:
					t.Fatalf("%s: %d %s", c.what, r.status, r.body)
				}
			}
		}
		// The harness answers in well under 10 s: a burst of 20, then 2 a second.
		if taken > 60 || refused == 0 {
			t.Errorf("%s: %d changes taken, %d refused, want at most 60 taken", c.what, taken, refused)
		}
		t.Logf("%s: %d taken, %d refused", c.what, taken, refused)
	}
	// Another delegate is not slowed by it.
	h.mustDo("POST", base+"/attendance", "daibieu02", nil, 200, nil)
	h.mustDo("POST", base+"/speakers", "daibieu02", map[string]string{"action": "request"}, 200, nil)
}
