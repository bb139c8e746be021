package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop/consult"
	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/storage"
)

// consultFrame is a live frame of the consultations.
type consultFrame struct {
	Type         string                     `json:"type"`
	Seq          uint64                     `json:"seq"`
	Consultation *consult.ConsultationEvent `json:"consultation"`
	Opinion      *consult.OpinionEvent      `json:"opinion"`
}

// consultSocket reads a participant's frames, from since when not empty.
func consultSocket(t *testing.T, h *harness, mid, as, since string) *websocket.Conn {
	t.Helper()
	u := wsURL(h, mid)
	if since != "" {
		u += "?since=" + since
	}
	conn, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + h.tokens[as]}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if since == "" {
		// The snapshot: from here on the socket receives every event (one
		// before it is in no snapshot; a tablet reloads over REST).
		until(t, conn, func(f consultFrame) bool { return f.Type == "snapshot" })
	}
	return conn
}

// until reads frames until want says stop, returning those read; it fails
// after 20 s (a loaded machine) without one.
func until(t *testing.T, conn *websocket.Conn, want func(consultFrame) bool) []consultFrame {
	t.Helper()
	var seen []consultFrame
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn.SetReadDeadline(deadline)
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("no awaited frame (read %d): %v", len(seen), err)
		}
		var f consultFrame
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, f)
		if want(f) {
			return seen
		}
	}
}

func consultAction(typ, action string) func(consultFrame) bool {
	return func(f consultFrame) bool {
		switch {
		case typ == "consultation" && f.Consultation != nil:
			return f.Consultation.Action == action
		case typ == "opinion" && f.Opinion != nil:
			return f.Opinion.Action == action
		}
		return false
	}
}

// The consultation flow over HTTP and the live room: who may do what, and a
// delegate never receives another delegate's opinion, live or in replay.
func TestConsultationsOverHTTP(t *testing.T) { forEachStore(t, testConsultationsOverHTTP) }

func testConsultationsOverHTTP(t *testing.T, base storage.Store) {
	h := newHarness(t, base)
	f := h.meeting(2)
	base1 := "/api/v1/meetings/" + f.id + "/consultations"
	sec := consultSocket(t, h, f.id, "thuky", "")
	d1 := consultSocket(t, h, f.id, "daibieu01", "")
	d2 := consultSocket(t, h, f.id, "daibieu02", "")

	body := map[string]any{"title": "Góp ý dự thảo Báo cáo tổng kết", "documentIds": []string{f.doc},
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}
	if r := h.do("POST", base1, "daibieu01", body); r.status != 403 {
		t.Fatalf("a delegate opened a consultation: %d %s", r.status, r.body)
	}
	if r := h.do("POST", base1, "outsider", body); r.status != 404 {
		t.Fatalf("an outsider: %d %s", r.status, r.body)
	}
	if r := h.do("POST", base1, "thuky", body, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"); r.status != 403 {
		t.Fatalf("a cross-site request: %d %s", r.status, r.body)
	}
	var c consult.Consultation
	h.mustDo("POST", base1, "thuky", body, 201, &c)
	if c.Addressed != 2 || c.State != "open" {
		t.Fatalf("created %+v", c)
	}
	until(t, d1, consultAction("consultation", "opened"))
	until(t, d2, consultAction("consultation", "opened"))

	var list struct {
		Time          time.Time              `json:"time"`
		Consultations []consult.Consultation `json:"consultations"`
	}
	h.mustDo("GET", base1, "daibieu02", nil, 200, &list)
	if len(list.Consultations) != 1 || list.Time.IsZero() || list.Consultations[0].Answered != nil {
		t.Fatalf("delegate's list %+v", list)
	}
	h.mustDo("GET", base1, "admin", nil, 200, &list)
	if r := h.do("GET", base1+"/"+c.ID, "outsider", nil); r.status != 404 {
		t.Fatalf("outsider reads it: %d", r.status)
	}
	if r := h.do("GET", base1+"/nope", "daibieu01", nil); r.status != 404 {
		t.Fatalf("unknown consultation: %d", r.status)
	}

	// d1 writes; the secretariat hears it, d2 does not.
	var o consult.Opinion
	h.mustDo("POST", base1+"/"+c.ID+"/opinions", "daibieu01", map[string]any{"documentId": f.doc, "page": 2,
		"rects": []map[string]float64{{"x": 0.1, "y": 0.1, "w": 0.5, "h": 0.05}}, "text": "Đề nghị bổ sung số liệu quý IV."}, 201, &o)
	got := until(t, sec, consultAction("opinion", "added"))
	if ev := got[len(got)-1].Opinion; ev.Opinion.ID != o.ID || ev.Answered != 1 {
		t.Fatalf("secretary's event %+v", ev)
	}
	if r := h.do("POST", base1+"/"+c.ID+"/opinions", "chutich", map[string]any{"documentId": f.doc, "text": "x"}); r.status != 403 {
		t.Fatalf("the chair wrote an opinion: %d", r.status)
	}
	if r := h.do("POST", base1+"/"+c.ID+"/opinions", "daibieu02", map[string]any{"documentId": "0123456789abcdef01234567", "text": "x"}); r.status != 400 {
		t.Fatalf("an opinion on a document outside it: %d %s", r.status, r.body)
	}
	if r := h.do("PUT", base1+"/"+c.ID+"/opinions/"+o.ID, "daibieu02", map[string]any{"page": 1, "text": "x"}); r.status != 404 {
		t.Fatalf("d2 edited d1's opinion: %d", r.status)
	}
	var ops struct{ Opinions []consult.Opinion }
	h.mustDo("GET", base1+"/"+c.ID+"/opinions", "daibieu02", nil, 200, &ops)
	if len(ops.Opinions) != 0 {
		t.Fatalf("d2 reads %v", ops.Opinions)
	}
	h.mustDo("GET", base1+"/"+c.ID+"/opinions", "thuky", nil, 200, &ops)
	if len(ops.Opinions) != 1 {
		t.Fatalf("secretary reads %v", ops.Opinions)
	}
	// A change everyone hears: d2's frames up to it hold no opinion.
	h.mustDo("PATCH", base1+"/"+c.ID, "chutich", map[string]any{"note": "Hạn chót trước phiên chiều."}, 200, nil)
	for _, fr := range until(t, d2, consultAction("consultation", "changed")) {
		if fr.Type == "opinion" {
			t.Fatalf("d2 received d1's opinion: %+v", fr.Opinion)
		}
	}
	// Nor in replay.
	replay := consultSocket(t, h, f.id, "daibieu02", "0")
	for _, fr := range until(t, replay, consultAction("consultation", "changed")) {
		if fr.Type == "opinion" {
			t.Fatalf("d2 received d1's opinion in replay: %+v", fr.Opinion)
		}
	}

	var resp consult.Responses
	h.mustDo("GET", base1+"/"+c.ID+"/responses", "thuky", nil, 200, &resp)
	if len(resp.Answered) != 1 || len(resp.NotAnswered) != 1 || resp.NotAnswered[0].UserID != h.users["daibieu02"].ID {
		t.Fatalf("responses %+v", resp)
	}
	if r := h.do("GET", base1+"/"+c.ID+"/responses", "daibieu01", nil); r.status != 403 {
		t.Fatalf("a delegate read the responses: %d", r.status)
	}
	r := h.mustDo("GET", base1+"/"+c.ID+"/summary.pdf", "thuky", nil, 200, nil)
	if r.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(r.body), "%PDF-") ||
		!strings.Contains(r.header.Get("Content-Disposition"), "tong-hop-y-kien-"+c.ID+".pdf") {
		t.Fatalf("summary.pdf: %v", r.header)
	}
	r = h.mustDo("GET", base1+"/"+c.ID+"/summary.docx", "admin", nil, 200, nil)
	if !strings.HasPrefix(string(r.body), "PK") {
		t.Fatal("summary.docx is no zip")
	}
	if r := h.do("GET", base1+"/"+c.ID+"/summary.pdf", "daibieu01", nil); r.status != 403 {
		t.Fatalf("a delegate got the summary: %d", r.status)
	}

	// Withdraw, close; then nothing is taken.
	if r := h.do("DELETE", base1+"/"+c.ID+"/opinions/"+o.ID, "daibieu01", nil); r.status != 204 {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	h.mustDo("POST", base1+"/"+c.ID+"/close", "thuky", nil, 200, &c)
	if c.State != "closed" {
		t.Fatalf("closed: %+v", c)
	}
	until(t, d1, consultAction("consultation", "closed"))
	r = h.do("POST", base1+"/"+c.ID+"/opinions", "daibieu01", map[string]any{"documentId": f.doc, "text": "muộn"})
	if r.status != 409 || !strings.Contains(string(r.body), "consultation_closed") {
		t.Fatalf("after the close: %d %s", r.status, r.body)
	}

	// The journal (what the minutes are assembled from) keeps none of it:
	// opinions are the secretariat's, not the meeting's record.
	infos, err := h.store.List(context.Background(), "meetings/"+f.id+"/journal/")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		var e journal.Entry
		if _, err := storage.GetJSON(context.Background(), h.store, in.Key, &e); err != nil {
			continue // the seq mark
		}
		if e.Type == "consultation" || e.Type == "opinion" {
			t.Fatalf("journaled: %s %s", e.Type, e.Data)
		}
	}
	var md struct {
		Items []json.RawMessage `json:"items"`
	}
	h.mustDo("GET", "/api/v1/meetings/"+f.id+"/minutes", "thuky", nil, 200, &md)
	if r := h.mustDo("GET", "/api/v1/meetings/"+f.id+"/minutes", "thuky", nil, 200, nil); strings.Contains(string(r.body), "Đề nghị bổ sung số liệu") {
		t.Fatal("an opinion is in the minutes' draft")
	}
}
