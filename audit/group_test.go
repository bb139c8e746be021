package audit_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// slowStore takes delay for every entry write, as a store across a network
// does, counts them, and while lie is set lands them but reports failure.
type slowStore struct {
	storage.Store
	delay  time.Duration
	writes atomic.Int64
	lie    atomic.Bool
}

func (s *slowStore) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	if strings.Contains(key, "/entries/") {
		s.writes.Add(1)
		time.Sleep(s.delay)
	}
	in, err := s.Store.Put(ctx, key, r, size, o)
	if err == nil && s.lie.Load() && strings.Contains(key, "/entries/") {
		return in, storage.ErrUnavailable
	}
	return in, err
}

// recordAll records n entries at once, as n requests would.
func recordAll(s *audit.Service, prefix string, n int) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Record(context.Background(), log, audit.Entry{Action: fmt.Sprintf("%s.%d", prefix, i), Actor: fmt.Sprintf("u%d", i)})
		}()
	}
	wg.Wait()
}

// Entries recorded while a write is under way are written together: a wave
// of 300 check-ins on a store taking 5 ms a write is a handful of writes, not
// 300 in a row (1.5 s), and every entry is there once, chained.
func TestRecordsWrittenTogether(t *testing.T) {
	stores(t, func(t *testing.T, st storage.Store) {
		slow := &slowStore{Store: st, delay: 5 * time.Millisecond}
		s := &audit.Service{Store: slow, Key: newKey(t), Logger: quiet}
		const n = 300
		recordAll(s, "checkin", n)
		if w := slow.writes.Load(); w > n/5 {
			t.Errorf("%d writes for %d entries recorded at once", w, n)
		}
		if got := s.Stats(); got.Written != n || got.Pending != 0 || got.Failures != 0 {
			t.Fatalf("stats: %+v", got)
		}
		if _, err := s.SignHead(context.Background(), log); err != nil {
			t.Fatal(err)
		}
		if r := verify(t, st, s.Key); !r.OK() || r.Entries != n || r.Signed != n {
			t.Fatalf("report: %+v", r)
		}
		// Read back by another Service (nothing cached): each entry once,
		// at its position.
		reader := &audit.Service{Store: st, Logger: quiet}
		es, err := reader.Entries(context.Background(), log)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for i, e := range es {
			if e.Seq != uint64(i+1) || seen[e.Action] {
				t.Fatalf("entry %d: %+v", i+1, e)
			}
			seen[e.Action] = true
		}
		if len(seen) != n {
			t.Fatalf("%d entries read back", len(seen))
		}
		// One entry alone is still written at once, by itself.
		before := slow.writes.Load()
		s.Record(context.Background(), log, audit.Entry{Action: "alone"})
		if w := slow.writes.Load() - before; w != 1 {
			t.Fatalf("%d writes for one entry", w)
		}
	})
}

// A group's write that lands but reports failure is retried as it was and
// recognised: nothing is written twice.
func TestRetryOfALandedGroup(t *testing.T) {
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	slow := &slowStore{Store: st, delay: 5 * time.Millisecond}
	s := &audit.Service{Store: slow, Key: newKey(t), Logger: quiet}
	slow.lie.Store(true)
	recordAll(s, "lied", 50)
	got := s.Stats()
	if got.Pending != 50 || got.Failures == 0 || got.Written != 0 {
		t.Fatalf("stats after failed writes: %+v", got)
	}
	slow.lie.Store(false)
	s.Flush(context.Background())
	if got := s.Stats(); got.Pending != 0 || got.Written != 50 {
		t.Fatalf("stats after flush: %+v", got)
	}
	if r := verify(t, st, s.Key); !r.OK() || r.Entries != 50 || r.Signed != 50 {
		t.Fatalf("report: %+v", r)
	}
}

// Verify finds a change inside an object holding several entries, and an
// object that overlaps the one before it.
func TestVerifyDetectsInsideAGroup(t *testing.T) {
	stores(t, func(t *testing.T, st storage.Store) {
		slow := &slowStore{Store: st, delay: 5 * time.Millisecond}
		s := &audit.Service{Store: slow, Key: newKey(t), Logger: quiet}
		recordAll(s, "x", 40)
		if _, err := s.SignHead(context.Background(), log); err != nil {
			t.Fatal(err)
		}
		infos, err := st.List(context.Background(), "audit/"+log+"/entries/")
		if err != nil {
			t.Fatal(err)
		}
		var group storage.Info
		for _, in := range infos {
			if bytes.Count(raw(t, st, in.Key), []byte("\n")) >= 2 {
				group = in
				break
			}
		}
		if group.Key == "" {
			t.Fatalf("no object holds three entries or more among %d", len(infos))
		}
		b := raw(t, st, group.Key)
		lines := bytes.Split(b, []byte("\n"))
		// The second entry of the group changed: the third no longer follows it.
		changed := bytes.Join([][]byte{lines[0], bytes.Replace(lines[1], []byte(`"u`), []byte(`"v`), 1), lines[2]}, []byte("\n"))
		changed = append(changed, b[len(lines[0])+len(lines[1])+len(lines[2])+2:]...)
		put(t, st, group.Key, changed)
		wantProblem(t, verify(t, st, s.Key), "does not follow entry")
		put(t, st, group.Key, b)
		if r := verify(t, st, s.Key); !r.OK() {
			t.Fatalf("restored: %+v", r)
		}
		// The group's second entry also written as an object of its own.
		second := fmt.Sprintf("audit/%s/entries/%020d.json", log, seqOfKey(t, group.Key)+1)
		put(t, st, second, lines[1])
		wantProblem(t, verify(t, st, s.Key), "overlaps")
	})
}

func seqOfKey(t *testing.T, key string) uint64 {
	t.Helper()
	var n uint64
	name := key[strings.LastIndex(key, "/")+1:]
	if _, err := fmt.Sscanf(name, "%020d.json", &n); err != nil {
		t.Fatal(err)
	}
	return n
}
