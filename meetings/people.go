package meetings

import (
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
