package meetings_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/storage"
)

// landsThenFails writes, then reports the write of keys ending in suffix
// failed (once armed), as a store that timed out after the PUT landed does.
type landsThenFails struct {
	storage.Store
	suffix string
	armed  atomic.Bool
}

func (s *landsThenFails) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	info, err := s.Store.Put(ctx, key, r, size, o)
	if err == nil && s.armed.Load() && strings.HasSuffix(key, s.suffix) {
		return storage.Info{}, fmt.Errorf("timeout awaiting the answer: %w", storage.ErrUnavailable)
	}
	return info, err
}

// The meeting update that lists a new document landed, but the store said it
// failed: the document's bytes stay (issue #18, item 4: they were deleted, and
// the meeting listed a document that could not be opened).
func TestAddDocumentKeepsBytesWhenTheListingLanded(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	st := &landsThenFails{Store: f.store, suffix: "/meeting.json"}
	f.mtg.Store = st
	m, err := f.mtg.Create(ctx, meetings.NewMeeting{Title: "Hội nghị"})
	if err != nil {
		t.Fatal(err)
	}
	st.armed.Store(true)
	doc, err := f.mtg.AddDocument(ctx, m.ID, "bao-cao.pdf", bytes.NewReader(pdf(3)), f.users["chutich"])
	st.armed.Store(false)
	if err != nil {
		t.Fatalf("add document: %v", err)
	}
	m, err = f.mtg.Meeting(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Document(doc.ID); !ok {
		t.Fatal("the meeting does not list the document")
	}
	rc, _, err := f.mtg.OpenDocument(ctx, m.ID, doc.ID, nil)
	if err != nil {
		t.Fatalf("the listed document cannot be opened: %v", err)
	}
	rc.Close()
}
