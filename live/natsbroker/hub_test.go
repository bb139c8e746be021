package natsbroker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

const chairID = "u-chair"

var chair = phonghop.User{ID: chairID}

func delegateID(i int) string { return fmt.Sprintf("d%02d", i) }

func newMeetingID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// meetings serves one meeting built by the test.
type meetings struct{ m *phonghop.Meeting }

func (ms meetings) Meeting(ctx context.Context, id string) (*phonghop.Meeting, error) {
	if id != ms.m.ID {
		return nil, phonghop.Fail(phonghop.ENotFound, "meeting_not_found")
	}
	return ms.m, nil
}

func testMeeting(id string, delegates int) *phonghop.Meeting {
	m := &phonghop.Meeting{
		ID:           id,
		Title:        "Họp UBND xã",
		Participants: []phonghop.Participant{{UserID: chairID, Role: phonghop.RoleChair}},
		Agenda:       []phonghop.AgendaItem{{ID: "i1", Title: "Báo cáo", DocumentIDs: []string{"doc1"}}},
		Documents:    []phonghop.Document{{ID: "doc1", Name: "bao-cao.pdf", Pages: 40}},
	}
	for i := 0; i < delegates; i++ {
		m.Participants = append(m.Participants, phonghop.Participant{UserID: delegateID(i), Role: phonghop.RoleDelegate})
	}
	return m
}

// process is one phonghop process: its own NATS connection, hub and HTTP
// server. The handler trusts ?user= and ?session=, as authentication is the
// server's job.
type process struct {
	broker *Broker
	hub    *live.Hub
	url    string // ws://...
}

func newProcess(t testing.TB, natsURL string, m *phonghop.Meeting) *process {
	t.Helper()
	p := &process{broker: open(t, natsURL)}
	p.hub = live.NewHub(live.Config{Broker: p.broker, Meetings: meetings{m}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p.hub.ServeWS(w, r, live.Client{MeetingID: m.ID, User: phonghop.User{ID: q.Get("user")}, SessionID: q.Get("session")})
	}))
	p.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.hub.Shutdown(ctx)
		srv.Close()
	})
	return p
}

func (p *process) dial(t testing.TB, user, query string) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(p.url+"?user="+user+query, nil)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", user, err, resp)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type frame struct {
	Type         string             `json:"type"`
	Seq          uint64             `json:"seq"`
	State        *live.State        `json:"state"`
	Presentation *live.Presentation `json:"presentation"`
	Attendance   *live.Attendance   `json:"attendance"`
}

func readFrame(t testing.TB, c *websocket.Conn, within time.Duration) frame {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(within))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("frame %q: %v", b, err)
	}
	return f
}

func expect(t testing.TB, c *websocket.Conn, typ string, seq uint64) frame {
	t.Helper()
	f := readFrame(t, c, 5*time.Second)
	if f.Type != typ || f.Seq != seq {
		t.Fatalf("got %s seq %d, want %s seq %d", f.Type, f.Seq, typ, seq)
	}
	return f
}

func closeCode(t testing.TB, c *websocket.Conn) int {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		t.Fatalf("connection ended without a close frame: %v", err)
	}
}

// Two hubs on two NATS connections are two processes: what the chair does on
// one reaches tablets on the other with the same seq, and since replays there
// what was appended here.
func TestTwoProcesses(t *testing.T) {
	url := natstest.URL(t)
	m := testMeeting(newMeetingID(), 4)
	a, b := newProcess(t, url, m), newProcess(t, url, m)

	chairWS := a.dial(t, chairID, "")
	delegateWS := b.dial(t, delegateID(0), "")
	if f := expect(t, chairWS, "snapshot", 0); f.State.Presentation != nil {
		t.Fatalf("fresh meeting presents %+v", f.State.Presentation)
	}
	expect(t, delegateWS, "snapshot", 0)

	// The chair turns pages on process A, over its socket.
	for page := 1; page <= 3; page++ {
		if err := chairWS.WriteJSON(map[string]any{"type": "present", "agendaItemId": "i1", "documentId": "doc1", "page": page}); err != nil {
			t.Fatal(err)
		}
		fa := expect(t, chairWS, "presentation", uint64(page))
		fb := expect(t, delegateWS, "presentation", uint64(page))
		if fa.Presentation.Page != page || fb.Presentation.Page != page {
			t.Fatalf("page %d: chair sees %d, delegate on B sees %d", page, fa.Presentation.Page, fb.Presentation.Page)
		}
	}
	// Check-ins on both processes share one sequence.
	ctx := context.Background()
	if seq, err := b.hub.CheckIn(ctx, m.ID, delegateID(0)); err != nil || seq != 4 {
		t.Fatalf("check-in on B: seq %d, %v", seq, err)
	}
	if seq, err := a.hub.CheckIn(ctx, m.ID, delegateID(1)); err != nil || seq != 5 {
		t.Fatalf("check-in on A: seq %d, %v", seq, err)
	}
	for _, c := range []*websocket.Conn{chairWS, delegateWS} {
		expect(t, c, "attendance", 4)
		if f := expect(t, c, "attendance", 5); len(f.Attendance.Present) != 2 {
			t.Fatalf("present: %v", f.Attendance.Present)
		}
	}
	// A tablet reconnecting to B with since=1 gets exactly what A appended after 1.
	late := b.dial(t, delegateID(2), "&since=1")
	for seq := uint64(2); seq <= 3; seq++ {
		expect(t, late, "presentation", seq)
	}
	expect(t, late, "attendance", 4)
	expect(t, late, "attendance", 5)
	// A new tablet on B without since gets the room as A left it.
	fresh := b.dial(t, delegateID(3), "")
	f := expect(t, fresh, "snapshot", 5)
	if f.State.Presentation == nil || f.State.Presentation.Page != 3 || len(f.State.Attendance.Present) != 2 {
		t.Fatalf("snapshot on B: %+v", f.State)
	}
}

// A logout or a removal on one process closes the sockets on every process
// through the control channel, wired as the server should wire it.
func TestControlClosesSocketsEverywhere(t *testing.T) {
	url := natstest.URL(t)
	m := testMeeting(newMeetingID(), 2)
	a, b := newProcess(t, url, m), newProcess(t, url, m)
	for _, p := range []*process{a, b} {
		hub := p.hub
		cancel, err := p.broker.SubscribeControl(func(kind, id string) {
			switch kind {
			case ControlSession:
				hub.CloseSession(id)
			case ControlUser:
				if mid, uid, ok := SplitUserControlID(id); ok {
					hub.CloseUser(mid, uid)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cancel)
	}
	onA := a.dial(t, delegateID(0), "&session=s1")
	onB := b.dial(t, delegateID(0), "&session=s1")
	other := b.dial(t, delegateID(1), "&session=s2")
	for _, c := range []*websocket.Conn{onA, onB, other} {
		expect(t, c, "snapshot", 0)
	}
	if err := a.broker.PublishControl(context.Background(), ControlSession, "s1"); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*websocket.Conn{"A": onA, "B": onB} {
		if code := closeCode(t, c); code != live.CloseSessionEnded {
			t.Fatalf("session socket on %s closed with %d", name, code)
		}
	}
	if err := a.broker.PublishControl(context.Background(), ControlUser, UserControlID(m.ID, delegateID(1))); err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, other); code != live.CloseRemoved {
		t.Fatalf("removed user's socket on B closed with %d", code)
	}
}

// NATS stops and comes back on the same port and store while both processes
// run: an append during the outage is reported as unavailable (not lost
// silently, not applied later), and afterwards the room goes on.
func TestNATSRestart(t *testing.T) {
	srv, err := natstest.StartLocal()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	m := testMeeting(newMeetingID(), 2)
	a, b := newProcess(t, srv.URL, m), newProcess(t, srv.URL, m)
	ctx := context.Background()
	delegateWS := b.dial(t, delegateID(0), "")
	expect(t, delegateWS, "snapshot", 0)
	if _, err := a.hub.Present(ctx, m.ID, chair, live.Presentation{AgendaItemID: "i1", DocumentID: "doc1", Page: 1}); err != nil {
		t.Fatal(err)
	}
	expect(t, delegateWS, "presentation", 1)

	srv.Halt()
	waitFor(t, 5*time.Second, "disconnect", func() bool { return !a.broker.nc.IsConnected() && !b.broker.nc.IsConnected() })
	start := time.Now()
	_, err = a.hub.Present(ctx, m.ID, chair, live.Presentation{AgendaItemID: "i1", DocumentID: "doc1", Page: 2})
	if phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("present during the outage: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("present during the outage took %v to fail", d)
	}
	if _, err := b.broker.Append(ctx, m.ID, live.Event{Subject: "presentation", Type: "presentation", Payload: []byte(`{}`)}, -1); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("append during the outage: %v", err)
	}
	if err := a.broker.Ping(ctx); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("ping during the outage: %v", err)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "reconnect", func() bool { return a.broker.Ping(ctx) == nil && b.broker.Ping(ctx) == nil })
	// The failed appends did not land: the next page is seq 2.
	var seq uint64
	waitFor(t, 15*time.Second, "present after restart", func() bool {
		seq, err = a.hub.Present(ctx, m.ID, chair, live.Presentation{AgendaItemID: "i1", DocumentID: "doc1", Page: 3})
		return err == nil
	})
	if seq != 2 {
		t.Fatalf("first seq after the outage: %d, want 2", seq)
	}
	// B's subscription came back by itself: its tablet gets the page.
	if f := readFrame(t, delegateWS, 20*time.Second); f.Type != "presentation" || f.Seq != 2 || f.Presentation.Page != 3 {
		t.Fatalf("after restart the delegate got %+v", f)
	}
	// And a fresh tablet on B sees the same room.
	f := expect(t, b.dial(t, delegateID(1), ""), "snapshot", 2)
	if f.State.Presentation.Page != 3 {
		t.Fatalf("snapshot after restart: %+v", f.State.Presentation)
	}
}

func waitFor(t testing.TB, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A frozen server (connections open, nothing answered) makes Append fail as
// unavailable within Config.Timeout instead of hanging the room; once it thaws
// the room goes on with one sequence. An Append reported as failed may still
// have landed (the server had it before it froze): the failure is reported,
// never a silent loss, and the seq stays gap-free either way.
func TestNATSFrozen(t *testing.T) {
	srv, err := natstest.StartLocal()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	m := testMeeting(newMeetingID(), 1)
	a := newProcess(t, srv.URL, m)
	ctx := context.Background()
	if _, err := a.hub.Present(ctx, m.ID, chair, live.Presentation{AgendaItemID: "i1", DocumentID: "doc1", Page: 1}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Freeze(); err != nil {
		t.Fatal(err)
	}
	thawed := false
	thaw := func() {
		if !thawed {
			srv.Thaw()
			thawed = true
		}
	}
	t.Cleanup(thaw)
	start := time.Now()
	_, err = a.broker.Append(ctx, m.ID, live.Event{Subject: "presentation", Type: "presentation", Payload: []byte(`{}`)}, -1)
	if phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("append to a frozen server: %v", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("append took %v with a 2 s timeout", d)
	}
	if err := a.broker.Ping(ctx); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("ping of a frozen server: %v", err)
	}
	thaw()
	seq, err := a.hub.Present(ctx, m.ID, chair, live.Presentation{AgendaItemID: "i1", DocumentID: "doc1", Page: 2})
	if err != nil {
		t.Fatal(err)
	}
	// 2 if the frozen append was lost with the freeze, 3 if it had reached the
	// server; the reader sees a sequence without holes in either case.
	if seq != 2 && seq != 3 {
		t.Fatalf("seq after thaw: %d", seq)
	}
	evs, complete, err := a.broker.Since(ctx, m.ID, 0)
	if err != nil || !complete || uint64(len(evs)) != seq {
		t.Fatalf("since 0: %d events, complete %v, %v", len(evs), complete, err)
	}
	t.Logf("the append reported as failed landed: %v", seq == 3)
}
