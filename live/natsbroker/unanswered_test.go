package natsbroker

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop/live"
)

// A check-in whose publish NATS stored but whose acknowledgement was lost
// (the answer timed out) reached every tablet: the hub finds it in the stream
// at its seq, journals it and answers success, so the journal (and the
// minutes) hold what the room showed. Before, the caller was told
// "unavailable", nothing journaled it, and a retried check-in found the
// delegate present and changed nothing.
func TestCheckInWhoseAckWasLostIsJournaled(t *testing.T) {
	ctx := context.Background()
	m := testMeeting(newMeetingID(), 2)
	j := testJournal(t)
	b, fault := faultyBroker(t, Config{Timeout: time.Second}, nil)
	h := live.NewHub(live.Config{Broker: b, Meetings: meetings{m}, Journal: j})
	var mu sync.Mutex
	var seen []live.Event
	stop, err := b.Subscribe(ctx, m.ID, func(ev live.Event) { mu.Lock(); seen = append(seen, ev); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if _, err := h.CheckIn(ctx, m.ID, delegateID(0)); err != nil {
		t.Fatal(err)
	}
	fault.setFault(onCall("publish", fault.count("publish")+1, answerLost))
	seq, err := h.CheckIn(ctx, m.ID, delegateID(1))
	if err != nil {
		t.Fatalf("check-in stored by NATS, its ack lost: %v", err)
	}
	fault.setFault(nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the room was sent %d events, want 2", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	got := seen[1].Seq
	mu.Unlock()
	if got != seq {
		t.Fatalf("answered seq %d, the room got %d", seq, got)
	}
	entries, err := j.Entries(ctx, m.ID)
	if err != nil || len(entries) != 2 || entries[1].Seq != seq {
		t.Fatalf("journal %+v (%v): want both check-ins, the second at seq %d", entries, err, seq)
	}
	if n := h.Stats().Unjournaled; n != 0 {
		t.Fatalf("unjournaled %d", n)
	}
}
