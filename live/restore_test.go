package live

import (
	"context"
	"testing"

	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// After a restart of a single process the room is back and the sequence goes
// on from the journal, so new events are journaled instead of colliding with
// old seqs (the journal keeps the first writer of a seq).
func TestMemoryBrokerRestoresFromJournal(t *testing.T) {
	ctx := context.Background()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
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
