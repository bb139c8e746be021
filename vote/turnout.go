package vote

import (
	"context"
	"sync"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// turnout coalesces the turnout updates of one poll in this process: with 2,000
// delegates voting at once, one listing per interval replaces 2,000 contended
// compare-and-swaps on the poll record.
type turnout struct {
	mu      sync.Mutex
	pending bool
	last    time.Time
}

func (s *Service) interval() time.Duration {
	if s.TurnoutInterval > 0 {
		return s.TurnoutInterval
	}
	return 200 * time.Millisecond
}

// noteBallot schedules a turnout update unless one is already due.
func (s *Service) noteBallot(mid, pid string) {
	v, _ := s.turnouts.LoadOrStore(pollRef(mid, pid), &turnout{})
	t := v.(*turnout)
	t.mu.Lock()
	if t.pending {
		t.mu.Unlock()
		return
	}
	t.pending = true
	delay := time.Until(t.last.Add(s.interval()))
	s.pending.Add(1)
	t.mu.Unlock()
	time.AfterFunc(max(delay, 0), func() {
		defer s.pending.Done()
		t.mu.Lock()
		// Cleared before listing: a ballot acknowledged during the listing
		// schedules the next update, so the last one is never missed.
		t.pending = false
		t.last = time.Now()
		t.mu.Unlock()
		s.updateTurnout(mid, pid)
	})
}

// updateTurnout counts the stored ballots and raises the poll's Cast to it.
func (s *Service) updateTurnout(mid, pid string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	infos, err := s.Store.List(ctx, ballotPrefix(mid, pid))
	if err != nil {
		s.log().Warn("vote: count ballots", "meeting", mid, "poll", pid, "err", err)
		return
	}
	n := len(infos)
	changed := false
	r, err := s.update(ctx, mid, pid, func(r *record) error {
		// Only upwards and only while open: another process may have written a
		// newer count, and the close writes the final one.
		if r.State != phonghop.PollOpen || r.Cast >= n {
			changed = false
			return storage.ErrStop
		}
		r.Cast = n
		changed = true
		return nil
	})
	if err != nil {
		s.log().Warn("vote: update turnout", "meeting", mid, "poll", pid, "err", err)
		return
	}
	if changed {
		s.publish(mid, r.Poll)
	}
}
