package vote

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// Turnout while a poll is open is a sharded counter: each process counts the
// ballots it acknowledged and writes the count to its own object
// (turnout/{process}.json, one writer, so no contention); the poll's Cast is the
// sum of the shards, raised on the record with compare-and-swap at most once per
// TurnoutInterval per process. With 2,000 delegates voting at once this costs a
// few requests per interval instead of 2,000 contended swaps or listings of
// 2,000 ballots. Acknowledged ballots are always counted, so the sum never
// exceeds the final tally.

func turnoutPrefix(mid, pid string) string { return pollPrefix(mid, pid) + "turnout/" }

type shard struct {
	Acks int `json:"acks"`
}

type turnout struct {
	// flush serialises this process's updates of one poll, so its publishes
	// never go backwards.
	flush   sync.Mutex
	mu      sync.Mutex
	acks    int
	pending bool
	last    time.Time
}

func (s *Service) interval() time.Duration {
	if s.TurnoutInterval > 0 {
		return s.TurnoutInterval
	}
	return 200 * time.Millisecond
}

func (s *Service) procName() string {
	s.procOnce.Do(func() {
		b := make([]byte, 8)
		_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
		s.proc = hex.EncodeToString(b)
	})
	return s.proc
}

// noteBallot counts an acknowledged ballot and schedules a turnout update
// unless one is already due.
func (s *Service) noteBallot(mid, pid string) {
	v, _ := s.turnouts.LoadOrStore(pollRef(mid, pid), &turnout{})
	t := v.(*turnout)
	t.mu.Lock()
	t.acks++
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
		// Cleared before writing: a ballot acknowledged meanwhile schedules the
		// next update, so the last count is never lost.
		t.pending = false
		t.last = time.Now()
		t.mu.Unlock()
		t.flush.Lock()
		defer t.flush.Unlock()
		t.mu.Lock()
		acks := t.acks
		t.mu.Unlock()
		s.updateTurnout(mid, pid, acks)
	})
}

// updateTurnout writes this process's shard, sums all shards and raises the
// poll's Cast to the sum.
func (s *Service) updateTurnout(mid, pid string, acks int) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := s.sumTurnout(ctx, mid, pid, acks)
	if err != nil {
		s.log().Warn("vote: turnout", "meeting", mid, "poll", pid, "err", err)
		return
	}
	changed := false
	r, err := s.update(ctx, mid, pid, func(r *record) error {
		// Only upwards and only while open: another process may have written a
		// newer sum, and the close writes the final count.
		changed = r.State == phonghop.PollOpen && n > r.Cast
		if !changed {
			return storage.ErrStop
		}
		r.Cast = n
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

func (s *Service) sumTurnout(ctx context.Context, mid, pid string, acks int) (int, error) {
	prefix := turnoutPrefix(mid, pid)
	if _, err := storage.PutJSON(ctx, s.Store, prefix+s.procName()+".json", shard{Acks: acks}, storage.PutOptions{}); err != nil {
		return 0, err
	}
	infos, err := s.Store.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	sum := 0
	for _, in := range infos {
		var sh shard
		if _, err := storage.GetJSON(ctx, s.Store, in.Key, &sh); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return 0, err
		}
		sum += sh.Acks
	}
	return sum, nil
}
