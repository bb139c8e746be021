package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
)

// After a restart of a single process the room is back and the sequence goes
// on from the journal, so new events are journaled instead of colliding with
// old seqs (the journal keeps the first writer of a seq).
func TestMemoryBrokerRestoresFromJournal(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	j := &journal.Journal{Store: st}
	meeting := testMeeting(3)
	before := NewHub(Config{Broker: NewMemoryBroker(8), Meetings: meetings{"m1": meeting}, Journal: j})
	for i := 0; i < 3; i++ {
		if _, err := before.CheckIn(ctx, "m1", delegateID(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := before.RequestToSpeak(ctx, "m1", delegateID(1)); err != nil {
		t.Fatal(err)
	}
	_ = before.Shutdown(ctx)

	b := NewMemoryBroker(8)
	b.Restore = RestoreFromJournal(j)
	after := NewHub(Config{Broker: b, Meetings: meetings{"m1": meeting}, Journal: j})
	defer after.Shutdown(ctx)
	st0, seq, err := after.State(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if seq != 4 || len(st0.Attendance.Present) != 3 || len(st0.Speakers.Queue) != 1 {
		t.Fatalf("restored seq %d, state %+v", seq, st0)
	}
	if evs, complete, _ := b.Since(ctx, "m1", 2); complete || len(evs) != 0 {
		t.Fatalf("events before the restart are not held: complete=%v %d", complete, len(evs))
	}
	if _, err := after.CheckOut(ctx, "m1", delegateID(0)); err != nil {
		t.Fatal(err)
	}
	entries, err := j.Entries(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 5 || entries[4].Seq != 5 {
		t.Fatalf("the check-out after the restart was not journaled as seq 5: %d entries", len(entries))
	}
	if evs, complete, _ := b.Since(ctx, "m1", 4); !complete || len(evs) != 1 || evs[0].Seq != 5 {
		t.Fatalf("since 4 after restart: %v %d", complete, len(evs))
	}
}

// A restore runs once for all the callers that come while it runs, outside
// the meeting's lock (a subscriber gets in meanwhile), with its own timeout:
// a caller that gives up does not cut it short (issue #18, item 5: every
// caller restored in turn, holding the lock, inside its own connect timeout).
func TestRestoreRunsOnceOutsideTheLock(t *testing.T) {
	var calls atomic.Int64
	release := make(chan struct{})
	b := NewMemoryBroker(8)
	b.Restore = func(ctx context.Context, id string) ([]Event, uint64, error) {
		calls.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
		return []Event{{Seq: 7, Subject: SubjectSpeakers, Type: TypeSpeakers, Payload: json.RawMessage(`{"current":null,"queue":[]}`)}}, 70, nil
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := b.Last(short, "m1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a caller out of time: %v", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, seq, err := b.Last(context.Background(), "m1")
			if err == nil && seq != 70 {
				err = fmt.Errorf("seq %d", seq)
			}
			errs <- err
		}()
	}
	subscribed := make(chan error, 1)
	go func() {
		cancel, err := b.Subscribe(context.Background(), "m1", func(Event) {})
		if err == nil {
			cancel()
		}
		subscribed <- err
	}()
	select {
	case err := <-subscribed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Subscribe waited for the restore: it holds the meeting's lock")
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("restored %d times, want once", n)
	}
}

// A failed restore is shared by the callers waiting for it, not redone by
// each; the next caller tries again.
func TestFailedRestoreIsSharedThenRetried(t *testing.T) {
	var calls atomic.Int64
	release := make(chan struct{})
	b := NewMemoryBroker(8)
	b.Restore = func(ctx context.Context, id string) ([]Event, uint64, error) {
		if calls.Add(1) == 1 {
			<-release
			return nil, 0, errors.New("store down")
		}
		return nil, 3, nil
	}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := b.Last(context.Background(), "m1"); err != nil {
				failed.Add(1)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	if calls.Load() != 1 || failed.Load() != 5 {
		t.Fatalf("restore called %d times, %d callers failed; want 1 and 5", calls.Load(), failed.Load())
	}
	if _, seq, err := b.Last(context.Background(), "m1"); err != nil || seq != 3 || calls.Load() != 2 {
		t.Fatalf("after a failure: seq %d, err %v, calls %d", seq, err, calls.Load())
	}
}

// An idle meeting is forgotten and comes back from the journal, above every
// seq it handed out (issue #18, item 5: the broker never forgot a meeting).
func TestIdleMeetingIsEvictedAndRestored(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	j := &journal.Journal{Store: st}
	b := NewMemoryBroker(8)
	b.Restore, b.Journal, b.EvictIdle = RestoreFromJournal(j), j, 40*time.Millisecond
	h := NewHub(Config{Broker: b, Meetings: meetings{"m1": testMeeting(3), "m2": testMeeting(1)}, Journal: j})
	if _, err := h.CheckIn(ctx, "m1", delegateID(0)); err != nil {
		t.Fatal(err)
	}
	seq, err := h.Present(ctx, "m1", chair, Presentation{"i1", "doc1", 2})
	if err != nil {
		t.Fatal(err)
	}
	// A subscribed meeting stays however idle.
	cancel, err := b.Subscribe(ctx, "m2", func(Event) {})
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	time.Sleep(100 * time.Millisecond)
	if _, _, err := b.Last(ctx, "m2"); err != nil { // sweeps
		t.Fatal(err)
	}
	b.mu.Lock()
	_, kept1 := b.meetings["m1"]
	_, kept2 := b.meetings["m2"]
	b.mu.Unlock()
	if kept1 || !kept2 {
		t.Fatalf("after the idle time: m1 kept %v (want forgotten), m2 kept %v (want kept: subscribed)", kept1, kept2)
	}
	st0, last, err := h.State(ctx, "m1")
	if err != nil || len(st0.Attendance.Present) != 1 || st0.Presentation == nil || st0.Presentation.DocumentID != "doc1" || last < seq {
		t.Fatalf("restored: %+v at %d (had %d), %v", st0, last, seq, err)
	}
	next, err := h.CheckIn(ctx, "m1", delegateID(1))
	if err != nil || next <= seq {
		t.Fatalf("next seq %d after %d: %v", next, seq, err)
	}
}

// A set-up change with an audience (a confidential document's) never
// becomes the room's last change, which every snapshot and the REST state
// carry: not while the room runs, nor once it is rebuilt from the journal,
// which keeps no audience.
func TestRestrictedSetupStaysOutOfTheState(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	j := &journal.Journal{Store: st}
	meeting := testMeeting(2)
	before := NewHub(Config{Broker: NewMemoryBroker(8), Meetings: meetings{"m1": meeting}, Journal: j})
	if err := before.RecordChange(ctx, "m1", "u", phonghop.Change{Revision: 1, Action: "agenda.updated", ItemID: "i1"}); err != nil {
		t.Fatal(err)
	}
	if err := before.RecordChange(ctx, "m1", "u", phonghop.Change{Revision: 2, Action: "document.renamed", DocumentID: "secret",
		Details: map[string]string{"confidential": "true"}, Audience: []string{delegateID(0)}}); err != nil {
		t.Fatal(err)
	}
	check := func(h *Hub, when string) {
		s, _, err := h.State(ctx, "m1")
		if err != nil {
			t.Fatal(err)
		}
		var c phonghop.Change
		json.Unmarshal(s.Setup, &c)
		if c.Action != "agenda.updated" || c.Revision != 1 {
			t.Errorf("%s: the room's last change is %s", when, s.Setup)
		}
	}
	check(before, "running")
	_ = before.Shutdown(ctx)
	b := NewMemoryBroker(8)
	b.Restore = RestoreFromJournal(j)
	after := NewHub(Config{Broker: b, Meetings: meetings{"m1": meeting}, Journal: j})
	defer after.Shutdown(ctx)
	check(after, "restored")
}
