package meetings_test

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// writeCounter counts the bytes written to the store.
type writeCounter struct {
	storage.Store
	written atomic.Int64
}

func (w *writeCounter) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	info, err := w.Store.Put(ctx, key, r, size, o)
	if err == nil {
		w.written.Add(info.Size)
	}
	return info, err
}

// The issue: 400 pages × 20,000 characters were one 16 MB object rewritten
// (and returned) on every save. Now a save writes its page only, and what one
// person keeps on one document is capped.
func TestNotesCostOnePageAndAreCapped(t *testing.T) {
	ctx := context.Background()
	base, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &writeCounter{Store: base}
	n := &meetings.Notes{Store: st}
	page := strings.Repeat("ghi chú ", 2500) // 20,000 characters, 22,500 bytes
	var pages int
	for p := 1; ; p++ {
		before := st.written.Load()
		saved, err := n.Put(ctx, "m1", "u1", "d1", p, page)
		if phonghop.ErrorCode(err) == phonghop.ETooLarge && strings.Contains(phonghop.ErrorMessage(err), "1024 KiB") {
			break
		}
		if err != nil || saved.Page != p || saved.Text != page {
			t.Fatalf("page %d: %v", p, err)
		}
		if w := st.written.Load() - before; w != int64(len(page)) {
			t.Fatalf("saving page %d wrote %d bytes, want the page's %d", p, w, len(page))
		}
		pages = p
		if p > 400 {
			t.Fatal("no cap on one document's notes")
		}
	}
	if want := meetings.MaxNoteBytes / len(page); pages != want {
		t.Errorf("%d pages of notes kept, want %d (1 MiB)", pages, want)
	}
	// Changing a page and removing one still work at the cap.
	if _, err := n.Put(ctx, "m1", "u1", "d1", 2, "ngắn"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Put(ctx, "m1", "u1", "d1", 3, ""); err != nil {
		t.Fatal(err)
	}
	got, err := n.Get(ctx, "m1", "u1", "d1")
	if err != nil || len(got.Pages) != pages-1 || got.Pages["2"] != "ngắn" || got.Pages["1"] != page {
		t.Fatalf("notes read back: %d pages, %v", len(got.Pages), err)
	}
	// The number of pages is capped too (a small cap, to keep the test short).
	n.MaxPages = 20
	for p := 1; p <= n.MaxPages; p++ {
		if _, err := n.Put(ctx, "m1", "u1", "d2", p, "x"); err != nil {
			t.Fatalf("page %d: %v", p, err)
		}
	}
	if _, err := n.Put(ctx, "m1", "u1", "d2", n.MaxPages+1, "x"); phonghop.ErrorCode(err) != phonghop.ETooLarge {
		t.Fatalf("page %d of notes: %v", n.MaxPages+1, err)
	}
	if other, _ := n.Get(ctx, "m1", "u2", "d1"); len(other.Pages) != 0 {
		t.Fatal("another user's notes leak")
	}
}

// Notes saved as one object before are read, and split into pages at the
// next save: nothing lost.
func TestNotesKeptInOneObjectAreSplit(t *testing.T) {
	ctx := context.Background()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	legacy := "meetings/m1/notes/u1/d1.json"
	if _, err := storage.PutJSON(ctx, st, legacy, meetings.PageNotes{Pages: map[string]string{"1": "một", "5": "năm"}}, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	n := &meetings.Notes{Store: st}
	if got, err := n.Get(ctx, "m1", "u1", "d1"); err != nil || got.Pages["1"] != "một" || got.Pages["5"] != "năm" {
		t.Fatalf("before: %v %v", got, err)
	}
	if _, err := n.Put(ctx, "m1", "u1", "d1", 5, "năm (sửa)"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stat(ctx, legacy); err == nil {
		t.Error("the single object is still there")
	}
	got, err := n.Get(ctx, "m1", "u1", "d1")
	if err != nil || len(got.Pages) != 2 || got.Pages["1"] != "một" || got.Pages["5"] != "năm (sửa)" {
		t.Fatalf("after: %v %v", got, err)
	}
}
