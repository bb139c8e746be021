package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phonghop/phonghop/journal"
)

// MemoryBroker is the in-process Broker: one process, events kept in memory. The
// newest event of every subject is kept while the meeting is in use; a ring of
// the most recent events serves Since. With Restore and Journal set, a meeting
// nobody has used or subscribed to for EvictIdle is forgotten, and restored
// from the journal when it is used again.
type MemoryBroker struct {
	size int

	// Restore, when set, gives a meeting's newest event per subject and last seq
	// the first time the meeting is used in this process, so that after a
	// restart the sequence continues instead of starting again at 1 (the
	// journal keys entries by seq) and the room's state is back. Set it before
	// first use; RestoreFromJournal builds one.
	Restore func(ctx context.Context, meetingID string) (latest []Event, seq uint64, err error)

	// Journal, when set, makes events durable before anyone sees them: every
	// event marked Record is written to it before it is delivered or its seq
	// returned, and seqs are reserved in it ReserveBlock at a time (a
	// high-water mark Restore starts above, so a seq a tablet holds, say of a
	// page turn, which is not journaled, is never handed out again after a
	// restart). A write that fails makes Append fail with ErrNotRecorded:
	// nothing is delivered and the seq stays unused. With one process the
	// journal is the only durable copy of the room.
	Journal JournalWriter

	// EvictIdle is how long a meeting without subscribers stays in memory
	// after its last use, when Restore and Journal are set (it is then
	// restored as after a restart; a tablet's since from before gets a
	// snapshot). 0: 15 minutes; < 0: never.
	EvictIdle time.Duration

	mu       sync.Mutex
	closed   bool
	meetings map[string]*memMeeting
	swept    time.Time
}

// restoreTimeout bounds one restore, whoever is waiting for it.
const restoreTimeout = time.Minute

// restoreRound is one attempt to restore a meeting; every caller that comes
// while it runs waits for it and shares its outcome.
type restoreRound struct {
	done chan struct{}
	err  error
}

type memMeeting struct {
	// mu is taken for reading by Last and Since: every socket that connects
	// calls them, and a reconnect storm's thousands of sockets of one meeting
	// queued on an exclusive lock one behind the other.
	mu       sync.RWMutex
	restored bool
	round    *restoreRound // the restore under way, if any
	evicted  bool          // forgotten: look the meeting up again
	used     atomic.Int64  // unix nanoseconds of the last use (readers set it too)
	base     uint64        // the seq restored at start; the ring holds events after it
	seq      uint64
	reserved uint64           // seqs up to this one are reserved in the store
	last     map[string]Event // newest event by subject
	ring     []Event          // ring[(seq-1)%size] holds the event with that seq
	subs     map[uint64]func(Event)
	nextSub  uint64
}

// JournalWriter is what MemoryBroker needs of the journal; *journal.Journal
// satisfies it.
type JournalWriter interface {
	// Write records e at e.Seq, replacing anything there: the broker owns the
	// meeting's seqs, so an entry already there was left by a failed write.
	Write(ctx context.Context, meetingID string, e journal.Entry) error
	Remove(ctx context.Context, meetingID string, seq uint64) error
	// Reserve raises the meeting's high-water mark of seqs to through.
	Reserve(ctx context.Context, meetingID string, through uint64) error
}

// ReserveBlock is how many seqs one Reserve makes available: one store write
// per ReserveBlock events, and a restart skips at most this many seqs.
const ReserveBlock = 64

// recordTimeout bounds the writes that make an event durable (the journal
// entry, a seq reservation), retries included. They run on a context detached
// from the caller's, so a tablet that hangs up does not cut them short.
var recordTimeout = 5 * time.Second

// DefaultBuffer is the number of recent events a MemoryBroker keeps per meeting
// when NewMemoryBroker is given 0 or less.
const DefaultBuffer = 1024

// NewMemoryBroker returns a broker keeping the last bufferPerMeeting events of
// each meeting for Since (DefaultBuffer when <= 0).
func NewMemoryBroker(bufferPerMeeting int) *MemoryBroker {
	if bufferPerMeeting <= 0 {
		bufferPerMeeting = DefaultBuffer
	}
	return &MemoryBroker{size: bufferPerMeeting, meetings: make(map[string]*memMeeting)}
}

var errBrokerClosed = errors.New("live: broker closed")

func (b *MemoryBroker) meeting(id string) (*memMeeting, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errBrokerClosed
	}
	if idle := b.evictIdle(); idle > 0 {
		if now := time.Now(); now.Sub(b.swept) > idle/4 {
			b.swept = now
			b.sweepLocked(now, idle)
		}
	}
	m := b.meetings[id]
	if m == nil {
		m = &memMeeting{last: make(map[string]Event), subs: make(map[uint64]func(Event))}
		b.meetings[id] = m
	}
	return m, nil
}

func (b *MemoryBroker) evictIdle() time.Duration {
	if b.Restore == nil || b.Journal == nil || b.EvictIdle < 0 {
		return 0 // nothing to restore it from, or the seq could be reused
	}
	if b.EvictIdle == 0 {
		return 15 * time.Minute
	}
	return b.EvictIdle
}

// sweepLocked forgets the meetings idle for longer than idle, with b.mu held.
// A meeting busy right now (its lock taken) is left for the next sweep.
func (b *MemoryBroker) sweepLocked(now time.Time, idle time.Duration) {
	for id, m := range b.meetings {
		if !m.mu.TryLock() {
			continue
		}
		if m.restored && m.round == nil && len(m.subs) == 0 && now.Sub(time.Unix(0, m.used.Load())) > idle {
			m.evicted = true
			delete(b.meetings, id)
		}
		m.mu.Unlock()
	}
}

// use returns the meeting restored, locked and marked used. The restore runs
// once, outside the meeting's lock, with its own timeout: callers that come
// meanwhile wait for it (as long as their ctx allows) and share its outcome;
// after a failure the next caller starts a new one.
func (b *MemoryBroker) use(ctx context.Context, id string) (*memMeeting, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, err := b.meeting(id)
		if err != nil {
			return nil, err
		}
		m.mu.Lock()
		if m.evicted {
			m.mu.Unlock()
			continue
		}
		if m.restored || b.Restore == nil {
			m.restored = true
			m.used.Store(time.Now().UnixNano())
			return m, nil
		}
		r := m.round
		if r == nil {
			r = &restoreRound{done: make(chan struct{})}
			m.round = r
			go b.restore(id, m, r)
		}
		m.mu.Unlock()
		select {
		case <-r.done:
			if r.err != nil {
				return nil, r.err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// read is use for readers: the meeting restored, read-locked and marked
// used. A meeting not restored yet is restored the writers' way first.
func (b *MemoryBroker) read(ctx context.Context, id string) (*memMeeting, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, err := b.meeting(id)
		if err != nil {
			return nil, err
		}
		m.mu.RLock()
		if !m.evicted && (m.restored || b.Restore == nil) {
			m.used.Store(time.Now().UnixNano())
			return m, nil
		}
		m.mu.RUnlock()
		if m, err = b.use(ctx, id); err != nil {
			return nil, err
		}
		m.mu.Unlock()
	}
}

func (b *MemoryBroker) restore(id string, m *memMeeting, r *restoreRound) {
	ctx, cancel := context.WithTimeout(context.Background(), restoreTimeout)
	latest, seq, err := b.Restore(ctx, id)
	cancel()
	m.mu.Lock()
	if err == nil {
		// Nothing was appended meanwhile: appends wait for the restore.
		for _, ev := range latest {
			m.last[ev.Subject] = ev
		}
		m.seq, m.base, m.reserved = seq, seq, seq
		m.restored = true
	}
	m.round = nil
	r.err = err
	m.mu.Unlock()
	close(r.done)
}

// Append implements Broker. Subscribers are called before it returns, under the
// meeting's lock, which is what keeps them in seq order.
func (b *MemoryBroker) Append(ctx context.Context, meetingID string, ev Event, expectSubjectSeq int64) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m, err := b.use(ctx, meetingID)
	if err != nil {
		return 0, err
	}
	defer m.mu.Unlock()
	if expectSubjectSeq >= 0 && int64(m.last[ev.Subject].Seq) != expectSubjectSeq {
		return 0, ErrConflict
	}
	next := m.seq + 1
	if b.Journal != nil && next > m.reserved {
		through := m.seq + ReserveBlock
		if err := durably(ctx, func(ctx context.Context) error { return b.Journal.Reserve(ctx, meetingID, through) }); err != nil {
			return 0, fmt.Errorf("%w: reserving seqs: %w", ErrNotRecorded, err)
		}
		m.reserved = through
	}
	ev.Seq = next
	if ev.Record && b.Journal != nil {
		if err := durably(ctx, func(ctx context.Context) error { return b.Journal.Write(ctx, meetingID, entryOf(ev)) }); err != nil {
			// A write reported failed may still have landed: take it back, so
			// a restart does not show what nobody was told happened. (If this
			// fails too, the next event, which gets this seq, replaces it.)
			_ = b.Journal.Remove(context.WithoutCancel(ctx), meetingID, next)
			return 0, fmt.Errorf("%w: %w", ErrNotRecorded, err)
		}
	}
	m.seq = next
	m.last[ev.Subject] = ev
	if len(m.ring) < b.size { // grows to its bound, so quiet meetings stay small
		m.ring = append(m.ring, ev)
	} else {
		m.ring[(ev.Seq-m.base-1)%uint64(b.size)] = ev
	}
	for _, fn := range m.subs {
		fn(ev)
	}
	return ev.Seq, nil
}

// Records reports whether Append journals events itself (Journal is set).
func (b *MemoryBroker) Records() bool { return b.Journal != nil }

// durably runs write on a context detached from ctx (its values kept),
// bounded by recordTimeout, retrying a failure with a growing pause.
func durably(ctx context.Context, write func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	wait := 50 * time.Millisecond
	for {
		err := write(ctx)
		if err == nil {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
		wait = min(2*wait, time.Second)
	}
}

// entryOf is what the journal keeps of ev: its delta when it has one (an
// attendance change, not the whole list again), else its payload.
func entryOf(ev Event) journal.Entry {
	data := ev.Payload
	if len(ev.Delta) > 0 {
		data = ev.Delta
	}
	return journal.Entry{Seq: ev.Seq, Type: ev.Type, Time: ev.Time, By: ev.By, Data: data}
}

// Last implements Broker.
func (b *MemoryBroker) Last(ctx context.Context, meetingID string) ([]Event, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	m, err := b.read(ctx, meetingID)
	if err != nil {
		return nil, 0, err
	}
	defer m.mu.RUnlock()
	out := make([]Event, 0, len(m.last))
	for _, ev := range m.last {
		out = append(out, ev)
	}
	return out, m.seq, nil
}

// Since implements Broker.
func (b *MemoryBroker) Since(ctx context.Context, meetingID string, after uint64) ([]Event, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	m, err := b.read(ctx, meetingID)
	if err != nil {
		return nil, false, err
	}
	defer m.mu.RUnlock()
	if after >= m.seq {
		return nil, true, nil
	}
	oldest := m.base + 1 // events up to base were before this process
	if m.seq-m.base > uint64(b.size) {
		oldest = m.seq - uint64(b.size) + 1
	}
	if after+1 < oldest {
		return nil, false, nil
	}
	out := make([]Event, 0, m.seq-after)
	for s := after + 1; s <= m.seq; s++ {
		out = append(out, m.ring[(s-m.base-1)%uint64(b.size)])
	}
	return out, true, nil
}

// Subscribe implements Broker. fn runs on the appending goroutine.
func (b *MemoryBroker) Subscribe(ctx context.Context, meetingID string, fn func(Event)) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var m *memMeeting
	for {
		var err error
		if m, err = b.meeting(meetingID); err != nil {
			return nil, err
		}
		m.mu.Lock()
		if !m.evicted {
			break
		}
		m.mu.Unlock()
	}
	m.used.Store(time.Now().UnixNano())
	m.nextSub++
	id := m.nextSub
	m.subs[id] = fn
	m.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			delete(m.subs, id)
			m.used.Store(time.Now().UnixNano())
			m.mu.Unlock()
		})
	}, nil
}

// Ping implements Broker: nil until Close.
func (b *MemoryBroker) Ping(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errBrokerClosed
	}
	return ctx.Err()
}

// Close makes every later call fail.
func (b *MemoryBroker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}
