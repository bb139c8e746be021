package natsbroker

import (
	"context"
	"testing"
	"time"

	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

// A meeting's stream deleted while the meeting is live (an operator's
// mistake, NATS restored from an older backup) comes back from the journal
// above every seq handed out, page turns included (the journal does not
// have them; the seqs reserved in the store do), also when a process that
// never read the stream makes it again. A tablet connected through it
// receives the next change; one reconnecting with its since gets a snapshot,
// never a replay that skips the change.
func TestMeetingStreamDeletedWhileLive(t *testing.T) {
	url := natstest.URL(t)
	j := testJournal(t)
	m := testMeeting(newMeetingID(), 4)
	a, b, c := journaled(t, url, m, j), journaled(t, url, m, j), journaled(t, url, m, j)
	ctx := context.Background()

	tablet := b.dial(t, delegateID(0), "")
	expect(t, tablet, "snapshot", 0)
	if _, err := a.hub.Present(ctx, m.ID, chair, live.Presentation{AgendaItemID: "i1", DocumentID: "doc1", Page: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.hub.CheckIn(ctx, m.ID, delegateID(0)); err != nil {
		t.Fatal(err)
	}
	var last uint64
	for page := 2; page <= 8; page++ { // not journaled
		seq, err := a.hub.Present(ctx, m.ID, chair, live.Presentation{AgendaItemID: "i1", DocumentID: "doc1", Page: page})
		if err != nil {
			t.Fatal(err)
		}
		last = seq
	}
	for seq := uint64(1); seq <= last; seq++ {
		readFrame(t, tablet, 5*time.Second)
	}
	// The reservation runs beside the appends: wait until it covers them.
	waitFor(t, 10*time.Second, "the seqs to be reserved", func() bool {
		r, err := j.Reserved(ctx, m.ID)
		return err == nil && r >= last
	})

	if err := a.broker.js.DeleteStream(ctx, a.broker.streamName(m.ID)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// C never read the meeting: it knows no seq of it but the store's.
	seq, err := c.hub.CheckIn(ctx, m.ID, delegateID(1))
	if err != nil {
		t.Fatalf("check-in after the deletion: %v", err)
	}
	if seq <= last {
		t.Fatalf("check-in after the deletion got seq %d, at or below %d already handed out", seq, last)
	}
	// The tablet connected through it receives it.
	for {
		f := readFrame(t, tablet, 30*time.Second)
		if f.Seq <= last {
			t.Fatalf("after the deletion the tablet got %s seq %d, at or below %d", f.Type, f.Seq, last)
		}
		if f.Type == "attendance" && f.Seq == seq {
			break
		}
	}
	t.Logf("stream deleted: the next change reached a connected tablet after %v", time.Since(start))
	// One reconnecting with its since gets a snapshot holding the change.
	back := a.dial(t, delegateID(2), "&since="+itoa(last))
	f := readFrame(t, back, 5*time.Second)
	if f.Type != "snapshot" || f.Seq < seq || len(f.State.Attendance.Present) != 2 {
		t.Fatalf("reconnecting with since=%d: %s seq %d %+v", last, f.Type, f.Seq, f.State)
	}
	// The journal has the change at its seq, beside those from before.
	entries, err := j.Entries(ctx, m.ID)
	if err != nil || len(entries) != 3 || entries[2].Seq != seq {
		t.Fatalf("journal %+v, %v", entries, err)
	}
}
