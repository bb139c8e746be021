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
}

func draftKey(mid string) string       { return "meetings/" + mid + "/minutes/draft.json" }
func versionsPrefix(mid string) string { return "meetings/" + mid + "/minutes/versions/" }
func pdfKey(mid string, n int) string  { return fmt.Sprintf("%s%06d.pdf", versionsPrefix(mid), n) }
func metaKey(mid string, n int) string { return fmt.Sprintf("%s%06d.json", versionsPrefix(mid), n) }

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
	if len(d.Summary) > MaxTextSize {
		return Draft{}, phonghop.Fail(phonghop.EInvalid, "summary_too_long", "max", MaxTextSize)
	}
	if len(d.Guests) > MaxTextSize {
		return Draft{}, phonghop.Fail(phonghop.EInvalid, "guests_too_long", "max", MaxTextSize)
	}
	items := map[string]ItemEdit{}
	for _, it := range d.Items {
		if len(it.Notes) > MaxTextSize || len(it.Conclusion) > MaxTextSize {
			return Draft{}, phonghop.Fail(phonghop.EInvalid, "item_text_too_long", "max", MaxTextSize)
		}
		if _, ok := m.Item(it.AgendaItemID); !ok || it.AgendaItemID == "" {
			continue
		}
		if it.Notes != "" || it.Conclusion != "" {
			items[it.AgendaItemID] = ItemEdit{Notes: it.Notes, Conclusion: it.Conclusion}
		}
	}
	now := s.now().UTC()
	e, err := storage.UpdateJSON(ctx, s.Store, draftKey(mid), true, func(cur *Edits) error {
		if cur.Revision != d.Revision {
			return phonghop.Fail(phonghop.EConflict, "minutes_conflict")
		}
		*cur = Edits{Revision: cur.Revision + 1, Summary: d.Summary, Guests: d.Guests, Items: items, UpdatedBy: by.ID, UpdatedAt: &now}
		return nil
	})
	if err != nil {
		return Draft{}, err
	}
	return s.assemble(ctx, m, e)
}

// RenderAndStore renders the current minutes and stores them as the next
// version, write-once: two renderings at the same moment get two numbers.
func (s *Service) RenderAndStore(ctx context.Context, mid string, by phonghop.User) (Version, error) {
	d, err := s.Get(ctx, mid)
	if err != nil {
		return Version{}, err
	}
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
	v := Version{Version: n, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)),
		RenderedBy: by.ID, RenderedAt: s.now().UTC(), Signed: signed}
	// The PDF is written first: a crash in between leaves a PDF without metadata,
	// which Versions skips and the next rendering numbers past.
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
	var v Version
	if version == 0 {
		all, err := s.Versions(ctx, mid)
		if err != nil {
			return nil, Version{}, err
		}
		if len(all) == 0 {
			return nil, Version{}, phonghop.Fail(phonghop.ENotFound, "minutes_not_rendered")
		}
		v = all[len(all)-1]
	} else if _, err := storage.GetJSON(ctx, s.Store, metaKey(mid, version), &v); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, Version{}, phonghop.Fail(phonghop.ENotFound, "minutes_version_missing", "version", version)
		}
		return nil, Version{}, err
	}
	rc, _, err := s.Store.Get(ctx, pdfKey(mid, v.Version), nil)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, Version{}, phonghop.Fail(phonghop.ENotFound, "minutes_version_missing", "version", v.Version)
		}
		return nil, Version{}, err
	}
	return rc, v, nil
}
