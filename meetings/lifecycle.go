package meetings

import (
	"context"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/storage"
)

// Fields returns the meeting's own fields as a request, for an edit or a copy
// that changes only some of them.
func Fields(m *phonghop.Meeting) NewMeeting {
	return NewMeeting{Title: m.Title, StartsAt: m.StartsAt, Location: m.Location, Language: m.Language, Organization: m.Organization,
		PlaceName: m.PlaceName, ParentOrganization: m.ParentOrganization, DocumentNumber: m.DocumentNumber}
}

const maxCancelReason = 1000

// Cancel calls the meeting off, with a reason (optional). The meeting stays
// readable with its set-up; it is listed as cancelled. Cancelling a
// cancelled meeting changes nothing.
func (s *Service) Cancel(ctx context.Context, id, reason string) (*phonghop.Meeting, error) {
	reason, err := phonghop.FreeText("reason", strings.TrimSpace(reason), false, maxCancelReason)
	if err != nil {
		return nil, err
	}
	changed := false
	m, err := s.update(ctx, id, func(m *phonghop.Meeting) error {
		if m.CancelledAt != nil {
			return storage.ErrStop
		}
		now := s.now().UTC()
		m.CancelledAt, m.CancelReason, changed = &now, reason, true
		return nil
	})
	if err == nil && changed {
		d := diff{}
		d.add("cancelReason", "", reason)
		s.recordChange(ctx, m, phonghop.Change{Action: "meeting.cancelled", Changes: d})
	}
	return m, err
}

// Reinstate undoes a cancellation.
func (s *Service) Reinstate(ctx context.Context, id string) (*phonghop.Meeting, error) {
	var was string
	changed := false
	m, err := s.update(ctx, id, func(m *phonghop.Meeting) error {
		if m.CancelledAt == nil {
			return storage.ErrStop
		}
		was = m.CancelReason
		m.CancelledAt, m.CancelReason, changed = nil, "", true
		return nil
	})
	if err == nil && changed {
		d := diff{}
		d.add("cancelReason", was, "")
		s.recordChange(ctx, m, phonghop.Change{Action: "meeting.reinstated", Changes: d})
	}
	return m, err
}

// Copy creates a meeting with req's fields and the source's participants
// (roles and titles; names, units and titles refreshed from the accounts, and
// users deleted since left out) and agenda (titles, presenters, durations), to
// prepare the next session. Documents, polls, attendance and minutes are not
// copied: items start with no documents. The copy is written whole, once.
func (s *Service) Copy(ctx context.Context, sourceID string, req NewMeeting) (*phonghop.Meeting, error) {
	src, err := s.Meeting(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	m, err := s.newMeeting(req)
	if err != nil {
		return nil, err
	}
	for _, p := range src.Participants {
		u, err := s.Users.User(ctx, p.UserID)
		if phonghop.ErrorCode(err) == phonghop.ENotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		m.Participants = append(m.Participants, participantOf(u, ParticipantChange{UserID: p.UserID, Role: p.Role, Title: p.Title}))
	}
	for _, it := range src.Agenda {
		if _, ok := m.Participant(it.Presenter); !ok {
			it.Presenter = ""
		}
		m.Agenda = append(m.Agenda, phonghop.AgendaItem{ID: accounts.NewID(), Title: it.Title, Presenter: it.Presenter,
			DurationMinutes: it.DurationMinutes, DocumentIDs: []string{}})
	}
	m.Revision = 1
	if err := s.create(ctx, m); err != nil {
		return nil, err
	}
	d := participantsDiff(nil, m.Participants)
	if failed := runDetached(ctx, s.memberMarks(m.ID, m.Participants, nil, d)); failed > 0 {
		s.log().Error("meeting copied, but meeting-list markers failed", "meeting", m.ID, "failed", failed)
	}
	s.recordChange(ctx, m, phonghop.Change{Action: "meeting.copied", Changes: d,
		Details: map[string]string{"copiedFrom": src.ID, "agendaItems": text(len(m.Agenda))}})
	return m, nil
}

// Zone is the time zone days are counted in for the meeting list:
// phonghop.Zone, named here for the packages that count days as the list does.
var Zone = phonghop.Zone

// Filter is a search of the meeting list.
type Filter struct {
	// Query matches the title, location or organization, ignoring case and
	// Vietnamese diacritics ("hop giao ban" finds "Họp giao ban").
	Query string
	// Status: "" (all), "upcoming" (not cancelled, starting today or later, or
	// with no time set), "past" (not cancelled, started before today) or
	// "cancelled".
	Status string
}

// CheckStatus validates a filter's status.
func CheckStatus(status string) error {
	switch status {
	case "", "all", "upcoming", "past", "cancelled":
		return nil
	}
	return phonghop.Fail(phonghop.EInvalid, "status_filter_invalid")
}

// Apply keeps the meetings that match, in their order; now decides what
// "today" is.
func (f Filter) Apply(ms []*phonghop.Meeting, now time.Time) []*phonghop.Meeting {
	q := Fold(f.Query)
	y, mo, d := now.In(Zone).Date()
	today := time.Date(y, mo, d, 0, 0, 0, 0, Zone)
	out := ms[:0:0]
	for _, m := range ms {
		switch f.Status {
		case "upcoming":
			if m.CancelledAt != nil || (!m.StartsAt.IsZero() && m.StartsAt.Before(today)) {
				continue
			}
		case "past":
			if m.CancelledAt != nil || m.StartsAt.IsZero() || !m.StartsAt.Before(today) {
				continue
			}
		case "cancelled":
			if m.CancelledAt == nil {
				continue
			}
		}
		if q != "" && !strings.Contains(Fold(m.Title+"\n"+m.Location+"\n"+m.Organization), q) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// Fold lowers a text and strips its diacritics (đ becomes d), so searches
// match what people type on keyboards without Vietnamese input.
func Fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.TrimSpace(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
