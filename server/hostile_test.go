package server_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// A hostile delegate on the live socket: every chair's, secretary's and
// presenter's message is refused with forbidden and the room is unchanged;
// the socket of a meeting they do not take part in is not opened.
func TestHostileDelegateOnTheSocket(t *testing.T) {
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, st)
	f := h.meeting(2)
	h.mustDo("POST", "/api/v1/meetings/"+f.id+"/attendance", "daibieu02", nil, 200, nil)
	before := h.mustDo("GET", "/api/v1/meetings/"+f.id+"/state", "chutich", nil, 200, nil)

	// Another meeting, without them.
	var other phonghop.Meeting
	h.mustDo("POST", "/api/v1/meetings", "admin", map[string]any{"title": "Họp kín", "startsAt": "2024-01-12T08:00:00+07:00", "location": "Phòng 2", "language": "vi"}, 201, &other)
	h.mustDo("PUT", "/api/v1/meetings/"+other.ID+"/participants", "admin", []map[string]string{{"userId": h.users["chutich"].ID, "role": "chair"}}, 200, nil)
	if c, resp, err := websocket.DefaultDialer.Dial(wsURL(h, other.ID), http.Header{"Authorization": {"Bearer " + h.tokens["daibieu02"]}}); err == nil {
		c.Close()
		t.Fatal("a delegate opened the live room of a meeting they take no part in")
	} else if resp == nil || resp.StatusCode != 404 {
		t.Fatalf("another meeting's room: %v %v", resp, err)
	}

	other01 := h.users["daibieu01"].ID
	for _, as := range []string{"daibieu02", "daibieu01"} { // daibieu01 presents the item, not yet taken up
		conn, _, err := websocket.DefaultDialer.Dial(wsURL(h, f.id), http.Header{"Authorization": {"Bearer " + h.tokens[as]}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, msg := range []map[string]any{
			{"type": "present", "agendaItemId": f.item, "documentId": f.doc, "page": 2},
			{"type": "present", "agendaItemId": f.item, "documentId": "", "page": 1},
			{"type": "giveFloor", "userId": other01},
			{"type": "nextSpeaker"},
			{"type": "endSpeech"},
			{"type": "openMeeting"},
			{"type": "closeMeeting"},
			{"type": "setSpeechLimit", "seconds": 5},
			{"type": "markAttendance", "userId": other01, "present": true, "reason": "ốm"},
			{"type": "markAttendance", "userId": h.users["daibieu02"].ID, "present": false, "reason": "x"},
			{"type": "sendNotice", "text": "Giải tán!"},
			{"type": "withdrawNotice"},
		} {
			if err := conn.WriteJSON(msg); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				conn.SetReadDeadline(deadline)
				_, data, err := conn.ReadMessage()
				if err != nil {
					t.Fatalf("%s %v: no answer: %v", as, msg, err)
				}
				var fr struct {
					Type  string
					Error *struct{ Code, Reason string }
				}
				json.Unmarshal(data, &fr)
				if fr.Type == "snapshot" || fr.Type == "pong" {
					continue
				}
				// Refused: forbidden, or (the presenter's own item with
				// nothing to show) invalid before the right is weighed.
				if fr.Type != "error" || (fr.Error.Code != "forbidden" && !(as == "daibieu01" && fr.Error.Code == "invalid_argument")) {
					t.Fatalf("%s %v: %s", as, msg, data)
				}
				break
			}
			time.Sleep(20 * time.Millisecond) // under the socket's rate
		}
	}
	after := h.mustDo("GET", "/api/v1/meetings/"+f.id+"/state", "chutich", nil, 200, nil)
	var a, b map[string]any
	json.Unmarshal(before.body, &b)
	json.Unmarshal(after.body, &a)
	delete(a, "time")
	delete(b, "time")
	ab, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	if string(ab) != string(bb) {
		t.Fatalf("the room changed:\nbefore %s\nafter  %s", bb, ab)
	}
}

// A hostile participant and consultations: a consultation is reached only
// under its own meeting (its id under another meeting's path, even one where
// they are chair, is 404, for reading, writing, closing and the summary); a
// delegate taken off the meeting loses it with their opinions; an observer
// writes nothing; nobody reads or changes another's opinion by its id.
func TestHostileConsultations(t *testing.T) {
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, st)
	a := h.meeting(2)
	// Meeting b: the same chair and secretary; daibieu03 only there.
	var b phonghop.Meeting
	h.mustDo("POST", "/api/v1/meetings", "admin", map[string]any{"title": "Họp chuyên đề", "startsAt": "2024-01-13T08:00:00+07:00", "location": "Phòng 3", "language": "vi"}, 201, &b)
	h.mustDo("PUT", "/api/v1/meetings/"+b.ID+"/participants", "admin", []map[string]string{
		{"userId": h.users["chutich"].ID, "role": "chair"}, {"userId": h.users["thuky"].ID, "role": "secretary"},
		{"userId": h.user("daibieu03").ID, "role": "delegate"},
	}, 200, nil)
	h.mustDo("PUT", "/api/v1/meetings/"+a.id+"/participants", "admin", []map[string]string{
		{"userId": h.users["chutich"].ID, "role": "chair"}, {"userId": h.users["thuky"].ID, "role": "secretary"},
		{"userId": h.users["daibieu01"].ID, "role": "delegate"}, {"userId": h.users["daibieu02"].ID, "role": "delegate"},
		{"userId": h.user("quansat").ID, "role": "observer"},
	}, 200, nil)
	ca := "/api/v1/meetings/" + a.id + "/consultations"
	var c struct{ ID string }
	h.mustDo("POST", ca, "thuky", map[string]any{"title": "Dự thảo Nghị quyết", "documentIds": []string{a.doc},
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, 201, &c)
	var o struct{ ID string }
	h.mustDo("POST", ca+"/"+c.ID+"/opinions", "daibieu01", map[string]any{"documentId": a.doc, "page": 1, "text": "Ý kiến riêng"}, 201, &o)

	// Meeting b's path with a's consultation id.
	cb := "/api/v1/meetings/" + b.ID + "/consultations/" + c.ID
	for _, try := range []struct{ method, path, as string }{
		{"GET", cb, "daibieu03"}, {"GET", cb + "/opinions", "daibieu03"}, {"GET", cb + "/opinions", "chutich"},
		{"GET", cb + "/responses", "chutich"}, {"GET", cb + "/summary.pdf", "thuky"},
		{"POST", cb + "/opinions", "daibieu03"}, {"PUT", cb + "/opinions/" + o.ID, "daibieu03"},
		{"DELETE", cb + "/opinions/" + o.ID, "daibieu01"}, {"POST", cb + "/close", "chutich"}, {"PATCH", cb, "thuky"},
		// a's own path, by someone not in a.
		{"GET", ca + "/" + c.ID, "daibieu03"}, {"GET", ca + "/" + c.ID + "/opinions", "daibieu03"},
		{"POST", ca + "/" + c.ID + "/opinions", "daibieu03"},
		// Another's opinion by its id.
		{"PUT", ca + "/" + c.ID + "/opinions/" + o.ID, "daibieu02"}, {"DELETE", ca + "/" + c.ID + "/opinions/" + o.ID, "daibieu02"},
	} {
		body := map[string]any{"documentId": a.doc, "page": 1, "text": "chen ngang", "title": "x"}
		r := h.do(try.method, try.path, try.as, body)
		if r.status != 404 {
			t.Errorf("%s %s as %s: %d %s", try.method, try.path, try.as, r.status, r.body)
		}
	}
	// The observer writes nothing and reads nobody's opinion.
	if r := h.do("POST", ca+"/"+c.ID+"/opinions", "quansat", map[string]any{"documentId": a.doc, "text": "x"}); r.status != 403 {
		t.Errorf("an observer's opinion: %d %s", r.status, r.body)
	}
	var ops struct{ Opinions []map[string]any }
	h.mustDo("GET", ca+"/"+c.ID+"/opinions", "quansat", nil, 200, &ops)
	if len(ops.Opinions) != 0 {
		t.Errorf("the observer reads %v", ops.Opinions)
	}
	h.mustDo("GET", ca+"/"+c.ID+"/opinions?documentId="+a.doc, "daibieu02", nil, 200, &ops)
	if len(ops.Opinions) != 0 {
		t.Errorf("daibieu02 reads %v", ops.Opinions)
	}
	// daibieu01 taken off the meeting: the consultation and their opinion are gone for them.
	h.mustDo("PUT", "/api/v1/meetings/"+a.id+"/participants", "admin", []map[string]string{
		{"userId": h.users["chutich"].ID, "role": "chair"}, {"userId": h.users["thuky"].ID, "role": "secretary"},
		{"userId": h.users["daibieu02"].ID, "role": "delegate"},
	}, 200, nil)
	time.Sleep(1100 * time.Millisecond) // a meeting's set-up is trusted for 1 s
	for _, try := range []struct{ method, path string }{
		{"GET", ca + "/" + c.ID + "/opinions"}, {"PUT", ca + "/" + c.ID + "/opinions/" + o.ID}, {"DELETE", ca + "/" + c.ID + "/opinions/" + o.ID},
	} {
		if r := h.do(try.method, try.path, "daibieu01", map[string]any{"page": 1, "text": "vẫn còn"}); r.status != 404 {
			t.Errorf("removed delegate %s %s: %d %s", try.method, try.path, r.status, r.body)
		}
	}
}
