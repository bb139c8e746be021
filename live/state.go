package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
)

// maxAttempts bounds the read-modify-write retries of one action; each retry
// means another change landed first, so the room moved on meanwhile.
const maxAttempts = 64

// change is what a read-modify-write decides: the new payload (nil: nothing
// changes), whether the journal records it, and what the subject shows when it
// has no event yet (sent back if the change cannot be recorded; nil: null).
type change struct {
	payload any
	record  bool
	zero    any
	delta   any // the change as a delta (Event.Delta), if it has one
}

// update applies fn to the subject's newest event and appends the result, with
// the subject's seq as the expectation, retrying on conflict: safe across
// processes sharing the broker. When fn changes nothing it returns the seq of
// the subject's newest event.
//
// An event the journal records is acknowledged only once it is in the journal
// (see record). The append and the journal write run on a context detached
// from the caller's: a tablet that hangs up half-way does not leave an event
// the room showed but the journal lacks.
func (h *Hub) update(ctx context.Context, meetingID, subject, typ, by string, fn func(prev *Event) (change, error)) (uint64, error) {
	// One writer of the subject at a time on this process (subjectlock.go).
	unlock, err := h.subjects.lock(ctx, meetingID, subject)
	if err != nil {
		return 0, h.brokerError(err)
	}
	defer unlock()
	return h.updateLocked(ctx, meetingID, subject, typ, by, fn)
}

// updateLocked is update for a caller that has the subject's turn.
func (h *Hub) updateLocked(ctx context.Context, meetingID, subject, typ, by string, fn func(prev *Event) (change, error)) (uint64, error) {
	for attempt := 0; ; attempt++ {
		evs, last, err := h.cfg.Broker.Last(ctx, meetingID)
		if err != nil {
			return 0, h.brokerError(err)
		}
		var prev *Event
		for i := range evs {
			if evs[i].Subject == subject {
				prev = &evs[i]
			}
		}
		if err := refuseAfterClose(subject, evs); err != nil {
			return 0, err
		}
		ch, err := fn(prev)
		if err != nil {
			return 0, err
		}
		if ch.payload == nil {
			if prev != nil {
				return prev.Seq, nil
			}
			return 0, nil
		}
		data, err := json.Marshal(ch.payload)
		if err != nil {
			return 0, err
		}
		ev := Event{Subject: subject, Type: typ, Payload: data, Time: time.Now().UTC(), By: by, Record: ch.record}
		if ch.delta != nil {
			if ev.Delta, err = json.Marshal(ch.delta); err != nil {
				return 0, err
			}
		}
		expect := int64(0)
		if prev != nil {
			expect = int64(prev.Seq)
		}
		if err := ctx.Err(); err != nil {
			return 0, err // the caller left before anything was written
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*recordTimeout)
		seq, err := h.appendFound(wctx, meetingID, ev, expect, last)
		cancel()
		if err == nil && ev.Record && h.cfg.Journal != nil && !h.brokerRecords() {
			ev.Seq = seq
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*recordTimeout)
			err = h.record(wctx, meetingID, ev, prev, ch.zero)
			cancel()
		}
		if errors.Is(err, ErrConflict) {
			if attempt+1 >= maxAttempts {
				return 0, phonghop.Fail(phonghop.EConflict, "room_busy")
			}
			if attempt >= 2 { // others keep winning: step aside a little
				t := time.NewTimer(time.Duration(rand.IntN(1000*(attempt+1))) * time.Microsecond)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return 0, h.brokerError(ctx.Err())
				}
			}
			continue
		}
		if err != nil {
			if errors.Is(err, ErrNotRecorded) {
				h.notRecorded.Add(1)
				h.log.Error("live: change refused: the journal could not take it", "meeting", meetingID, "err", err)
				return 0, phonghop.Fail(phonghop.EUnavailable, "storage_unavailable")
			}
			return 0, h.brokerError(err)
		}
		return seq, nil
	}
}

// brokerRecords reports whether the broker journals events itself before it
// delivers them (MemoryBroker with a Journal).
func (h *Hub) brokerRecords() bool {
	r, ok := h.cfg.Broker.(interface{ Records() bool })
	return ok && r.Records()
}

// record writes an appended event to the journal, for a broker that does not
// (NATS: the event is durable in its stream and tablets may have seen it
// already). The write is retried for recordTimeout; if it still fails the
// subject is set back to what it was (prev, or zero), so that what the room
// shows is again what the journal holds, and the caller is told the change
// failed (ErrNotRecorded). A poll's event is not set back: the poll is stored
// by the vote service, and the room must not show it in an older state.
func (h *Hub) record(ctx context.Context, meetingID string, ev Event, prev *Event, zero any) error {
	err := durably(ctx, func(ctx context.Context) error { return h.cfg.Journal.Append(ctx, meetingID, entryOf(ev)) })
	if err == nil {
		return nil
	}
	h.log.Error("live: journal write failed; the change is refused", "meeting", meetingID, "seq", ev.Seq, "type", ev.Type, "err", err)
	if !strings.HasPrefix(ev.Subject, SubjectPollPrefix) {
		back := Event{Subject: ev.Subject, Type: ev.Type, Payload: json.RawMessage("null"), Time: time.Now().UTC(), By: ev.By}
		if prev != nil {
			back.Payload = prev.Payload
		} else if zero != nil {
			back.Payload, _ = json.Marshal(zero)
		}
		backSeq, berr := h.cfg.Broker.Append(ctx, meetingID, back, int64(ev.Seq))
		if berr == nil {
			back.Seq = backSeq
			h.journalSetBack(meetingID, ev.Seq, back)
		} else {
			// Someone built on the event already, or the broker is gone too:
			// the room goes on showing it (tablets have it, later changes
			// build on it), so the journal must get it, or the minutes would
			// lack what the room saw (a retried check-in finds the delegate
			// present and changes nothing).
			h.log.Error("live: an event the journal lacks could not be taken back; it is journaled when the store takes it",
				"meeting", meetingID, "seq", ev.Seq, "err", berr)
			var maybe *Event // a set-back refused for its expectation never landed; one unanswered may have
			if !errors.Is(berr, ErrConflict) {
				maybe = &back
			}
			h.journalLater(meetingID, ev, maybe)
		}
	}
	return fmt.Errorf("%w: %w", ErrNotRecorded, err)
}

// journalSetBack makes the journal hold the set-back too if the entry of the
// event it took back landed although its write reported failure (a store
// that timed out after the write, then refused): the journal then shows the
// change and its undoing, as the room did, not a change the room took back.
// It looks once the store answers, in the background.
func (h *Hub) journalSetBack(meetingID string, seq uint64, back Event) {
	lister, ok := h.cfg.Journal.(interface {
		Entries(ctx context.Context, meetingID string) ([]journal.Entry, error)
	})
	if !ok {
		return
	}
	h.inBackground(0, func(ctx context.Context) error {
		entries, err := lister.Entries(ctx, meetingID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(entries, func(e journal.Entry) bool { return e.Seq == seq }) {
			return nil // the change never reached the journal: nothing to undo there
		}
		if err := h.cfg.Journal.Append(ctx, meetingID, entryOf(back)); err != nil {
			return err
		}
		h.log.Info("live: a change the room took back had reached the journal; its setting back is journaled too", "meeting", meetingID, "seq", seq)
		return nil
	}, func(err error) {
		h.log.Error("live: the journal holds a change the room took back", "meeting", meetingID, "seq", seq, "err", err)
	})
}

// inBackground runs step, which makes the journal right about one event,
// until it answers nil (done, or nothing to do), retried with a growing
// pause (up to 30 s) for journalLaterFor, each try bounded by recordTimeout;
// then gaveUp is told its last error. It starts after first. Pending ones
// are counted in Stats.Unjournaled.
func (h *Hub) inBackground(first time.Duration, step func(ctx context.Context) error, gaveUp func(err error)) {
	h.unjournaled.Add(1)
	giveUp, timeout := time.Now().Add(journalLaterFor), recordTimeout
	go func() {
		defer h.unjournaled.Add(-1)
		time.Sleep(first)
		for wait := 100 * time.Millisecond; ; wait = min(2*wait, 30*time.Second) {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			err := step(ctx)
			cancel()
			if err == nil {
				return
			}
			if time.Now().Add(wait).After(giveUp) {
				gaveUp(err)
				return
			}
			time.Sleep(wait)
		}
	}()
}

// journalLaterFor bounds how long the journal is made right in the
// background (inBackground).
var journalLaterFor = time.Hour

// journalLater writes ev's journal entry in the background, retried with a
// growing pause (up to 30 s) for journalLaterFor: the event stands in the
// room and its entry goes in at its seq, in order with the others, whenever
// the store takes it. Pending ones are counted in Stats.Unjournaled.
// back is the set-back whose append went unanswered (nil: known not to have
// landed): if the room's events after ev hold it, it landed after all, the
// room shows what the journal holds, and nothing is written.
func (h *Hub) journalLater(meetingID string, ev Event, back *Event) {
	h.inBackground(0, func(ctx context.Context) error {
		if back != nil {
			landed, err := h.setBackLanded(ctx, meetingID, ev.Seq, back)
			if err != nil {
				return err
			}
			if landed {
				h.log.Info("live: the set-back of an event the journal lacks landed after all", "meeting", meetingID, "seq", ev.Seq)
				return nil
			}
			back = nil
		}
		if err := h.cfg.Journal.Append(ctx, meetingID, entryOf(ev)); err != nil {
			return err
		}
		h.log.Info("live: an event left out of the journal is journaled now", "meeting", meetingID, "seq", ev.Seq)
		return nil
	}, func(err error) {
		h.log.Error("live: an event the room showed was never journaled; the minutes lack it", "meeting", meetingID, "seq", ev.Seq, "type", ev.Type, "err", err)
	})
}

// setBackLanded reports whether the meeting's events after seq hold back
// (the same subject, type, author and time). When they are no longer all
// held it answers false: the event is journaled, as it most likely stands.
func (h *Hub) setBackLanded(ctx context.Context, meetingID string, seq uint64, back *Event) (bool, error) {
	_, ok, err := h.landedAt(ctx, meetingID, seq, back)
	return ok, err
}

// landedAt looks for ev among the meeting's events after seq (the same
// subject, type, author and time: the time is taken when the event is made,
// to the nanosecond) and returns the seq it landed at.
func (h *Hub) landedAt(ctx context.Context, meetingID string, after uint64, ev *Event) (uint64, bool, error) {
	evs, _, err := h.cfg.Broker.Since(ctx, meetingID, after)
	if err != nil {
		return 0, false, err
	}
	for _, e := range evs {
		if e.Subject == ev.Subject && e.Type == ev.Type && e.By == ev.By && e.Time.Equal(ev.Time) {
			return e.Seq, true, nil
		}
	}
	return 0, false, nil
}

// appendFound is Broker.Append for an event made after the meeting's seq
// last. An append whose answer was lost (ErrUnanswered: NATS stored the
// event, then the acknowledgement timed out or the connection dropped) may
// have landed and reached the tablets: the meeting's events after last are
// looked at, and an event found there is the change done, at its seq (the
// caller journals it and answers success). When it cannot be known now (NATS
// does not answer) the caller is told the change failed and, for an event
// the journal records, the look goes on in the background: an event found
// there later is journaled at its seq (journalLanded), so the minutes do not
// lack what the room showed while the delegate's retried check-in, finding
// them present, changes nothing.
func (h *Hub) appendFound(ctx context.Context, meetingID string, ev Event, expect int64, last uint64) (uint64, error) {
	seq, err := h.cfg.Broker.Append(ctx, meetingID, ev, expect)
	if err == nil || !errors.Is(err, ErrUnanswered) {
		return seq, err
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	seq, ok, lerr := h.landedAt(lctx, meetingID, last, &ev)
	cancel()
	if lerr == nil && ok {
		h.log.Warn("live: an append whose answer was lost had landed; the change stands", "meeting", meetingID, "seq", seq, "type", ev.Type)
		return seq, nil
	}
	if ev.Record && h.cfg.Journal != nil && !h.brokerRecords() {
		h.journalLanded(meetingID, ev, last)
	}
	return 0, err
}

// journalLanded looks in the background, for journalLaterFor, whether ev,
// whose append's answer was lost, landed after the meeting's seq last, and
// journals it at its seq if it did. The first look waits a second more, so a
// publish still on its way to the stream has landed by then. One found is
// counted in Stats.Unjournaled until its entry is written; one that never
// landed leaves nothing to write.
func (h *Hub) journalLanded(meetingID string, ev Event, last uint64) {
	found := false
	h.inBackground(min(recordTimeout, time.Second), func(ctx context.Context) error {
		if !found {
			seq, ok, err := h.landedAt(ctx, meetingID, last, &ev)
			if err != nil {
				return err
			}
			if !ok {
				h.log.Info("live: an append whose answer was lost never landed", "meeting", meetingID, "type", ev.Type)
				return nil
			}
			ev.Seq, found = seq, true
		}
		if err := h.cfg.Journal.Append(ctx, meetingID, entryOf(ev)); err != nil {
			return err
		}
		h.log.Info("live: an event whose append went unanswered had landed; it is journaled now", "meeting", meetingID, "seq", ev.Seq)
		return nil
	}, func(err error) {
		h.log.Error("live: an event whose append went unanswered may stand in the room unjournaled", "meeting", meetingID, "seq", ev.Seq, "type", ev.Type, "err", err)
	})
}

func (h *Hub) brokerError(err error) error {
	h.log.Error("live: broker", "err", err)
	return phonghop.Fail(phonghop.EUnavailable, "live_unavailable")
}

func (h *Hub) meeting(ctx context.Context, id string) (*phonghop.Meeting, error) {
	m, err := h.cfg.Meetings.Meeting(ctx, id)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, phonghop.Fail(phonghop.ENotFound, "meeting_not_found")
	}
	return m, nil
}

func decode[T any](ev *Event) (T, error) {
	var v T
	if ev == nil {
		return v, nil
	}
	err := json.Unmarshal(ev.Payload, &v)
	return v, err
}

// Present shows p on every tablet. The chair may present anything; the
// presenter of the item being presented may turn pages and documents within it.
// Only page turns within the same document are left out of the journal.
func (h *Hub) Present(ctx context.Context, meetingID string, by phonghop.User, p Presentation) (uint64, error) {
	m, err := h.meeting(ctx, meetingID)
	if err != nil {
		return 0, err
	}
	chair := m.HasRole(by.ID, phonghop.RoleChair)
	item, itemOK := m.Item(p.AgendaItemID)
	if !chair && !(itemOK && item.Presenter != "" && item.Presenter == by.ID) {
		return 0, phonghop.Fail(phonghop.EForbidden, "present_forbidden")
	}
	if !itemOK {
		return 0, phonghop.Fail(phonghop.EInvalid, "agenda_item_unknown")
	}
	if p.DocumentID == "" && chair {
		// The chair takes up an item with nothing to show (an opening, a
		// discussion): the item is under way for the wall and the minutes.
		p.Page = 1
	} else if err := presentable(m, p); err != nil {
		return 0, err
	}
	return h.update(ctx, meetingID, SubjectPresentation, TypePresentation, by.ID, func(prev *Event) (change, error) {
		cur, err := decode[*Presentation](prev)
		if err != nil {
			return change{}, err
		}
		if !chair && (cur == nil || cur.AgendaItemID != p.AgendaItemID) {
			return change{}, phonghop.Fail(phonghop.EForbidden, "chair_only_agenda")
		}
		if cur != nil && *cur == p {
			return change{}, nil
		}
		pageOnly := cur != nil && cur.AgendaItemID == p.AgendaItemID && cur.DocumentID == p.DocumentID
		return change{payload: p, record: !pageOnly}, nil
	})
}

// presentable checks the document and page of p can be shown to the room.
func presentable(m *phonghop.Meeting, p Presentation) error {
	doc, ok := m.Document(p.DocumentID)
	if !ok {
		return phonghop.Fail(phonghop.EInvalid, "document_unknown")
	}
	if doc.Confidential {
		return phonghop.Fail(phonghop.EInvalid, "document_confidential_present")
	}
	if !doc.Ready() {
		return phonghop.Fail(phonghop.EInvalid, "document_not_ready")
	}
	if p.Page < 1 || (doc.Pages > 0 && p.Page > doc.Pages) {
		return phonghop.Fail(phonghop.EInvalid, "page_out_of_range")
	}
	return nil
}

// attendanceOf computes the attendance of the checked-in users, counting only
// current participants and the meeting's voters; marks made on behalf of
// someone no longer taking part are dropped.
func attendanceOf(m *phonghop.Meeting, present []string, marks map[string]AttendanceMark) Attendance {
	a := Attendance{Present: make([]string, 0, len(present))}
	a.Expected = m.VoterCount()
	n := 0
	for _, id := range present {
		if _, ok := m.Participant(id); !ok {
			continue
		}
		a.Present = append(a.Present, id)
		if m.IsVoter(id) {
			n++
		}
	}
	a.Quorum = a.Expected > 0 && n*2 > a.Expected
	a.PresentDelegates = n
	if a.Expected > 0 {
		a.QuorumNeeded = a.Expected/2 + 1
	}
	for id, mk := range marks {
		if _, ok := m.Participant(id); ok {
			if a.Marks == nil {
				a.Marks = map[string]AttendanceMark{}
			}
			a.Marks[id] = mk
		}
	}
	return a
}

// CheckIn marks the participant present.
func (h *Hub) CheckIn(ctx context.Context, meetingID, userID string) (uint64, error) {
	return h.attend(ctx, meetingID, userID, true, nil)
}

// CheckOut marks the participant absent.
func (h *Hub) CheckOut(ctx context.Context, meetingID, userID string) (uint64, error) {
	return h.attend(ctx, meetingID, userID, false, nil)
}

// attend checks userID in or out. mark is nil when users do it themselves
// (which clears any mark made for them), else the mark made on their behalf.
func (h *Hub) attend(ctx context.Context, meetingID, userID string, in bool, mark *AttendanceMark) (uint64, error) {
	m, err := h.meeting(ctx, meetingID)
	if err != nil {
		return 0, err
	}
	if _, ok := m.Participant(userID); !ok {
		if mark != nil {
			return 0, phonghop.Fail(phonghop.EInvalid, "user_not_participant")
		}
		return 0, phonghop.Fail(phonghop.EForbidden, "not_participant")
	}
	by := userID
	if mark != nil {
		by = mark.By
	} else if err := h.allowOwnChange(meetingID, userID); err != nil {
		return 0, err
	}
	return h.attendance.do(ctx, h, meetingID, &attendReq{userID: userID, in: in, mark: mark, by: by})
}

// Attendance returns who is present now, against the meeting's current set-up.
func (h *Hub) Attendance(ctx context.Context, meetingID string) (Attendance, error) {
	st, _, err := h.State(ctx, meetingID)
	return st.Attendance, err
}

func (h *Hub) speakers(ctx context.Context, meetingID, by string, fn func(s *Speakers) (bool, error)) (uint64, error) {
	return h.update(ctx, meetingID, SubjectSpeakers, TypeSpeakers, by, func(prev *Event) (change, error) {
		s, err := decode[Speakers](prev)
		if err != nil {
			return change{}, err
		}
		s.Queue = slices.Clone(s.Queue)
		changed, err := fn(&s)
		if err != nil || !changed {
			return change{}, err
		}
		if s.Queue == nil {
			s.Queue = []string{}
		}
		return change{payload: s, record: true, zero: Speakers{Queue: []string{}}}, nil
	})
}

func (h *Hub) delegate(ctx context.Context, meetingID, userID string) error {
	m, err := h.meeting(ctx, meetingID)
	if err != nil {
		return err
	}
	if !m.HasRole(userID, phonghop.RoleDelegate) {
		return phonghop.Fail(phonghop.EForbidden, "speak_delegates_only")
	}
	return nil
}

// RequestToSpeak puts a delegate at the end of the speakers' queue.
func (h *Hub) RequestToSpeak(ctx context.Context, meetingID, userID string) (uint64, error) {
	if err := h.delegate(ctx, meetingID, userID); err != nil {
		return 0, err
	}
	if err := h.allowOwnChange(meetingID, userID); err != nil {
		return 0, err
	}
	return h.speakers(ctx, meetingID, userID, func(s *Speakers) (bool, error) {
		if (s.Current != nil && *s.Current == userID) || slices.Contains(s.Queue, userID) {
			return false, nil
		}
		s.Queue = append(s.Queue, userID)
		return true, nil
	})
}

// Withdraw takes a delegate out of the queue, or ends the caller's own speech:
// anyone the chair gave the floor to (a guest, the secretary) may finish it.
func (h *Hub) Withdraw(ctx context.Context, meetingID, userID string) (uint64, error) {
	m, err := h.meeting(ctx, meetingID)
	if err != nil {
		return 0, err
	}
	delegate := m.HasRole(userID, phonghop.RoleDelegate)
	if _, ok := m.Participant(userID); !ok {
		return 0, phonghop.Fail(phonghop.EForbidden, "speak_delegates_only")
	}
	if err := h.allowOwnChange(meetingID, userID); err != nil {
		return 0, err
	}
	return h.speakers(ctx, meetingID, userID, func(s *Speakers) (bool, error) {
		changed := false
		if s.Current != nil && *s.Current == userID {
			s.Current, s.Since, changed = nil, nil, true
		} else if !delegate {
			return false, phonghop.Fail(phonghop.EForbidden, "speak_delegates_only")
		}
		if i := slices.Index(s.Queue, userID); i >= 0 {
			s.Queue, changed = slices.Delete(s.Queue, i, i+1), true
		}
		return changed, nil
	})
}

func (h *Hub) chair(ctx context.Context, meetingID string, by phonghop.User) (*phonghop.Meeting, error) {
	m, err := h.meeting(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	if !m.HasRole(by.ID, phonghop.RoleChair) {
		return nil, phonghop.Fail(phonghop.EForbidden, "chair_only_floor")
	}
	return m, nil
}

// GiveFloor (chair) gives the floor to a participant, taking them out of the
// queue; userID "" ends the current speech.
func (h *Hub) GiveFloor(ctx context.Context, meetingID string, by phonghop.User, userID string) (uint64, error) {
	m, err := h.chair(ctx, meetingID, by)
	if err != nil {
		return 0, err
	}
	if _, ok := m.Participant(userID); userID != "" && !ok {
		return 0, phonghop.Fail(phonghop.EInvalid, "user_not_participant")
	}
	return h.speakers(ctx, meetingID, by.ID, func(s *Speakers) (bool, error) {
		if userID == "" {
			if s.Current == nil {
				return false, nil
			}
			s.Current, s.Since = nil, nil
			return true, nil
		}
		if s.Current != nil && *s.Current == userID {
			return false, nil
		}
		s.Queue = slices.DeleteFunc(s.Queue, func(id string) bool { return id == userID })
		now := time.Now().UTC()
		s.Current, s.Since = &userID, &now
		return true, nil
	})
}

// NextSpeaker (chair) gives the floor to the first in the queue; an empty queue
// is a conflict.
func (h *Hub) NextSpeaker(ctx context.Context, meetingID string, by phonghop.User) (uint64, error) {
	if _, err := h.chair(ctx, meetingID, by); err != nil {
		return 0, err
	}
	return h.speakers(ctx, meetingID, by.ID, func(s *Speakers) (bool, error) {
		if len(s.Queue) == 0 {
			return false, phonghop.Fail(phonghop.EConflict, "queue_empty")
		}
		next := s.Queue[0]
		now := time.Now().UTC()
		s.Current, s.Since, s.Queue = &next, &now, s.Queue[1:]
		return true, nil
	})
}

var pollRank = map[string]int{phonghop.PollDraft: 0, phonghop.PollOpen: 1, phonghop.PollClosing: 2, phonghop.PollClosed: 3}

// PublishPoll sends the poll to the room (subject "poll.<id>"). A poll older
// than the one already sent (earlier state, or the same state with fewer
// ballots) is not sent again, so racing publishers never move the room back.
func (h *Hub) PublishPoll(ctx context.Context, meetingID string, p phonghop.Poll) (uint64, error) {
	if p.ID == "" {
		return 0, phonghop.Fail(phonghop.EInvalid, "poll_id_missing")
	}
	return h.update(ctx, meetingID, SubjectPollPrefix+p.ID, TypePoll, "", func(prev *Event) (change, error) {
		cur, err := decode[*phonghop.Poll](prev)
		if err != nil {
			return change{}, err
		}
		if cur != nil {
			rc, rp := pollRank[cur.State], pollRank[p.State]
			if rp < rc || (rp == rc && p.Cast < cur.Cast) || (rp == rc && rp == pollRank[phonghop.PollClosed]) {
				return change{}, nil
			}
		}
		return change{payload: p, record: true}, nil
	})
}

// State returns the room as it is at the returned seq, as everyone may see
// it (without the events that have an audience).
func (h *Hub) State(ctx context.Context, meetingID string) (State, uint64, error) {
	evs, last, err := h.cfg.Broker.Last(ctx, meetingID)
	if err != nil {
		return State{}, 0, h.brokerError(err)
	}
	m, err := h.meeting(ctx, meetingID)
	if err != nil {
		return State{}, 0, err
	}
	evs = slices.DeleteFunc(evs, func(ev Event) bool { return ev.Restricted })
	return stateOf(m, evs), last, nil
}

// stateOf folds the newest event of every subject into a State.
func stateOf(m *phonghop.Meeting, evs []Event) State {
	st := State{Speakers: Speakers{Queue: []string{}}, Polls: []json.RawMessage{}}
	var present []string
	var marks map[string]AttendanceMark
	var attendanceSeq uint64
	var polls []Event
	var setupSeq uint64
	for i := range evs {
		ev := &evs[i]
		switch {
		case ev.Subject == SubjectPresentation:
			if p, err := decode[*Presentation](ev); err == nil {
				st.Presentation = p
			}
		case ev.Subject == SubjectAttendance:
			if a, err := decode[Attendance](ev); err == nil {
				present, marks, attendanceSeq = a.Present, a.Marks, ev.Seq
			}
		case ev.Subject == SubjectSession:
			if s, err := decode[Session](ev); err == nil {
				st.Session = s
			}
		case ev.Subject == SubjectSpeakers:
			if s, err := decode[Speakers](ev); err == nil {
				if s.Queue == nil {
					s.Queue = []string{}
				}
				st.Speakers = s
			}
		case strings.HasPrefix(ev.Subject, SubjectPollPrefix):
			polls = append(polls, *ev)
		case ev.Subject == SubjectSetup || ev.Subject == SubjectSetupRestricted:
			// The newest of the two the client may see: its revision is
			// the meeting's newest the client need reload for.
			if ev.Seq > setupSeq {
				st.Setup, setupSeq = ev.Payload, ev.Seq
			}
		case ev.Subject == SubjectNotice:
			if n, err := decode[*Notice](ev); err == nil {
				st.Notice = n
			}
		}
	}
	st.Attendance = attendanceOf(m, present, marks)
	st.Attendance.Seq = attendanceSeq
	// Oldest poll first, so a tablet's list does not reorder as ballots come in.
	created := make(map[uint64]time.Time, len(polls))
	for _, ev := range polls {
		var p struct {
			CreatedAt time.Time `json:"createdAt"`
		}
		json.Unmarshal(ev.Payload, &p)
		created[ev.Seq] = p.CreatedAt
	}
	sort.SliceStable(polls, func(a, b int) bool {
		ca, cb := created[polls[a].Seq], created[polls[b].Seq]
		if !ca.Equal(cb) {
			return ca.Before(cb)
		}
		return polls[a].Subject < polls[b].Subject
	})
	for _, ev := range polls {
		st.Polls = append(st.Polls, ev.Payload)
	}
	return st
}
