package live

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/phonghop/phonghop"
)

// The meeting's course: the chair opens it ("khai mạc") and closes it ("bế
// mạc"); after the close the room is read-only. The session subject holds both
// times and the time limit of each speech; every change is journaled, so the
// minutes carry the opening and closing times.

// Limits of the session's settings.
const (
	MaxSpeechLimitSeconds = 4 * 60 * 60
	MaxReasonRunes        = 200
)

// refuseAfterClose is the one place that makes a closed meeting read-only:
// every change of the room is refused once the session is closed, except a
// poll's (a vote still open finishes and publishes its result), a notice's
// (the chair may still tell the room where to go, and take a notice down) and
// the session's own, which decides for itself.
func refuseAfterClose(subject string, evs []Event) error {
	if subject == SubjectSession || subject == SubjectNotice || strings.HasPrefix(subject, SubjectPollPrefix) {
		return nil
	}
	if sessionOf(evs).ClosedAt != nil {
		return phonghop.Fail(phonghop.EConflict, "meeting_closed")
	}
	return nil
}

// sessionOf finds the session among the newest events of every subject.
func sessionOf(evs []Event) Session {
	for i := range evs {
		if evs[i].Subject == SubjectSession {
			s, _ := decode[Session](&evs[i])
			return s
		}
	}
	return Session{}
}

// Session returns the meeting's course as the room has it now.
func (h *Hub) Session(ctx context.Context, meetingID string) (Session, error) {
	evs, _, err := h.cfg.Broker.Last(ctx, meetingID)
	if err != nil {
		return Session{}, h.brokerError(err)
	}
	return sessionOf(evs), nil
}

// Closed reports whether the chair has closed the meeting; voting asks it
// before a poll is created or opened.
func (h *Hub) Closed(ctx context.Context, meetingID string) (bool, error) {
	s, err := h.Session(ctx, meetingID)
	return s.ClosedAt != nil, err
}

func (h *Hub) sessionChair(ctx context.Context, meetingID string, by phonghop.User) (*phonghop.Meeting, error) {
	m, err := h.meeting(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	if !m.HasRole(by.ID, phonghop.RoleChair) {
		return nil, phonghop.Fail(phonghop.EForbidden, "chair_only_session")
	}
	return m, nil
}

func (h *Hub) session(ctx context.Context, meetingID, by string, fn func(s *Session) (bool, error)) (uint64, error) {
	return h.update(ctx, meetingID, SubjectSession, TypeSession, by, func(prev *Event) (change, error) {
		s, err := decode[Session](prev)
		if err != nil {
			return change{}, err
		}
		changed, err := fn(&s)
		if err != nil || !changed {
			return change{}, err
		}
		return change{payload: s, record: true, zero: Session{}}, nil
	})
}

// OpenMeeting (chair) opens the meeting: its time goes to the journal and the
// minutes. Opening an open meeting changes nothing; a closed one stays closed.
func (h *Hub) OpenMeeting(ctx context.Context, meetingID string, by phonghop.User) (uint64, error) {
	if _, err := h.sessionChair(ctx, meetingID, by); err != nil {
		return 0, err
	}
	return h.session(ctx, meetingID, by.ID, func(s *Session) (bool, error) {
		if s.ClosedAt != nil {
			return false, phonghop.Fail(phonghop.EConflict, "meeting_closed")
		}
		if s.OpenedAt != nil {
			return false, nil
		}
		now := time.Now().UTC()
		s.OpenedAt = &now
		return true, nil
	})
}

// CloseMeeting (chair) closes an open meeting: the speech in progress ends, the
// queue empties, and from then on the room is read-only (see refuseAfterClose).
// A vote still open must be closed first. Closing a closed meeting changes
// nothing.
func (h *Hub) CloseMeeting(ctx context.Context, meetingID string, by phonghop.User) (uint64, error) {
	if _, err := h.sessionChair(ctx, meetingID, by); err != nil {
		return 0, err
	}
	evs, _, err := h.cfg.Broker.Last(ctx, meetingID)
	if err != nil {
		return 0, h.brokerError(err)
	}
	for i := range evs {
		ev := &evs[i]
		if ev.Subject == SubjectSession {
			if s, _ := decode[Session](ev); s.ClosedAt != nil {
				return ev.Seq, nil
			}
		}
	}
	if sessionOf(evs).OpenedAt == nil {
		return 0, phonghop.Fail(phonghop.EConflict, "meeting_not_opened")
	}
	for i := range evs {
		if strings.HasPrefix(evs[i].Subject, SubjectPollPrefix) {
			p, err := decode[phonghop.Poll](&evs[i])
			if err == nil && p.State == phonghop.PollOpen {
				return 0, phonghop.Fail(phonghop.EConflict, "meeting_poll_open", "title", phonghop.Clip(p.Title))
			}
		}
	}
	// The floor is taken back first: once closed, the speakers cannot change.
	_, err = h.speakers(ctx, meetingID, by.ID, func(s *Speakers) (bool, error) {
		if s.Current == nil && len(s.Queue) == 0 {
			return false, nil
		}
		s.Current, s.Since, s.Queue = nil, nil, []string{}
		return true, nil
	})
	if err != nil {
		return 0, err
	}
	return h.session(ctx, meetingID, by.ID, func(s *Session) (bool, error) {
		if s.ClosedAt != nil {
			return false, nil
		}
		if s.OpenedAt == nil {
			return false, phonghop.Fail(phonghop.EConflict, "meeting_not_opened")
		}
		now := time.Now().UTC()
		s.ClosedAt = &now
		return true, nil
	})
}

// SetSpeechLimit (chair) sets the time each speech is given, in seconds; 0
// means no limit. It applies to the speech in progress too, so the chair can
// give a speaker more time.
func (h *Hub) SetSpeechLimit(ctx context.Context, meetingID string, by phonghop.User, seconds int) (uint64, error) {
	if _, err := h.sessionChair(ctx, meetingID, by); err != nil {
		return 0, err
	}
	if seconds < 0 || seconds > MaxSpeechLimitSeconds {
		return 0, phonghop.Fail(phonghop.EInvalid, "speech_limit_invalid", "max", MaxSpeechLimitSeconds)
	}
	return h.session(ctx, meetingID, by.ID, func(s *Session) (bool, error) {
		if s.ClosedAt != nil {
			return false, phonghop.Fail(phonghop.EConflict, "meeting_closed")
		}
		if s.SpeechLimitSeconds == seconds {
			return false, nil
		}
		s.SpeechLimitSeconds = seconds
		return true, nil
	})
}

// EndSpeech (chair) takes the floor back from the current speaker.
func (h *Hub) EndSpeech(ctx context.Context, meetingID string, by phonghop.User) (uint64, error) {
	return h.GiveFloor(ctx, meetingID, by, "")
}

// MarkAttendance (chair or secretary) checks a participant in or out on their
// behalf (no tablet, arrived late, excused), with the reason the minutes show.
func (h *Hub) MarkAttendance(ctx context.Context, meetingID string, by phonghop.User, userID string, present bool, reason string) (uint64, error) {
	m, err := h.meeting(ctx, meetingID)
	if err != nil {
		return 0, err
	}
	if !m.HasRole(by.ID, phonghop.RoleChair, phonghop.RoleSecretary) {
		return 0, phonghop.Fail(phonghop.EForbidden, "attendance_mark_forbidden")
	}
	reason = strings.TrimSpace(phonghop.CleanText(reason))
	switch {
	case reason == "":
		return 0, phonghop.Fail(phonghop.EInvalid, "attendance_reason_required")
	case !utf8.ValidString(reason) || strings.ContainsRune(reason, 0):
		return 0, phonghop.Fail(phonghop.EInvalid, "attendance_reason_not_utf8")
	case utf8.RuneCountInString(reason) > MaxReasonRunes:
		return 0, phonghop.Fail(phonghop.EInvalid, "attendance_reason_too_long", "max", MaxReasonRunes)
	}
	mark := AttendanceMark{Present: present, Reason: reason, By: by.ID, At: time.Now().UTC()}
	return h.attend(ctx, meetingID, userID, present, &mark)
}
