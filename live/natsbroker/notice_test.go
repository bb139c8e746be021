package natsbroker

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

// readNotice reads the next frame, which must be the notice event at seq.
func readNotice(t *testing.T, c *websocket.Conn, seq uint64) *live.Notice {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var f struct {
		Type   string       `json:"type"`
		Seq    uint64       `json:"seq"`
		Notice *live.Notice `json:"notice"`
	}
	if err := json.Unmarshal(b, &f); err != nil || f.Type != "notice" || f.Seq != seq {
		t.Fatalf("got %s, want the notice at seq %d", b, seq)
	}
	return f.Notice
}

// A notice sent on one process reaches the tablets on another, is in the
// room's state there until withdrawn, and a delegate may not send one.
func TestNoticeAcrossProcesses(t *testing.T) {
	url := natstest.URL(t)
	m := testMeeting(newMeetingID(), 2)
	a, b := newProcess(t, url, m), newProcess(t, url, m)
	ctx := context.Background()
	delegateWS := b.dial(t, delegateID(0), "")
	expect(t, delegateWS, "snapshot", 0)

	if _, err := b.hub.SendNotice(ctx, m.ID, phonghop.User{ID: delegateID(1)}, "Giải lao"); phonghop.Public(err).Reason != "notice_forbidden" {
		t.Fatalf("a delegate's notice: %v", err)
	}
	if seq, err := a.hub.SendNotice(ctx, m.ID, chair, "Giải lao 15 phút"); err != nil || seq != 1 {
		t.Fatalf("send: seq %d, %v", seq, err)
	}
	if n := readNotice(t, delegateWS, 1); n == nil || n.Text != "Giải lao 15 phút" || n.By != chairID {
		t.Fatalf("notice on B: %+v", n)
	}
	snap := expect(t, b.dial(t, delegateID(1), ""), "snapshot", 1)
	if snap.State.Notice == nil || snap.State.Notice.Text != "Giải lao 15 phút" {
		t.Fatalf("snapshot on B: %+v", snap.State.Notice)
	}
	if _, err := a.hub.WithdrawNotice(ctx, m.ID, chair); err != nil {
		t.Fatal(err)
	}
	if n := readNotice(t, delegateWS, 2); n != nil {
		t.Fatalf("withdrawn notice on B: %+v", n)
	}
	if st, _, err := b.hub.State(ctx, m.ID); err != nil || st.Notice != nil {
		t.Fatalf("state on B after the withdrawal: %+v %v", st.Notice, err)
	}
}
