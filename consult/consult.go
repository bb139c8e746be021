package consult

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// Limits.
const (
	MaxTitle         = 300
	MaxNote          = 2000
	MaxDocuments     = 20
	MaxPerMeeting    = 200
	MaxRemindMinutes = 1440
	MaxText          = 4000
	MaxQuote         = 1000
	MaxRects         = 20
	MaxOpinions      = 200
	// DefaultRemindMinutes is the reminder's lead when none is given.
	DefaultRemindMinutes = 15
)

// States of a consultation.
const (
	StateOpen   = "open"
	StateClosed = "closed"
)

// Consultation asks for opinions on some of a meeting's documents until a
// deadline.
type Consultation struct {
	ID            string     `json:"id"`
	MeetingID     string     `json:"meetingId"`
	Title         string     `json:"title"`
	Note          string     `json:"note,omitempty"`
	DocumentIDs   []string   `json:"documentIds"`
	Deadline      time.Time  `json:"deadline"`
	RemindMinutes int        `json:"remindMinutes"`
	Open          bool       `json:"open"`
	State         string     `json:"state"`
	CreatedAt     time.Time  `json:"createdAt"`
	CreatedBy     string     `json:"createdBy"`
	UpdatedAt     *time.Time `json:"updatedAt,omitempty"`
	ClosedAt      *time.Time `json:"closedAt,omitempty"`
	ClosedBy      string     `json:"closedBy,omitempty"`
	Revision      int        `json:"revision"`
	// Addressed and Answered are computed when it is read: the delegates
	// asked, and those of them who answered (the secretariat's only).
	Addressed int  `json:"addressed"`
	Answered  *int `json:"answered,omitempty"`
	// Time is the server's clock, in single answers.
	Time *time.Time `json:"time,omitempty"`
}

// Rect is a marked passage's rectangle, in fractions of the page's width and
// height from its top-left corner.
type Rect struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

// Opinion is one delegate's comment on a page or a whole document, or their
// agreement with it.
type Opinion struct {
	ID             string     `json:"id"`
	ConsultationID string     `json:"consultationId"`
	DocumentID     string     `json:"documentId"`
	Page           int        `json:"page"`
	Rects          []Rect     `json:"rects,omitempty"`
	Quote          string     `json:"quote,omitempty"`
	Text           string     `json:"text"`
	Agree          bool       `json:"agree"`
	AuthorID       string     `json:"authorId"`
	AuthorName     string     `json:"authorName"`
	AuthorTitle    string     `json:"authorTitle,omitempty"`
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      *time.Time `json:"updatedAt,omitempty"`
}

// answer is one delegate's opinions on one consultation. Empty, it encodes
// as "{}" (see answered).
type answer struct {
	Opinions []Opinion `json:"opinions,omitempty"`
}

// Input creates a consultation; Patch changes one (nil: unchanged).
type Input struct {
	Title         string    `json:"title"`
	Note          string    `json:"note"`
	DocumentIDs   []string  `json:"documentIds"`
	Deadline      time.Time `json:"deadline"`
	RemindMinutes *int      `json:"remindMinutes"`
	Open          bool      `json:"open"`
}

type Patch struct {
	Title         *string    `json:"title"`
	Note          *string    `json:"note"`
	DocumentIDs   []string   `json:"documentIds"`
	Deadline      *time.Time `json:"deadline"`
	RemindMinutes *int       `json:"remindMinutes"`
	Open          *bool      `json:"open"`
	Revision      int        `json:"revision"`
}

// OpinionInput is a new opinion or the change of one.
type OpinionInput struct {
	DocumentID string `json:"documentId"`
	Page       int    `json:"page"`
	Rects      []Rect `json:"rects"`
	Quote      string `json:"quote"`
	Text       string `json:"text"`
	Agree      bool   `json:"agree"`
}

// Responder is a delegate in the list of who answered and who did not.
type Responder struct {
	UserID      string     `json:"userId"`
	DisplayName string     `json:"displayName"`
	Title       string     `json:"title"`
	Opinions    int        `json:"opinions,omitempty"`
	Agreed      []string   `json:"agreed,omitempty"`
	LastAt      *time.Time `json:"lastAt,omitempty"`
}

// Responses is who has and has not answered.
type Responses struct {
	Time        time.Time   `json:"time"`
	Addressed   int         `json:"addressed"`
	Answered    []Responder `json:"answered"`
	NotAnswered []Responder `json:"notAnswered"`
}

// Publisher sends a live event to the meeting's room, to the audience only
// when it is not nil. live.Hub satisfies it.
type Publisher interface {
	PublishTo(ctx context.Context, meetingID, subject, typ string, payload any, audience []string) error
}

// MeetingSource loads meetings (for the scheduler). meetings.Service satisfies it.
type MeetingSource interface {
	Meeting(ctx context.Context, id string) (*phonghop.Meeting, error)
}

// Service keeps consultations and opinions in the store.
type Service struct {
	Store    storage.Store
	Events   Publisher     // nil: no live events
	Meetings MeetingSource // for Tick
	Logger   *slog.Logger
	// Now is the server's clock (tests move it).
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func consultationKey(mid, cid string) string {
	return "meetings/" + mid + "/consultations/" + cid + ".json"
}
func answersPrefix(mid, cid string) string  { return "meetings/" + mid + "/opinions/" + cid + "/" }
func answerKey(mid, cid, uid string) string { return answersPrefix(mid, cid) + uid + ".json" }
func pendingKey(mid, cid string) string     { return "consultations/pending/" + mid + "/" + cid + ".json" }
func sentKey(mid, cid, what string) string {
	return "consultations/sent/" + mid + "/" + cid + "/" + what + ".json"
}

func newID() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// closed reports whether no opinion is taken any more, by the server's clock.
func (c *Consultation) closed(now time.Time) bool {
	return c.ClosedAt != nil || !now.Before(c.Deadline)
}

// manager reports whether the user is the meeting's chair or secretary.
func manager(m *phonghop.Meeting, u phonghop.User) bool {
	return m.HasRole(u.ID, phonghop.RoleChair, phonghop.RoleSecretary)
}

// staff may read everything of a consultation: the chair, the secretary, an
// admin.
func staff(m *phonghop.Meeting, u phonghop.User) bool {
	return u.Admin || manager(m, u)
}

// mayRead reports whether the participant may read every document of the
// consultation (a document no longer in the meeting hides nothing).
func mayRead(m *phonghop.Meeting, c *Consultation, u phonghop.User) bool {
	for _, id := range c.DocumentIDs {
		if d, ok := m.Document(id); ok && !m.CanRead(d, u) {
			return false
		}
	}
	return true
}

// addressedTo reports whether the user may see the consultation at all.
func addressedTo(m *phonghop.Meeting, c *Consultation, u phonghop.User) bool {
	if _, ok := m.Participant(u.ID); !ok {
		return u.Admin
	}
	return mayRead(m, c, phonghop.User{ID: u.ID})
}

// audience is who hears of the consultation live: nil (everyone) unless a
// document is confidential; then the participants who may read them all.
func audience(m *phonghop.Meeting, c *Consultation) []string {
	confidential := false
	for _, id := range c.DocumentIDs {
		if d, ok := m.Document(id); ok && d.Confidential {
			confidential = true
		}
	}
	if !confidential {
		return nil
	}
	out := []string{}
	for _, p := range m.Participants {
		if mayRead(m, c, phonghop.User{ID: p.UserID}) {
			out = append(out, p.UserID)
		}
	}
	return out
}

// delegates are the delegates the consultation asks, in the meeting's order.
func delegates(m *phonghop.Meeting, c *Consultation) []phonghop.Participant {
	var out []phonghop.Participant
	for _, p := range m.Participants {
		if p.Role == phonghop.RoleDelegate && mayRead(m, c, phonghop.User{ID: p.UserID}) {
			out = append(out, p)
		}
	}
	return out
}

func (s *Service) load(ctx context.Context, m *phonghop.Meeting, u phonghop.User, cid string) (Consultation, string, error) {
	var c Consultation
	if !validID(cid) {
		return c, "", phonghop.Fail(phonghop.ENotFound, "consultation_not_found")
	}
	etag, err := storage.GetJSON(ctx, s.Store, consultationKey(m.ID, cid), &c)
	if errors.Is(err, storage.ErrNotFound) {
		return c, "", phonghop.Fail(phonghop.ENotFound, "consultation_not_found")
	}
	if err != nil {
		return c, "", err
	}
	if !addressedTo(m, &c, u) {
		return c, "", phonghop.Fail(phonghop.ENotFound, "consultation_not_found")
	}
	return c, etag, nil
}

// dress fills what is computed when the consultation is read.
func (s *Service) dress(ctx context.Context, m *phonghop.Meeting, u phonghop.User, c *Consultation, now time.Time) error {
	c.State = StateOpen
	if c.closed(now) {
		c.State = StateClosed
		if c.ClosedAt == nil {
			d := c.Deadline
			c.ClosedAt = &d
		}
	}
	ds := delegates(m, c)
	c.Addressed = len(ds)
	c.Answered = nil
	if staff(m, u) {
		n, err := s.answeredCount(ctx, m, c)
		if err != nil {
			return err
		}
		c.Answered = &n
	}
	return nil
}

// answered lists the users with at least one opinion: their object is larger
// than "{}".
func (s *Service) answered(ctx context.Context, mid, cid string) (map[string]bool, error) {
	infos, err := s.Store.List(ctx, answersPrefix(mid, cid))
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, in := range infos {
		if in.Size > 2 {
			out[strings.TrimSuffix(strings.TrimPrefix(in.Key, answersPrefix(mid, cid)), ".json")] = true
		}
	}
	return out, nil
}

func (s *Service) answeredCount(ctx context.Context, m *phonghop.Meeting, c *Consultation) (int, error) {
	who, err := s.answered(ctx, m.ID, c.ID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range delegates(m, c) {
		if who[p.UserID] {
			n++
		}
	}
	return n, nil
}

// check validates the fields a consultation is made of.
func check(m *phonghop.Meeting, title, note string, docs []string, remind int) (string, string, error) {
	title, note = strings.TrimSpace(title), strings.TrimSpace(phonghop.CleanText(note))
	if err := phonghop.CheckVisible("title", title); err != nil {
		return "", "", err
	}
	switch {
	case title == "":
		return "", "", phonghop.Fail(phonghop.EInvalid, "consultation_title_required")
	case utf8.RuneCountInString(title) > MaxTitle:
		return "", "", phonghop.Fail(phonghop.EInvalid, "consultation_title_too_long", "max", MaxTitle)
	case utf8.RuneCountInString(note) > MaxNote:
		return "", "", phonghop.Fail(phonghop.EInvalid, "consultation_note_too_long", "max", MaxNote)
	case len(docs) == 0:
		return "", "", phonghop.Fail(phonghop.EInvalid, "consultation_documents_required")
	case len(docs) > MaxDocuments:
		return "", "", phonghop.Fail(phonghop.EInvalid, "consultation_too_many_documents", "max", MaxDocuments)
	case remind < 0 || remind > MaxRemindMinutes:
		return "", "", phonghop.Fail(phonghop.EInvalid, "consultation_remind_invalid", "max", MaxRemindMinutes)
	}
	seen := map[string]bool{}
	for _, id := range docs {
		d, ok := m.Document(id)
		if !ok {
			return "", "", phonghop.Fail(phonghop.EInvalid, "consultation_document_unknown", "documentId", phonghop.Clip(id))
		}
		if seen[id] {
			return "", "", phonghop.Fail(phonghop.EInvalid, "consultation_document_duplicate", "documentId", id)
		}
		seen[id] = true
		if d.Conversion != nil {
			return "", "", phonghop.Fail(phonghop.EConflict, "consultation_document_not_ready", "documentId", id)
		}
	}
	return title, note, nil
}

// Create opens a consultation (the chair or the secretary).
func (s *Service) Create(ctx context.Context, m *phonghop.Meeting, by phonghop.User, in Input) (Consultation, error) {
	if !manager(m, by) {
		return Consultation{}, phonghop.Fail(phonghop.EForbidden, "consultation_managers_only")
	}
	remind := DefaultRemindMinutes
	if in.RemindMinutes != nil {
		remind = *in.RemindMinutes
	}
	title, note, err := check(m, in.Title, in.Note, in.DocumentIDs, remind)
	if err != nil {
		return Consultation{}, err
	}
	now := s.now()
	if in.Deadline.IsZero() {
		return Consultation{}, phonghop.Fail(phonghop.EInvalid, "consultation_deadline_required")
	}
	if !in.Deadline.After(now) {
		return Consultation{}, phonghop.Fail(phonghop.EInvalid, "consultation_deadline_past")
	}
	infos, err := s.Store.List(ctx, "meetings/"+m.ID+"/consultations/")
	if err != nil {
		return Consultation{}, err
	}
	if len(infos) >= MaxPerMeeting {
		return Consultation{}, phonghop.Fail(phonghop.EConflict, "consultation_too_many", "max", MaxPerMeeting)
	}
	id, err := newID()
	if err != nil {
		return Consultation{}, err
	}
	c := Consultation{ID: id, MeetingID: m.ID, Title: title, Note: note, DocumentIDs: slices.Clone(in.DocumentIDs),
		Deadline: in.Deadline.UTC(), RemindMinutes: remind, Open: in.Open, CreatedAt: now, CreatedBy: by.ID, Revision: 1}
	// The pending marker first: a consultation is never stored without the
	// scheduler knowing of its deadline.
	if err := s.markPending(ctx, &c); err != nil {
		return Consultation{}, err
	}
	if _, err := storage.PutJSON(ctx, s.Store, consultationKey(m.ID, id), c, storage.PutOptions{IfAbsent: true}); err != nil {
		return Consultation{}, err
	}
	if err := s.dress(ctx, m, by, &c, now); err != nil {
		return Consultation{}, err
	}
	s.publishConsultation(ctx, m, c, "opened", nil)
	return c, nil
}

type pending struct {
	Deadline time.Time `json:"deadline"`
}

func (s *Service) markPending(ctx context.Context, c *Consultation) error {
	_, err := storage.PutJSON(ctx, s.Store, pendingKey(c.MeetingID, c.ID), pending{Deadline: c.Deadline}, storage.PutOptions{})
	return err
}

// List returns the consultations addressed to the user, oldest first.
func (s *Service) List(ctx context.Context, m *phonghop.Meeting, u phonghop.User) ([]Consultation, error) {
	infos, err := s.Store.List(ctx, "meetings/"+m.ID+"/consultations/")
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := []Consultation{}
	for _, in := range infos {
		var c Consultation
		if _, err := storage.GetJSON(ctx, s.Store, in.Key, &c); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			return nil, err
		}
		if !addressedTo(m, &c, u) {
			continue
		}
		if err := s.dress(ctx, m, u, &c, now); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Get returns one consultation, with the server's time.
func (s *Service) Get(ctx context.Context, m *phonghop.Meeting, u phonghop.User, cid string) (Consultation, error) {
	c, _, err := s.load(ctx, m, u, cid)
	if err != nil {
		return c, err
	}
	now := s.now()
	if err := s.dress(ctx, m, u, &c, now); err != nil {
		return c, err
	}
	c.Time = &now
	return c, nil
}

// Update changes an open consultation (the chair or the secretary).
func (s *Service) Update(ctx context.Context, m *phonghop.Meeting, by phonghop.User, cid string, p Patch) (Consultation, error) {
	if !manager(m, by) {
		// A participant it is not addressed to learns nothing.
		if _, _, err := s.load(ctx, m, by, cid); err != nil {
			return Consultation{}, err
		}
		return Consultation{}, phonghop.Fail(phonghop.EForbidden, "consultation_managers_only")
	}
	cur, _, err := s.load(ctx, m, by, cid)
	if err != nil {
		return Consultation{}, err
	}
	// A document taken out must have no opinion on it. Checked before the
	// write: an opinion slipping in meanwhile stays, and none is taken on it
	// once the change is stored.
	if p.DocumentIDs != nil {
		all, err := s.allOpinions(ctx, m.ID, cid)
		if err != nil {
			return Consultation{}, err
		}
		for _, o := range all {
			if slices.Contains(cur.DocumentIDs, o.DocumentID) && !slices.Contains(p.DocumentIDs, o.DocumentID) {
				return Consultation{}, phonghop.Fail(phonghop.EConflict, "consultation_document_has_opinions", "documentId", o.DocumentID)
			}
		}
	}
	c, err := storage.UpdateJSON(ctx, s.Store, consultationKey(m.ID, cid), false, func(c *Consultation) error {
		now := s.now()
		if p.Revision != 0 && p.Revision != c.Revision {
			return phonghop.Fail(phonghop.EConflict, "consultation_revision_stale", "revision", c.Revision)
		}
		if c.closed(now) {
			return phonghop.Fail(phonghop.EConflict, "consultation_closed")
		}
		title, note, docs, remind := c.Title, c.Note, c.DocumentIDs, c.RemindMinutes
		if p.Title != nil {
			title = *p.Title
		}
		if p.Note != nil {
			note = *p.Note
		}
		if p.DocumentIDs != nil {
			docs = p.DocumentIDs
		}
		if p.RemindMinutes != nil {
			remind = *p.RemindMinutes
		}
		t, n, err := check(m, title, note, docs, remind)
		if err != nil {
			return err
		}
		if p.Deadline != nil {
			if !p.Deadline.After(now) {
				return phonghop.Fail(phonghop.EInvalid, "consultation_deadline_past")
			}
			c.Deadline = p.Deadline.UTC()
		}
		if p.Open != nil {
			c.Open = *p.Open
		}
		c.Title, c.Note, c.DocumentIDs, c.RemindMinutes = t, n, slices.Clone(docs), remind
		c.Revision++
		c.UpdatedAt = &now
		return nil
	})
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return c, phonghop.Fail(phonghop.ENotFound, "consultation_not_found")
		}
		return c, err
	}
	if err := s.markPending(ctx, &c); err != nil {
		return c, err
	}
	if err := s.dress(ctx, m, by, &c, s.now()); err != nil {
		return c, err
	}
	s.publishConsultation(ctx, m, c, "changed", nil)
	return c, nil
}

// Close ends the consultation now (the chair or the secretary).
func (s *Service) Close(ctx context.Context, m *phonghop.Meeting, by phonghop.User, cid string) (Consultation, error) {
	if _, _, err := s.load(ctx, m, by, cid); err != nil {
		return Consultation{}, err
	}
	if !manager(m, by) {
		return Consultation{}, phonghop.Fail(phonghop.EForbidden, "consultation_managers_only")
	}
	c, err := storage.UpdateJSON(ctx, s.Store, consultationKey(m.ID, cid), false, func(c *Consultation) error {
		now := s.now()
		if c.closed(now) {
			return phonghop.Fail(phonghop.EConflict, "consultation_closed")
		}
		c.ClosedAt, c.ClosedBy = &now, by.ID
		c.Revision++
		return nil
	})
	if err != nil {
		return c, err
	}
	// Its close is sent now; the deadline has nothing left to send.
	s.claim(ctx, m.ID, cid, "closed")
	s.Store.Delete(ctx, pendingKey(m.ID, cid))
	if err := s.dress(ctx, m, by, &c, s.now()); err != nil {
		return c, err
	}
	s.publishConsultation(ctx, m, c, "closed", nil)
	return c, nil
}

// claim takes the right to send something once: true for the one caller
// whose create-only write succeeded.
func (s *Service) claim(ctx context.Context, mid, cid, what string) bool {
	_, err := storage.PutJSON(ctx, s.Store, sentKey(mid, cid, what), map[string]time.Time{"at": s.now()}, storage.PutOptions{IfAbsent: true})
	return err == nil
}

// ConsultationEvent is the live "consultation" payload.
type ConsultationEvent struct {
	Action       string       `json:"action"`
	Time         time.Time    `json:"time"`
	MinutesLeft  *int         `json:"minutesLeft,omitempty"`
	Consultation Consultation `json:"consultation"`
}

// OpinionEvent is the live "opinion" payload.
type OpinionEvent struct {
	Action         string  `json:"action"`
	ConsultationID string  `json:"consultationId"`
	Answered       int     `json:"answered"`
	Opinion        Opinion `json:"opinion"`
}

// Live subjects: not part of the room's state (live/snapshot.go).
const (
	SubjectConsultationPrefix = "consultation."
	SubjectOpinionPrefix      = "opinion."
)

func (s *Service) publishConsultation(ctx context.Context, m *phonghop.Meeting, c Consultation, action string, to []string) {
	if s.Events == nil {
		return
	}
	c.Answered, c.Time = nil, nil
	ev := ConsultationEvent{Action: action, Time: s.now(), Consultation: c}
	aud := audience(m, &c)
	if to != nil {
		aud = to
	}
	if action == "reminder" {
		left := max(int(c.Deadline.Sub(ev.Time).Round(time.Minute)/time.Minute), 0)
		ev.MinutesLeft = &left
	}
	// The change is stored; a room that cannot be told now learns it from
	// REST at its next snapshot.
	if err := s.Events.PublishTo(context.WithoutCancel(ctx), m.ID, SubjectConsultationPrefix+c.ID, "consultation", ev, aud); err != nil {
		s.log().Warn("consultation event not sent", "meeting", m.ID, "consultation", c.ID, "action", action, "err", err)
	}
}

func (s *Service) publishOpinion(ctx context.Context, m *phonghop.Meeting, c *Consultation, o Opinion, action string) {
	if s.Events == nil {
		return
	}
	n, err := s.answeredCount(ctx, m, c)
	if err != nil {
		s.log().Warn("opinion event not sent", "meeting", m.ID, "consultation", c.ID, "err", err)
		return
	}
	var aud []string
	if c.Open {
		aud = audience(m, c)
	}
	if !c.Open || aud != nil {
		// Not open: the chair, the secretary and the author alone.
		if !c.Open {
			aud = []string{}
			for _, p := range m.Participants {
				if p.Role == phonghop.RoleChair || p.Role == phonghop.RoleSecretary {
					aud = append(aud, p.UserID)
				}
			}
		}
		if !slices.Contains(aud, o.AuthorID) {
			aud = append(aud, o.AuthorID)
		}
	}
	ev := OpinionEvent{Action: action, ConsultationID: c.ID, Answered: n, Opinion: o}
	if err := s.Events.PublishTo(context.WithoutCancel(ctx), m.ID, SubjectOpinionPrefix+c.ID, "opinion", ev, aud); err != nil {
		s.log().Warn("opinion event not sent", "meeting", m.ID, "consultation", c.ID, "err", err)
	}
}

// Time is the server's clock as the service reads it.
func (s *Service) Time() time.Time { return s.now() }
