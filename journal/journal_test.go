package journal_test

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
)

func TestAppendOncePerSeqInOrder(t *testing.T) {
	ctx := context.Background()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	j := &journal.Journal{Store: st}
	var wg sync.WaitGroup
	// Two processes record the same events, out of order.
	for p := 0; p < 2; p++ {
		for _, seq := range []uint64{3, 1, 10, 2} {
			wg.Add(1)
			go func(p int, seq uint64) {
				defer wg.Done()
				e := journal.Entry{Seq: seq, Type: "attendance", Time: time.Unix(int64(seq), 0), By: string(rune('a' + p)), Data: json.RawMessage(`{}`)}
				if err := j.Append(ctx, "m1", e); err != nil {
					t.Error(err)
				}
			}(p, seq)
		}
	}
	wg.Wait()
	got, err := j.Entries(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, e := range got {
		seqs = append(seqs, e.Seq)
	}
	if len(seqs) != 4 || seqs[0] != 1 || seqs[1] != 2 || seqs[2] != 3 || seqs[3] != 10 {
		t.Fatalf("seqs = %v, want [1 2 3 10]", seqs)
	}
	if other, _ := j.Entries(ctx, "m2"); len(other) != 0 {
		t.Fatalf("another meeting's journal has %d entries", len(other))
	}
}

// countingGets counts reads.
type countingGets struct {
	storage.Store
	gets atomic.Int64
}

func (c *countingGets) Get(ctx context.Context, key string, rng *storage.Range) (io.ReadCloser, storage.Info, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, key, rng)
}

// Reading the journal again reads only what is new (issue #18: every minutes
// GET or PUT read the whole journal, one object at a time); an entry that was
// replaced is read again.
func TestEntriesReadsOnlyWhatIsNew(t *testing.T) {
	ctx := context.Background()
	base, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &countingGets{Store: base}
	j := &journal.Journal{Store: st}
	for seq := uint64(1); seq <= 30; seq++ {
		if err := j.Append(ctx, "m1", journal.Entry{Seq: seq, Type: "attendance", Data: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if es, err := j.Entries(ctx, "m1"); err != nil || len(es) != 30 || es[29].Seq != 30 {
		t.Fatalf("entries: %d %v", len(es), err)
	}
	st.gets.Store(0)
	if err := j.Append(ctx, "m1", journal.Entry{Seq: 31, Type: "speakers", Data: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := j.Write(ctx, "m1", journal.Entry{Seq: 5, Type: "presentation", Data: json.RawMessage(`{"page":2}`)}); err != nil {
		t.Fatal(err)
	}
	es, err := j.Entries(ctx, "m1")
	if err != nil || len(es) != 31 || es[4].Type != "presentation" || es[30].Type != "speakers" {
		t.Fatalf("entries after changes: %d %v", len(es), err)
	}
	if n := st.gets.Load(); n != 2 {
		t.Fatalf("read %d entries again, want the 2 new or replaced", n)
	}
}
