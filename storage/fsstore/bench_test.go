package fsstore_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// go test -run '^$' -bench . -benchmem -benchtime 5x ./storage/fsstore

const benchSize = 64 << 20

type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func benchStore(b *testing.B) (*fsstore.Store, []byte) {
	s, err := fsstore.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, benchSize)
	rand.NewChaCha8([32]byte{7}).Read(data)
	return s, data
}

// BenchmarkPut includes the fsync of every write.
func BenchmarkPut(b *testing.B) {
	s, data := benchStore(b)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Put(context.Background(), "bench", onlyReader{bytes.NewReader(data)}, benchSize, storage.PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	s, data := benchStore(b)
	if _, err := s.Put(context.Background(), "bench", bytes.NewReader(data), benchSize, storage.PutOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		rc, _, err := s.Get(context.Background(), "bench", nil)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, rc); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
		rc.Close()
	}
}

// BenchmarkUpdateJSON is one compare-and-swap of a small record, the common
// write of meetings and polls.
func BenchmarkUpdateJSON(b *testing.B) {
	s, _ := benchStore(b)
	type counter struct{ N int }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := storage.UpdateJSON(context.Background(), s, "c.json", true, func(c *counter) error { c.N++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetSmall reads a session-sized JSON object, as a live connection's
// sign-in check does twice when its cache is cold.
func BenchmarkGetSmall(b *testing.B) {
	s, err := fsstore.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat([]byte(`{"id":"0123456789abcdef","userId":"u-42"}`), 8)
	ctx := context.Background()
	if _, err := s.Put(ctx, "sessions/bench", bytes.NewReader(data), int64(len(data)), storage.PutOptions{ContentType: "application/json"}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rc, _, err := s.Get(ctx, "sessions/bench", nil)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, rc); err != nil || n != int64(len(data)) {
			b.Fatal(n, err)
		}
		rc.Close()
	}
}
