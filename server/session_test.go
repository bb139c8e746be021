package server_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
)

// The chair's flow over REST, with the same rights as over the socket: a
// hostile delegate sending the chair's requests gets forbidden.
func TestSessionOverREST(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(3)
	base := "/api/v1/meetings/" + f.id
	d1, d2 := h.users["daibieu01"].ID, h.users["daibieu02"].ID

	for _, c := range []struct{ method, path, as string }{
		{"POST", "/session", "daibieu01"},
		{"POST", "/session", "thuky"},
		{"PUT", "/attendance/" + d2, "daibieu01"},
		{"POST", "/speakers", "daibieu01"},
	} {
		body := map[string]any{"action": "open", "present": true, "reason": "Không có máy tính bảng"}
		if c.path == "/speakers" {
			body = map[string]any{"action": "end"}
		}
		if r := h.do(c.method, base+c.path, c.as, body); r.status != 403 || r.errorCode() != "forbidden" {
			t.Fatalf("%s %s as %s: %d %s", c.method, c.path, c.as, r.status, r.body)
		}
	}
	if r := h.do("POST", base+"/session", "outsider", map[string]string{"action": "open"}); r.status != 404 {
		t.Fatalf("outsider: %d", r.status)
	}
	if r := h.do("POST", base+"/session", "chutich", map[string]string{"action": "dance"}); r.status != 400 {
		t.Fatalf("bad action: %d", r.status)
	}
	if r := h.do("PUT", base+"/attendance/"+d2, "thuky", map[string]string{"reason": "x"}); r.status != 400 {
		t.Fatalf("mark without present: %d %s", r.status, r.body)
	}
	if r := h.do("POST", base+"/session", "chutich", map[string]any{"action": "speechLimit", "speechLimitSeconds": -5}); r.status != 400 {
		t.Fatalf("negative limit: %d", r.status)
	}
	h.mustDo("POST", base+"/session", "chutich", map[string]string{"action": "open"}, 200, nil)
	h.mustDo("POST", base+"/session", "chutich", map[string]any{"action": "speechLimit", "speechLimitSeconds": 120}, 200, nil)
	h.mustDo("PUT", base+"/attendance/"+d2, "thuky", map[string]any{"present": true, "reason": "Không có máy tính bảng"}, 200, nil)
	h.mustDo("PUT", base+"/attendance/"+d1, "chutich", map[string]any{"present": false, "reason": "Đi công tác"}, 200, nil)
	h.mustDo("POST", base+"/speakers", "chutich", map[string]string{"action": "floor", "userId": d2}, 200, nil)

	var st struct {
		Time       time.Time `json:"time"`
		Attendance struct {
			Present          []string
			PresentDelegates int
			QuorumNeeded     int
			Marks            map[string]struct {
				Present    bool
				Reason, By string
			}
		}
		Speakers struct {
			Current string
			Since   time.Time
		}
		Session struct {
			OpenedAt           *time.Time
			SpeechLimitSeconds int
		}
	}
	h.mustDo("GET", base+"/state", "daibieu03", nil, 200, &st)
	if st.Session.OpenedAt == nil || st.Session.SpeechLimitSeconds != 120 || time.Since(st.Time) > time.Minute ||
		st.Attendance.PresentDelegates != 1 || st.Attendance.QuorumNeeded != 2 ||
		st.Attendance.Marks[d1].Reason != "Đi công tác" || st.Attendance.Marks[d2].By != h.users["thuky"].ID ||
		st.Speakers.Current != d2 || st.Speakers.Since.After(st.Time) {
		t.Fatalf("state %+v", st)
	}
	h.mustDo("POST", base+"/speakers", "chutich", map[string]string{"action": "end"}, 200, nil)
	var after struct{ Speakers struct{ Current *string } }
	h.mustDo("GET", base+"/state", "daibieu03", nil, 200, &after)
	if after.Speakers.Current != nil {
		t.Fatalf("speech not ended: %+v", after.Speakers)
	}

	// A vote open stops the close; once closed, the room is read-only apart
	// from the minutes, and no poll is created or opened.
	var p phonghop.Poll
	h.mustDo("POST", base+"/polls", "thuky", map[string]any{"agendaItemId": f.item, "title": "Thông qua báo cáo"}, 201, &p)
	h.mustDo("POST", base+"/polls/"+p.ID+"/open", "chutich", map[string]bool{"overrideQuorum": true}, 200, nil)
	if r := h.do("POST", base+"/session", "chutich", map[string]string{"action": "close"}); r.status != 409 || !strings.Contains(string(r.body), "meeting_poll_open") {
		t.Fatalf("close with a vote open: %d %s", r.status, r.body)
	}
	h.mustDo("POST", base+"/polls/"+p.ID+"/close", "chutich", nil, 200, nil)
	var draft phonghop.Poll
	h.mustDo("POST", base+"/polls", "thuky", map[string]any{"agendaItemId": f.item, "title": "Nháp"}, 201, &draft)
	h.mustDo("POST", base+"/session", "chutich", map[string]string{"action": "close"}, 200, nil)
	for _, c := range []struct {
		method, path, as string
		body             any
	}{
		{"PUT", "/presentation", "chutich", map[string]any{"agendaItemId": f.item, "documentId": f.doc, "page": 1}},
		{"POST", "/attendance", "daibieu03", nil},
		{"DELETE", "/attendance", "daibieu02", nil},
		{"PUT", "/attendance/" + d1, "thuky", map[string]any{"present": true, "reason": "Đến muộn"}},
		{"POST", "/speakers", "daibieu03", map[string]string{"action": "request"}},
		{"POST", "/session", "chutich", map[string]any{"action": "speechLimit", "speechLimitSeconds": 60}},
		{"POST", "/polls", "thuky", map[string]any{"agendaItemId": f.item, "title": "Sau bế mạc"}},
		{"POST", "/polls/" + draft.ID + "/open", "chutich", map[string]bool{"overrideQuorum": true}},
	} {
		r := h.do(c.method, base+c.path, c.as, c.body)
		if r.status != 409 || !strings.Contains(string(r.body), `"reason":"meeting_closed"`) {
			t.Fatalf("%s %s after the close: %d %s", c.method, c.path, r.status, r.body)
		}
	}
	// The minutes stay editable and carry both times.
	var m struct {
		Revision int64
		OpenedAt *time.Time
		ClosedAt *time.Time
	}
	h.mustDo("GET", base+"/minutes", "thuky", nil, 200, &m)
	if m.OpenedAt == nil || m.ClosedAt == nil || m.ClosedAt.Before(*m.OpenedAt) {
		t.Fatalf("minutes times %+v", m)
	}
	body, _ := json.Marshal(map[string]any{"revision": m.Revision, "summary": "Hội nghị kết thúc."})
	h.mustDo("PUT", base+"/minutes", "thuky", string(body), 200, nil)
}
