package vote

import (
	"context"
	"sync"
	"time"
)

// call is one operation whose result several goroutines share.
type call[T any] struct {
	done chan struct{}
	v    T
	err  error
}

// shared runs fn once for all goroutines that ask for key while it runs: when
// 2,000 delegates vote at the same moment, one process reads the poll once, not
// 2,000 times. fn runs detached from any one caller's context, bounded by limit;
// each caller still stops waiting when its own context ends.
func shared[T any](ctx context.Context, m *sync.Map, key string, limit time.Duration, fn func(context.Context) (T, error)) (T, error) {
	c := &call[T]{done: make(chan struct{})}
	if v, loaded := m.LoadOrStore(key, c); loaded {
		c = v.(*call[T])
	} else {
		go func() {
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
			defer cancel()
			c.v, c.err = fn(fctx)
			m.Delete(key)
			close(c.done)
		}()
	}
	select {
	case <-c.done:
		return c.v, c.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// rereader batches the reads of a poll record that casters make after writing
// their ballot. A caster may only use a read that starts after its write ended,
// so a caster joins the batch whose read has not started yet; while one read
// runs, the next batch gathers. At most one read per poll per process is in
// flight, however many ballots arrive.
type rereader struct {
	mu      sync.Mutex
	next    *call[record]
	running bool
}

// reread returns the poll record as read by a GET that started after the call.
func (s *Service) reread(ctx context.Context, mid, pid string) (record, error) {
	v, _ := s.rereaders.LoadOrStore(pollRef(mid, pid), &rereader{})
	rr := v.(*rereader)
	rr.mu.Lock()
	if rr.next == nil {
		rr.next = &call[record]{done: make(chan struct{})}
	}
	c := rr.next
	if !rr.running {
		rr.running = true
		go s.runRereads(rr, mid, pid)
	}
	rr.mu.Unlock()
	select {
	case <-c.done:
		return c.v, c.err
	case <-ctx.Done():
		return record{}, ctx.Err()
	}
}

func (s *Service) runRereads(rr *rereader, mid, pid string) {
	for {
		rr.mu.Lock()
		c := rr.next
		if c == nil {
			rr.running = false
			rr.mu.Unlock()
			return
		}
		// Closed to joiners before the read starts: every joiner's ballot write
		// ended before this GET begins.
		rr.next = nil
		rr.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c.v, _, c.err = s.read(ctx, mid, pid)
		cancel()
		close(c.done)
	}
}
