package live

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
)

func noticeOf(t *testing.T, raw []byte) *Notice {
	t.Helper()
	var f struct {
		Notice *Notice `json:"notice"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("frame %s: %v", raw, err)
	}
	return f.Notice
}

// The chair's or the secretary's notice reaches every tablet, is part of the
// room's state (snapshot and replay) until withdrawn, is journaled, and is
// refused to anyone else or when empty or too long.
func TestNoticeReachesEveryTablet(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := e.dial(chairID, "")
	sec := e.dial(secretaryID, "")
	obs := e.dial(observerID, "")
	d0 := e.dial(delegateID(0), "")
	all := []*websocket.Conn{ch, sec, obs, d0}
	for _, c := range all {
		if f := readType(t, c, "snapshot"); !strings.Contains(string(f.raw), `"notice":null`) {
			t.Fatalf("snapshot without notice:null: %s", f.raw)
		}
	}

	// Only the chair and the secretary send or withdraw.
	for _, c := range []*websocket.Conn{d0, obs} {
		send(t, c, map[string]string{"type": "sendNotice", "text": "Giải lao 15 phút"})
		errFrame(t, c, "forbidden", "notice_forbidden")
		send(t, c, map[string]string{"type": "withdrawNotice"})
		errFrame(t, c, "forbidden", "notice_forbidden")
	}
	send(t, ch, map[string]string{"type": "sendNotice", "text": "   "})
	errFrame(t, ch, "invalid_argument", "notice_text_required")
	send(t, ch, map[string]string{"type": "sendNotice", "text": strings.Repeat("ạ", MaxNoticeRunes+1)})
	f := skipTo(t, ch, "error")
	if f.Error.Reason != "notice_text_too_long" || f.Error.Params["max"] != "200" {
		t.Fatalf("too long: %s", f.raw)
	}
	if _, err := e.hub.SendNotice(ctx, "m1", chair, "Giải lao\xff"); phonghop.Public(err).Reason != "notice_text_not_utf8" {
		t.Fatalf("not UTF-8: %v", err)
	}
	// What draws nothing or turns the text (a NUL, U+202E) is left out
	// (phonghop.CleanText), not shown on every tablet.
	if text, err := noticeText("Giải lao\x00\u202e 15 phút"); err != nil || text != "Giải lao 15 phút" {
		t.Fatalf("cleaned: %q %v", text, err)
	}
	// Withdrawing when there is none changes nothing.
	send(t, ch, map[string]string{"type": "withdrawNotice"})
	for _, c := range all {
		quiet(t, c)
	}

	// Exactly MaxNoticeRunes is allowed; the text is trimmed.
	send(t, ch, map[string]string{"type": "sendNotice", "text": "  Giải lao 15 phút  "})
	var first *Notice
	var firstSeq uint64
	for _, c := range all {
		f := readType(t, c, "notice")
		n := noticeOf(t, f.raw)
		if n == nil || n.Text != "Giải lao 15 phút" || n.By != chairID || n.ID == "" || n.At.IsZero() {
			t.Fatalf("got %s", f.raw)
		}
		first, firstSeq = n, f.Seq
	}
	// The secretary's notice takes its place, with a new id, on every tablet.
	long := strings.Repeat("ạ", MaxNoticeRunes)
	send(t, sec, map[string]string{"type": "sendNotice", "text": long})
	var second *Notice
	for _, c := range all {
		f := readType(t, c, "notice")
		second = noticeOf(t, f.raw)
		if second == nil || second.Text != long || second.By != secretaryID || second.ID == first.ID {
			t.Fatalf("got %s", f.raw)
		}
	}

	// A tablet that reconnects gets it: in its replay, or in its snapshot.
	if f := readType(t, e.dial(delegateID(1), "&since="+itoa(firstSeq)), "notice"); noticeOf(t, f.raw).ID != second.ID {
		t.Fatalf("replay: %s", f.raw)
	}
	snap := readType(t, e.dial(delegateID(2), ""), "snapshot")
	if snap.State.Notice == nil || snap.State.Notice.ID != second.ID {
		t.Fatalf("snapshot: %s", snap.raw)
	}
	if st, _, err := e.hub.State(ctx, "m1"); err != nil || st.Notice == nil || st.Notice.Text != long {
		t.Fatalf("State: %+v %v", st.Notice, err)
	}

	// The chair withdraws it for everyone: the event's notice is null.
	send(t, ch, map[string]string{"type": "withdrawNotice"})
	for _, c := range all {
		f := readType(t, c, "notice")
		if !strings.Contains(string(f.raw), `"notice":null`) {
			t.Fatalf("withdrawn: %s", f.raw)
		}
	}
	if snap := readType(t, e.dial(delegateID(3), ""), "snapshot"); snap.State.Notice != nil {
		t.Fatalf("snapshot after the withdrawal: %s", snap.raw)
	}

	// The journal keeps the two notices and the withdrawal.
	var notices []string
	for _, en := range e.rec.await(3, func(en journal.Entry) bool { return en.Type == TypeNotice }) {
		notices = append(notices, string(en.Data))
	}
	if len(notices) != 3 || !strings.Contains(notices[0], "Giải lao 15 phút") || notices[2] != "null" {
		t.Fatalf("journal: %v", notices)
	}
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Notices go on after the chair closed the meeting (the room is otherwise
// read-only): the chair may still tell the room where to go, and take a
// notice down.
func TestNoticeAfterClose(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.hub.OpenMeeting(ctx, "m1", chair); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.CloseMeeting(ctx, "m1", chair); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.SendNotice(ctx, "m1", chair, "Mời các đại biểu dùng cơm trưa tại tầng 1"); err != nil {
		t.Fatalf("notice after the close: %v", err)
	}
	if _, err := e.hub.WithdrawNotice(ctx, "m1", phonghop.User{ID: secretaryID}); err != nil {
		t.Fatalf("withdrawal after the close: %v", err)
	}
	if _, err := e.hub.CheckIn(ctx, "m1", delegateID(0)); phonghop.Public(err).Reason != "meeting_closed" {
		t.Fatalf("the room is still read-only: %v", err)
	}
}

// After a restart the notice comes back from the journal, and a withdrawn one
// stays withdrawn.
func TestNoticeRestoredFromJournal(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	j := &journal.Journal{Store: st}
	meeting := testMeeting(2)
	restart := func() *Hub {
		b := NewMemoryBroker(8)
		b.Restore, b.Journal = RestoreFromJournal(j), j
		h := NewHub(Config{Broker: b, Meetings: meetings{"m1": meeting}, Journal: j})
		t.Cleanup(func() { h.Shutdown(ctx) })
		return h
	}
	h := restart()
	if _, err := h.SendNotice(ctx, "m1", chair, "Mời các đại biểu về phòng họp"); err != nil {
		t.Fatal(err)
	}
	h.Shutdown(ctx)
	h = restart()
	s, _, err := h.State(ctx, "m1")
	if err != nil || s.Notice == nil || s.Notice.Text != "Mời các đại biểu về phòng họp" {
		t.Fatalf("restored: %+v %v", s.Notice, err)
	}
	if _, err := h.WithdrawNotice(ctx, "m1", chair); err != nil {
		t.Fatal(err)
	}
	h.Shutdown(ctx)
	h = restart()
	if s, _, err := h.State(ctx, "m1"); err != nil || s.Notice != nil {
		t.Fatalf("restored after the withdrawal: %+v %v", s.Notice, err)
	}
}
