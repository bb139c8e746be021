package meetings

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/convert"
	"github.com/phonghop/phonghop/storage"
)

// Changes to a document after its upload: a new name, a new version, the
// items it belongs to, its removal. Each is one compare-and-swap on the
// meeting, journaled, and tablets hear of it (live "setup", and "document"
// for the document itself).

// RenameDocument gives the document a new name (cleaned as an upload's).
func (s *Service) RenameDocument(ctx context.Context, meetingID, docID, name string) (phonghop.Document, error) {
	// A file's name, cleaned as an upload's: what draws nothing or turns
	// the text is left out, not refused.
	name = phonghop.CleanLine(name)
	if err := accounts.CheckText("name", name, true, 200); err != nil {
		return phonghop.Document{}, err
	}
	given := name
	var from string
	doc, m, err := s.editDocument(ctx, meetingID, docID, func(d *phonghop.Document) error {
		// A PDF keeps a .pdf name; an office file keeps its own (served as
		// PDFName).
		if name = PDFName(given); d.Original != nil {
			name = CleanName(given)
		}
		if from = d.Name; from == name {
			return storage.ErrStop
		}
		d.Name = name
		return nil
	})
	if err != nil || from == name {
		return doc, err
	}
	s.recordChange(ctx, m, phonghop.Change{Action: "document.renamed", DocumentID: docID, Changes: diff{"name": {From: from, To: name}}})
	s.publish(ctx, m, doc)
	return doc, nil
}

// ReplaceDocument stores a new version of the document: a PDF, checked,
// hashed and indexed as an upload, under a new object. The document keeps
// its id, name, place in the agenda and access; its previous version goes to
// Previous with its bytes kept. Tablets holding the old bytes see a new
// sha256 and load the new ones, also when the document is on screen.
func (s *Service) ReplaceDocument(ctx context.Context, meetingID, docID, fileName string, body io.Reader) (phonghop.Document, error) {
	m, err := s.Meeting(ctx, meetingID)
	if err != nil {
		return phonghop.Document{}, err
	}
	cur, ok := m.Document(docID)
	if !ok {
		return phonghop.Document{}, phonghop.Fail(phonghop.ENotFound, "document_not_found")
	}
	if !cur.Ready() {
		return phonghop.Document{}, phonghop.Fail(phonghop.EConflict, "document_converting")
	}
	br := bufio.NewReaderSize(body, 4096)
	head, err := br.Peek(1024)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return phonghop.Document{}, phonghop.Fail(phonghop.EInvalid, "upload_interrupted")
	}
	if !looksLikePDF(head) {
		if f, office := convert.ByName(fileName); office {
			return s.replaceOffice(ctx, meetingID, docID, fileName, f, br)
		}
		return phonghop.Document{}, errNotPDF
	}
	by := phonghop.Actor(ctx)
	next := phonghop.Document{ID: docID, Blob: accounts.NewID(), ContentType: "application/pdf", UploadedBy: by.ID, UploadedAt: s.now().UTC()}
	undo, err := s.storePDF(ctx, meetingID, &next, br)
	if err != nil {
		return phonghop.Document{}, err
	}
	doc, err := s.newVersion(ctx, meetingID, docID, next, false)
	if err != nil && !s.holds(ctx, meetingID, docID, next.Blob) {
		undo()
	}
	return doc, err
}

// newVersion makes next, stored already, the document's current version:
// the version it replaces goes to Previous (its bytes and original kept).
// fromOffice: next is the PDF of the new version under Replacing, whose
// original it takes (convert.ErrGone when that is no longer there); else
// a failed replacement is superseded. Journaled, and the room is told.
func (s *Service) newVersion(ctx context.Context, meetingID, docID string, next phonghop.Document, fromOffice bool) (phonghop.Document, error) {
	by := phonghop.Actor(ctx)
	var before phonghop.Document
	var dropped string
	doc, m, err := s.editDocument(ctx, meetingID, docID, func(d *phonghop.Document) error {
		var original *phonghop.Original
		if fromOffice {
			if r := d.Replacing; r == nil || r.Blob != next.Blob {
				return convert.ErrGone
			}
			original, dropped = d.Replacing.Original, ""
		} else {
			var err error
			if dropped, err = replaceable(d, next.Blob); err != nil {
				return err
			}
		}
		before = *d
		v := max(d.Version, 1)
		d.Previous = append(slices.Clone(d.Previous), phonghop.DocumentVersion{Version: v, Blob: d.BlobID(), Name: d.Name,
			Size: d.Size, SHA256: d.SHA256, Pages: d.Pages, UploadedBy: d.UploadedBy, UploadedAt: d.UploadedAt,
			ReplacedBy: by.ID, ReplacedAt: next.UploadedAt, Original: d.Original})
		d.Version, d.Blob = v+1, next.Blob
		d.Size, d.SHA256, d.Pages, d.ViewSize, d.ViewSHA256 = next.Size, next.SHA256, next.Pages, next.ViewSize, next.ViewSHA256
		d.ContentType, d.UploadedBy, d.UploadedAt, d.Original = next.ContentType, next.UploadedBy, next.UploadedAt, original
		d.Replacing = nil
		return nil
	})
	if err != nil {
		return phonghop.Document{}, err
	}
	s.dropOriginal(ctx, meetingID, dropped)
	d := diff{}
	d.add("sha256", before.SHA256, doc.SHA256)
	d.add("size", before.Size, doc.Size)
	d.add("pages", before.Pages, doc.Pages)
	s.recordChange(ctx, m, phonghop.Change{Action: "document.replaced", DocumentID: docID, Version: doc.Version, Changes: d})
	s.publish(ctx, m, doc)
	return doc, nil
}

// holds reports whether the meeting's document is at the blob (a swap that
// reported failure may have landed).
func (s *Service) holds(ctx context.Context, meetingID, docID, blob string) bool {
	m, listed := s.lists(ctx, meetingID, docID)
	if !listed {
		return false
	}
	d, _ := m.Document(docID)
	return d.Blob == blob
}

// SetDocumentItems puts the document on exactly the listed agenda items
// (appended to those that did not have it, keeping its place in those that
// did) and takes it off the others.
func (s *Service) SetDocumentItems(ctx context.Context, meetingID, docID string, itemIDs []string) (*phonghop.Meeting, error) {
	want := map[string]bool{}
	for _, id := range itemIDs {
		want[id] = true
	}
	var added, removed []string
	m, err := s.update(ctx, meetingID, func(m *phonghop.Meeting) error {
		if _, ok := m.Document(docID); !ok {
			return phonghop.Fail(phonghop.ENotFound, "document_not_found")
		}
		for id := range want {
			if _, ok := m.Item(id); !ok {
				return phonghop.Fail(phonghop.EInvalid, "agenda_item_unknown")
			}
		}
		added, removed = nil, nil
		for i := range m.Agenda {
			it := &m.Agenda[i]
			has := slices.Contains(it.DocumentIDs, docID)
			switch {
			case want[it.ID] && !has:
				it.DocumentIDs = append(slices.Clone(it.DocumentIDs), docID)
				added = append(added, it.ID)
			case !want[it.ID] && has:
				it.DocumentIDs = slices.DeleteFunc(slices.Clone(it.DocumentIDs), func(d string) bool { return d == docID })
				removed = append(removed, it.ID)
			}
		}
		if len(added)+len(removed) == 0 {
			return storage.ErrStop
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(added)+len(removed) > 0 {
		d := diff{}
		d.add("addedTo", "", added)
		d.add("removedFrom", "", removed)
		s.recordChange(ctx, m, phonghop.Change{Action: "document.attached", DocumentID: docID, Changes: d})
	}
	return m, nil
}

// DeleteDocument removes the document from the meeting and its agenda items,
// then its stored bytes (every version, its page indexes and original). One
// being presented is refused: the room would lose what it shows.
func (s *Service) DeleteDocument(ctx context.Context, meetingID, docID string) error {
	m, err := s.Meeting(ctx, meetingID)
	if err != nil {
		return err
	}
	if _, ok := m.Document(docID); !ok {
		return phonghop.Fail(phonghop.ENotFound, "document_not_found")
	}
	if s.Room != nil {
		_, shown, err := s.Room.Presented(ctx, meetingID)
		if err != nil {
			return err
		}
		if shown == docID {
			return phonghop.Fail(phonghop.EConflict, "document_presented")
		}
	}
	var gone phonghop.Document
	m, err = s.update(ctx, meetingID, func(m *phonghop.Meeting) error {
		i := slices.IndexFunc(m.Documents, func(d phonghop.Document) bool { return d.ID == docID })
		if i < 0 {
			return phonghop.Fail(phonghop.ENotFound, "document_not_found")
		}
		gone = m.Documents[i]
		m.Documents = slices.Delete(slices.Clone(m.Documents), i, i+1)
		for j := range m.Agenda {
			m.Agenda[j].DocumentIDs = slices.DeleteFunc(slices.Clone(m.Agenda[j].DocumentIDs), func(d string) bool { return d == docID })
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The record names it no more: its bytes can go. A failure leaves
	// unreachable objects, logged, never a document without bytes.
	// Its conversion job goes first, so no worker takes it up meanwhile.
	keys := []string{convert.JobKey(meetingID, docID)}
	for _, blob := range documentBlobs(gone) {
		keys = append(keys, DocumentKey(meetingID, blob), pageIndexKey(meetingID, blob), originalKey(meetingID, blob))
	}
	var writes []func(context.Context) error
	for _, k := range keys {
		writes = append(writes, func(ctx context.Context) error { return s.Store.Delete(ctx, k) })
	}
	if failed := runDetached(ctx, writes); failed > 0 {
		s.log().Error("document deleted, but some of its stored objects were not", "meeting", meetingID, "document", docID, "failed", failed)
	}
	// A confidential one's deletion reaches its audience only, naming nothing
	// (the meeting no longer lists it for recordChange to see).
	s.recordChange(ctx, m, phonghop.Change{Action: "document.deleted", DocumentID: docID, Changes: diff{"name": {From: gone.Name}},
		Details: map[string]string{"versions": fmt.Sprint(len(gone.Previous) + 1)}, Audience: m.DocumentAudience(gone)})
	return nil
}

// documentBlobs names every stored object of a document: its current
// version, the versions it replaced, and a new version being converted.
func documentBlobs(d phonghop.Document) []string {
	out := append([]string{d.BlobID()}, blobs(d.Previous)...)
	if d.Replacing != nil {
		out = append(out, d.Replacing.Blob)
	}
	return out
}

func blobs(vs []phonghop.DocumentVersion) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Blob
	}
	return out
}

// editDocument applies fn to the document within the meeting's
// compare-and-swap (fn may return storage.ErrStop for no change).
func (s *Service) editDocument(ctx context.Context, meetingID, docID string, fn func(*phonghop.Document) error) (phonghop.Document, *phonghop.Meeting, error) {
	var out phonghop.Document
	m, err := s.update(ctx, meetingID, func(m *phonghop.Meeting) error {
		i := slices.IndexFunc(m.Documents, func(d phonghop.Document) bool { return d.ID == docID })
		if i < 0 {
			return phonghop.Fail(phonghop.ENotFound, "document_not_found")
		}
		out = m.Documents[i]
		if err := fn(&out); err != nil {
			return err
		}
		m.Documents = slices.Clone(m.Documents)
		m.Documents[i] = out
		return nil
	})
	if err != nil {
		return out, nil, err
	}
	return out, m, nil
}
