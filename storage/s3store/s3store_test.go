package s3store_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

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

// When the server goes away, every operation says ErrUnavailable, and soon.
func TestServerGone(t *testing.T) {
	if os.Getenv("PHONGHOP_TEST_S3_ENDPOINT") != "" {
		t.Setenv("PHONGHOP_TEST_S3_ENDPOINT", "") // this test stops its own server
	}
	srv, err := s3test.Start()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := s3store.New(ctx, srv.Config("gone"))
	if err != nil {
		srv.Stop()
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, "k", strings.NewReader("v"), 1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	start := time.Now()
	ops := map[string]func() error{
		"Put": func() error { _, err := st.Put(ctx, "k", strings.NewReader("v"), 1, storage.PutOptions{}); return err },
		"PutCAS": func() error {
			_, err := st.Put(ctx, "k", strings.NewReader("v"), 1, storage.PutOptions{IfAbsent: true})
			return err
		},
		"Get":    func() error { _, _, err := st.Get(ctx, "k", nil); return err },
		"Stat":   func() error { _, err := st.Stat(ctx, "k"); return err },
		"List":   func() error { _, err := st.List(ctx, ""); return err },
		"Delete": func() error { return st.Delete(ctx, "k") },
		"Ping":   func() error { return st.Ping(ctx) },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("%s on a stopped server: %v, want ErrUnavailable", name, err)
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("7 operations on a stopped server took %v", d)
	}
}

// A server that dies while an object's body is on the way (faulttest saw
// "unexpected EOF" answered as an internal error when S3 was killed) is
// ErrUnavailable, on the body's Read and through GetJSON. A proxy in front of
// the real gateway cuts each connection after 16 KiB of answer: the fault only.
func TestBodyCutIsUnavailable(t *testing.T) {
	srv, err := s3test.Shared()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := s3test.NewStore(t)
	big := strings.Repeat(`"abcdefghij",`, 20_000)
	doc := `[` + big + `"z"]`
	if _, err := st.Put(ctx, "big.json", strings.NewReader(doc), int64(len(doc)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", srv.Endpoint)
				if err != nil {
					return
				}
				defer up.Close()
				go io.Copy(up, c)
				io.CopyN(c, up, 16<<10) // then both connections close: the server "died"
			}()
		}
	}()
	cfg := srv.Config(st.Bucket())
	cfg.Endpoint = l.Addr().String()
	cut, err := s3store.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := cut.Get(ctx, "big.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	rc.Close()
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("reading a body cut short: %v, want ErrUnavailable", err)
	}
	var v []string
	if _, err := storage.GetJSON(ctx, cut, "big.json", &v); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("GetJSON of a body cut short: %v, want ErrUnavailable", err)
	}
	// A whole body still ends with a plain EOF.
	rc, _, err = st.Get(ctx, "big.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, err := io.ReadAll(rc); err != nil || len(b) != len(doc) {
		t.Errorf("whole body: %d bytes, %v", len(b), err)
	}
}
