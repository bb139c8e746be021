package vote

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// The vote-counting committee (ban kiểm phiếu) of a poll: who counted, named
// in the record (biên bản kiểm phiếu) and signing it. Kept beside the poll
// (meetings/{mid}/polls/{pid}/committee.json), not in poll.json, so a closed
// poll's record never changes; it can be set in any state, the last save wins.

// MaxCounters is the most members a committee has.
const MaxCounters = 15

func committeeKey(mid, pid string) string { return pollPrefix(mid, pid) + "committee.json" }

type committee struct {
	Members []phonghop.Counter `json:"members"`
}

// SetCommittee names a poll's vote-counting committee (chair or secretary).
func (s *Service) SetCommittee(ctx context.Context, meetingID, pollID string, by phonghop.User, members []phonghop.Counter) ([]phonghop.Counter, error) {
	m, err := s.meeting(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	if !m.HasRole(by.ID, phonghop.RoleChair, phonghop.RoleSecretary) {
		return nil, phonghop.Fail(phonghop.EForbidden, "poll_chair_or_secretary_only")
	}
	if _, _, err := s.read(ctx, meetingID, pollID); err != nil {
		return nil, err
	}
	if len(members) > MaxCounters {
		return nil, phonghop.Fail(phonghop.EInvalid, "committee_too_many", "max", MaxCounters)
	}
	out := make([]phonghop.Counter, len(members))
	for i, c := range members {
		c.Name, c.Position = strings.TrimSpace(c.Name), strings.TrimSpace(c.Position)
		if c.Name == "" || !utf8.ValidString(c.Name) || utf8.RuneCountInString(c.Name) > MaxNameRunes ||
			!utf8.ValidString(c.Position) || utf8.RuneCountInString(c.Position) > MaxNameRunes {
			return nil, phonghop.Fail(phonghop.EInvalid, "committee_member_invalid", "n", i+1, "max", MaxNameRunes)
		}
		if err := phonghop.CheckVisible("name", c.Name); err != nil {
			return nil, err
		}
		if err := phonghop.CheckVisible("position", c.Position); err != nil {
			return nil, err
		}
		switch c.Role {
		case "":
			c.Role = phonghop.CountingMember
		case phonghop.CountingHead, phonghop.CountingSecretary, phonghop.CountingMember:
		default:
			return nil, phonghop.Fail(phonghop.EInvalid, "committee_role_invalid", "n", i+1)
		}
		out[i] = c
	}
	if _, err := storage.PutJSON(ctx, s.Store, committeeKey(meetingID, pollID), committee{Members: out}, storage.PutOptions{}); err != nil {
		return nil, err
	}
	return out, nil
}

// Committee returns a poll's vote-counting committee; empty until named.
func (s *Service) Committee(ctx context.Context, meetingID, pollID string) ([]phonghop.Counter, error) {
	if _, _, err := s.read(ctx, meetingID, pollID); err != nil {
		return nil, err
	}
	var c committee
	_, err := storage.GetJSON(ctx, s.Store, committeeKey(meetingID, pollID), &c)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	if c.Members == nil {
		c.Members = []phonghop.Counter{}
	}
	return c.Members, nil
}
