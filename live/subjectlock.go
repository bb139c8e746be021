package live

import (
	"context"
	"sync"
)

// A read-modify-write of a subject (update) that loses to another one reads,
// decodes and rebuilds the subject again, and then may lose again: 2,000
// check-ins within 10 s on one process made most of them retry until
// room_busy, each retry costing a decode and an encode of the whole present
// list. The writers of one subject on one process therefore take turns; the
// expectation still guards against other processes (NATS), where conflicts
// stay possible and are retried as before.

// subjectLocks hands out one turn per meeting and subject at a time.
type subjectLocks struct {
	mu    sync.Mutex
	turns map[string]*subjectTurn
}

type subjectTurn struct {
	ch      chan struct{} // holds a token while someone has the turn
	waiters int           // holders and waiters; the entry goes at 0
}

// lock waits for the turn on meetingID's subject, or for ctx to end; unlock
// gives it up.
func (l *subjectLocks) lock(ctx context.Context, meetingID, subject string) (unlock func(), err error) {
	key := meetingID + "\x00" + subject
	l.mu.Lock()
	if l.turns == nil {
		l.turns = map[string]*subjectTurn{}
	}
	t := l.turns[key]
	if t == nil {
		t = &subjectTurn{ch: make(chan struct{}, 1)}
		l.turns[key] = t
	}
	t.waiters++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		if t.waiters--; t.waiters == 0 {
			delete(l.turns, key)
		}
		l.mu.Unlock()
	}
	select {
	case t.ch <- struct{}{}:
		return func() { <-t.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
