package meetings

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/storage"
)

// ItemChange is an edit of an agenda item: nil fields keep their value.
type ItemChange struct {
	Title           *string   `json:"title"`
	Presenter       *string   `json:"presenter"`
	DurationMinutes *int      `json:"durationMinutes"`
	DocumentIDs     *[]string `json:"documentIds"`
}

// PatchItem applies the change to the item within the meeting's
// compare-and-swap, so two staff editing different fields of one item both
// keep theirs.
func (s *Service) PatchItem(ctx context.Context, id, itemID string, ch ItemChange) (phonghop.AgendaItem, error) {
	var out phonghop.AgendaItem
	var d diff
	m, err := s.update(ctx, id, func(m *phonghop.Meeting) error {
		i := slices.IndexFunc(m.Agenda, func(it phonghop.AgendaItem) bool { return it.ID == itemID })
		if i < 0 {
			return phonghop.Fail(phonghop.ENotFound, "agenda_item_not_found")
		}
		it := m.Agenda[i]
		if ch.Title != nil {
			it.Title = *ch.Title
		}
		if ch.Presenter != nil {
			it.Presenter = *ch.Presenter
		}
		if ch.DurationMinutes != nil {
			it.DurationMinutes = *ch.DurationMinutes
		}
		if ch.DocumentIDs != nil {
			it.DocumentIDs = slices.Clone(*ch.DocumentIDs)
		}
		if err := checkItem(m, &it); err != nil {
			return err
		}
		out = it
		if d = fieldsDiff(m.Agenda[i], it); len(d) == 0 {
			return storage.ErrStop
		}
		m.Agenda[i] = it
		return nil
	})
	if err == nil && len(d) > 0 {
		s.recordChange(ctx, m, phonghop.Change{Action: "agenda.updated", ItemID: itemID, Changes: d})
	}
	return out, err
}

// checkItem validates an agenda item against its meeting.
func checkItem(m *phonghop.Meeting, it *phonghop.AgendaItem) error {
	if err := accounts.CheckText("title", it.Title, true, maxTitle); err != nil {
		return err
	}
	if it.DurationMinutes < 0 || it.DurationMinutes > 24*60 {
		return phonghop.Fail(phonghop.EInvalid, "duration_invalid")
	}
	if it.Presenter != "" {
		if _, ok := m.Participant(it.Presenter); !ok {
			return phonghop.Fail(phonghop.EInvalid, "presenter_invalid")
		}
	}
	if it.DocumentIDs == nil {
		it.DocumentIDs = []string{}
	}
	seen := map[string]bool{}
	for _, d := range it.DocumentIDs {
		if _, ok := m.Document(d); !ok {
			return phonghop.Fail(phonghop.EInvalid, "agenda_document_missing", "id", phonghop.Clip(d))
		}
		if seen[d] {
			return phonghop.Fail(phonghop.EInvalid, "agenda_document_twice", "id", phonghop.Clip(d))
		}
		seen[d] = true
	}
	return nil
}

// MoveItem puts the item at position (0 = first) with compare-and-swap on the
// order: order must be the agenda's item ids as the caller last saw them, or
// the move is refused (409 agenda_order_changed) and the caller reloads. Two
// staff dragging items at once therefore never build on an order they did not
// see: one move lands, the other is told.
func (s *Service) MoveItem(ctx context.Context, id, itemID string, position int, order []string) ([]phonghop.AgendaItem, error) {
	if order == nil {
		return nil, phonghop.Fail(phonghop.EInvalid, "agenda_order_required")
	}
	var before []string
	m, err := s.update(ctx, id, func(m *phonghop.Meeting) error {
		before = itemIDs(m.Agenda)
		if !slices.Equal(before, order) {
			return phonghop.Fail(phonghop.EConflict, "agenda_order_changed")
		}
		i := slices.Index(before, itemID)
		if i < 0 {
			return phonghop.Fail(phonghop.ENotFound, "agenda_item_not_found")
		}
		if position < 0 || position >= len(m.Agenda) {
			return phonghop.Fail(phonghop.EInvalid, "agenda_position_invalid", "max", len(m.Agenda)-1)
		}
		if i == position {
			return storage.ErrStop
		}
		it := m.Agenda[i]
		m.Agenda = slices.Insert(slices.Delete(m.Agenda, i, i+1), position, it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if after := itemIDs(m.Agenda); !slices.Equal(before, after) {
		d := diff{}
		d.add("order", before, after)
		s.recordChange(ctx, m, phonghop.Change{Action: "agenda.moved", ItemID: itemID, Changes: d})
	}
	return m.Agenda, nil
}

func itemIDs(items []phonghop.AgendaItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

// DeleteItem removes an agenda item. An item with polls (drafts included:
// delete them first) or one already taken up in the meeting is refused: its
// record belongs to the minutes.
func (s *Service) DeleteItem(ctx context.Context, id, itemID string) error {
	m, err := s.Meeting(ctx, id)
	if err != nil {
		return err
	}
	if _, ok := m.Item(itemID); !ok {
		return phonghop.Fail(phonghop.ENotFound, "agenda_item_not_found")
	}
	if s.Polls != nil {
		polls, err := s.Polls.List(ctx, id)
		if err != nil {
			return err
		}
		for _, p := range polls {
			if p.AgendaItemID == itemID {
				return phonghop.Fail(phonghop.EConflict, "agenda_item_has_polls")
			}
		}
	}
	taken, err := s.takenUp(ctx, id, itemID)
	if err != nil {
		return err
	}
	if taken {
		return phonghop.Fail(phonghop.EConflict, "agenda_item_taken_up")
	}
	var gone phonghop.AgendaItem
	m, err = s.update(ctx, id, func(m *phonghop.Meeting) error {
		i := slices.IndexFunc(m.Agenda, func(it phonghop.AgendaItem) bool { return it.ID == itemID })
		if i < 0 {
			return phonghop.Fail(phonghop.ENotFound, "agenda_item_not_found")
		}
		gone = m.Agenda[i]
		m.Agenda = slices.Delete(m.Agenda, i, i+1)
		return nil
	})
	if err != nil {
		return err
	}
	s.recordChange(ctx, m, phonghop.Change{Action: "agenda.deleted", ItemID: itemID, Changes: fieldsDiff(gone, phonghop.AgendaItem{}, "id")})
	return nil
}

// takenUp reports whether the meeting's journal shows the item presented.
func (s *Service) takenUp(ctx context.Context, id, itemID string) (bool, error) {
	if s.History == nil {
		return false, nil
	}
	entries, err := s.History.Entries(ctx, id)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if e.Type != "presentation" {
			continue
		}
		var p struct {
			AgendaItemID string `json:"agendaItemId"`
		}
		if json.Unmarshal(e.Data, &p) == nil && p.AgendaItemID == itemID {
			return true, nil
		}
	}
	return false, nil
}
