package live

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"
)

// Every attendance change is one event, durable in the journal before it is
// acknowledged, and the writers of the subject take turns (subjectlock.go):
// in a check-in wave the journal write of each check-in, one after the
// other, and one frame per check-in to every socket, bound how fast the room
// can take them (717 of 2,000 check-ins answered within 60 s). So the
// check-ins and check-outs that arrive while one is being written wait
// together, and the next turn takes all of them as one event (one journal
// entry, one frame per socket, its delta naming everyone in it). Each caller
// is answered with the seq of the event that holds its change.

// attendReq is one check-in or check-out waiting for its turn.
type attendReq struct {
	userID string
	in     bool
	mark   *AttendanceMark // nil: the user's own
	by     string

	done chan struct{} // closed once seq and err are set
	seq  uint64
	err  error
}

// attendQueues holds the requests waiting, by meeting.
type attendQueues struct {
	mu      sync.Mutex
	pending map[string][]*attendReq
}

// batchTimeout bounds a turn made for several callers: it runs detached from
// the one caller whose turn it is, since the others wait for it too.
const batchTimeout = 30 * time.Second

// do waits for r's change to be made, by this caller's turn or by another's
// that took it along.
func (q *attendQueues) do(ctx context.Context, h *Hub, meetingID string, r *attendReq) (uint64, error) {
	r.done = make(chan struct{})
	q.mu.Lock()
	if q.pending == nil {
		q.pending = map[string][]*attendReq{}
	}
	q.pending[meetingID] = append(q.pending[meetingID], r)
	q.mu.Unlock()

	unlock, err := h.subjects.lock(ctx, meetingID, SubjectAttendance)
	if err != nil {
		if q.withdraw(meetingID, r) {
			return 0, h.brokerError(err)
		}
		<-r.done // taken along by a turn under way: its outcome stands
		return r.seq, r.err
	}
	defer unlock()
	select {
	case <-r.done: // made by the turn before
		return r.seq, r.err
	default:
	}
	q.mu.Lock()
	batch := q.pending[meetingID]
	delete(q.pending, meetingID)
	q.mu.Unlock()

	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
	seq, err := h.attendLocked(bctx, meetingID, batch)
	cancel()
	for _, b := range batch {
		b.seq, b.err = seq, err
		close(b.done)
	}
	return r.seq, r.err
}

// withdraw takes r out of the queue; false when a turn took it already.
func (q *attendQueues) withdraw(meetingID string, r *attendReq) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	list := q.pending[meetingID]
	i := slices.Index(list, r)
	if i < 0 {
		return false
	}
	list = slices.Delete(list, i, i+1)
	if len(list) == 0 {
		delete(q.pending, meetingID)
	} else {
		q.pending[meetingID] = list
	}
	return true
}

// attendLocked makes the batch's changes, in the order they came, as one
// attendance event (none when they change nothing), with the subject's turn
// held.
func (h *Hub) attendLocked(ctx context.Context, meetingID string, batch []*attendReq) (uint64, error) {
	m, err := h.meeting(ctx, meetingID)
	if err != nil {
		return 0, err
	}
	by := batch[0].by
	for _, r := range batch[1:] {
		if r.by != by {
			by = "" // several people's changes
			break
		}
	}
	return h.updateLocked(ctx, meetingID, SubjectAttendance, TypeAttendance, by, func(prev *Event) (change, error) {
		cur, err := decode[Attendance](prev)
		if err != nil {
			return change{}, err
		}
		present := slices.Clone(cur.Present)
		here := make(map[string]bool, len(present)+len(batch))
		for _, id := range present {
			here[id] = true
		}
		marks := maps.Clone(cur.Marks)
		changed := false
		for _, r := range batch {
			// Users' own check-in or check-out that changes nothing keeps a
			// mark made for them; one that changes their presence clears it.
			same := here[r.userID] == r.in
			old, marked := marks[r.userID]
			if same && (r.mark == nil || (marked && old.Present == r.mark.Present && old.Reason == r.mark.Reason)) {
				continue
			}
			changed = true
			if !same {
				if r.in {
					present = append(present, r.userID)
				} else {
					present = slices.DeleteFunc(present, func(s string) bool { return s == r.userID })
				}
				here[r.userID] = r.in
			}
			if r.mark != nil {
				if marks == nil {
					marks = map[string]AttendanceMark{}
				}
				marks[r.userID] = *r.mark
			} else {
				delete(marks, r.userID)
			}
		}
		if !changed {
			return change{}, nil
		}
		next := attendanceOf(m, present, marks)
		var prevSeq uint64
		if prev != nil {
			prevSeq = prev.Seq
		}
		return change{payload: next, record: true, zero: attendanceOf(m, nil, nil), delta: attendanceDelta(cur, prevSeq, next)}, nil
	})
}
