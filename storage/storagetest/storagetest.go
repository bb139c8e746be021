// Package storagetest is the contract suite every storage.Store must pass. Each
// implementation's tests call Run with a constructor that returns a fresh, empty
// store, so the embedded directory store and the S3 store are held to exactly
// the same behaviour: reads and writes, byte ranges, content types, listings,
// conditional writes under races (create-only and compare-and-swap), key
// checks, unknown-length uploads and failed uploads that must leave nothing.
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop/storage"
)

// Run runs the contract suite. newStore must return a new empty store each
// call; Run calls it once per subtest.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"PutGetStat", testPutGetStat},
		{"Missing", testMissing},
		{"ContentType", testContentType},
		{"Ranges", testRanges},
		{"List", testList},
		{"Delete", testDelete},
		{"InvalidKeys", testInvalidKeys},
		{"IfAbsent", testIfAbsent},
		{"IfMatch", testIfMatch},
		{"ETagChangesOnOverwrite", testETagChanges},
		{"RacingCreateOnly", testRacingCreate},
		{"RacingUpdateJSON", testRacingUpdate},
		{"StreamUnknownSize", testStreamUnknownSize},
		{"FileOfKnownSize", testFileOfKnownSize},
		{"FailedUpload", testFailedUpload},
		{"ShortReader", testShortReader},
		{"CanceledContext", testCanceled},
		{"Ping", testPing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func put(t *testing.T, s storage.Store, key, data string, opts storage.PutOptions) storage.Info {
	t.Helper()
	info, err := s.Put(ctxT(t), key, strings.NewReader(data), int64(len(data)), opts)
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return info
}

func get(t *testing.T, s storage.Store, key string, rng *storage.Range) (string, storage.Info, error) {
	t.Helper()
	rc, info, err := s.Get(ctxT(t), key, rng)
	if err != nil {
		return "", info, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q): read: %v", key, err)
	}
	return string(b), info, nil
}

func mustGet(t *testing.T, s storage.Store, key string) (string, storage.Info) {
	t.Helper()
	data, info, err := get(t, s, key, nil)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return data, info
}

func testPutGetStat(t *testing.T, s storage.Store) {
	before := time.Now().Add(-time.Minute)
	info := put(t, s, "meetings/m1/doc.pdf", "hello, phòng họp", storage.PutOptions{ContentType: "application/pdf"})
	if info.Key != "meetings/m1/doc.pdf" || info.Size != int64(len("hello, phòng họp")) {
		t.Errorf("Put info = %+v", info)
	}
	if info.ETag == "" || strings.ContainsAny(info.ETag, `"`) {
		t.Errorf("Put ETag = %q, want non-empty and unquoted", info.ETag)
	}
	data, ginfo := mustGet(t, s, "meetings/m1/doc.pdf")
	if data != "hello, phòng họp" {
		t.Errorf("Get = %q", data)
	}
	st, err := s.Stat(ctxT(t), "meetings/m1/doc.pdf")
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []storage.Info{ginfo, st} {
		if got.Key != info.Key || got.Size != info.Size || got.ETag != info.ETag || got.ContentType != "application/pdf" {
			t.Errorf("info = %+v, want key, size, etag of %+v and application/pdf", got, info)
		}
		if got.ModTime.Before(before) || got.ModTime.After(time.Now().Add(time.Minute)) {
			t.Errorf("ModTime = %v, want about now", got.ModTime)
		}
	}
	// An empty object is an object.
	put(t, s, "empty", "", storage.PutOptions{})
	if data, info := mustGet(t, s, "empty"); data != "" || info.Size != 0 {
		t.Errorf("empty object: %q, %+v", data, info)
	}
}

func testMissing(t *testing.T, s storage.Store) {
	if _, _, err := s.Get(ctxT(t), "no/such", nil); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Get missing: %v, want ErrNotFound", err)
	}
	if _, _, err := s.Get(ctxT(t), "no/such", &storage.Range{Start: 0, End: 1}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Get missing range: %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctxT(t), "no/such"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat missing: %v, want ErrNotFound", err)
	}
	// A key that is a prefix of others is not an object.
	put(t, s, "dir/child", "x", storage.PutOptions{})
	if _, err := s.Stat(ctxT(t), "dir"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat of a prefix: %v, want ErrNotFound", err)
	}
}

func testContentType(t *testing.T, s storage.Store) {
	for _, ct := range []string{"application/json", "image/png", "text/plain; charset=utf-8"} {
		key := "ct/" + strings.NewReplacer("/", "_", ";", "_", " ", "_", "=", "_").Replace(ct)
		put(t, s, key, "x", storage.PutOptions{ContentType: ct})
		if st, err := s.Stat(ctxT(t), key); err != nil || st.ContentType != ct {
			t.Errorf("Stat(%s) = %+v, %v; want content type %q", key, st, err, ct)
		}
	}
	put(t, s, "ct/none", "x", storage.PutOptions{})
	if st, err := s.Stat(ctxT(t), "ct/none"); err != nil || st.ContentType != "application/octet-stream" {
		t.Errorf("Stat without content type = %+v, %v; want application/octet-stream", st, err)
	}
}

func testRanges(t *testing.T, s storage.Store) {
	const data = "0123456789"
	info := put(t, s, "r", data, storage.PutOptions{ContentType: "text/plain"})
	ok := []struct {
		rng  storage.Range
		want string
	}{
		{storage.Range{Start: 0, End: 4}, "01234"},
		{storage.Range{Start: 3, End: -1}, "3456789"},
		{storage.Range{Start: 0, End: -1}, data},
		{storage.Range{Start: 5, End: 5}, "5"},
		{storage.Range{Start: 9, End: 9}, "9"},
		{storage.Range{Start: 8, End: 100}, "89"},
	}
	for _, tc := range ok {
		got, ginfo, err := get(t, s, "r", &tc.rng)
		if err != nil || got != tc.want {
			t.Errorf("Get range %+v = %q, %v; want %q", tc.rng, got, err, tc.want)
			continue
		}
		if ginfo.Size != info.Size || ginfo.ETag != info.ETag || ginfo.ContentType != "text/plain" {
			t.Errorf("Get range %+v info = %+v, want the whole object's %+v", tc.rng, ginfo, info)
		}
	}
	bad := []storage.Range{
		{Start: 10, End: -1},
		{Start: 10, End: 20},
		{Start: 50, End: 60},
		{Start: 5, End: 4},
		{Start: -1, End: 3},
	}
	for _, rng := range bad {
		if got, _, err := get(t, s, "r", &rng); !errors.Is(err, storage.ErrInvalidRange) {
			t.Errorf("Get range %+v = %q, %v; want ErrInvalidRange", rng, got, err)
		}
	}
}

func keysOf(infos []storage.Info) []string {
	keys := []string{}
	for _, i := range infos {
		keys = append(keys, i.Key)
	}
	return keys
}

func testList(t *testing.T, s storage.Store) {
	// No key is a path prefix of another: see storage.Store.
	all := []string{"a.x", "a/1", "a/2", "a/b/3", "a/b/c/4", "ab", "b", "b.y/a"}
	for _, k := range []int{5, 2, 7, 0, 3, 6, 1, 4} { // written out of order
		put(t, s, all[k], strings.Repeat("x", k), storage.PutOptions{ContentType: "text/plain"})
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"", all},
		{"a", []string{"a.x", "a/1", "a/2", "a/b/3", "a/b/c/4", "ab"}},
		{"a/", []string{"a/1", "a/2", "a/b/3", "a/b/c/4"}},
		{"a/b", []string{"a/b/3", "a/b/c/4"}},
		{"a/b/", []string{"a/b/3", "a/b/c/4"}},
		{"a/b/c/4", []string{"a/b/c/4"}},
		{"b", []string{"b", "b.y/a"}},
		{"b.", []string{"b.y/a"}},
		{"zz", []string{}},
		{"zz/", []string{}},
		{"a/zz/", []string{}},
	}
	for _, tc := range cases {
		got, err := s.List(ctxT(t), tc.prefix)
		if err != nil {
			t.Errorf("List(%q): %v", tc.prefix, err)
			continue
		}
		if fmt.Sprint(keysOf(got)) != fmt.Sprint(tc.want) {
			t.Errorf("List(%q) = %v, want %v", tc.prefix, keysOf(got), tc.want)
		}
	}
	got, err := s.List(ctxT(t), "a/b/c/")
	if err != nil || len(got) != 1 {
		t.Fatalf("List(a/b/c/) = %v, %v", got, err)
	}
	st, err := s.Stat(ctxT(t), "a/b/c/4")
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Size != 4 || got[0].ETag != st.ETag || got[0].ModTime.IsZero() {
		t.Errorf("List info = %+v, want size 4, etag %q, a mod time", got[0], st.ETag)
	}
}

func testDelete(t *testing.T, s storage.Store) {
	put(t, s, "d/x", "1", storage.PutOptions{})
	put(t, s, "d/y", "2", storage.PutOptions{})
	if err := s.Delete(ctxT(t), "d/x"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctxT(t), "d/x"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat after Delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctxT(t), "d/x"); err != nil {
		t.Errorf("second Delete: %v, want nil", err)
	}
	if err := s.Delete(ctxT(t), "never/was"); err != nil {
		t.Errorf("Delete missing: %v, want nil", err)
	}
	if got, _ := s.List(ctxT(t), "d/"); fmt.Sprint(keysOf(got)) != "[d/y]" {
		t.Errorf("List after Delete = %v", keysOf(got))
	}
	// The key can be created again, create-only.
	put(t, s, "d/x", "3", storage.PutOptions{IfAbsent: true})
}

// BadKeys are keys every store must reject with storage.ErrInvalidKey.
var BadKeys = []string{
	"",
	"/abs",
	"a/",
	"a//b",
	".",
	"..",
	"../x",
	"a/../b",
	"a/./b",
	"%2e%2e/x",
	"a/%2e%2e",
	`a\b`,
	`..\x`,
	"a\x00b",
	"a b",
	"a?b",
	"a#b",
	"a@",
	"khách/hàng",
	strings.Repeat("a", 10<<10),
}

func testInvalidKeys(t *testing.T, s storage.Store) {
	ctx := ctxT(t)
	for _, key := range BadKeys {
		name := key
		if len(name) > 20 {
			name = name[:20] + "…"
		}
		if _, err := s.Put(ctx, key, strings.NewReader("x"), 1, storage.PutOptions{}); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Put(%q): %v, want ErrInvalidKey", name, err)
		}
		if _, _, err := s.Get(ctx, key, nil); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Get(%q): %v, want ErrInvalidKey", name, err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Stat(%q): %v, want ErrInvalidKey", name, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Delete(%q): %v, want ErrInvalidKey", name, err)
		}
		if key != "" && !strings.HasSuffix(key, "/") {
			if _, err := s.List(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("List(%q): %v, want ErrInvalidKey", name, err)
			}
		}
	}
	if got, err := s.List(ctx, ""); err != nil || len(got) != 0 {
		t.Errorf("after bad keys List = %v, %v; want nothing stored", keysOf(got), err)
	}
}

func testIfAbsent(t *testing.T, s storage.Store) {
	first := put(t, s, "once", "first", storage.PutOptions{IfAbsent: true})
	_, err := s.Put(ctxT(t), "once", strings.NewReader("second"), 6, storage.PutOptions{IfAbsent: true})
	if !errors.Is(err, storage.ErrPrecondition) {
		t.Errorf("IfAbsent on existing: %v, want ErrPrecondition", err)
	}
	if data, info := mustGet(t, s, "once"); data != "first" || info.ETag != first.ETag {
		t.Errorf("after refused write: %q %q, want first %q", data, info.ETag, first.ETag)
	}
}

func testIfMatch(t *testing.T, s storage.Store) {
	v1 := put(t, s, "cas", "v1", storage.PutOptions{})
	v2 := put(t, s, "cas", "v2", storage.PutOptions{IfMatch: v1.ETag})
	_, err := s.Put(ctxT(t), "cas", strings.NewReader("v3"), 2, storage.PutOptions{IfMatch: v1.ETag})
	if !errors.Is(err, storage.ErrPrecondition) {
		t.Errorf("IfMatch stale: %v, want ErrPrecondition", err)
	}
	if data, info := mustGet(t, s, "cas"); data != "v2" || info.ETag != v2.ETag {
		t.Errorf("after stale write: %q %q, want v2 %q", data, info.ETag, v2.ETag)
	}
	_, err = s.Put(ctxT(t), "nothing-here", strings.NewReader("v"), 1, storage.PutOptions{IfMatch: v1.ETag})
	if !errors.Is(err, storage.ErrPrecondition) {
		t.Errorf("IfMatch on missing: %v, want ErrPrecondition", err)
	}
	if _, err := s.Stat(ctxT(t), "nothing-here"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("IfMatch on missing created the object: %v", err)
	}
}

func testETagChanges(t *testing.T, s storage.Store) {
	seen := map[string]bool{}
	for i := range 5 {
		info := put(t, s, "e", fmt.Sprintf("version %d", i), storage.PutOptions{})
		if seen[info.ETag] {
			t.Errorf("write %d reused ETag %q", i, info.ETag)
		}
		seen[info.ETag] = true
		if st, err := s.Stat(ctxT(t), "e"); err != nil || st.ETag != info.ETag {
			t.Errorf("Stat after write %d = %+v, %v; want ETag %q", i, st, err, info.ETag)
		}
	}
}

func testRacingCreate(t *testing.T, s storage.Store) {
	const writers, trials = 40, 5
	for trial := range trials {
		key := fmt.Sprintf("race/%d", trial)
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			mu      sync.Mutex
			winners []int
			etags   []string
			others  []error
		)
		for w := range writers {
			wg.Go(func() {
				data := fmt.Sprintf("writer %02d", w)
				<-start
				info, err := s.Put(ctxT(t), key, strings.NewReader(data), int64(len(data)), storage.PutOptions{IfAbsent: true})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winners = append(winners, w)
					etags = append(etags, info.ETag)
				case !errors.Is(err, storage.ErrPrecondition):
					others = append(others, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(others) > 0 {
			t.Errorf("trial %d: errors other than ErrPrecondition: %v", trial, others)
		}
		if len(winners) != 1 {
			t.Fatalf("trial %d: %d winners %v, want exactly 1", trial, len(winners), winners)
		}
		data, info := mustGet(t, s, key)
		if data != fmt.Sprintf("writer %02d", winners[0]) || info.ETag != etags[0] {
			t.Errorf("trial %d: stored %q (etag %q), want the winner %d's (etag %q)", trial, data, info.ETag, winners[0], etags[0])
		}
	}
}

func testRacingUpdate(t *testing.T, s storage.Store) {
	type counter struct{ N int }
	const writers = 20
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			<-start
			_, err := storage.UpdateJSON(ctxT(t), s, "counters/c", true, func(c *counter) error {
				c.N++
				return nil
			})
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("UpdateJSON: %v", err)
		}
	}
	var c counter
	if _, err := storage.GetJSON(ctxT(t), s, "counters/c", &c); err != nil || c.N != writers {
		t.Errorf("counter = %d, %v; want %d", c.N, err, writers)
	}
	if st, err := s.Stat(ctxT(t), "counters/c"); err != nil || st.ContentType != "application/json" {
		t.Errorf("Stat = %+v, %v; want application/json", st, err)
	}
}

// noise is a non-seekable reader of n deterministic pseudo-random bytes, so a
// store cannot learn the size by seeking.
type noise struct {
	rng *rand.ChaCha8
	n   int64
}

func newNoise(seed byte, n int64) *noise {
	var s [32]byte
	s[0] = seed
	return &noise{rng: rand.NewChaCha8(s), n: n}
}

func (r *noise) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	n, _ := r.rng.Read(p)
	r.n -= int64(n)
	return n, nil
}

func sum(t *testing.T, r io.Reader) ([32]byte, int64) {
	t.Helper()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil)), n
}

func testStreamUnknownSize(t *testing.T, s storage.Store) {
	const size = 5<<20 + 12345
	info, err := s.Put(ctxT(t), "big/stream.bin", newNoise(1, size), -1, storage.PutOptions{ContentType: "application/pdf"})
	if err != nil {
		t.Fatalf("Put size -1: %v", err)
	}
	if info.Size != size || info.ETag == "" {
		t.Errorf("Put info = %+v, want size %d", info, size)
	}
	want, _ := sum(t, newNoise(1, size))
	rc, ginfo, err := s.Get(ctxT(t), "big/stream.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, n := sum(t, rc)
	rc.Close()
	if got != want || n != size || ginfo.Size != size || ginfo.ContentType != "application/pdf" {
		t.Errorf("read back %d bytes (info %+v), digest match %v", n, ginfo, got == want)
	}
	// A range deep in the object.
	rc, _, err = s.Get(ctxT(t), "big/stream.bin", &storage.Range{Start: 3 << 20, End: 3<<20 + 99})
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(rc)
	rc.Close()
	all, _ := io.ReadAll(newNoise(1, size))
	if !bytes.Equal(part, all[3<<20:3<<20+100]) {
		t.Errorf("range of streamed object differs")
	}
	// Conditional writes need a known size.
	for _, opts := range []storage.PutOptions{{IfAbsent: true}, {IfMatch: info.ETag}} {
		if _, err := s.Put(ctxT(t), "big/cond", strings.NewReader("x"), -1, opts); err == nil {
			t.Errorf("Put size -1 with %+v succeeded, want an error", opts)
		}
	}
	if _, err := s.Stat(ctxT(t), "big/cond"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("refused conditional stream left an object: %v", err)
	}
}

// A spooled upload: a reader with ReadAt and a known size of several parts
// (S3 sends the parts in parallel from their offsets).
func testFileOfKnownSize(t *testing.T, s storage.Store) {
	const size = 23<<20 + 777
	all, _ := io.ReadAll(newNoise(3, size))
	info, err := s.Put(ctxT(t), "big/file.bin", io.NewSectionReader(bytes.NewReader(all), 0, size), size, storage.PutOptions{ContentType: "application/pdf"})
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != size || info.ETag == "" {
		t.Errorf("Put info = %+v, want size %d", info, size)
	}
	rc, ginfo, err := s.Get(ctxT(t), "big/file.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, all) || ginfo.Size != size || ginfo.ContentType != "application/pdf" || ginfo.ETag != info.ETag {
		t.Errorf("read back %d bytes (info %+v, put %+v), equal %v", len(got), ginfo, info, bytes.Equal(got, all))
	}
}

var errBroken = errors.New("client went away")

// brokenReader yields n bytes of noise and then fails, like an upload whose
// client disconnects.
type brokenReader struct{ r io.Reader }

func newBroken(n int64) io.Reader {
	return brokenReader{io.MultiReader(newNoise(2, n), errReader{})}
}

func (b brokenReader) Read(p []byte) (int, error) { return b.r.Read(p) }

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }

func testFailedUpload(t *testing.T, s storage.Store) {
	old := put(t, s, "up/existing", "old bytes", storage.PutOptions{})
	cases := []struct {
		key  string
		size int64
		opts storage.PutOptions
	}{
		{"up/new-known", 8 << 20, storage.PutOptions{}},
		{"up/new-unknown", -1, storage.PutOptions{}},
		{"up/new-ifabsent", 8 << 20, storage.PutOptions{IfAbsent: true}},
		{"up/existing", 8 << 20, storage.PutOptions{}},
		{"up/existing", -1, storage.PutOptions{}},
		{"up/existing", 8 << 20, storage.PutOptions{IfMatch: old.ETag}},
	}
	for _, tc := range cases {
		// 6 MiB before failing: past the first part of an S3 store with the
		// smallest part size, so multipart aborts are exercised too.
		if _, err := s.Put(ctxT(t), tc.key, newBroken(6<<20+7), tc.size, tc.opts); err == nil {
			t.Errorf("Put(%s, size %d) from a failing reader succeeded", tc.key, tc.size)
		}
	}
	got, err := s.List(ctxT(t), "")
	if err != nil || fmt.Sprint(keysOf(got)) != "[up/existing]" {
		t.Errorf("after failed uploads List = %v, %v; want only up/existing", keysOf(got), err)
	}
	if data, info := mustGet(t, s, "up/existing"); data != "old bytes" || info.ETag != old.ETag {
		t.Errorf("failed overwrite changed the object: now %d bytes, etag %q", len(data), info.ETag)
	}
}

func testShortReader(t *testing.T, s storage.Store) {
	if _, err := s.Put(ctxT(t), "short", strings.NewReader("abc"), 10, storage.PutOptions{}); err == nil {
		t.Errorf("Put of 3 bytes announced as 10 succeeded")
	}
	if _, err := s.Stat(ctxT(t), "short"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("short upload left an object: %v", err)
	}
}

func testCanceled(t *testing.T, s storage.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, "c", strings.NewReader("x"), 1, storage.PutOptions{}); err == nil {
		t.Errorf("Put with canceled context succeeded")
	}
	if _, err := s.Stat(ctxT(t), "c"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("canceled Put left an object: %v", err)
	}
	if _, _, err := s.Get(ctx, "c", nil); err == nil {
		t.Errorf("Get with canceled context succeeded")
	}
}

func testPing(t *testing.T, s storage.Store) {
	if err := s.Ping(ctxT(t)); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
