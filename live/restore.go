package live

import (
	"context"
	"encoding/json"

	"github.com/phonghop/phonghop/journal"
)

// RestoreFromJournal returns a MemoryBroker.Restore that rebuilds a meeting's
// room from its journal: the newest entry of every subject, and as the seq the
// higher of the last entry's and the high-water mark of reserved seqs (see
// MemoryBroker.Journal), so no seq handed out before is handed out again. Page
// turns within a document are not journaled, so a restored room shows the
// right item and document at the page where it was last changed. Attendance
// is folded from every attendance entry, whole lists (older journals) and
// deltas alike, into one event holding the whole list.
func RestoreFromJournal(j *journal.Journal) func(ctx context.Context, meetingID string) ([]Event, uint64, error) {
	return func(ctx context.Context, meetingID string) ([]Event, uint64, error) {
		entries, err := j.Entries(ctx, meetingID)
		if err != nil {
			return nil, 0, err
		}
		seq, err := j.Reserved(ctx, meetingID)
		if err != nil {
			return nil, 0, err
		}
		latest := map[string]Event{}
		var att attendanceFold
		for _, e := range entries {
			subject := e.Type
			if e.Type == TypeDocument {
				// The journal keeps no audience: a document's news is not
				// part of the room's state, so it is not restored.
				continue
			}
			if e.Type == TypeSetup && restricted(e.Data) {
				// A change to a confidential document went to its audience
				// only; the room's last change after a restart is one
				// everyone may see.
				continue
			}
			if e.Type == TypePoll {
				var p struct {
					ID string `json:"id"`
				}
				if json.Unmarshal(e.Data, &p) != nil || p.ID == "" {
					continue
				}
				subject = SubjectPollPrefix + p.ID
			}
			if e.Type == TypeAttendance && !att.add(e.Data) {
				continue
			}
			latest[subject] = Event{Seq: e.Seq, Subject: subject, Type: e.Type, Payload: e.Data, Time: e.Time, By: e.By}
			seq = max(seq, e.Seq)
		}
		if ev, ok := latest[SubjectAttendance]; ok {
			// The whole list once, not once per entry: a wave of 2,000
			// check-ins is 2,000 deltas.
			if ev.Payload, err = json.Marshal(att.attendance()); err != nil {
				return nil, 0, err
			}
			latest[SubjectAttendance] = ev
		}
		out := make([]Event, 0, len(latest))
		for _, ev := range latest {
			out = append(out, ev)
		}
		return out, seq, nil
	}
}

// restricted reports whether a journaled set-up change was about a
// confidential document (meetings records those naming nothing but the
// document's id, with details {"confidential":"true"}).
func restricted(data json.RawMessage) bool {
	var c struct {
		Details map[string]string `json:"details"`
	}
	return json.Unmarshal(data, &c) == nil && c.Details["confidential"] == "true"
}
