package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"

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
