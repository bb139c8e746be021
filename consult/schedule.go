package consult

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// The reminder before a deadline and the close at it are sent by whichever
// process ticks first: each is claimed with a create-only object, so with
// several processes (NATS) every event goes out once. Only consultations
// whose deadline event is not sent yet are listed (consultations/pending/).

// Run calls Tick every interval until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log().Warn("consultation deadlines not all handled", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick sends the reminders and the deadline closes that are due.
func (s *Service) Tick(ctx context.Context) error {
	infos, err := s.Store.List(ctx, "consultations/pending/")
	if err != nil {
		return err
	}
	var first error
	for _, in := range infos {
		parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(in.Key, "consultations/pending/"), ".json"), "/")
		if len(parts) != 2 {
			continue
		}
		if err := s.due(ctx, parts[0], parts[1]); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (s *Service) due(ctx context.Context, mid, cid string) error {
	var c Consultation
	_, err := storage.GetJSON(ctx, s.Store, consultationKey(mid, cid), &c)
	if errors.Is(err, storage.ErrNotFound) {
		return s.Store.Delete(ctx, pendingKey(mid, cid))
	}
	if err != nil {
		return err
	}
	now := s.now()
	if c.ClosedAt != nil {
		return s.Store.Delete(ctx, pendingKey(mid, cid))
	}
	remindAt := c.Deadline.Add(-time.Duration(c.RemindMinutes) * time.Minute)
	if now.Before(remindAt) || (c.RemindMinutes == 0 && now.Before(c.Deadline)) {
		return nil
	}
	if s.Meetings == nil {
		return nil
	}
	m, err := s.Meetings.Meeting(ctx, mid)
	if err != nil {
		if phonghop.ErrorCode(err) == phonghop.ENotFound {
			return s.Store.Delete(ctx, pendingKey(mid, cid))
		}
		return err
	}
	if now.Before(c.Deadline) {
		if !s.claim(ctx, mid, cid, "reminder") {
			return nil
		}
		who, err := s.answered(ctx, mid, cid)
		if err != nil {
			return err
		}
		to := []string{}
		for _, p := range m.Participants {
			switch {
			case p.Role == phonghop.RoleChair || p.Role == phonghop.RoleSecretary:
				to = append(to, p.UserID)
			case p.Role == phonghop.RoleDelegate && !who[p.UserID] && mayRead(m, &c, phonghop.User{ID: p.UserID}):
				to = append(to, p.UserID)
			}
		}
		slices.Sort(to)
		s.dressForEvent(m, &c, now)
		s.publishConsultation(ctx, m, c, "reminder", to)
		return nil
	}
	if s.claim(ctx, mid, cid, "closed") {
		s.dressForEvent(m, &c, now)
		s.publishConsultation(ctx, m, c, "closed", nil)
	}
	return s.Store.Delete(ctx, pendingKey(mid, cid))
}

// dressForEvent fills the computed fields an event carries (not answered).
func (s *Service) dressForEvent(m *phonghop.Meeting, c *Consultation, now time.Time) {
	c.State = StateOpen
	if c.closed(now) {
		c.State = StateClosed
		if c.ClosedAt == nil {
			d := c.Deadline
			c.ClosedAt = &d
		}
	}
	c.Addressed = len(delegates(m, c))
}
