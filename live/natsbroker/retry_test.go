package natsbroker

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/live"
)

// dropLookUps leaves the next n stream look-ups unanswered; the others go
// through.
func dropLookUps(n *atomic.Int64) fault {
	return func(ctx context.Context, call string, _ int, do func() error) error {
		if call == "stream" && n.Add(-1) >= 0 {
			return unanswered(ctx, do)
		}
		return do()
	}
}

// A tablet's first snapshot or replay (Last, Since) waits for the meeting's
// stream to open for as long as the open runs, not one Timeout: the open goes
// on for up to LeaderWait, and a read that stopped waiting at Timeout failed
// a tablet whose meeting opened a moment later.
func TestReadsWaitForTheOpen(t *testing.T) {
	ctx := context.Background()
	var drops atomic.Int64
	b, _ := faultyBroker(t, Config{Timeout: 2 * time.Second, LeaderWait: 60 * time.Second}, dropLookUps(&drops))
	for _, read := range []struct {
		name string
		read func(mid string) error
	}{
		{"last", func(mid string) error { _, _, err := b.Last(ctx, mid); return err }},
		{"since", func(mid string) error { _, _, err := b.Since(ctx, mid, 0); return err }},
	} {
		drops.Store(3) // 1 s, 2 s, 2 s: the open takes longer than Timeout
		t0 := time.Now()
		if err := read.read(newMeetingID()); err != nil {
			t.Fatalf("%s of a meeting whose stream opened after %s: %v", read.name, time.Since(t0), err)
		}
		if took := time.Since(t0); took < b.cfg.Timeout {
			t.Fatalf("%s: the open took %s, not longer than Timeout: the test shows nothing", read.name, took)
		}
	}
	// A caller still waits no longer than its own context.
	drops.Store(3)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if _, _, err := b.Last(short, newMeetingID()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("last whose context ends during the open: %v", err)
	}
	if took := time.Since(t0); took > 3*time.Second {
		t.Fatalf("a reader whose context ended returned after %s", took)
	}
}

// A look-up of an open stream that goes unanswered (a subscription's start,
// a read's check of the last seq) is asked again after 1 s, not failed after
// the whole Timeout.
func TestUnansweredLookUpOfAnOpenStream(t *testing.T) {
	ctx := context.Background()
	var drops atomic.Int64
	b, fault := faultyBroker(t, Config{Timeout: 20 * time.Second}, dropLookUps(&drops))
	mid := newMeetingID()
	if _, err := b.Append(ctx, mid, ev("presentation"), -1); err != nil {
		t.Fatal(err)
	}
	drops.Store(1)
	looks := fault.count("stream")
	t0 := time.Now()
	cancel, err := b.Subscribe(ctx, mid, func(live.Event) {})
	if err != nil {
		t.Fatalf("subscribe after an unanswered look-up: %v", err)
	}
	defer cancel()
	// Two look-ups, or more if the second one too took longer than its 2 s
	// on a loaded machine.
	if took := time.Since(t0); fault.count("stream")-looks < 2 || took > 15*time.Second {
		t.Fatalf("%d look-ups in %s; want the dropped one asked again well within the 20 s timeout", fault.count("stream")-looks, took)
	}
	if b.unansweredRetries.Load() < 1 {
		t.Fatalf("%d unanswered retries counted", b.unansweredRetries.Load())
	}
}

// A subscription whose consumer was made but whose answer was lost makes it
// again under the same name: one consumer, every event delivered once.
func TestSubscribeRetriesALostConsumerCreation(t *testing.T) {
	ctx := context.Background()
	b, fault := faultyBroker(t, Config{Timeout: 2 * time.Second}, onCall("consumer", 1, answerLost))
	mid := newMeetingID()
	if _, err := b.Append(ctx, mid, ev("presentation"), -1); err != nil {
		t.Fatal(err)
	}
	got := make(chan live.Event, 4)
	cancel, err := b.Subscribe(ctx, mid, func(ev live.Event) { got <- ev })
	if err != nil {
		t.Fatalf("subscribe after a lost answer: %v", err)
	}
	defer cancel()
	if fault.count("consumer") < 2 {
		t.Fatalf("%d consumer creations, want the lost one made again", fault.count("consumer"))
	}
	info, err := b.streamInfo(ctx, b.streamName(mid))
	if err != nil || info.State.Consumers != 1 {
		t.Fatalf("consumers on the stream: %+v, %v; want 1", info, err)
	}
	if _, err := b.Append(ctx, mid, ev("presentation"), -1); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-got:
		if e.Seq != 2 {
			t.Fatalf("delivered seq %d, want 2", e.Seq)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("event not delivered")
	}
	select {
	case e := <-got:
		t.Fatalf("delivered again: seq %d", e.Seq)
	case <-time.After(500 * time.Millisecond):
	}
}

// A control message whose publish landed but whose answer was lost is sent
// again with the same message id, and the stream keeps it once: every process
// gets it once. The control stream's creation left unanswered is asked again.
func TestControlRetriedOnceDelivered(t *testing.T) {
	ctx := context.Background()
	b, fault := faultyBroker(t, Config{Timeout: 2 * time.Second, ControlStream: "PHONGHOP_CONTROL_RETRY", ControlSubject: "phonghop.control.retry"},
		func(ctx context.Context, call string, n int, do func() error) error {
			switch {
			case call == "create" && n == 1:
				return unanswered(ctx, do)
			case call == "publish" && n == 1:
				return answerLost(ctx, do)
			}
			return do()
		})
	id := newMeetingID()
	got := make(chan string, 4)
	cancel, err := b.SubscribeControl(func(kind, cid string) {
		if cid == id {
			got <- kind
		}
	})
	if err != nil {
		t.Fatalf("subscribe to control messages after an unanswered creation: %v", err)
	}
	defer cancel()
	if err := b.PublishControl(ctx, ControlSession, id); err != nil {
		t.Fatalf("control message whose answer was lost: %v", err)
	}
	if fault.count("create") < 2 || fault.count("publish") < 2 {
		t.Fatalf("%d creations, %d publishes; want each asked again", fault.count("create"), fault.count("publish"))
	}
	select {
	case <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("control message not delivered")
	}
	select {
	case <-got:
		t.Fatal("control message delivered twice")
	case <-time.After(500 * time.Millisecond):
	}
}

// An append whose answer is lost is not sent again: it may have landed, and
// a second would be a second event. The caller is told unavailable; the
// stream holds the event once.
func TestAppendNotRetriedAfterALostAnswer(t *testing.T) {
	ctx := context.Background()
	b, fault := faultyBroker(t, Config{Timeout: 2 * time.Second}, onCall("publish", 2, answerLost))
	mid := newMeetingID()
	if _, err := b.Append(ctx, mid, ev("attendance"), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Append(ctx, mid, ev("presentation"), -1); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("append whose answer was lost: %v", err)
	}
	if fault.count("publish") != 2 {
		t.Fatalf("%d publishes of two appends, want 2", fault.count("publish"))
	}
	if _, last, err := b.Last(ctx, mid); err != nil || last != 2 {
		t.Fatalf("last seq %d, %v; want 2 (the lost answer's event, once)", last, err)
	}
}
