package live

import (
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// flusher writes the queues of clients with something to write, on a few
// goroutines (as many as the Go runtime runs at once), each queue in one
// system call that does not wait (client.tryWrite). An event for a room of
// 1,000 costs a handful of goroutine starts instead of 1,000, no write deadline
// (a runtime timer) per socket, and no allocation per write. A client whose
// socket cannot take its batch now is handed to a writer goroutine of its own
// (client.writeLoop), which waits for it up to the write timeout, so a slow
// tablet never holds up the others.
type flusher struct {
	mu      sync.Mutex
	ready   []*client // clients to flush, in turn, from head
	head    int
	running int // flusher goroutines running
	max     int

	writes   atomic.Int64 // batches written by flushers
	handoffs atomic.Int64 // clients handed to a writer goroutine of their own
}

// flushTake is how many clients a flusher takes from the list at once.
const flushTake = 32

// newFlusher runs as many flushers as the runtime runs goroutines at once:
// the write system call is most of the work, and on 2 cores one flusher
// leaves a 5,000-socket room 1.4× slower to reach (docs/performance.md).
func newFlusher() *flusher { return &flusher{max: max(1, runtime.GOMAXPROCS(0))} }

// add queues c, whose writer it becomes (c.writing is set, c.wg counts it),
// and starts a flusher goroutine if fewer than max run.
func (f *flusher) add(c *client) {
	f.mu.Lock()
	f.ready = append(f.ready, c)
	start := f.running < f.max
	if start {
		f.running++
	}
	f.mu.Unlock()
	if start {
		go f.work()
	}
}

// work flushes clients until the list is empty.
func (f *flusher) work() {
	var (
		take []*client
		fw   = flushWork{f: f, w: newRawWriter()}
	)
	for {
		f.mu.Lock()
		if f.head == len(f.ready) {
			f.ready, f.head = f.ready[:0], 0
			f.running--
			f.mu.Unlock()
			return
		}
		k := min(len(f.ready)-f.head, flushTake)
		take = append(take[:0], f.ready[f.head:f.head+k]...)
		clear(f.ready[f.head : f.head+k])
		f.head += k
		f.mu.Unlock()
		for _, c := range take {
			fw.flush(c)
		}
		clear(take)
		// Counted once per take, not per client: the counters are shared.
		f.writes.Add(fw.writes)
		f.handoffs.Add(fw.handoffs)
		fw.writes, fw.handoffs = 0, 0
	}
}

// flushWork is what one flusher goroutine reuses from client to client.
type flushWork struct {
	f                *flusher
	w                *rawWriter
	buf              net.Buffers // the frame list
	writes, handoffs int64       // since the last take
}

// flushRounds is how many batches a flusher writes for one client in a row
// before the others' turn.
const flushRounds = 4

// flush writes what c has queued, as its writer.
func (fw *flushWork) flush(c *client) {
	for range flushRounds {
		b, s := c.next(fw.buf)
		switch s {
		case stepStop:
			c.wg.Done()
			return
		case stepClose:
			code, reason := b.code, b.reason // b itself stays on the stack
			go func() {
				defer c.wg.Done()
				c.sendClose(code, reason)
			}()
			return
		}
		rest, locked, err := c.tryWrite(fw.w, b.frames)
		if err != nil {
			c.failWrite()
			c.wg.Done()
			return
		}
		if rest != nil {
			// The socket is full: a goroutine of its own waits for it.
			fw.handoffs++
			pending := b
			pending.frames = slices.Clone(rest)
			go c.writeLoop(&pending, locked)
			return
		}
		if len(b.frames) > 0 {
			fw.writes++
		}
		c.wrote(b)
		clear(b.frames) // hold no frame; keep the array for the next client
		fw.buf = b.frames[:0]
	}
	fw.f.add(c) // still more: after the others
}
