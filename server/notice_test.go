package server_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// The chair's or the secretary's notice over REST: the rights and the text are
// checked as over the socket, the notice is in the room's state until
// withdrawn, and a forged cross-site request cannot post one.
func TestNoticeOverREST(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(2)
	base := "/api/v1/meetings/" + f.id

	for _, method := range []string{"POST", "DELETE"} {
		r := h.do(method, base+"/notice", f.delegates[0], map[string]string{"text": "Giải lao"})
		var e struct{ Error struct{ Code, Reason string } }
		_ = json.Unmarshal(r.body, &e)
		if r.status != 403 || e.Error.Reason != "notice_forbidden" {
			t.Fatalf("%s as a delegate: %d %s", method, r.status, r.body)
		}
	}
	if r := h.do("POST", base+"/notice", "outsider", map[string]string{"text": "Giải lao"}); r.status != 404 {
		t.Fatalf("outsider: %d", r.status)
	}
	for text, reason := range map[string]string{"": "notice_text_required", strings.Repeat("x", 201): "notice_text_too_long"} {
		r := h.do("POST", base+"/notice", "chutich", map[string]string{"text": text})
		if r.status != 400 || !strings.Contains(string(r.body), `"reason":"`+reason+`"`) {
			t.Fatalf("text of %d: %d %s", len(text), r.status, r.body)
		}
	}
	// A page on another site posting with the secretary's cookie.
	cookie := h.sessionCookie("thuky", userPassword)
	if r := h.browser("POST", base+"/notice", cookie, "text/plain", `{"text":"Cuộc họp đã kết thúc"}`, "https://evil.example", "cross-site"); r.status != 403 {
		t.Fatalf("forged notice: %d %s", r.status, r.body)
	}

	var seq struct{ Seq uint64 }
	h.mustDo("POST", base+"/notice", "thuky", map[string]string{"text": "Mời các đại biểu về phòng họp"}, 200, &seq)
	var st struct {
		Seq    uint64
		Notice *struct{ ID, Text, By string }
	}
	h.mustDo("GET", base+"/state", f.delegates[1], nil, 200, &st)
	if st.Notice == nil || st.Notice.Text != "Mời các đại biểu về phòng họp" || st.Notice.By != h.users["thuky"].ID || st.Seq != seq.Seq {
		t.Fatalf("state: %+v (sent at seq %d)", st, seq.Seq)
	}
	h.mustDo("DELETE", base+"/notice", "chutich", nil, 200, nil)
	h.mustDo("GET", base+"/state", f.delegates[1], nil, 200, &st)
	if st.Notice != nil {
		t.Fatalf("withdrawn notice still in the state: %+v", st.Notice)
	}
}
