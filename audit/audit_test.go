package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
	"github.com/phonghop/phonghop/storage/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// stores runs f on both stores.
func stores(t *testing.T, f func(t *testing.T, st storage.Store)) {
	t.Run("fs", func(t *testing.T) {
		st, err := fsstore.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		f(t, st)
	})
	t.Run("s3", func(t *testing.T) { f(t, s3test.NewStore(t)) })
}

func newKey(t *testing.T) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const log = "meetings/m1"

var quiet = slog.New(slog.DiscardHandler)

// fill appends n entries and signs the head.
func fill(t *testing.T, st storage.Store, key ed25519.PrivateKey, n int) *audit.Service {
	t.Helper()
	s := &audit.Service{Store: st, Key: key, Logger: quiet}
	ctx := context.Background()
	for i := range n {
		if _, err := s.Append(ctx, log, audit.Entry{Action: "document.opened", Actor: fmt.Sprintf("u%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SignHead(ctx, log); err != nil {
		t.Fatal(err)
	}
	return s
}

func verify(t *testing.T, st storage.Store, key ed25519.PrivateKey) audit.Report {
	t.Helper()
	rs, err := audit.Verify(context.Background(), st, key.Public().(ed25519.PublicKey), log)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("reports: %+v", rs)
	}
	return rs[0]
}

func raw(t *testing.T, st storage.Store, key string) []byte {
	t.Helper()
	rc, _, err := st.Get(context.Background(), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

func put(t *testing.T, st storage.Store, key string, b []byte) {
	t.Helper()
	if _, err := st.Put(context.Background(), key, bytes.NewReader(b), int64(len(b)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

func wantProblem(t *testing.T, r audit.Report, part string) {
	t.Helper()
	for _, p := range r.Problems {
		if strings.Contains(p, part) {
			return
		}
	}
	t.Fatalf("no problem mentioning %q: %+v", part, r)
}

func TestVerifyDetects(t *testing.T) {
	stores(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		key := newKey(t)
		fill(t, st, key, 8)
		if r := verify(t, st, key); !r.OK() || r.Entries != 8 || r.Signed != 8 {
			t.Fatalf("untouched log: %+v", r)
		}
		e3, e4, e8 := raw(t, st, audit.EntryKey(log, 3)), raw(t, st, audit.EntryKey(log, 4)), raw(t, st, audit.EntryKey(log, 8))

		// An entry changed in the middle: the next one no longer follows.
		put(t, st, audit.EntryKey(log, 3), bytes.Replace(e3, []byte(`"u2"`), []byte(`"u9"`), 1))
		wantProblem(t, verify(t, st, key), "entry 4 does not follow entry 3")
		put(t, st, audit.EntryKey(log, 3), e3)

		// The last entry changed: only the signed head tells.
		put(t, st, audit.EntryKey(log, 8), bytes.Replace(e8, []byte(`"u7"`), []byte(`"u1"`), 1))
		wantProblem(t, verify(t, st, key), "head 8 does not match entry 8")
		put(t, st, audit.EntryKey(log, 8), e8)

		// Two entries swapped.
		put(t, st, audit.EntryKey(log, 3), e4)
		put(t, st, audit.EntryKey(log, 4), e3)
		r := verify(t, st, key)
		wantProblem(t, r, "entry 3 says it is entry 4")
		wantProblem(t, r, "does not follow")
		put(t, st, audit.EntryKey(log, 3), e3)
		put(t, st, audit.EntryKey(log, 4), e4)

		// One dropped in the middle, then the last one.
		if err := st.Delete(ctx, audit.EntryKey(log, 4)); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, verify(t, st, key), "entries 4 to 4 are missing")
		put(t, st, audit.EntryKey(log, 4), e4)
		if err := st.Delete(ctx, audit.EntryKey(log, 8)); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, verify(t, st, key), "tail was dropped")
		put(t, st, audit.EntryKey(log, 8), e8)

		// A head signed by another key is not believed.
		other := newKey(t)
		rs, err := audit.Verify(ctx, st, other.Public().(ed25519.PublicKey), log)
		if err != nil {
			t.Fatal(err)
		}
		wantProblem(t, rs[0], "not signed by the audit key")

		if r := verify(t, st, key); !r.OK() {
			t.Fatalf("restored log: %+v", r)
		}
	})
}

// Two Services on one store (two processes' worth), each with many requests
// at once, append to the same logs: nothing is lost, the chain holds.
func TestConcurrentAppendersLoseNothing(t *testing.T) {
	stores(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		key := newKey(t)
		a := &audit.Service{Store: st, Key: key, Logger: quiet}
		b := &audit.Service{Store: st, Key: key, Logger: quiet}
		const per = 20
		var wg sync.WaitGroup
		for si, s := range []*audit.Service{a, b} {
			for g := range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range per {
						if _, err := s.Append(ctx, log, audit.Entry{Action: fmt.Sprintf("a.%d.%d.%d", si, g, i)}); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
		}
		wg.Wait()
		for _, s := range []*audit.Service{a, b} {
			if _, err := s.SignHead(ctx, log); err != nil {
				t.Fatal(err)
			}
		}
		r := verify(t, st, key)
		if !r.OK() || r.Entries != 2*3*per || r.Signed == 0 {
			t.Fatalf("report: %+v", r)
		}
		seen := map[string]bool{}
		for seq := uint64(1); seq <= r.Entries; seq++ {
			b := raw(t, st, audit.EntryKey(log, seq))
			i := bytes.Index(b, []byte(`"action":"`))
			action := string(b[i+10 : i+10+bytes.IndexByte(b[i+10:], '"')])
			if seen[action] {
				t.Fatalf("%s recorded twice", action)
			}
			seen[action] = true
		}
		if len(seen) != 2*3*per {
			t.Fatalf("%d distinct entries", len(seen))
		}
	})
}

// A write that lands but reports failure is not written twice by its retry.
func TestRetryOfALandedEntry(t *testing.T) {
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fail := &failingStore{Store: st}
	s := &audit.Service{Store: fail, Key: newKey(t), Logger: quiet}
	if _, err := s.Append(ctx, log, audit.Entry{Action: "first"}); err != nil {
		t.Fatal(err)
	}
	fail.lie = true
	s.Record(ctx, log, audit.Entry{Action: "second"})
	if got := s.Stats(); got.Failures != 1 || got.Pending != 1 {
		t.Fatalf("stats after a failed write: %+v", got)
	}
	fail.lie = false
	s.Flush(ctx)
	if got := s.Stats(); got.Pending != 0 {
		t.Fatalf("stats after flush: %+v", got)
	}
	r := verify(t, st, s.Key)
	if !r.OK() || r.Entries != 2 || r.Signed != 2 {
		t.Fatalf("report: %+v", r)
	}
}

// failingStore lands entry writes but reports them failed while lie is set.
type failingStore struct {
	storage.Store
	lie bool
}

func (f *failingStore) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	in, err := f.Store.Put(ctx, key, r, size, o)
	if err == nil && f.lie {
		return in, storage.ErrUnavailable
	}
	return in, err
}

// PHONGHOP_AUDIT_LOG: with Ship every entry written is also one JSON line in
// the process's log, whole.
func TestShipWritesJSONLines(t *testing.T) {
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s := &audit.Service{Store: st, Key: newKey(t), Ship: true, Logger: slog.New(slog.NewJSONHandler(&out, nil))}
	ctx := context.Background()
	s.Record(ctx, log, audit.Entry{Action: "document.opened", Actor: "u1", Username: "daibieu01", Target: map[string]string{"documentId": "d1"}})
	s.Record(ctx, audit.Accounts, audit.Entry{Action: "signin.failed", Username: "ghost"})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log lines:\n%s", out.String())
	}
	var first struct {
		Msg   string      `json:"msg"`
		Log   string      `json:"log"`
		Entry audit.Entry `json:"entry"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Msg != "audit" || first.Log != log || first.Entry.Seq != 1 || first.Entry.Action != "document.opened" ||
		first.Entry.Username != "daibieu01" || first.Entry.Target["documentId"] != "d1" || first.Entry.Time.IsZero() {
		t.Fatalf("first line: %s", lines[0])
	}
	if !strings.Contains(lines[1], `"signin.failed"`) || !strings.Contains(lines[1], `"log":"accounts"`) {
		t.Fatalf("second line: %s", lines[1])
	}
	// Without Ship nothing is written there.
	out.Reset()
	s.Ship = false
	s.Record(ctx, log, audit.Entry{Action: "document.opened"})
	if out.Len() != 0 {
		t.Fatalf("logged without Ship: %s", out.String())
	}
}
