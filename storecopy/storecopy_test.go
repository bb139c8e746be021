package storecopy

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
	"github.com/phonghop/phonghop/storage/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

func newFS(t *testing.T) *fsstore.Store {
	t.Helper()
	s, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fill writes objects of every kind a store holds: JSON records, an empty one,
// binary documents (one of several MiB), deep keys.
func fill(t *testing.T, s storage.Store) map[string][]byte {
	t.Helper()
	big := make([]byte, 7<<20+13)
	rand.Read(big)
	small := make([]byte, 1000)
	rand.Read(small)
	objs := map[string][]byte{
		"users/u1.json":                           []byte(`{"id":"u1","username":"chutich"}`),
		"usernames/chutich.json":                  []byte(`{"userId":"u1"}`),
		"meetings/m1/meeting.json":                []byte(`{"id":"m1","title":"Họp UBND"}`),
		"meetings/m1/documents/d1":                big,
		"meetings/m1/documents/d2":                small,
		"meetings/m1/journal/00000000000001.json": []byte(`{"seq":1}`),
		"meetings/m1/polls/p1/ballots/b1.json":    []byte(`{"choice":"yes"}`),
		"meetings/m1/minutes/versions/1.pdf":      []byte("%PDF-1.7 minutes"),
		"index/meetings/m1":                       {},
	}
	for k, v := range objs {
		ct := "application/json"
		if !strings.HasSuffix(k, ".json") {
			ct = "application/pdf"
		}
		if _, err := s.Put(context.Background(), k, bytes.NewReader(v), int64(len(v)), storage.PutOptions{ContentType: ct}); err != nil {
			t.Fatal(k, err)
		}
	}
	return objs
}

func checkHolds(t *testing.T, s storage.Store, want map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	list, err := objects(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(want) {
		t.Errorf("%d objects, want %d: %v", len(list), len(want), list)
	}
	for k, v := range want {
		body, info, err := s.Get(ctx, k, nil)
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		got, _ := io.ReadAll(body)
		body.Close()
		if !bytes.Equal(got, v) {
			t.Errorf("%s: %d bytes differ from the original's %d", k, len(got), len(v))
		}
		wantCT := "application/json"
		if !strings.HasSuffix(k, ".json") {
			wantCT = "application/pdf"
		}
		if info.ContentType != wantCT {
			t.Errorf("%s: content type %q, want %q", k, info.ContentType, wantCT)
		}
	}
}

func TestMigrateDirectoryToS3AndBack(t *testing.T) {
	ctx := context.Background()
	src, s3, back := newFS(t), s3test.NewStore(t), newFS(t)
	want := fill(t, src)
	state := filepath.Join(t.TempDir(), "state")
	rep, err := Migrate(ctx, src, s3, "dir:a", "s3:b", state, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Objects != len(want) || rep.Copied != len(want) || rep.Skipped != 0 {
		t.Fatalf("report %+v", rep)
	}
	checkHolds(t, s3, want)
	// Run again: everything is there and unchanged, nothing is copied.
	rep, err = Migrate(ctx, src, s3, "dir:a", "s3:b", state, Options{})
	if err != nil || rep.Copied != 0 || rep.Skipped != len(want) {
		t.Fatalf("second run: %+v %v", rep, err)
	}
	// The state file is this migration's only.
	if _, err := Migrate(ctx, src, s3, "dir:a", "s3:other", state, Options{}); err == nil || !strings.Contains(err.Error(), "belongs to") {
		t.Fatalf("a state file of another migration was used: %v", err)
	}
	if _, err := Migrate(ctx, s3, back, "s3:b", "dir:c", filepath.Join(t.TempDir(), "state"), Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	checkHolds(t, back, want)
}

// failingStore fails every Put after the first n.
type failingStore struct {
	storage.Store
	n atomic.Int64
}

func (f *failingStore) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.Info, error) {
	if f.n.Add(-1) < 0 {
		return storage.Info{}, storage.ErrUnavailable
	}
	return f.Store.Put(ctx, key, r, size, opts)
}

func TestMigrateResumesWhereItStopped(t *testing.T) {
	ctx := context.Background()
	src, dst := newFS(t), s3test.NewStore(t)
	want := fill(t, src)
	state := filepath.Join(t.TempDir(), "state")
	flaky := &failingStore{Store: dst}
	flaky.n.Store(4)
	rep, err := Migrate(ctx, src, flaky, "dir:a", "s3:b", state, Options{Workers: 1})
	if !errors.Is(err, storage.ErrUnavailable) || rep.Copied != 4 {
		t.Fatalf("first run: %+v %v", rep, err)
	}
	// Without the state file the target is not empty and is refused.
	if _, err := Migrate(ctx, src, dst, "dir:a", "s3:b", filepath.Join(t.TempDir(), "other"), Options{}); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("a half-filled target without its state file: %v", err)
	}
	// A source object changed since: it is copied again.
	changed := []byte(`{"id":"u1","username":"chutich","disabled":true}`)
	want["users/u1.json"] = changed
	if _, err := src.Put(ctx, "users/u1.json", bytes.NewReader(changed), int64(len(changed)), storage.PutOptions{ContentType: "application/json"}); err != nil {
		t.Fatal(err)
	}
	rep, err = Migrate(ctx, src, dst, "dir:a", "s3:b", state, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copied+rep.Skipped != len(want) || rep.Skipped < 3 || rep.Copied < len(want)-4 {
		t.Fatalf("resumed run: %+v", rep)
	}
	checkHolds(t, dst, want)
	// An object removed from the source after it was copied leaves the target too.
	if err := src.Delete(ctx, "meetings/m1/documents/d2"); err != nil {
		t.Fatal(err)
	}
	delete(want, "meetings/m1/documents/d2")
	rep, err = Migrate(ctx, src, dst, "dir:a", "s3:b", state, Options{})
	if err != nil || rep.Removed != 1 {
		t.Fatalf("after a removal: %+v %v", rep, err)
	}
	checkHolds(t, dst, want)
}

// corruptingStore flips a byte of every object it writes.
type corruptingStore struct{ storage.Store }

func (c corruptingStore) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.Info, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return storage.Info{}, err
	}
	if len(b) > 0 {
		b[len(b)/2] ^= 1
	}
	return c.Store.Put(ctx, key, bytes.NewReader(b), size, opts)
}

func TestMigrateDetectsADifferentCopy(t *testing.T) {
	src := newFS(t)
	fill(t, src)
	_, err := Migrate(context.Background(), src, corruptingStore{newFS(t)}, "a", "b", filepath.Join(t.TempDir(), "s"), Options{})
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("a corrupted copy passed: %v", err)
	}
}

// writingStore writes a new object into itself during the first read, as a
// server that started mid-copy would.
type writingStore struct {
	storage.Store
	done atomic.Bool
}

func (w *writingStore) Get(ctx context.Context, key string, rng *storage.Range) (io.ReadCloser, storage.Info, error) {
	if !w.done.Swap(true) {
		w.Store.Put(ctx, "sessions/new.json", strings.NewReader("{}"), 2, storage.PutOptions{})
	}
	return w.Store.Get(ctx, key, rng)
}

func TestCopiesRefuseAStoreInUse(t *testing.T) {
	ctx := context.Background()
	src := newFS(t)
	fill(t, src)
	stop := Beat(ctx, src, HeartbeatInterval, slog.New(slog.DiscardHandler))
	if _, err := Migrate(ctx, src, newFS(t), "a", "b", filepath.Join(t.TempDir(), "s"), Options{}); !errors.Is(err, ErrInUse) {
		t.Fatalf("migrate from a store a server uses: %v", err)
	}
	if _, err := Backup(ctx, src, "a", io.Discard, Options{}); !errors.Is(err, ErrInUse) {
		t.Fatalf("backup of a store a server uses: %v", err)
	}
	if _, err := Migrate(ctx, newFS(t), src, "b", "a", filepath.Join(t.TempDir(), "s"), Options{}); !errors.Is(err, ErrInUse) {
		t.Fatalf("migrate into a store a server uses: %v", err)
	}
	stop()
	if r, err := Running(ctx, src); err != nil || len(r) != 0 {
		t.Fatalf("after the server stopped: %v %v", r, err)
	}
	dst := newFS(t)
	if _, err := Migrate(ctx, &writingStore{Store: src}, dst, "a", "b", filepath.Join(t.TempDir(), "s"), Options{}); !errors.Is(err, ErrChanged) {
		t.Fatalf("a source written during the copy: %v", err)
	}
	if _, err := Backup(ctx, &writingStore{Store: src}, "a", io.Discard, Options{}); !errors.Is(err, ErrChanged) {
		t.Fatalf("a source written during the backup: %v", err)
	}
}

func archiveOf(t *testing.T, s storage.Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Backup(context.Background(), s, "test", &buf, Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func opener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	src := s3test.NewStore(t)
	want := fill(t, src)
	arc := archiveOf(t, src)
	man, err := Verify(bytes.NewReader(arc))
	if err != nil || len(man.Objects) != len(want) || man.Source != "test" {
		t.Fatalf("manifest %+v %v", man, err)
	}
	dst := newFS(t)
	rep, err := Restore(ctx, opener(arc), dst, Options{})
	if err != nil || rep.Copied != len(want) {
		t.Fatalf("restore: %+v %v", rep, err)
	}
	checkHolds(t, dst, want)
	// Into a store holding something else: refused.
	other := newFS(t)
	other.Put(ctx, "users/x.json", strings.NewReader("{}"), 2, storage.PutOptions{})
	if _, err := Restore(ctx, opener(arc), other, Options{}); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("restore over other data: %v", err)
	}
	// An interrupted restore is finished by running it again.
	half := s3test.NewStore(t)
	flaky := &failingStore{Store: half}
	flaky.n.Store(3)
	if _, err := Restore(ctx, opener(arc), flaky, Options{}); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("flaky restore: %v", err)
	}
	rep, err = Restore(ctx, opener(arc), half, Options{})
	if err != nil || rep.Skipped != 3 || rep.Copied != len(want)-3 {
		t.Fatalf("resumed restore: %+v %v", rep, err)
	}
	checkHolds(t, half, want)
}

func TestDamagedArchivesAreRefused(t *testing.T) {
	src := newFS(t)
	fill(t, src)
	arc := archiveOf(t, src)
	// One bit of a document flipped: tar still reads, the hash does not match.
	flipped := bytes.Clone(arc)
	i := bytes.Index(flipped, []byte("%PDF-1.7 minutes"))
	flipped[i+3] ^= 1
	cut := arc[:len(arc)/2]
	extra := func() []byte {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		tw.WriteHeader(&tar.Header{Name: "objects/users/evil.json", Size: 2, Mode: 0o644})
		tw.Write([]byte("{}"))
		tw.Flush()
		// The original's entries after this one (its end-of-archive is dropped).
		return append(b.Bytes(), arc...)
	}()
	for name, b := range map[string][]byte{"flipped": flipped, "cut short": cut, "extra object": extra, "not an archive": []byte("hello")} {
		t.Run(name, func(t *testing.T) {
			dst := newFS(t)
			if _, err := Restore(context.Background(), opener(b), dst, Options{}); !errors.Is(err, ErrMismatch) {
				t.Fatalf("restored: %v", err)
			}
			if list, _ := dst.List(context.Background(), ""); len(list) != 0 {
				t.Fatalf("a refused archive wrote %d objects", len(list))
			}
		})
	}
	// The verifying reader alone stops a store from keeping bytes that do not
	// match (the archive changed between the two reads).
	dst := newFS(t)
	vr := &verifyingReader{r: strings.NewReader("abc"), h: sha256.New(), size: 3, want: fmt.Sprintf("%064d", 0), key: "k"}
	if _, err := dst.Put(context.Background(), "k", vr, 3, storage.PutOptions{}); !errors.Is(err, ErrMismatch) {
		t.Fatalf("put through a failing verifier: %v", err)
	}
	if _, err := dst.Stat(context.Background(), "k"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the store kept bytes that failed verification: %v", err)
	}
}

// A hostile archive: entries whose names climb out of the store (zip-slip),
// absolute names, a symlink and a hard link, each consistent with its own
// manifest. Refused as a whole before anything is written, and nothing appears
// outside the target directory.
func TestHostileArchiveEntriesAreRefused(t *testing.T) {
	build := func(hdr tar.Header, body []byte) []byte {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		good := []byte(`{"id":"u1"}`)
		tw.WriteHeader(&tar.Header{Name: "objects/users/u1.json", Size: int64(len(good)), Mode: 0o644, Typeflag: tar.TypeReg})
		tw.Write(good)
		hdr.Size = int64(len(body))
		if hdr.Typeflag == tar.TypeSymlink || hdr.Typeflag == tar.TypeLink {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Size > 0 {
			tw.Write(body)
		}
		sum := func(p []byte) string { h := sha256.Sum256(p); return fmt.Sprintf("%x", h) }
		key := strings.TrimPrefix(hdr.Name, objectsDir)
		n := hdr.Size
		man := Manifest{Format: archiveFormat, Objects: []Entry{
			{Key: "users/u1.json", Size: int64(len(good)), SHA256: sum(good)},
			{Key: key, Size: n, SHA256: sum(body[:n])},
		}}
		mb, _ := json.Marshal(man)
		tw.WriteHeader(&tar.Header{Name: manifestName, Size: int64(len(mb)), Mode: 0o644, Typeflag: tar.TypeReg})
		tw.Write(mb)
		tw.Close()
		return b.Bytes()
	}
	evil := []byte("pwned")
	for name, hdr := range map[string]tar.Header{
		"parent":       {Name: "objects/../../../escaped.txt", Typeflag: tar.TypeReg, Mode: 0o644},
		"inner parent": {Name: "objects/users/../../escaped.txt", Typeflag: tar.TypeReg, Mode: 0o644},
		"absolute":     {Name: "objects//tmp/escaped.txt", Typeflag: tar.TypeReg, Mode: 0o644},
		"backslash":    {Name: `objects/..\..\escaped.txt`, Typeflag: tar.TypeReg, Mode: 0o644},
		"symlink":      {Name: "objects/users/link.json", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd", Mode: 0o777},
		"hard link":    {Name: "objects/users/hard.json", Typeflag: tar.TypeLink, Linkname: "/etc/passwd", Mode: 0o644},
		"directory":    {Name: "objects/users/", Typeflag: tar.TypeDir, Mode: 0o755},
		"device":       {Name: "objects/users/dev.json", Typeflag: tar.TypeChar, Mode: 0o644, Devmajor: 1, Devminor: 3},
	} {
		t.Run(name, func(t *testing.T) {
			arc := build(hdr, evil)
			if _, err := Verify(bytes.NewReader(arc)); !errors.Is(err, ErrMismatch) {
				t.Fatalf("verify took it: %v", err)
			}
			parent := t.TempDir()
			root := filepath.Join(parent, "a", "b", "data")
			dst, err := fsstore.New(root)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Restore(context.Background(), opener(arc), dst, Options{}); !errors.Is(err, ErrMismatch) {
				t.Fatalf("restored: %v", err)
			}
			if list, _ := dst.List(context.Background(), ""); len(list) != 0 {
				t.Fatalf("a refused archive wrote %d objects", len(list))
			}
			filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
				if err == nil && strings.Contains(d.Name(), "escaped") {
					t.Errorf("written outside the store: %s", p)
				}
				return nil
			})
		})
	}
}
