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
