package meetings_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/internal/pdftest"
	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
)

type fixture struct {
	store storage.Store
	acc   *accounts.Service
	mtg   *meetings.Service
	users map[string]phonghop.User
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	acc := &accounts.Service{Store: st, BcryptCost: bcrypt.MinCost}
	f := &fixture{store: st, acc: acc, mtg: &meetings.Service{Store: st, Users: acc, DocumentLimit: 1 << 20, SpoolDir: t.TempDir()}, users: map[string]phonghop.User{}}
	for _, n := range []string{"chutich", "thuky", "daibieu01", "daibieu02"} {
		u, err := acc.Create(context.Background(), accounts.NewUser{Username: n, Password: "mat-khau-thu-nghiem"})
		if err != nil {
			t.Fatal(err)
		}
		f.users[n] = u
	}
	return f
}

// pdf builds a PDF of n pages that only the fallback page counter reads, its
// markers spread across read chunks.
func pdf(n int) []byte { return pdftest.NoXref(n, 3000) }

func TestMeetingLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m, err := f.mtg.Create(ctx, meetings.NewMeeting{Title: "Hội nghị tổng kết", Location: "Hội trường"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Language != "vi" {
		t.Fatalf("language default = %q", m.Language)
	}
	_, removed, err := f.mtg.SetParticipants(ctx, m.ID, []meetings.ParticipantChange{
		{UserID: f.users["chutich"].ID, Role: phonghop.RoleChair},
		{UserID: f.users["daibieu01"].ID, Role: phonghop.RoleDelegate},
	})
	if err != nil || len(removed) != 0 {
		t.Fatal(err, removed)
	}
	list, err := f.mtg.List(ctx, f.users["daibieu01"].ID, false)
	if err != nil || len(list) != 1 || list[0].ID != m.ID {
		t.Fatalf("delegate's list: %v %v", err, list)
	}
	if list, _ := f.mtg.List(ctx, f.users["daibieu02"].ID, false); len(list) != 0 {
		t.Fatalf("outsider sees %d meetings", len(list))
	}
	_, removed, err = f.mtg.SetParticipants(ctx, m.ID, []meetings.ParticipantChange{{UserID: f.users["chutich"].ID, Role: phonghop.RoleChair}})
	if err != nil || len(removed) != 1 || removed[0] != f.users["daibieu01"].ID {
		t.Fatalf("removed = %v, %v", removed, err)
	}
	if list, _ := f.mtg.List(ctx, f.users["daibieu01"].ID, false); len(list) != 0 {
		t.Fatalf("removed delegate still lists the meeting")
	}
	doc, err := f.mtg.AddDocument(ctx, m.ID, `C:\tài liệu\Báo cáo.pdf`, bytes.NewReader(pdf(7)), f.users["chutich"])
	if err != nil {
		t.Fatal(err)
	}
	if doc.Pages != 7 || doc.Name != "Báo cáo.pdf" || doc.Size != int64(len(pdf(7))) || len(doc.SHA256) != 64 {
		t.Fatalf("doc = %+v", doc)
	}
	it, err := f.mtg.AddItem(ctx, m.ID, meetings.NewItem{Title: "Báo cáo", Presenter: f.users["chutich"].ID, DocumentIDs: []string{doc.ID}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := f.mtg.Meeting(ctx, m.ID)
	if len(got.Agenda) != 1 || got.Agenda[0].ID != it.ID || len(got.Documents) != 1 {
		t.Fatalf("meeting = %+v", got)
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, title := range []string{"", "   ", strings.Repeat("á", 501), "a\x00b"} {
		if _, err := f.mtg.Create(ctx, meetings.NewMeeting{Title: title}); phonghop.ErrorCode(err) != phonghop.EInvalid {
			t.Errorf("title %q: %v", title[:min(len(title), 10)], err)
		}
	}
	if _, err := f.mtg.Create(ctx, meetings.NewMeeting{Title: "x", Language: "fr"}); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Errorf("language fr: %v", err)
	}
	for _, id := range []string{"../x", "%2e%2e", `a\b`, "a\x00", strings.Repeat("a", 10240), "a/b"} {
		if _, err := f.mtg.Meeting(ctx, id); phonghop.ErrorCode(err) != phonghop.ENotFound {
			t.Errorf("id %q: %v", id[:min(len(id), 10)], err)
		}
	}
	m, _ := f.mtg.Create(ctx, meetings.NewMeeting{Title: "x"})
	if _, _, err := f.mtg.SetParticipants(ctx, m.ID, []meetings.ParticipantChange{{UserID: "nobody", Role: phonghop.RoleChair}}); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Errorf("unknown user: %v", err)
	}
	if _, _, err := f.mtg.SetParticipants(ctx, m.ID, []meetings.ParticipantChange{{UserID: f.users["thuky"].ID, Role: "king"}}); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Errorf("bad role: %v", err)
	}
	if _, err := f.mtg.AddItem(ctx, m.ID, meetings.NewItem{Title: "x", DocumentIDs: []string{"../../users"}}); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Errorf("bad document id: %v", err)
	}
}

type failingReader struct {
	data []byte
	n    int
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n >= len(r.data) {
		return 0, errors.New("client went away")
	}
	n := copy(p, r.data[r.n:min(len(r.data), r.n+1000)])
	r.n += n
	return n, nil
}

func TestUploadsThatFailLeaveNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m, _ := f.mtg.Create(ctx, meetings.NewMeeting{Title: "x"})
	by := f.users["chutich"]
	if _, err := f.mtg.AddDocument(ctx, m.ID, "fake.pdf", strings.NewReader("MZ this is an exe"), by); phonghop.ErrorCode(err) != phonghop.EUnsupportedType {
		t.Errorf("non-PDF named .pdf: %v", err)
	}
	big := append(pdf(1), bytes.Repeat([]byte("y"), 2<<20)...)
	if _, err := f.mtg.AddDocument(ctx, m.ID, "big.pdf", bytes.NewReader(big), by); phonghop.ErrorCode(err) != phonghop.ETooLarge {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := f.mtg.AddDocument(ctx, m.ID, "cut.pdf", &failingReader{data: pdf(50)[:60000]}, by); err == nil {
		t.Errorf("interrupted upload accepted")
	}
	if _, err := f.mtg.AddDocument(ctx, "nope", "a.pdf", bytes.NewReader(pdf(1)), by); phonghop.ErrorCode(err) != phonghop.ENotFound {
		t.Errorf("unknown meeting: %v", err)
	}
	if left, _ := os.ReadDir(f.mtg.SpoolDir); len(left) != 0 {
		t.Errorf("spool files left behind: %v", left)
	}
	infos, err := f.store.List(ctx, "meetings/"+m.ID+"/documents/")
	if err != nil || len(infos) != 0 {
		t.Fatalf("left behind: %v %v", infos, err)
	}
	got, _ := f.mtg.Meeting(ctx, m.ID)
	if len(got.Documents) != 0 {
		t.Fatalf("documents recorded: %v", got.Documents)
	}
}

// Two staff adding agenda items at the same moment must both see their item kept.
func TestConcurrentAgendaEditsLoseNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m, _ := f.mtg.Create(ctx, meetings.NewMeeting{Title: "x"})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Two services on one store stand for two processes on one bucket.
			svc := &meetings.Service{Store: f.store, Users: f.acc}
			if _, err := svc.AddItem(ctx, m.ID, meetings.NewItem{Title: fmt.Sprintf("Mục %d", i)}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	got, _ := f.mtg.Meeting(ctx, m.ID)
	if len(got.Agenda) != 20 {
		t.Fatalf("agenda has %d items, want 20", len(got.Agenda))
	}
}

func TestNotes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	n := &meetings.Notes{Store: f.store}
	if _, err := n.Put(ctx, "m1", "u1", "d1", 3, "Cần làm rõ số liệu"); err != nil {
		t.Fatal(err)
	}
	got, err := n.Get(ctx, "m1", "u1", "d1")
	if err != nil || got.Pages["3"] != "Cần làm rõ số liệu" {
		t.Fatalf("notes = %v %v", got, err)
	}
	other, _ := n.Get(ctx, "m1", "u2", "d1")
	if len(other.Pages) != 0 {
		t.Fatal("another user's notes leak")
	}
	if _, err := n.Put(ctx, "m1", "u1", "d1", 0, "x"); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Fatalf("page 0: %v", err)
	}
}

// A process that has the meeting cached sees another process's change at once
// with MeetingFreshness < 0 (a Stat every time), and within MeetingFreshness
// otherwise.
func TestCachedMeetingSeesOtherWriters(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mtg.MeetingFreshness = -1
	m, _ := f.mtg.Create(ctx, meetings.NewMeeting{Title: "x"})
	a, _ := f.mtg.Meeting(ctx, m.ID)
	if again, _ := f.mtg.Meeting(ctx, m.ID); again != a {
		t.Fatal("an unchanged meeting was decoded again")
	}
	other := &meetings.Service{Store: f.store, Users: f.acc}
	if _, err := other.AddItem(ctx, m.ID, meetings.NewItem{Title: "Mục mới"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.mtg.Meeting(ctx, m.ID)
	if err != nil || len(got.Agenda) != 1 || len(a.Agenda) != 0 {
		t.Fatalf("after another writer: %v, agenda %d (cached copy %d)", err, len(got.Agenda), len(a.Agenda))
	}

	f.mtg.MeetingFreshness = 200 * time.Millisecond
	if _, err := f.mtg.Meeting(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := other.AddItem(ctx, m.ID, meetings.NewItem{Title: "Mục thứ hai"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.mtg.Meeting(ctx, m.ID); len(got.Agenda) != 1 {
		t.Fatalf("within the freshness the cached copy is served: agenda %d", len(got.Agenda))
	}
	if _, err := f.mtg.AddItem(ctx, m.ID, meetings.NewItem{Title: "Mục thứ ba"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.mtg.Meeting(ctx, m.ID); len(got.Agenda) != 3 {
		t.Fatalf("a change made here is not seen at once: agenda %d", len(got.Agenda))
	}
	if _, err := other.AddItem(ctx, m.ID, meetings.NewItem{Title: "Mục thứ tư"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	if got, _ := f.mtg.Meeting(ctx, m.ID); len(got.Agenda) != 4 {
		t.Fatalf("another process's change after the freshness: agenda %d", len(got.Agenda))
	}
}

// A scan whose page dictionaries are spread through the file is stored exactly
// as uploaded, with a page index kept apart: OpenView serves the two as one
// file (any range, across the seam too), whose size and hash the document
// gives. A signed scan is indexed the same way; a small PDF needs no index.
func TestUploadKeepsAPageIndex(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mtg.DocumentLimit = 0
	m, _ := f.mtg.Create(ctx, meetings.NewMeeting{Title: "x"})
	read := func(rc io.ReadCloser, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, extra := range []string{"", "/AcroForm << /SigFlags 3 /Fields [] >> "} {
		scan := pdftest.Scanned(120, 4000, true, extra)
		doc, err := f.mtg.AddDocument(ctx, m.ID, "scan.pdf", bytes.NewReader(scan), f.users["thuky"])
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(scan)
		if doc.Size != int64(len(scan)) || doc.SHA256 != hex.EncodeToString(sum[:]) || doc.ViewSize <= doc.Size || doc.Pages != 120 {
			t.Fatalf("document %+v (upload %d bytes)", doc, len(scan))
		}
		stored := read(func() (io.ReadCloser, error) {
			rc, _, err := f.mtg.OpenDocument(ctx, m.ID, doc.ID, nil)
			return rc, err
		}())
		if !bytes.Equal(stored, scan) {
			t.Fatal("the stored document is not the upload")
		}
		view := read(f.mtg.OpenView(ctx, m.ID, doc, nil))
		vsum := sha256.Sum256(view)
		if int64(len(view)) != doc.ViewSize || hex.EncodeToString(vsum[:]) != doc.ViewSHA256 || !bytes.HasPrefix(view, scan) ||
			!bytes.Contains(view[len(scan):], []byte("/Type /Pages")) {
			t.Fatalf("view of %d bytes, document says %d", len(view), doc.ViewSize)
		}
		n := int64(len(scan))
		for _, r := range []storage.Range{{Start: 0, End: 99}, {Start: n - 10, End: n + 9}, {Start: n, End: n + 5}, {Start: n + 3, End: -1}, {Start: 5, End: doc.ViewSize + 100}} {
			got := read(f.mtg.OpenView(ctx, m.ID, doc, &r))
			end := r.End
			if end < 0 || end >= doc.ViewSize {
				end = doc.ViewSize - 1
			}
			if !bytes.Equal(got, view[r.Start:end+1]) {
				t.Fatalf("range %d-%d: %d bytes differ", r.Start, r.End, len(got))
			}
		}
	}

	small := pdftest.Scanned(3, 100, false, "")
	doc, err := f.mtg.AddDocument(ctx, m.ID, "small.pdf", bytes.NewReader(small), f.users["thuky"])
	if err != nil {
		t.Fatal(err)
	}
	if doc.Size != int64(len(small)) || doc.ViewSize != 0 || doc.ViewSHA256 != "" || doc.Pages != 3 {
		t.Fatalf("small document %+v", doc)
	}
	if got := read(f.mtg.OpenView(ctx, m.ID, doc, nil)); !bytes.Equal(got, small) {
		t.Fatal("the view of a document without an index is not the document")
	}
	if left, _ := os.ReadDir(f.mtg.SpoolDir); len(left) != 0 {
		t.Errorf("spool files left behind: %v", left)
	}
}

// countingStore counts writes of keys under a prefix.
type countingStore struct {
	storage.Store
	prefix string
	mu     sync.Mutex
	writes int
}

func (c *countingStore) count(key string) {
	if strings.HasPrefix(key, c.prefix) {
		c.mu.Lock()
		c.writes++
		c.mu.Unlock()
	}
}

func (c *countingStore) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	c.count(key)
	return c.Store.Put(ctx, key, r, size, o)
}

func (c *countingStore) Delete(ctx context.Context, key string) error {
	c.count(key)
	return c.Store.Delete(ctx, key)
}

// Adding one participant to a meeting of many writes one marker, not one
// per participant (issue #18, item 3), and a save that changes nothing
// writes them all again (it finishes a save whose markers failed).
func TestSetParticipantsWritesOnlyChangedMarkers(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	cs := &countingStore{Store: f.store, prefix: "index/members/"}
	f.mtg.Store = cs
	m, err := f.mtg.Create(ctx, meetings.NewMeeting{Title: "Hội nghị"})
	if err != nil {
		t.Fatal(err)
	}
	list := []meetings.ParticipantChange{
		{UserID: f.users["chutich"].ID, Role: phonghop.RoleChair},
		{UserID: f.users["thuky"].ID, Role: phonghop.RoleSecretary},
		{UserID: f.users["daibieu01"].ID, Role: phonghop.RoleDelegate},
	}
	if _, _, err := f.mtg.SetParticipants(ctx, m.ID, list); err != nil {
		t.Fatal(err)
	}
	cs.writes = 0
	list = append(list[1:], meetings.ParticipantChange{UserID: f.users["daibieu02"].ID, Role: phonghop.RoleDelegate})
	_, removed, err := f.mtg.SetParticipants(ctx, m.ID, list)
	if err != nil || len(removed) != 1 {
		t.Fatal(err, removed)
	}
	if cs.writes != 2 {
		t.Fatalf("one added and one removed participant cost %d marker writes, want 2", cs.writes)
	}
	cs.writes = 0
	if _, _, err := f.mtg.SetParticipants(ctx, m.ID, list); err != nil {
		t.Fatal(err)
	}
	if cs.writes != 3 {
		t.Fatalf("an unchanged save wrote %d markers, want all 3", cs.writes)
	}
}
