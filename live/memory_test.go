package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestMemoryBroker(t *testing.T) {
	ctx := context.Background()
	b := NewMemoryBroker(3)
	var got []uint64
	cancel, err := b.Subscribe(ctx, "m", func(ev Event) { got = append(got, ev.Seq) })
	if err != nil {
		t.Fatal(err)
	}
	ev := func(subject string) Event {
		return Event{Subject: subject, Type: subject, Payload: json.RawMessage(`{}`)}
	}
	if s, err := b.Append(ctx, "m", ev("a"), 0); err != nil || s != 1 {
		t.Fatalf("first: %d %v", s, err)
	}
	if _, err := b.Append(ctx, "m", ev("a"), 0); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale expectation: %v", err)
	}
	if s, err := b.Append(ctx, "m", ev("a"), 1); err != nil || s != 2 {
		t.Fatalf("second: %d %v", s, err)
	}
	if s, err := b.Append(ctx, "m", ev("b"), -1); err != nil || s != 3 {
		t.Fatalf("unconditional: %d %v", s, err)
	}
	if s, err := b.Append(ctx, "other", ev("a"), 0); err != nil || s != 1 {
		t.Fatalf("meetings have their own seq: %d %v", s, err)
	}
	evs, last, err := b.Last(ctx, "m")
	if err != nil || last != 3 || len(evs) != 2 {
		t.Fatalf("last: %v %d %v", evs, last, err)
	}
	for _, e := range evs {
		if (e.Subject == "a" && e.Seq != 2) || (e.Subject == "b" && e.Seq != 3) {
			t.Fatalf("last of %s is %d", e.Subject, e.Seq)
		}
	}
	b.Append(ctx, "m", ev("c"), -1) // 4: the ring now holds 2..4
	for _, tc := range []struct {
		after    uint64
		n        int
		complete bool
	}{{0, 0, false}, {1, 3, true}, {3, 1, true}, {4, 0, true}, {9, 0, true}} {
		evs, complete, err := b.Since(ctx, "m", tc.after)
		if err != nil || len(evs) != tc.n || complete != tc.complete {
			t.Fatalf("since %d: %d events, complete %v, %v", tc.after, len(evs), complete, err)
		}
		for i, e := range evs {
			if e.Seq != tc.after+uint64(i)+1 {
				t.Fatalf("since %d: event %d has seq %d", tc.after, i, e.Seq)
			}
		}
	}
	cancel()
	b.Append(ctx, "m", ev("a"), -1)
	if len(got) != 4 || got[0] != 1 || got[3] != 4 {
		t.Fatalf("subscriber saw %v", got)
	}
	if err := b.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if b.Ping(ctx) == nil {
		t.Fatal("ping after close")
	}
	if _, err := b.Append(ctx, "m", ev("a"), -1); err == nil {
		t.Fatal("append after close")
	}
}

// Every connecting socket reads the meeting (Last, then Since with since):
// readers share the meeting's lock, so a reconnect storm's sockets do not
// queue one behind the other (they did on an exclusive lock, issue #16), and
// a writer still excludes them.
func TestMemoryBrokerReadersShareTheMeeting(t *testing.T) {
	ctx := context.Background()
	b := NewMemoryBroker(16)
	if _, err := b.Append(ctx, "m", Event{Subject: SubjectPresentation, Type: "presentation", Payload: []byte(`{}`)}, -1); err != nil {
		t.Fatal(err)
	}
	held, err := b.read(ctx, "m") // a reader in the middle of its read
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, last, err := b.Last(ctx, "m")
		if err == nil && last != 1 {
			err = fmt.Errorf("last %d, want 1", last)
		}
		if err == nil {
			_, _, err = b.Since(ctx, "m", 0)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Last and Since waited for another reader")
	}
	appended := make(chan struct{})
	go func() {
		_, _ = b.Append(ctx, "m", Event{Subject: SubjectPresentation, Type: "presentation", Payload: []byte(`{}`)}, -1)
		close(appended)
	}()
	select {
	case <-appended:
		t.Fatal("an append went on while a reader held the meeting")
	case <-time.After(50 * time.Millisecond):
	}
	held.mu.RUnlock()
	<-appended
	if _, last, _ := b.Last(ctx, "m"); last != 2 {
		t.Fatalf("last %d after the append, want 2", last)
	}
}
