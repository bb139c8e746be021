package s3store_test

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"

	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/s3store"
	"github.com/phonghop/phonghop/storage/s3test"
	"github.com/phonghop/phonghop/storage/storagetest"
)

func TestMain(m *testing.M) { s3test.Main(m) }

func TestContract(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return s3test.NewStore(t) })
}

// With the smallest part size, the suite's unknown-length uploads (5 MiB and
// more) take the multipart path, failures included.
func TestContractSmallParts(t *testing.T) {
	srv, err := s3test.Shared()
	if err != nil {
		t.Fatal(err)
	}
	storagetest.Run(t, func(t *testing.T) storage.Store {
		cfg := srv.Config(s3test.NewStore(t).Bucket())
		cfg.PartSize = 5 << 20
		st, err := s3store.New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

// An upload of unknown length holds one part buffer, not the object.
func TestUnknownSizeMemoryIsFlat(t *testing.T) {
	st := s3test.NewStore(t)
	const size = 96 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	info, err := st.Put(context.Background(), "big", io.LimitReader(zeros{}, size), -1, storage.PutOptions{})
	runtime.ReadMemStats(&after)
	if err != nil || info.Size != size {
		t.Fatalf("Put = %+v, %v", info, err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d MiB upload of unknown size allocated %d MiB", size>>20, alloc>>20)
	if alloc > 48<<20 {
		t.Errorf("a %d MiB upload of unknown size allocated %d MiB, want under 48 (one %d MiB part buffer)", size>>20, alloc>>20, s3store.DefaultPartSize>>20)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// A dead server is ErrUnavailable, and soon.
func TestUnavailable(t *testing.T) {
	srv, err := s3test.Shared()
	if err != nil {
		t.Fatal(err)
	}
	st := s3test.NewStore(t)
	if err := st.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := srv.Config(st.Bucket())
	cfg.Endpoint = addr
	if _, err := s3store.New(context.Background(), cfg); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("New on a dead endpoint: %v, want ErrUnavailable", err)
	}
}
