// Package meetings keeps each meeting's set-up (participants, agenda, documents)
// in the object store.
//
// Layout: meetings/{mid}/meeting.json is the meeting, updated with compare-and-swap
// so two staff editing the agenda at once never lose each other's change;
// meetings/{mid}/documents/{did} holds a document's bytes under a fresh key;
// index/meetings/{mid} and index/members/{uid}/{mid} are empty markers that let a
// user's meeting list be found without reading every meeting. The meeting record
// is the truth: markers are kept in step after it changes and every listing checks
// membership against the record.
package meetings

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/storage"
)

// Users resolves user ids to users; accounts.Service satisfies it.
type Users interface {
	User(ctx context.Context, id string) (phonghop.User, error)
}

// Service manages meetings. DocumentLimit 0 means 200 MiB.
type Service struct {
	Store         storage.Store
	Users         Users
	DocumentLimit int64
	// SpoolDir holds uploads while they are checked and indexed (empty: the
	// system's temporary directory).
	SpoolDir string
	// Conversions queues office files for conversion to PDF; nil refuses
	// them (only PDFs are accepted).
	Conversions Conversions
	// Events tells the live room about documents; nil tells no one.
	Events DocumentEvents
	// Logger defaults to discarding.
	Logger *slog.Logger
	Now    func() time.Time
	// Changes records every set-up change in the meeting's journal and tells
	// its tablets (nil: changes are not recorded).
	Changes Recorder
	// History, Polls and Room let a deletion see what the meeting did with the
	// thing (nil: not checked): its journal, its polls, what is on screen.
	History History
	Polls   Polls
	Room    Room
	// MeetingFreshness is how long a meeting read or checked in the store is
	// served without checking again (0: one second; < 0: a Stat every time).
	// Changes made through this Service are seen at once; another process's
	// (a participant removed there) within this time.
	MeetingFreshness time.Duration

	cache meetingCache
}

// meetingCache keeps decoded meetings by ETag. Every live connect and page turn
// needs the meeting; with thousands of participants decoding it each time made
// connecting a room quadratic. A Stat (a small read or a HEAD) tells whether the
// cached copy is still the stored one, so writers in other processes are seen;
// within MeetingFreshness of the last check not even that is asked.
type meetingCache struct {
	mu      sync.Mutex
	entries map[string]cachedMeeting
}

type cachedMeeting struct {
	etag    string
	m       *phonghop.Meeting
	checked time.Time // when the store last said etag is current
}

const meetingCacheSize = 256

// get returns the cached meeting if its ETag is etag, and marks it checked.
func (c *meetingCache) get(id, etag string, now time.Time) *phonghop.Meeting {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[id]; ok && e.etag == etag {
		e.checked = now
		c.entries[id] = e
		return e.m
	}
	return nil
}

// fresh returns the cached meeting if it was checked within d.
func (c *meetingCache) fresh(id string, now time.Time, d time.Duration) *phonghop.Meeting {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[id]; ok && now.Sub(e.checked) < d {
		return e.m
	}
	return nil
}

func (c *meetingCache) drop(id string) {
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}

func (c *meetingCache) put(id, etag string, m *phonghop.Meeting, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cachedMeeting{}
	}
	if len(c.entries) >= meetingCacheSize {
		for k := range c.entries { // any one: meetings in use come straight back
			delete(c.entries, k)
			break
		}
	}
	c.entries[id] = cachedMeeting{etag: etag, m: m, checked: now}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func meetingKey(id string) string { return "meetings/" + id + "/meeting.json" }

// DocumentKey is where a document's bytes are kept (blobID is the
// document's id for its first version; see phonghop.Document.BlobID).
func DocumentKey(meetingID, blobID string) string {
	return "meetings/" + meetingID + "/documents/" + blobID
}

// pageIndexKey is where a document's page index is kept (see AddDocument).
func pageIndexKey(meetingID, docID string) string {
	return "meetings/" + meetingID + "/pageindex/" + docID
}

// NewMeeting is a request to create a meeting.
type NewMeeting struct {
	Title        string    `json:"title"`
	StartsAt     time.Time `json:"startsAt"`
	Location     string    `json:"location"`
	Language     string    `json:"language"`
	Organization string    `json:"organization"`
	// The minutes' heading; see phonghop.Meeting.
	PlaceName          string `json:"placeName"`
	ParentOrganization string `json:"parentOrganization"`
	DocumentNumber     string `json:"documentNumber"`
}

// NewItem is a request to add an agenda item.
type NewItem struct {
	Title           string   `json:"title"`
	Presenter       string   `json:"presenter"`
	DurationMinutes int      `json:"durationMinutes"`
	DocumentIDs     []string `json:"documentIds"`
}

// ParticipantChange is one entry of a participants update.
type ParticipantChange struct {
	UserID string        `json:"userId"`
	Role   phonghop.Role `json:"role"`
	Title  string        `json:"title,omitempty"`
}

const (
	maxTitle = 500
	maxField = 300
	// a place name ("Tháp Mười") and a number with its symbol ("05/BB-UBND") are short
	maxPlaceName      = 100
	maxDocumentNumber = 50
	maxAgendaItems    = 500
	maxParticipants   = 10000
)

func checkMeetingFields(m NewMeeting) error {
	if err := accounts.CheckText("title", m.Title, true, maxTitle); err != nil {
		return err
	}
	if err := accounts.CheckText("location", m.Location, false, maxField); err != nil {
		return err
	}
	if err := phonghop.CheckTextLines("organization", m.Organization, false, maxField); err != nil {
		return err
	}
	if err := phonghop.CheckTextLines("parentOrganization", m.ParentOrganization, false, maxField); err != nil {
		return err
	}
	if err := accounts.CheckText("placeName", m.PlaceName, false, maxPlaceName); err != nil {
		return err
	}
	if err := accounts.CheckText("documentNumber", m.DocumentNumber, false, maxDocumentNumber); err != nil {
		return err
	}
	switch m.Language {
	case "vi", "en":
	default:
		return phonghop.Fail(phonghop.EInvalid, "language_invalid")
	}
	return nil
}

// Create adds a meeting.
func (s *Service) Create(ctx context.Context, req NewMeeting) (*phonghop.Meeting, error) {
	m, err := s.newMeeting(req)
	if err != nil {
		return nil, err
	}
	return m, s.create(ctx, m)
}

// newMeeting checks req and makes the meeting it asks for, not yet stored.
func (s *Service) newMeeting(req NewMeeting) (*phonghop.Meeting, error) {
	if req.Language == "" {
		req.Language = "vi"
	}
	if err := checkMeetingFields(req); err != nil {
		return nil, err
	}
	return &phonghop.Meeting{
		ID: accounts.NewID(), Title: req.Title, StartsAt: req.StartsAt.UTC(), Location: req.Location,
		Language: req.Language, Organization: req.Organization,
		PlaceName: req.PlaceName, ParentOrganization: req.ParentOrganization, DocumentNumber: req.DocumentNumber,
		Participants: []phonghop.Participant{}, Agenda: []phonghop.AgendaItem{}, Documents: []phonghop.Document{},
		CreatedAt: s.now().UTC(),
	}, nil
}

// create stores a new meeting and lists it.
func (s *Service) create(ctx context.Context, m *phonghop.Meeting) error {
	if _, err := storage.PutJSON(ctx, s.Store, meetingKey(m.ID), m, storage.PutOptions{IfAbsent: true}); err != nil {
		return err
	}
	return s.mark(ctx, "index/meetings/"+m.ID)
}

func (s *Service) mark(ctx context.Context, key string) error {
	_, err := s.Store.Put(ctx, key, bytes.NewReader(nil), 0, storage.PutOptions{})
	return err
}

var errNoMeeting = phonghop.Fail(phonghop.ENotFound, "meeting_not_found")

// Meeting returns the meeting with the id. The result is shared with other
// callers: read it, never change it.
func (s *Service) Meeting(ctx context.Context, id string) (*phonghop.Meeting, error) {
	if storage.CheckKey(id) != nil || strings.Contains(id, "/") {
		return nil, errNoMeeting
	}
	now := time.Now()
	if d := s.freshness(); d > 0 {
		if m := s.cache.fresh(id, now, d); m != nil {
			return m, nil
		}
	}
	info, err := s.Store.Stat(ctx, meetingKey(id))
	if err == nil {
		if m := s.cache.get(id, info.ETag, now); m != nil {
			return m, nil
		}
	}
	var m phonghop.Meeting
	etag, err := storage.GetJSON(ctx, s.Store, meetingKey(id), &m)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, errNoMeeting
		}
		return nil, err
	}
	m.Index() // shared from now on: index it once, not per lookup
	s.cache.put(id, etag, &m, now)
	return &m, nil
}

func (s *Service) freshness() time.Duration {
	if s.MeetingFreshness == 0 {
		return time.Second
	}
	return s.MeetingFreshness
}

// Update changes a meeting's title, time, place, language or the minutes' heading.
func (s *Service) Update(ctx context.Context, id string, req NewMeeting) (*phonghop.Meeting, error) {
	if req.Language == "" {
		req.Language = "vi"
	}
	if err := checkMeetingFields(req); err != nil {
		return nil, err
	}
	var d diff
	m, err := s.update(ctx, id, func(m *phonghop.Meeting) error {
		before := *m
		m.Title, m.StartsAt, m.Location, m.Language, m.Organization = req.Title, req.StartsAt.UTC(), req.Location, req.Language, req.Organization
		m.PlaceName, m.ParentOrganization, m.DocumentNumber = req.PlaceName, req.ParentOrganization, req.DocumentNumber
		if d = meetingDiff(&before, m); len(d) == 0 {
			return storage.ErrStop
		}
		return nil
	})
	if err == nil && len(d) > 0 {
		s.recordChange(ctx, m, phonghop.Change{Action: "meeting.updated", Changes: d})
	}
	return m, err
}

// meetingDiff is what changed in a meeting's own fields (not its lists).
func meetingDiff(before, after *phonghop.Meeting) diff {
	return fieldsDiff(before, after, "participants", "agenda", "documents", "revision", "createdAt")
}

func (s *Service) update(ctx context.Context, id string, fn func(*phonghop.Meeting) error) (*phonghop.Meeting, error) {
	if _, err := s.Meeting(ctx, id); err != nil {
		return nil, err
	}
	m, err := storage.UpdateJSON(ctx, s.Store, meetingKey(id), false, func(m *phonghop.Meeting) error {
		if err := fn(m); err != nil {
			return err
		}
		m.Revision++
		return nil
	})
	// Seen at once here, whatever the outcome (a write reported failed may
	// have landed).
	s.cache.drop(id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errNoMeeting
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// List returns the meetings userID takes part in, or all meetings when all is
// true, soonest first.
func (s *Service) List(ctx context.Context, userID string, all bool) ([]*phonghop.Meeting, error) {
	prefix := "index/members/" + userID + "/"
	if all {
		prefix = "index/meetings/"
	} else if storage.CheckKey(userID) != nil {
		return nil, nil
	}
	infos, err := s.Store.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]*phonghop.Meeting, 0, len(infos))
	for _, in := range infos {
		m, err := s.Meeting(ctx, strings.TrimPrefix(in.Key, prefix))
		if phonghop.ErrorCode(err) == phonghop.ENotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		if _, ok := m.Participant(userID); all || ok {
			out = append(out, m)
		}
	}
	sortMeetings(out)
	return out, nil
}

// SetParticipants replaces the participants. It returns the meeting and the ids
// of users who were removed (their live connections must be closed), also
// with the error participants_saved_lists_pending, which says the change is in
// force but some users' meeting lists are not updated yet (saving again
// finishes them).
func (s *Service) SetParticipants(ctx context.Context, id string, changes []ParticipantChange) (*phonghop.Meeting, []string, error) {
	next, err := s.resolve(ctx, changes)
	if err != nil {
		return nil, nil, err
	}
	return s.changeParticipants(ctx, id, func([]phonghop.Participant) []phonghop.Participant { return next })
}

// MergeParticipants adds the users the changes name to the participants, or
// changes their role and title when they take part already, and keeps
// everyone else: what an import of a participant list does.
func (s *Service) MergeParticipants(ctx context.Context, id string, changes []ParticipantChange) (*phonghop.Meeting, error) {
	add, err := s.resolve(ctx, changes)
	if err != nil {
		return nil, err
	}
	m, _, err := s.changeParticipants(ctx, id, func(cur []phonghop.Participant) []phonghop.Participant {
		next := slices.Clone(cur)
		for _, p := range add {
			if i := slices.IndexFunc(next, func(q phonghop.Participant) bool { return q.UserID == p.UserID }); i >= 0 {
				next[i] = p
			} else {
				next = append(next, p)
			}
		}
		if len(next) > maxParticipants {
			return nil
		}
		return next
	})
	return m, err
}

// resolve checks a participants list and makes its entries from the users.
func (s *Service) resolve(ctx context.Context, changes []ParticipantChange) ([]phonghop.Participant, error) {
	if len(changes) > maxParticipants {
		return nil, phonghop.Fail(phonghop.EInvalid, "too_many_participants", "max", maxParticipants)
	}
	seen := map[string]bool{}
	next := make([]phonghop.Participant, 0, len(changes))
	for i, c := range changes {
		if !c.Role.Valid() {
			return nil, phonghop.Fail(phonghop.EInvalid, "participant_role_invalid", "n", i+1)
		}
		if seen[c.UserID] {
			return nil, phonghop.Fail(phonghop.EInvalid, "participant_duplicate", "n", i+1)
		}
		seen[c.UserID] = true
		if err := accounts.CheckText("title", c.Title, false, maxField); err != nil {
			return nil, err
		}
		u, err := s.Users.User(ctx, c.UserID)
		if phonghop.ErrorCode(err) == phonghop.ENotFound {
			return nil, phonghop.Fail(phonghop.EInvalid, "participant_no_user", "n", i+1)
		}
		if err != nil {
			return nil, err
		}
		next = append(next, participantOf(u, c))
	}
	return next, nil
}

// changeParticipants sets the participants to build(current) with
// compare-and-swap (build returning nil: too many), keeps the listing markers
// and records the change. It returns the meeting and the users removed
// (their live connections must be closed).
func (s *Service) changeParticipants(ctx context.Context, id string, build func([]phonghop.Participant) []phonghop.Participant) (*phonghop.Meeting, []string, error) {
	var removed []string
	var d diff
	m, err := s.update(ctx, id, func(m *phonghop.Meeting) error {
		next := build(m.Participants)
		if next == nil {
			return phonghop.Fail(phonghop.EInvalid, "too_many_participants", "max", maxParticipants)
		}
		in := map[string]bool{}
		for _, p := range next {
			in[p.UserID] = true
		}
		removed = removed[:0]
		for _, p := range m.Participants {
			if !in[p.UserID] {
				removed = append(removed, p.UserID)
			}
		}
		d = participantsDiff(m.Participants, next)
		if len(d) == 0 {
			return storage.ErrStop
		}
		m.Participants = next
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(d) > 0 {
		s.recordChange(ctx, m, phonghop.Change{Action: "participants.changed", UserIDs: slices.Sorted(maps.Keys(d.users())), Changes: d})
	}
	// The change is in force. The markers only index it (listings check the
	// record), so only those of users added or removed are written; a save
	// that changes nothing writes them all again, which finishes a save whose
	// markers failed half-way.
	if failed := runDetached(ctx, s.memberMarks(id, m.Participants, removed, d)); failed > 0 {
		s.log().Error("participants saved, but meeting-list markers failed", "meeting", id, "failed", failed)
		return m, removed, phonghop.Fail(phonghop.EUnavailable, "participants_saved_lists_pending", "count", failed)
	}
	return m, removed, nil
}

// runDetached runs the writes, a few at a time, on a context detached from
// ctx (a client that hangs up does not stop them half-way) and bounded in
// time, each retried once; it returns how many failed.
func runDetached(ctx context.Context, writes []func(context.Context) error) int {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, w := range writes {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			for try := 0; ; try++ {
				if w(ctx) == nil {
					return
				}
				if try == 1 {
					failed.Add(1)
					return
				}
			}
		}()
	}
	wg.Wait()
	return int(failed.Load())
}

// AddItem appends an agenda item.
func (s *Service) AddItem(ctx context.Context, id string, req NewItem) (phonghop.AgendaItem, error) {
	item := phonghop.AgendaItem{ID: accounts.NewID(), Title: req.Title, Presenter: req.Presenter,
		DurationMinutes: req.DurationMinutes, DocumentIDs: req.DocumentIDs}
	if err := checkItem(&phonghop.Meeting{}, &phonghop.AgendaItem{Title: item.Title, DurationMinutes: item.DurationMinutes}); err != nil {
		return phonghop.AgendaItem{}, err // before reading the meeting
	}
	m, err := s.update(ctx, id, func(m *phonghop.Meeting) error {
		if len(m.Agenda) >= maxAgendaItems {
			return phonghop.Fail(phonghop.EInvalid, "too_many_agenda_items", "max", maxAgendaItems)
		}
		if err := checkItem(m, &item); err != nil {
			return err
		}
		m.Agenda = append(m.Agenda, item)
		return nil
	})
	if err == nil {
		s.recordChange(ctx, m, phonghop.Change{Action: "agenda.added", ItemID: item.ID, Changes: fieldsDiff(phonghop.AgendaItem{}, item, "id")})
	}
	return item, err
}

// UpdateItem replaces an agenda item's fields.
func (s *Service) UpdateItem(ctx context.Context, id, itemID string, req NewItem) (phonghop.AgendaItem, error) {
	docs := req.DocumentIDs
	if docs == nil {
		docs = []string{}
	}
	return s.PatchItem(ctx, id, itemID, ItemChange{Title: &req.Title, Presenter: &req.Presenter, DurationMinutes: &req.DurationMinutes, DocumentIDs: &docs})
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return discard
}

var discard = slog.New(slog.DiscardHandler)
