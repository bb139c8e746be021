package fsstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
	"github.com/phonghop/phonghop/storage/storagetest"
)

func TestContract(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s, err := fsstore.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// Two Store values on one directory share nothing in memory, as two processes
// would not: only the flocked lock files keep create-only writes exclusive.
func TestTwoStoresOneDir(t *testing.T) {
	dir := t.TempDir()
	var stores [4]*fsstore.Store
	for i := range stores {
		s, err := fsstore.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	ctx := context.Background()
	for trial := range 30 {
		key := fmt.Sprintf("ballots/%d", trial)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		start := make(chan struct{})
		for w := range 40 {
			wg.Go(func() {
				<-start
				_, err := stores[w%len(stores)].Put(ctx, key, strings.NewReader("v"), 1, storage.PutOptions{IfAbsent: true})
				if err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if !errors.Is(err, storage.ErrPrecondition) {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		if wins != 1 {
			t.Fatalf("trial %d: %d winners across stores, want 1", trial, wins)
		}
	}
	type counter struct{ N int }
	var wg sync.WaitGroup
	for w := range 20 {
		wg.Go(func() {
			if _, err := storage.UpdateJSON(ctx, stores[w%len(stores)], "counter", true, func(c *counter) error { c.N++; return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var c counter
	if _, err := storage.GetJSON(ctx, stores[0], "counter", &c); err != nil || c.N != 20 {
		t.Errorf("counter = %d, %v; want 20", c.N, err)
	}
}

// New removes abandoned temp files but not one that a live upload holds.
func TestNewCleansOrphanTemps(t *testing.T) {
	dir := t.TempDir()
	if _, err := fsstore.New(dir); err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(dir, ".tmp", "put-orphan")
	if err := os.WriteFile(orphan, []byte("half an upload"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A live upload: block its reader until the second New has run.
	s, err := fsstore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("orphan temp survived New: %v", err)
	}
	pr, pw := newPipe()
	done := make(chan error, 1)
	go func() {
		_, err := s.Put(context.Background(), "doc", pr, 8, storage.PutOptions{})
		done <- err
	}()
	pw.write("1234") // the temp file now exists and is locked
	if _, err := fsstore.New(dir); err != nil {
		t.Fatal(err)
	}
	pw.write("5678")
	if err := <-done; err != nil {
		t.Fatalf("upload across a second New: %v", err)
	}
	rc, _, err := s.Get(context.Background(), "doc", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	buf := make([]byte, 16)
	n, _ := rc.Read(buf)
	if string(buf[:n]) != "12345678" {
		t.Errorf("doc = %q", buf[:n])
	}
	entries, _ := os.ReadDir(filepath.Join(dir, ".tmp"))
	if len(entries) != 0 {
		t.Errorf("temp files left: %v", entries)
	}
}

// pipe hands chunks to a reader one at a time and waits until each is consumed.
type pipe struct {
	ch   chan string
	read chan struct{}
	rest string
}

type pipeWriter struct{ p *pipe }

func newPipe() (*pipe, pipeWriter) {
	p := &pipe{ch: make(chan string), read: make(chan struct{})}
	return p, pipeWriter{p}
}

func (p *pipe) Read(b []byte) (int, error) {
	if p.rest == "" {
		p.rest = <-p.ch
	}
	n := copy(b, p.rest)
	p.rest = p.rest[n:]
	if p.rest == "" {
		// The chunk is handed over: Put has created and locked its temp file
		// before its first Read.
		go func() { p.read <- struct{}{} }()
	}
	return n, nil
}

func (w pipeWriter) write(s string) {
	w.p.ch <- s
	<-w.p.read
}

// fsstore refuses keys that are path prefixes of each other, as filesystem-backed
// S3 servers do, so code that would break on MinIO breaks here first.
func TestPathPrefixKeysRefused(t *testing.T) {
	s, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	putS := func(k string) error {
		_, err := s.Put(ctx, k, strings.NewReader(k), int64(len(k)), storage.PutOptions{})
		return err
	}
	for _, k := range []string{"a/b/c", "x", "a.b", "a/bc"} {
		if err := putS(k); err != nil {
			t.Fatalf("Put(%s): %v", k, err)
		}
	}
	for _, k := range []string{"a", "a/b", "x/y", "x/y/z"} {
		if err := putS(k); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Put(%s): %v, want ErrInvalidKey", k, err)
		}
	}
	// Once the other key is gone, the path is free again.
	if err := s.Delete(ctx, "a/b/c"); err != nil {
		t.Fatal(err)
	}
	if err := putS("a/b"); err != nil {
		t.Errorf("Put(a/b) after deleting a/b/c: %v", err)
	}
}

// Objects below the size read in one go and above it answer alike: whole,
// by range, and by Stat; a small object file cut short is an error, not a
// short answer.
func TestSmallAndLargeObjectsAlike(t *testing.T) {
	dir := t.TempDir()
	s, err := fsstore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, size := range []int{1, 100, 8<<10 - 120, 8<<10 - 40, 8 << 10, 8<<10 + 1, 100 << 10} {
		key := fmt.Sprintf("o/%d", size)
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i*7 + size)
		}
		put, err := s.Put(ctx, key, strings.NewReader(string(data)), int64(size), storage.PutOptions{ContentType: "application/json"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []*storage.Range{nil, {Start: 0, End: 0}, {Start: int64(size - 1), End: -1}, {Start: int64(size / 3), End: int64(size / 2)}} {
			rc, info, err := s.Get(ctx, key, r)
			if err != nil {
				t.Fatalf("%d bytes, range %v: %v", size, r, err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			want := data
			if r != nil {
				end := int64(size - 1)
				if r.End >= 0 {
					end = r.End
				}
				want = data[r.Start : end+1]
			}
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%d bytes, range %v: got %d bytes (%v), want %d", size, r, len(got), err, len(want))
			}
			if info.Size != int64(size) || info.ETag != put.ETag || info.ContentType != "application/json" || info.ModTime.IsZero() {
				t.Fatalf("%d bytes: info %+v, put %+v", size, info, put)
			}
		}
		if _, _, err := s.Get(ctx, key, &storage.Range{Start: int64(size), End: -1}); !errors.Is(err, storage.ErrInvalidRange) {
			t.Fatalf("%d bytes: range past the end: %v", size, err)
		}
		st, err := s.Stat(ctx, key)
		if err != nil || st.Size != int64(size) || st.ETag != put.ETag {
			t.Fatalf("%d bytes: stat %+v, %v", size, st, err)
		}
	}
	// A small object's file cut inside its header.
	p := filepath.Join(dir, "objects", "o", "100@")
	full, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{4, 20} {
		if err := os.WriteFile(p, full[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Get(ctx, "o/100", nil); err == nil || errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("file cut to %d bytes: %v", n, err)
		}
	}
}
