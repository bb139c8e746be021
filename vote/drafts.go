package vote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// Recorder records a set-up change in the meeting's journal, with who made
// it, and tells the tablets; live.Hub satisfies it.
type Recorder interface {
	RecordChange(ctx context.Context, meetingID, by string, c phonghop.Change) error
}

// stateDeleted marks a draft being deleted, for the moment between the
// compare-and-swap that claims it and the removal of its record: an Open that
// read the draft before then fails its own swap.
const stateDeleted = "deleted"

// UpdateDraft redefines a draft poll (chair or secretary), with the same rules
// as Create. The swap checks the poll is still a draft, so an edit racing the
// chair's open either lands before it (the poll opens as edited) or is
// refused (409 poll_not_draft).
func (s *Service) UpdateDraft(ctx context.Context, meetingID, pollID string, by phonghop.User, req CreateRequest) (phonghop.Poll, error) {
	m, err := s.meeting(ctx, meetingID)
	if err != nil {
		return phonghop.Poll{}, err
	}
	if !m.HasRole(by.ID, phonghop.RoleChair, phonghop.RoleSecretary) {
		return phonghop.Poll{}, phonghop.Fail(phonghop.EForbidden, "poll_chair_or_secretary_only")
	}
	req, err = cleanRequest(req, m.Language)
	if err != nil {
		return phonghop.Poll{}, err
	}
	if _, ok := m.Item(req.AgendaItemID); !ok {
		return phonghop.Poll{}, phonghop.Fail(phonghop.EInvalid, "poll_agenda_item_missing", "id", phonghop.Clip(req.AgendaItemID))
	}
	if err := s.checkPhotos(ctx, meetingID, req.Questions); err != nil {
		return phonghop.Poll{}, err
	}
	if _, _, err := s.read(ctx, meetingID, pollID); err != nil {
		return phonghop.Poll{}, err
	}
	changes := map[string]phonghop.Diff{}
	r, err := s.update(ctx, meetingID, pollID, func(r *record) error {
		if r.State != phonghop.PollDraft {
			return errNotDraft(r.State)
		}
		clear(changes)
		diff := func(field, from, to string) {
			if from != to {
				changes[field] = phonghop.Diff{From: from, To: to}
			}
		}
		diff("agendaItemId", r.AgendaItemID, req.AgendaItemID)
		diff("title", r.Title, req.Title)
		diff("options", strings.Join(r.Options, " | "), strings.Join(req.Options, " | "))
		diff("secret", fmt.Sprint(r.Secret), fmt.Sprint(req.Secret))
		diff("majority", r.Majority, req.Majority)
		diff("kind", r.Kind, req.Kind)
		diff("questions", questionsText(r.Questions), questionsText(req.Questions))
		if len(changes) == 0 {
			return storage.ErrStop
		}
		r.AgendaItemID, r.Title, r.Options, r.Secret, r.Majority = req.AgendaItemID, req.Title, slices.Clone(req.Options), req.Secret, req.Majority
		r.Kind, r.Questions = req.Kind, req.Questions
		return nil
	})
	if err != nil {
		return phonghop.Poll{}, err
	}
	if len(changes) > 0 {
		s.recordChange(ctx, meetingID, by, phonghop.Change{Action: "poll.updated", PollID: pollID, ItemID: r.AgendaItemID, Changes: changes})
	}
	return r.Poll, nil
}

// DeleteDraft removes a draft poll (chair or secretary). An open or closed
// poll is refused (409 poll_not_draft): its ballots belong to the minutes.
func (s *Service) DeleteDraft(ctx context.Context, meetingID, pollID string, by phonghop.User) error {
	m, err := s.meeting(ctx, meetingID)
	if err != nil {
		return err
	}
	if !m.HasRole(by.ID, phonghop.RoleChair, phonghop.RoleSecretary) {
		return phonghop.Fail(phonghop.EForbidden, "poll_chair_or_secretary_only")
	}
	if _, _, err := s.read(ctx, meetingID, pollID); err != nil {
		return err
	}
	r, err := s.update(ctx, meetingID, pollID, func(r *record) error {
		switch r.State {
		case phonghop.PollDraft:
			r.State = stateDeleted
			return nil
		case stateDeleted:
			return storage.ErrStop // another delete is finishing
		}
		return errNotDraft(r.State)
	})
	if err != nil {
		return err
	}
	// Out of the index first: a crash before the record goes leaves an
	// unlisted tombstone, which Get answers 404.
	_, err = storage.UpdateJSON(ctx, s.Store, indexKey(meetingID), true, func(ix *pollIndex) error {
		i := slices.Index(ix.IDs, pollID)
		if i < 0 {
			return storage.ErrStop
		}
		ix.IDs = slices.Delete(ix.IDs, i, i+1)
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.Store.Delete(ctx, pollKey(meetingID, pollID)); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	s.recordChange(ctx, meetingID, by, phonghop.Change{Action: "poll.deleted", PollID: pollID, ItemID: r.AgendaItemID,
		Changes: map[string]phonghop.Diff{"title": {From: r.Title}}})
	return nil
}

func errNotDraft(state string) error {
	if state == stateDeleted {
		return errPollNotFound()
	}
	return phonghop.Fail(phonghop.EConflict, "poll_not_draft")
}

// recordChange journals a draft's change; a failure is logged (the change is
// stored already).
func (s *Service) recordChange(ctx context.Context, meetingID string, by phonghop.User, c phonghop.Change) {
	if s.Changes == nil {
		return
	}
	if err := s.Changes.RecordChange(context.WithoutCancel(ctx), meetingID, by.ID, c); err != nil {
		s.log().Error("vote: draft change not recorded", "meeting", meetingID, "poll", c.PollID, "action", c.Action, "err", err)
	}
}
