package minutes

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/storage"
)

// MaxTextSize bounds the summary and each item's notes and conclusion, in bytes.
const MaxTextSize = 1 << 20

// MeetingSource gives the meeting with its set-up.
type MeetingSource interface {
	Meeting(ctx context.Context, id string) (*phonghop.Meeting, error)
}

// PollSource lists a meeting's polls (any state; the minutes keep closed ones).
type PollSource interface {
	List(ctx context.Context, meetingID string) ([]phonghop.Poll, error)
}

// Service keeps the minutes of meetings in a store.
type Service struct {
	Store    storage.Store
	Journal  *journal.Journal
	Meetings MeetingSource
	Polls    PollSource
	// Now gives the time of edits and renderings; nil means time.Now.
	Now func() time.Time
	// Signer and Certificate, when both are set, sign every stored PDF (PAdES
	// approval signature). Nil leaves the PDFs unsigned.
	Signer      crypto.Signer
	Certificate *x509.Certificate
}

// Version describes one stored rendering of the minutes.
type Version struct {
	Version    int       `json:"version"`
	SHA256     string    `json:"sha256"`
	Size       int64     `json:"size"`
	RenderedBy string    `json:"renderedBy"`
	RenderedAt time.Time `json:"renderedAt"`
	Signed     bool      `json:"signed,omitempty"`
	// Final is set on a version the chair approved: rendered from the draft of
	// version Approves, without the draft mark. Other versions are drafts.
	Final      bool       `json:"final,omitempty"`
	Approves   int        `json:"approves,omitempty"`
	ApprovedBy string     `json:"approvedBy,omitempty"`
	ApprovedAt *time.Time `json:"approvedAt,omitempty"`
}

func draftKey(mid string) string       { return "meetings/" + mid + "/minutes/draft.json" }
func versionsPrefix(mid string) string { return "meetings/" + mid + "/minutes/versions/" }
func pdfKey(mid string, n int) string  { return fmt.Sprintf("%s%06d.pdf", versionsPrefix(mid), n) }
func metaKey(mid string, n int) string { return fmt.Sprintf("%s%06d.json", versionsPrefix(mid), n) }

// snapshotKey keeps the draft a version was rendered from: what the chair
// approves, and what the Word file of that version is written from.
func snapshotKey(mid string, n int) string {
	return fmt.Sprintf("meetings/%s/minutes/drafts/%06d.json", mid, n)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) edits(ctx context.Context, mid string) (Edits, error) {
	var e Edits
	_, err := storage.GetJSON(ctx, s.Store, draftKey(mid), &e)
	if errors.Is(err, storage.ErrNotFound) {
		return Edits{}, nil
	}
	return e, err
}

func (s *Service) assemble(ctx context.Context, m *phonghop.Meeting, e Edits) (Draft, error) {
	entries, err := s.Journal.Entries(ctx, m.ID)
	if err != nil {
		return Draft{}, err
	}
	var polls []phonghop.Poll
	if s.Polls != nil {
		if polls, err = s.Polls.List(ctx, m.ID); err != nil {
			return Draft{}, err
		}
	}
	return Assemble(m, entries, polls, e), nil
}

// Get returns the current minutes of the meeting.
func (s *Service) Get(ctx context.Context, mid string) (Draft, error) {
	m, err := s.Meetings.Meeting(ctx, mid)
	if err != nil {
		return Draft{}, err
	}
	e, err := s.edits(ctx, mid)
	if err != nil {
		return Draft{}, err
	}
	return s.assemble(ctx, m, e)
}

// Update keeps d's summary, guests and each item's notes and conclusion (matched by
// agendaItemId; unknown items are ignored) and returns the new minutes. d must
// carry the revision it was read at: a stale one is a conflict, so two editors
// never overwrite each other unseen. Only the chair, the secretary or an admin
// may edit.
func (s *Service) Update(ctx context.Context, mid string, by phonghop.User, d Draft) (Draft, error) {
	m, err := s.Meetings.Meeting(ctx, mid)
	if err != nil {
		return Draft{}, err
	}
	if !by.Admin && !m.HasRole(by.ID, phonghop.RoleChair, phonghop.RoleSecretary) {
		return Draft{}, phonghop.Fail(phonghop.EForbidden, "minutes_forbidden")
	}
	next, err := editsFrom(m, d)
	if err != nil {
		return Draft{}, err
	}
	now := s.now().UTC()
	e, err := storage.UpdateJSON(ctx, s.Store, draftKey(mid), true, func(cur *Edits) error {
		if cur.Revision != d.Revision {
			return phonghop.Fail(phonghop.EConflict, "minutes_conflict")
		}
		next.Revision, next.UpdatedBy, next.UpdatedAt = cur.Revision+1, by.ID, &now
		*cur = next
		return nil
	})
	if err != nil {
		return Draft{}, err
	}
	return s.assemble(ctx, m, e)
}

// editsFrom checks the edited fields of d and returns them as Edits (items
// matched by agendaItemId; unknown items are ignored).
func editsFrom(m *phonghop.Meeting, d Draft) (Edits, error) {
	if len(d.Summary) > MaxTextSize {
		return Edits{}, phonghop.Fail(phonghop.EInvalid, "summary_too_long", "max", MaxTextSize)
	}
	if len(d.Guests) > MaxTextSize {
		return Edits{}, phonghop.Fail(phonghop.EInvalid, "guests_too_long", "max", MaxTextSize)
	}
	items := map[string]ItemEdit{}
	for _, it := range d.Items {
		if len(it.Notes) > MaxTextSize || len(it.Conclusion) > MaxTextSize {
			return Edits{}, phonghop.Fail(phonghop.EInvalid, "item_text_too_long", "max", MaxTextSize)
		}
		if _, ok := m.Item(it.AgendaItemID); !ok || it.AgendaItemID == "" {
			continue
		}
		if it.Notes != "" || it.Conclusion != "" {
			items[it.AgendaItemID] = ItemEdit{Notes: phonghop.CleanText(it.Notes), Conclusion: phonghop.CleanText(it.Conclusion)}
		}
	}
	// Free text, kept without invisible and direction-changing characters.
	return Edits{Summary: phonghop.CleanText(d.Summary), Guests: phonghop.CleanText(d.Guests), Items: items}, nil
}

// Preview renders the minutes with d's edits (not saved, nothing stored), as
// a draft, for the chair or the secretary to read before saving or rendering.
func (s *Service) Preview(ctx context.Context, mid string, by phonghop.User, d Draft) ([]byte, error) {
	m, err := s.Meetings.Meeting(ctx, mid)
	if err != nil {
		return nil, err
	}
	if !by.Admin && !m.HasRole(by.ID, phonghop.RoleChair, phonghop.RoleSecretary) {
		return nil, phonghop.Fail(phonghop.EForbidden, "minutes_forbidden")
	}
	e, err := editsFrom(m, d)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	e.UpdatedBy, e.UpdatedAt = by.ID, &now
	full, err := s.assemble(ctx, m, e)
	if err != nil {
		return nil, err
	}
	return Render(full)
}

// RenderAndStore renders the current minutes and stores them as the next
// version, a draft until the chair approves it (Approve), write-once: two
// renderings at the same moment get two numbers.
func (s *Service) RenderAndStore(ctx context.Context, mid string, by phonghop.User) (Version, error) {
	d, err := s.Get(ctx, mid)
	if err != nil {
		return Version{}, err
	}
	return s.store(ctx, mid, d, Version{RenderedBy: by.ID})
}

// Approve makes version n final: the chair approves what they read, so the
// final version is rendered from the very draft version n was rendered from
// (kept beside it), without the draft mark, and stored as the next version
// with who approved it and when. Only the meeting's chair approves.
func (s *Service) Approve(ctx context.Context, mid string, by phonghop.User, n int) (Version, error) {
	m, err := s.Meetings.Meeting(ctx, mid)
	if err != nil {
		return Version{}, err
	}
	if !m.HasRole(by.ID, phonghop.RoleChair) {
		return Version{}, phonghop.Fail(phonghop.EForbidden, "minutes_approve_chair_only")
	}
	var v Version
	if _, err := storage.GetJSON(ctx, s.Store, metaKey(mid, n), &v); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return Version{}, phonghop.Fail(phonghop.ENotFound, "minutes_version_missing", "version", n)
		}
		return Version{}, err
	}
	if v.Final {
		return Version{}, phonghop.Fail(phonghop.EConflict, "minutes_version_final", "version", n)
	}
	d, err := s.snapshot(ctx, mid, n)
	if err != nil {
		return Version{}, err
	}
	at := s.now().UTC()
	d.Approved = &Approval{By: by.ID, At: at}
	return s.store(ctx, mid, d, Version{RenderedBy: by.ID, Final: true, Approves: n, ApprovedBy: by.ID, ApprovedAt: &at})
}

// Docx writes version n (0: the latest) as a Word document, from the draft
// that version was rendered from, so it says what the PDF of that version says.
func (s *Service) Docx(ctx context.Context, mid string, n int) ([]byte, Version, error) {
	rc, v, err := s.Open(ctx, mid, n)
	if err != nil {
		return nil, Version{}, err
	}
	rc.Close()
	d, err := s.snapshot(ctx, mid, v.Version)
	if err != nil {
		return nil, Version{}, err
	}
	data, err := RenderDocx(d)
	return data, v, err
}

// snapshot is the draft version n was rendered from.
func (s *Service) snapshot(ctx context.Context, mid string, n int) (Draft, error) {
	var d Draft
	if _, err := storage.GetJSON(ctx, s.Store, snapshotKey(mid, n), &d); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return Draft{}, phonghop.Fail(phonghop.EConflict, "minutes_version_no_draft", "version", n)
		}
		return Draft{}, err
	}
	return d, nil
}

// store renders d and keeps it as the next version, with v's who and why.
func (s *Service) store(ctx context.Context, mid string, d Draft, v Version) (Version, error) {
	data, err := Render(d)
	if err != nil {
		return Version{}, err
	}
	signed := false
	if s.Signer != nil && s.Certificate != nil {
		if data, err = Sign(data, s.Signer, s.Certificate, s.now()); err != nil {
			return Version{}, err
		}
		signed = true
	}
	sum := sha256.Sum256(data)
	infos, err := s.Store.List(ctx, versionsPrefix(mid))
	if err != nil {
		return Version{}, err
	}
	n := 1
	for _, in := range infos {
		if v := versionNumber(mid, in.Key, ".pdf"); v >= n {
			n = v + 1
		}
	}
	for attempt := 0; ; attempt++ {
		_, err = s.Store.Put(ctx, pdfKey(mid, n), bytes.NewReader(data), int64(len(data)),
			storage.PutOptions{IfAbsent: true, ContentType: "application/pdf"})
		if errors.Is(err, storage.ErrPrecondition) && attempt < 1000 {
			n++
			continue
		}
		if err != nil {
			return Version{}, err
		}
		break
	}
	v.Version, v.SHA256, v.Size, v.RenderedAt, v.Signed = n, hex.EncodeToString(sum[:]), int64(len(data)), s.now().UTC(), signed
	// The PDF and the draft it shows are written first: a crash in between leaves
	// them without metadata, which Versions skips and the next rendering numbers
	// past (a draft left from such a crash is overwritten by it).
	if _, err := storage.PutJSON(ctx, s.Store, snapshotKey(mid, n), d, storage.PutOptions{}); err != nil {
		return Version{}, err
	}
	if _, err := storage.PutJSON(ctx, s.Store, metaKey(mid, n), v, storage.PutOptions{IfAbsent: true}); err != nil {
		return Version{}, err
	}
	return v, nil
}

func versionNumber(mid, key, ext string) int {
	name, ok := strings.CutPrefix(key, versionsPrefix(mid))
	if !ok || !strings.HasSuffix(name, ext) {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSuffix(name, ext))
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// Versions lists the stored versions, oldest first.
func (s *Service) Versions(ctx context.Context, mid string) ([]Version, error) {
	infos, err := s.Store.List(ctx, versionsPrefix(mid))
	if err != nil {
		return nil, err
	}
	out := []Version{}
	for _, in := range infos {
		if versionNumber(mid, in.Key, ".json") == 0 {
			continue
		}
		var v Version
		if _, err := storage.GetJSON(ctx, s.Store, in.Key, &v); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Open returns the bytes of a version (0 means the latest) and its metadata.
// The caller closes the reader.
func (s *Service) Open(ctx context.Context, mid string, version int) (io.ReadCloser, Version, error) {
	if version < 0 {
		return nil, Version{}, phonghop.Fail(phonghop.EInvalid, "version_invalid")
	}
	if version == 0 {
		// The newest version with metadata, from one listing: only its
		// metadata is read.
		infos, err := s.Store.List(ctx, versionsPrefix(mid))
		if err != nil {
			return nil, Version{}, err
		}
		for i := len(infos) - 1; i >= 0 && version == 0; i-- {
			version = versionNumber(mid, infos[i].Key, ".json")
		}
		if version == 0 {
			return nil, Version{}, phonghop.Fail(phonghop.ENotFound, "minutes_not_rendered")
		}
	}
	var v Version
	if _, err := storage.GetJSON(ctx, s.Store, metaKey(mid, version), &v); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, Version{}, phonghop.Fail(phonghop.ENotFound, "minutes_version_missing", "version", version)
		}
		return nil, Version{}, err
	}
	// The PDF is opened on the first read: a client whose copy is current
	// (If-None-Match) costs no read of it. It is written before its
	// metadata, so it is there.
	return &lazyReader{open: func() (io.ReadCloser, error) {
		rc, _, err := s.Store.Get(ctx, pdfKey(mid, v.Version), nil)
		return rc, err
	}}, v, nil
}

// lazyReader opens its source on the first Read.
type lazyReader struct {
	open func() (io.ReadCloser, error)
	rc   io.ReadCloser
	err  error
}

func (l *lazyReader) Read(p []byte) (int, error) {
	if l.rc == nil && l.err == nil {
		l.rc, l.err = l.open()
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.rc.Read(p)
}

func (l *lazyReader) Close() error {
	if l.rc != nil {
		return l.rc.Close()
	}
	return nil
}
