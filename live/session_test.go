package live

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
)

func errFrame(t *testing.T, c *websocket.Conn, code, reason string) {
	t.Helper()
	f := skipTo(t, c, "error")
	if f.Error.Code != code || (reason != "" && f.Error.Reason != reason) {
		t.Fatalf("got %s, want %s/%s", f.raw, code, reason)
	}
}

// Issue #12: once the floor was given and the queue was empty, nobody could
// end the speech. The chair ends it; a speaker of any role finishes their own.
func TestEndSpeechAndFinish(t *testing.T) {
	e := newEnv(t)
	ch := e.dial(chairID, "")
	d0 := e.dial(delegateID(0), "")
	sec := e.dial(secretaryID, "")
	obs := e.dial(observerID, "")
	for _, c := range []*websocket.Conn{ch, d0, sec, obs} {
		readType(t, c, "snapshot")
	}
	send(t, ch, map[string]string{"type": "giveFloor", "userId": delegateID(0)})
	if f := readType(t, d0, "speakers"); f.Speakers.Current == nil || *f.Speakers.Current != delegateID(0) || len(f.Speakers.Queue) != 0 {
		t.Fatalf("got %s", f.raw)
	}
	// The queue is empty: "next" is a conflict, as before; "endSpeech" ends it.
	send(t, ch, map[string]string{"type": "nextSpeaker"})
	errFrame(t, ch, "conflict", "queue_empty")
	send(t, d0, map[string]string{"type": "endSpeech"}) // a delegate may not end it for the chair
	errFrame(t, d0, "forbidden", "chair_only_floor")
	send(t, ch, map[string]string{"type": "endSpeech"})
	if f := readType(t, d0, "speakers"); f.Speakers.Current != nil || f.Speakers.Since != nil {
		t.Fatalf("got %s", f.raw)
	}
	readType(t, ch, "speakers")

	// The speaker's own "finish", for a delegate and for a guest speaker.
	for _, who := range []struct {
		id string
		c  *websocket.Conn
	}{{delegateID(0), d0}, {secretaryID, sec}} {
		send(t, ch, map[string]string{"type": "giveFloor", "userId": who.id})
		readType(t, ch, "speakers")
		send(t, who.c, map[string]string{"type": "withdraw"})
		if f := skipTo(t, ch, "speakers"); f.Speakers.Current != nil {
			t.Fatalf("%s finishing: got %s", who.id, f.raw)
		}
	}
	// Someone who neither speaks nor may queue still cannot withdraw.
	send(t, obs, map[string]string{"type": "withdraw"})
	errFrame(t, obs, "forbidden", "speak_delegates_only")
	quiet(t, ch)
}

// The meeting is opened and closed by the chair only; the times reach every
// tablet and the journal; once closed, the room is read-only but a vote still
// finishes.
func TestOpenAndCloseMeeting(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := e.dial(chairID, "")
	d0 := e.dial(delegateID(0), "")
	sec := e.dial(secretaryID, "")
	for _, c := range []*websocket.Conn{ch, d0, sec} {
		readType(t, c, "snapshot")
	}
	// A hostile delegate and the secretary send the chair's messages.
	for _, c := range []*websocket.Conn{d0, sec} {
		for _, m := range []map[string]any{{"type": "openMeeting"}, {"type": "closeMeeting"}, {"type": "setSpeechLimit", "seconds": 60}} {
			send(t, c, m)
			errFrame(t, c, "forbidden", "chair_only_session")
		}
	}
	send(t, ch, map[string]string{"type": "closeMeeting"})
	errFrame(t, ch, "conflict", "meeting_not_opened")

	before := time.Now().UTC()
	send(t, ch, map[string]string{"type": "openMeeting"})
	f := readType(t, d0, "session")
	var s Session
	if err := json.Unmarshal(sessionPayload(t, f.raw), &s); err != nil || s.OpenedAt == nil || s.OpenedAt.Before(before) || s.ClosedAt != nil {
		t.Fatalf("got %s", f.raw)
	}
	readType(t, ch, "session")
	send(t, ch, map[string]string{"type": "openMeeting"}) // again: nothing changes
	quiet(t, ch)
	quiet(t, d0)

	// A vote still open stops the close.
	e.hub.PublishPoll(ctx, "m1", phonghop.Poll{ID: "p1", Title: "Khen thưởng 05 tập thể", State: phonghop.PollOpen})
	skipTo(t, ch, "poll")
	send(t, ch, map[string]string{"type": "closeMeeting"})
	errFrame(t, ch, "conflict", "meeting_poll_open")
	if _, err := e.hub.CloseMeeting(ctx, "m1", chair); phonghop.Public(err).Params["title"] != "Khen thưởng 05 tập thể" {
		t.Fatalf("close with a vote open: %v", err)
	}
	e.hub.PublishPoll(ctx, "m1", phonghop.Poll{ID: "p1", Title: "Khen thưởng 05 tập thể", State: phonghop.PollClosed})
	skipTo(t, d0, "poll")

	// Someone speaks and someone waits: closing takes the floor back.
	e.hub.CheckIn(ctx, "m1", delegateID(0))
	e.hub.RequestToSpeak(ctx, "m1", delegateID(1))
	e.hub.GiveFloor(ctx, "m1", chair, delegateID(0))
	e.hub.RequestToSpeak(ctx, "m1", delegateID(2))
	skipTo(t, d0, "speakers")
	skipTo(t, d0, "speakers")
	skipTo(t, d0, "speakers")
	send(t, ch, map[string]string{"type": "closeMeeting"})
	if f := readType(t, d0, "speakers"); f.Speakers.Current != nil || len(f.Speakers.Queue) != 0 {
		t.Fatalf("got %s", f.raw)
	}
	f = readType(t, d0, "session")
	if err := json.Unmarshal(sessionPayload(t, f.raw), &s); err != nil || s.ClosedAt == nil || s.OpenedAt == nil || s.ClosedAt.Before(*s.OpenedAt) {
		t.Fatalf("got %s", f.raw)
	}
	closedSeq := f.Seq
	if seq, err := e.hub.CloseMeeting(ctx, "m1", chair); err != nil || seq != closedSeq {
		t.Fatalf("closing again: seq %d err %v, want %d", seq, err, closedSeq)
	}

	// Read-only: every change of the room is refused, over the socket and in Go.
	for _, m := range []map[string]any{
		present("i1", "doc1", 2),
		{"type": "requestToSpeak"},
		{"type": "giveFloor", "userId": delegateID(1)},
		{"type": "setSpeechLimit", "seconds": 60},
		{"type": "openMeeting"},
		{"type": "markAttendance", "userId": delegateID(1), "present": true, "reason": "Đến muộn"},
	} {
		c := ch
		if m["type"] == "requestToSpeak" {
			c = d0
		}
		send(t, c, m)
		errFrame(t, c, "conflict", "meeting_closed")
	}
	if _, err := e.hub.CheckIn(ctx, "m1", delegateID(3)); phonghop.Public(err).Reason != "meeting_closed" {
		t.Fatalf("check-in after the close: %v", err)
	}
	if _, err := e.hub.CheckOut(ctx, "m1", delegateID(0)); phonghop.Public(err).Reason != "meeting_closed" {
		t.Fatalf("check-out after the close: %v", err)
	}
	if closed, err := e.hub.Closed(ctx, "m1"); !closed || err != nil {
		t.Fatalf("Closed = %v, %v", closed, err)
	}
	// A poll's result is still published (a vote racing the close finishes).
	if _, err := e.hub.PublishPoll(ctx, "m1", phonghop.Poll{ID: "p2", State: phonghop.PollClosed}); err != nil {
		t.Fatalf("publishing a poll after the close: %v", err)
	}
	skipTo(t, d0, "poll")
	quiet(t, d0)

	// A tablet that connects now learns it from its snapshot.
	late := e.dial(delegateID(4), "")
	snap := readType(t, late, "snapshot")
	if snap.State.Session.ClosedAt == nil || snap.State.Session.OpenedAt == nil {
		t.Fatalf("snapshot %s", snap.raw)
	}
	// The journal has both times for the minutes.
	var sessions []string
	for _, en := range e.rec.list() {
		if en.Type == TypeSession {
			sessions = append(sessions, string(en.Data))
		}
	}
	if len(sessions) != 2 || strings.Contains(sessions[0], `"closedAt"`) || !strings.Contains(sessions[1], `"closedAt"`) {
		t.Fatalf("journal sessions %v", sessions)
	}
}

func sessionPayload(t *testing.T, raw []byte) json.RawMessage {
	t.Helper()
	var f struct {
		Session json.RawMessage `json:"session"`
	}
	if err := json.Unmarshal(raw, &f); err != nil || f.Session == nil {
		t.Fatalf("no session in %s", raw)
	}
	return f.Session
}

// The speech limit is the chair's, in bounds, and reaches every tablet with
// the speech's server start time; the snapshot carries the server's clock.
func TestSpeechLimitAndServerTime(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := e.dial(chairID, "")
	readType(t, ch, "snapshot")
	for _, bad := range []int{-1, MaxSpeechLimitSeconds + 1} {
		send(t, ch, map[string]any{"type": "setSpeechLimit", "seconds": bad})
		errFrame(t, ch, "invalid_argument", "speech_limit_invalid")
	}
	send(t, ch, map[string]any{"type": "setSpeechLimit", "seconds": 180})
	f := readType(t, ch, "session")
	if !strings.Contains(string(f.raw), `"speechLimitSeconds":180`) {
		t.Fatalf("got %s", f.raw)
	}
	send(t, ch, map[string]any{"type": "setSpeechLimit", "seconds": 180}) // unchanged: nothing sent
	quiet(t, ch)
	e.hub.GiveFloor(ctx, "m1", chair, delegateID(1))
	sp := readType(t, ch, "speakers")

	// A tablet reloading mid-speech: its snapshot has the speech's start, the
	// limit and the server's time, so its countdown goes on where it was.
	time.Sleep(20 * time.Millisecond)
	d1 := e.dial(delegateID(1), "")
	snap := readType(t, d1, "snapshot")
	var st struct {
		Time  time.Time `json:"time"`
		State State     `json:"state"`
	}
	if err := json.Unmarshal(snap.raw, &st); err != nil {
		t.Fatal(err)
	}
	if st.State.Session.SpeechLimitSeconds != 180 || st.State.Speakers.Since == nil || !st.State.Speakers.Since.Equal(*sp.Speakers.Since) {
		t.Fatalf("snapshot %s", snap.raw)
	}
	if el := st.Time.Sub(*st.State.Speakers.Since); el < 20*time.Millisecond || el > 5*time.Second {
		t.Fatalf("server time %v, speech since %v", st.Time, st.State.Speakers.Since)
	}
	if s, err := e.hub.Session(ctx, "m1"); err != nil || s.SpeechLimitSeconds != 180 {
		t.Fatalf("Session = %+v, %v", s, err)
	}
}

// The secretary or the chair checks a delegate in or out on their behalf, with
// a reason; a delegate cannot; every tablet sees the quorum and its threshold.
func TestMarkAttendance(t *testing.T) {
	e := newEnv(t, func(c *Config, o *envOpts) { o.delegates = 5 }) // 6 voters with the presenter
	ctx := context.Background()
	d0 := e.dial(delegateID(0), "")
	readType(t, d0, "snapshot")
	sec := phonghop.User{ID: secretaryID}

	if _, err := e.hub.MarkAttendance(ctx, "m1", phonghop.User{ID: delegateID(0)}, delegateID(1), true, "Không có máy tính bảng"); phonghop.Public(err).Reason != "attendance_mark_forbidden" {
		t.Fatalf("a delegate marks another: %v", err)
	}
	send(t, d0, map[string]any{"type": "markAttendance", "userId": delegateID(1), "present": true, "reason": "x"})
	errFrame(t, d0, "forbidden", "attendance_mark_forbidden")
	for _, c := range []struct {
		user, reason, want string
	}{
		{delegateID(1), "  ", "attendance_reason_required"},
		{delegateID(1), strings.Repeat("á", MaxReasonRunes+1), "attendance_reason_too_long"},
		{delegateID(1), "bad \xff", "attendance_reason_not_utf8"},
		{"stranger", "Đến muộn", "user_not_participant"},
	} {
		if _, err := e.hub.MarkAttendance(ctx, "m1", sec, c.user, true, c.reason); phonghop.Public(err).Reason != c.want {
			t.Fatalf("%q %q: %v, want %s", c.user, c.reason, err, c.want)
		}
	}
	if _, err := e.hub.MarkAttendance(ctx, "m1", sec, delegateID(1), true, " Không có máy tính bảng "); err != nil {
		t.Fatal(err)
	}
	f := readType(t, d0, "attendance")
	a := f.Attendance
	mk, ok := a.Marks[delegateID(1)]
	if fmt.Sprint(a.Present) != "[d01]" || !ok || !mk.Present || mk.Reason != "Không có máy tính bảng" || mk.By != secretaryID || mk.At.IsZero() {
		t.Fatalf("got %s", f.raw)
	}
	if a.Expected != 6 || a.PresentDelegates != 1 || a.QuorumNeeded != 4 || a.Quorum {
		t.Fatalf("quorum figures %s", f.raw)
	}
	// The same mark again changes nothing; an apology for someone absent does.
	e.hub.MarkAttendance(ctx, "m1", sec, delegateID(1), true, "Không có máy tính bảng")
	e.hub.MarkAttendance(ctx, "m1", chair, delegateID(2), false, "Đi công tác")
	f = readType(t, d0, "attendance")
	if mk := f.Attendance.Marks[delegateID(2)]; mk.Present || mk.Reason != "Đi công tác" || mk.By != chairID || fmt.Sprint(f.Attendance.Present) != "[d01]" {
		t.Fatalf("got %s", f.raw)
	}
	// Checking in themselves clears the apology; a check-in that changes
	// nothing keeps a mark.
	e.hub.CheckIn(ctx, "m1", delegateID(2))
	f = readType(t, d0, "attendance")
	if _, ok := f.Attendance.Marks[delegateID(2)]; ok || fmt.Sprint(f.Attendance.Present) != "[d01 d02]" {
		t.Fatalf("got %s", f.raw)
	}
	e.hub.CheckIn(ctx, "m1", delegateID(1))
	for _, id := range []string{presenterID, delegateID(3)} {
		e.hub.CheckIn(ctx, "m1", id)
	}
	readType(t, d0, "attendance")
	f = readType(t, d0, "attendance")
	if _, ok := f.Attendance.Marks[delegateID(1)]; !ok || f.Attendance.PresentDelegates != 4 || !f.Attendance.Quorum {
		t.Fatalf("got %s", f.raw)
	}
	quiet(t, d0)
	st, _, _ := e.hub.State(ctx, "m1")
	if st.Attendance.Marks[delegateID(1)].Reason != "Không có máy tính bảng" || st.Attendance.QuorumNeeded != 4 {
		t.Fatalf("state %+v", st.Attendance)
	}
}

// A closed meeting stays closed after the single process restarts: the
// session is journaled like the rest of the room.
func TestClosedMeetingSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	j := &journal.Journal{Store: st}
	meeting := testMeeting(3)
	before := NewHub(Config{Broker: NewMemoryBroker(8), Meetings: meetings{"m1": meeting}, Journal: j})
	for _, step := range []func() (uint64, error){
		func() (uint64, error) { return before.OpenMeeting(ctx, "m1", chair) },
		func() (uint64, error) { return before.SetSpeechLimit(ctx, "m1", chair, 120) },
		func() (uint64, error) {
			return before.MarkAttendance(ctx, "m1", phonghop.User{ID: secretaryID}, delegateID(0), false, "Đi công tác")
		},
		func() (uint64, error) { return before.CloseMeeting(ctx, "m1", chair) },
	} {
		if _, err := step(); err != nil {
			t.Fatal(err)
		}
	}
	_ = before.Shutdown(ctx)

	b := NewMemoryBroker(8)
	b.Restore = RestoreFromJournal(j)
	after := NewHub(Config{Broker: b, Meetings: meetings{"m1": meeting}, Journal: j})
	defer after.Shutdown(ctx)
	s, _, err := after.State(ctx, "m1")
	if err != nil || s.Session.ClosedAt == nil || s.Session.SpeechLimitSeconds != 120 || s.Attendance.Marks[delegateID(0)].Reason != "Đi công tác" {
		t.Fatalf("restored %+v, %v", s, err)
	}
	if _, err := after.CheckIn(ctx, "m1", delegateID(1)); phonghop.Public(err).Reason != "meeting_closed" {
		t.Fatalf("check-in after restart: %v", err)
	}
}

// The chair takes up an agenda item that has nothing to show (an opening, a
// discussion): it becomes the current item for the wall and the minutes.
func TestChairTakesUpItemWithoutDocument(t *testing.T) {
	e := newEnv(t)
	ch := e.dial(chairID, "")
	pr := e.dial(presenterID, "")
	readType(t, ch, "snapshot")
	readType(t, pr, "snapshot")
	send(t, ch, present("i2", "", 0))
	f := readType(t, pr, "presentation")
	if f.Presentation.AgendaItemID != "i2" || f.Presentation.DocumentID != "" || f.Presentation.Page != 1 {
		t.Fatalf("got %s", f.raw)
	}
	readType(t, ch, "presentation")
	send(t, ch, present("i2", "", 1)) // the same: nothing sent
	quiet(t, ch)
	send(t, ch, present("i1", "", 1))
	readType(t, pr, "presentation")
	// The item's presenter shows documents, not nothing.
	send(t, pr, present("i1", "", 1))
	errFrame(t, pr, "invalid_argument", "document_unknown")
	journaled := len(e.rec.await(2, func(en journal.Entry) bool {
		return en.Type == TypePresentation && strings.Contains(string(en.Data), `"documentId":""`)
	}))
	if journaled != 2 {
		t.Fatalf("%d item take-ups journaled, want 2", journaled)
	}
}
