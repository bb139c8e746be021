package server_test

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// A hostile delegate over REST, on every unsafe route (read from routes.go,
// so a route added later is tried too), with a body filling every field the
// routes read: only what a delegate may do for themselves is taken; every
// other call changes nothing, and the meeting, the room and the polls read
// the same afterwards. An outsider (in no meeting) gets 404 for every route
// under the meeting.
func TestHostileDelegateOnEveryRoute(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(2) // daibieu01 presents the item; daibieu02 is a plain delegate
	base := "/api/v1/meetings/" + f.id
	var poll struct{ ID string }
	h.mustDo("POST", base+"/polls", "chutich", map[string]any{"agendaItemId": f.item, "title": "Thông qua"}, 201, &poll)
	body := map[string]any{"title": "Chiếm quyền", "agendaItemId": f.item, "documentId": f.doc, "documentIds": []string{f.doc},
		"page": 2, "userId": h.users["daibieu02"].ID, "role": "chair", "present": true, "reason": "x", "name": "x.pdf",
		"option": 0, "action": "next", "text": "x", "seconds": 60, "durationMinutes": 5, "location": "x", "secret": false,
		"readers": []string{h.users["daibieu02"].ID}, "confidential": false, "password": "Hoi-dong-2026!x", "displayName": "x",
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "startsAt": "2024-01-12T08:00:00+07:00"}
	// What a delegate may do on their own account and tablet.
	allowed := map[string]bool{
		"POST /api/v1/auth/login": true, "POST /api/v1/auth/logout": true, "POST /api/v1/me/password": true,
		"POST " + base + "/attendance": true, "DELETE " + base + "/attendance": true,
		"PUT " + base + "/documents/" + f.doc + "/notes/1": true,
	}
	state := func() string {
		return string(h.mustDo("GET", base, "admin", nil, 200, nil).body) + string(h.mustDo("GET", base+"/state", "admin", nil, 200, nil).body) +
			string(h.mustDo("GET", base+"/polls", "admin", nil, 200, nil).body) + string(h.mustDo("GET", "/api/v1/users", "admin", nil, 200, nil).body)
	}
	before := state()
	for _, r := range unsafeRoutes(t, f.id, ":did", f.doc, ":iid", f.item, ":pid", poll.ID,
		":uid", h.users["daibieu01"].ID, ":n", "1", ":page", "1") {
		if r.route == "/auth/logout" || r.route == "/auth/login" || r.route == "/me/password" {
			continue // their own session: tried by the other tests
		}
		res := h.do(r.method, r.path, "daibieu02", body)
		if res.status < 300 && !allowed[r.method+" "+r.path] {
			t.Errorf("a delegate: %s %s → %d %s", r.method, r.path, res.status, res.body)
		}
		if strings.HasPrefix(r.path, base) {
			if res := h.do(r.method, r.path, "outsider", body); res.status != 404 {
				t.Errorf("an outsider: %s %s → %d %s", r.method, r.path, res.status, res.body)
			}
		}
	}
	// Their own check-in and note were taken; put the check-in back.
	h.do("DELETE", base+"/attendance", "daibieu02", nil)
	after := state()
	// The room's seq and the check-in's events move; nothing else may.
	strip := regexp.MustCompile(`,?"(seq|time)":[^,}\]]*`)
	if strip.ReplaceAllString(before, "") != strip.ReplaceAllString(after, "") {
		t.Errorf("the meeting, room, polls or users changed:\n%s\n%s", before, after)
	}
}
