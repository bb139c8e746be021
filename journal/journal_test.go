package journal_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop/journal"
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
