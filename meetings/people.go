package meetings

import (
	"bytes"
	"context"
	"strings"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// UserChanged carries an edit of a user's profile into the meetings that user
// takes part in and that have not begun (no start time, or a start in the
// future, and not cancelled): the name always, the title and unit where they
// were the user's own (a title set for one meeting stays). Meetings already
// held keep the participant as they were, as their minutes record them.
func (s *Service) UserChanged(ctx context.Context, before, after phonghop.User) error {
	if storage.CheckKey(after.ID) != nil {
		return nil
	}
	prefix := "index/members/" + after.ID + "/"
	infos, err := s.Store.List(ctx, prefix)
	if err != nil {
		return err
	}
	now := s.now()
	for _, in := range infos {
		mid := strings.TrimPrefix(in.Key, prefix)
		m, err := s.Meeting(ctx, mid)
		if phonghop.ErrorCode(err) == phonghop.ENotFound {
			continue
		}
		if err != nil {
			return err
		}
		if m.CancelledAt != nil || (!m.StartsAt.IsZero() && !m.StartsAt.After(now)) {
			continue
		}
		var d diff
		m, err = s.update(ctx, mid, func(m *phonghop.Meeting) error {
			next := append([]phonghop.Participant(nil), m.Participants...)
			for i, p := range next {
				if p.UserID != after.ID {
					continue
				}
				p.DisplayName = after.DisplayName
				if p.Title == before.Position {
					p.Title = after.Position
				}
				if p.Unit == before.Unit {
					p.Unit = after.Unit
				}
				next[i] = p
			}
			if d = participantsDiff(m.Participants, next); len(d) == 0 {
				return storage.ErrStop
			}
			m.Participants = next
			return nil
		})
		if phonghop.ErrorCode(err) == phonghop.ENotFound {
			continue
		}
		if err != nil {
			return err
		}
		if len(d) > 0 {
			s.recordChange(ctx, m, phonghop.Change{Action: "participants.changed", UserIDs: []string{after.ID}, Changes: d})
		}
	}
	return nil
}

// TookPart tells whether the user took part in any meeting, and names one:
// a participant now; or in a meeting they were ever added to or changed, the
// journal shows them (checked in, spoke, presented, voted by name, changed
// the set-up) or a document is theirs. Being added to a meeting and removed
// before anything happened is no part. Such a user may be deleted; the
// others are kept for the record (disable them instead).
func (s *Service) TookPart(ctx context.Context, userID string) (*phonghop.Meeting, error) {
	if storage.CheckKey(userID) != nil || strings.Contains(userID, "/") {
		return nil, nil
	}
	seen := map[string]bool{}
	for _, prefix := range []string{"index/members/" + userID + "/", "index/involved/" + userID + "/"} {
		infos, err := s.Store.List(ctx, prefix)
		if err != nil {
			return nil, err
		}
		for _, in := range infos {
			mid := strings.TrimPrefix(in.Key, prefix)
			if seen[mid] {
				continue
			}
			seen[mid] = true
			m, err := s.Meeting(ctx, mid)
			if phonghop.ErrorCode(err) == phonghop.ENotFound {
				continue
			}
			if err != nil {
				return nil, err
			}
			took, err := s.tookPartIn(ctx, m, userID)
			if err != nil {
				return nil, err
			}
			if took {
				return m, nil
			}
		}
	}
	return nil, nil
}

func (s *Service) tookPartIn(ctx context.Context, m *phonghop.Meeting, userID string) (bool, error) {
	if _, ok := m.Participant(userID); ok {
		return true, nil
	}
	for _, d := range m.Documents {
		if d.UploadedBy == userID {
			return true, nil
		}
	}
	if s.History == nil {
		return false, nil
	}
	entries, err := s.History.Entries(ctx, m.ID)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if e.By == userID {
			return true, nil
		}
		// Room events name the people in them; a set-up change naming the
		// user only added or removed them.
		if e.Type != "setup" && bytes.Contains(e.Data, []byte(`"`+userID+`"`)) {
			return true, nil
		}
	}
	return false, nil
}

// ForgetUser removes the listing markers of a deleted user.
func (s *Service) ForgetUser(ctx context.Context, userID string) error {
	if storage.CheckKey(userID) != nil || strings.Contains(userID, "/") {
		return nil
	}
	for _, prefix := range []string{"index/members/" + userID + "/", "index/involved/" + userID + "/"} {
		infos, err := s.Store.List(ctx, prefix)
		if err != nil {
			return err
		}
		for _, in := range infos {
			if err := s.Store.Delete(ctx, in.Key); err != nil {
				return err
			}
		}
	}
	return nil
}
