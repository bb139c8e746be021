package storage_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
)

type record struct {
	Name  string
	Count int
}

func newStore(t *testing.T) storage.Store {
	s, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestUpdateJSON(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := storage.UpdateJSON(ctx, s, "r.json", false, func(r *record) error { return nil }); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("update of a missing record without create: %v, want ErrNotFound", err)
	}
	got, err := storage.UpdateJSON(ctx, s, "r.json", true, func(r *record) error { r.Name = "Phòng họp"; r.Count++; return nil })
	if err != nil || got != (record{"Phòng họp", 1}) {
		t.Fatalf("create = %+v, %v", got, err)
	}
	before, _ := s.Stat(ctx, "r.json")
	got, err = storage.UpdateJSON(ctx, s, "r.json", true, func(r *record) error { return storage.ErrStop })
	if err != nil || got.Count != 1 {
		t.Errorf("ErrStop = %+v, %v", got, err)
	}
	if after, _ := s.Stat(ctx, "r.json"); after.ETag != before.ETag {
		t.Errorf("ErrStop wrote the record")
	}
	boom := errors.New("boom")
	if _, err := storage.UpdateJSON(ctx, s, "r.json", true, func(r *record) error { r.Count = 99; return boom }); !errors.Is(err, boom) {
		t.Errorf("callback error = %v, want boom", err)
	}
	var r record
	etag, err := storage.GetJSON(ctx, s, "r.json", &r)
	if err != nil || r.Count != 1 || etag == "" {
		t.Errorf("GetJSON = %+v %q %v", r, etag, err)
	}
}

func TestGetJSONErrors(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	var r record
	if _, err := storage.GetJSON(ctx, s, "none", &r); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	s.Put(ctx, "bad", strings.NewReader("{not json"), 9, storage.PutOptions{})
	if _, err := storage.GetJSON(ctx, s, "bad", &r); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Errorf("corrupt record: %v, want a decode error", err)
	}
}

// alwaysChanged is a store where another writer always got there first.
type alwaysChanged struct {
	storage.Store
	puts int
}

func (s *alwaysChanged) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	if o.IfMatch != "" {
		s.puts++
		return storage.Info{}, storage.ErrPrecondition
	}
	return s.Store.Put(ctx, key, r, size, o)
}

// A compare-and-swap that keeps losing backs off instead of retrying in a
// tight loop (issue #18, item 7), and gives up with ErrPrecondition; a caller
// that goes away stops it.
func TestUpdateJSONBacksOff(t *testing.T) {
	ctx := context.Background()
	st := &alwaysChanged{Store: newStore(t)}
	if _, err := storage.PutJSON(ctx, st, "r.json", record{Name: "a"}, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := storage.UpdateJSON(ctx, st, "r.json", false, func(r *record) error { r.Count++; return nil })
	if !errors.Is(err, storage.ErrPrecondition) || st.puts != 101 {
		t.Fatalf("err %v after %d tries", err, st.puts)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("101 lost tries took %v: no backoff", d)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if _, err := storage.UpdateJSON(cctx, st, "r.json", false, func(r *record) error { r.Count++; return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a caller that went away: %v", err)
	}
}
