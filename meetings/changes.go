package meetings

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/storage"
)

// Recorder records a set-up change in the meeting's journal, with who made
// it, and tells the meeting's tablets; live.Hub satisfies it.
type Recorder interface {
	RecordChange(ctx context.Context, meetingID, by string, c phonghop.Change) error
}

// recordChange records c, made by the context's actor, as the change that
// brought m to its revision. The change is stored already; a journal or
// broker that fails is logged, not returned, so a client is never told that a
// change it made did not happen (and does not make it twice).
func (s *Service) recordChange(ctx context.Context, m *phonghop.Meeting, c phonghop.Change) {
	if s.Changes == nil || m == nil {
		return
	}
	c.Revision = m.Revision
	if d, ok := m.Document(c.DocumentID); ok && d.Confidential {
		c.Audience = m.DocumentAudience(d)
	}
	by := phonghop.Actor(ctx).ID
	// An agenda item's change names no confidential document: each one
	// attached or detached is a change of its own, for its audience.
	for _, r := range confidentialItemChanges(m, &c) {
		s.sendChange(ctx, m.ID, by, r)
	}
	s.sendChange(ctx, m.ID, by, c)
	// Whoever changes a meeting took part in it (an admin need not be a
	// participant): deleting that user is then refused.
	if by != "" && storage.CheckKey(by) == nil {
		if failed := runDetached(ctx, []func(context.Context) error{func(ctx context.Context) error { return s.mark(ctx, involvedKey(by, m.ID)) }}); failed > 0 {
			s.log().Error("set-up change: the editor's marker failed", "meeting", m.ID, "by", by)
		}
	}
}

// sendChange hands one change to the Recorder. A change with an audience
// (a confidential document's) is kept naming nothing but the document's id:
// the journal, and the room rebuilt from it after a restart, are read
// without an audience.
func (s *Service) sendChange(ctx context.Context, meetingID, by string, c phonghop.Change) {
	if c.Audience != nil {
		c.Changes = nil
		c.Details = map[string]string{"confidential": "true"}
	}
	if err := s.Changes.RecordChange(context.WithoutCancel(ctx), meetingID, by, c); err != nil {
		s.log().Error("set-up change not recorded", "meeting", meetingID, "action", c.Action, "by", by, "err", err)
	}
}

// confidentialItemChanges takes the confidential documents out of the
// documentIds an agenda item's change c lists, and returns, for each one
// the change attached to or detached from the item, a "document.attached"
// change for that document's audience.
func confidentialItemChanges(m *phonghop.Meeting, c *phonghop.Change) []phonghop.Change {
	ids, ok := c.Changes["documentIds"]
	if c.ItemID == "" || !ok {
		return nil
	}
	var from, to []string
	json.Unmarshal([]byte(ids.From), &from)
	json.Unmarshal([]byte(ids.To), &to)
	var out []phonghop.Change
	public := func(list []string, other []string) []string {
		kept := make([]string, 0, len(list))
		for _, id := range list {
			d, ok := m.Document(id)
			switch {
			case !ok || !d.Confidential:
				kept = append(kept, id)
			case !slices.Contains(other, id):
				out = append(out, phonghop.Change{Revision: c.Revision, Action: "document.attached", ItemID: c.ItemID,
					DocumentID: id, Audience: m.DocumentAudience(d)})
			}
		}
		return kept
	}
	pf, pt := public(from, to), public(to, from)
	if len(out) == 0 && len(pf) == len(from) && len(pt) == len(to) {
		return nil // no confidential document in it
	}
	changes := maps.Clone(c.Changes)
	delete(changes, "documentIds")
	diff(changes).add("documentIds", listText(pf), listText(pt))
	c.Changes = changes
	return out
}

// listText writes a list of ids as fieldsDiff does ("" for none).
func listText(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return string(mustJSON(ids))
}

// diff collects the fields whose text differs, for the journal.
type diff map[string]phonghop.Diff

func (d diff) add(field string, from, to any) {
	f, t := text(from), text(to)
	if f != t {
		d[field] = phonghop.Diff{From: f, To: t}
	}
}

func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.UTC().Format(time.RFC3339)
	case *time.Time:
		if v == nil {
			return ""
		}
		return text(*v)
	case []string:
		return strings.Join(v, ",")
	}
	return fmt.Sprint(v)
}

// fieldsDiff compares the top-level JSON fields of two records, leaving out
// the named ones: the meeting's own fields are diffed this way, so a field
// added to phonghop.Meeting is journaled without another line here.
func fieldsDiff(before, after any, skip ...string) diff {
	var a, b map[string]json.RawMessage
	json.Unmarshal(mustJSON(before), &a)
	json.Unmarshal(mustJSON(after), &b)
	d := diff{}
	for k := range mergeKeys(a, b) {
		if slices.Contains(skip, k) || bytes.Equal(a[k], b[k]) {
			continue
		}
		d[k] = phonghop.Diff{From: rawText(a[k]), To: rawText(b[k])}
	}
	return d
}

func mergeKeys(a, b map[string]json.RawMessage) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// rawText shows a JSON value as text: strings without quotes, absent as "".
func rawText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	return string(v)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// participantOf is the participant entry of user u with the change's role.
// The title (the office printed in the minutes) defaults to the user's
// position, and the unit is the user's.
func participantOf(u phonghop.User, c ParticipantChange) phonghop.Participant {
	title := strings.TrimSpace(c.Title)
	if title == "" {
		title = u.Position
	}
	return phonghop.Participant{UserID: u.ID, DisplayName: u.DisplayName, Role: c.Role, Title: title, Unit: u.Unit}
}

// participantsDiff lists, per user, the role before and after ("" when not a
// participant), and under "<userId>.title" a changed title, name or unit.
func participantsDiff(before, after []phonghop.Participant) diff {
	d := diff{}
	old := map[string]phonghop.Participant{}
	for _, p := range before {
		old[p.UserID] = p
	}
	seen := map[string]bool{}
	for _, p := range after {
		seen[p.UserID] = true
		o, was := old[p.UserID]
		d.add(p.UserID, string(o.Role), string(p.Role))
		if was {
			d.add(p.UserID+".title", o.Title, p.Title)
			d.add(p.UserID+".displayName", o.DisplayName, p.DisplayName)
			d.add(p.UserID+".unit", o.Unit, p.Unit)
		}
	}
	for _, p := range before {
		if !seen[p.UserID] {
			d.add(p.UserID, string(p.Role), "")
		}
	}
	if len(d) == 0 && len(before) == len(after) {
		// Same people, perhaps in another order (the order lists show).
		ids := func(ps []phonghop.Participant) []string {
			out := make([]string, len(ps))
			for i, p := range ps {
				out[i] = p.UserID
			}
			return out
		}
		d.add("order", ids(before), ids(after))
	}
	return d
}

// users returns the user ids a participants diff names.
func (d diff) users() map[string]bool {
	out := map[string]bool{}
	for k := range d {
		if uid, _, _ := strings.Cut(k, "."); uid != "order" {
			out[uid] = true
		}
	}
	return out
}

// memberMarks returns the writes that keep the listing markers of the
// meeting's participants after a change d: index/members/{uid}/{mid} while
// they take part, and index/involved/{uid}/{mid} for good, so deleting a user
// later knows which meetings to look at. Only users the change added or
// removed are touched; with no change (d empty) every participant's markers
// are written again.
func (s *Service) memberMarks(meetingID string, ps []phonghop.Participant, removed []string, d diff) []func(context.Context) error {
	var out []func(context.Context) error
	for _, p := range ps {
		c, ok := d[p.UserID]
		if len(d) > 0 && !(ok && c.From == "") {
			continue
		}
		out = append(out,
			func(ctx context.Context) error { return s.mark(ctx, "index/members/"+p.UserID+"/"+meetingID) },
			func(ctx context.Context) error { return s.mark(ctx, involvedKey(p.UserID, meetingID)) })
	}
	for _, uid := range removed {
		out = append(out, func(ctx context.Context) error { return s.Store.Delete(ctx, "index/members/"+uid+"/"+meetingID) })
	}
	return out
}

func involvedKey(userID, meetingID string) string {
	return "index/involved/" + userID + "/" + meetingID
}

// History reads a meeting's journal; *journal.Journal satisfies it.
type History interface {
	Entries(ctx context.Context, meetingID string) ([]journal.Entry, error)
}

// Polls lists a meeting's polls; vote.Service satisfies it.
type Polls interface {
	List(ctx context.Context, meetingID string) ([]phonghop.Poll, error)
}

// Room tells what the live room has on screen ("" when nothing); live.Hub
// satisfies it.
type Room interface {
	Presented(ctx context.Context, meetingID string) (itemID, documentID string, err error)
}
