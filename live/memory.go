package live

import (
	"context"
	"errors"
	"sync"
)

// MemoryBroker is the in-process Broker: one process, events kept in memory. The
// newest event of every subject is kept for the meeting's life; a ring of the
// most recent events serves Since.
type MemoryBroker struct {
	size int

	// Restore, when set, gives a meeting's newest event per subject and last seq
	// the first time the meeting is used in this process, so that after a
	// restart the sequence continues instead of starting again at 1 (the
	// journal keys entries by seq) and the room's state is back. Set it before
	// first use; RestoreFromJournal builds one.
	Restore func(ctx context.Context, meetingID string) (latest []Event, seq uint64, err error)

	mu       sync.Mutex
	closed   bool
	meetings map[string]*memMeeting
}

type memMeeting struct {
	mu       sync.Mutex
	restored bool
	base     uint64 // the seq restored at start; the ring holds events after it
	seq      uint64
	last     map[string]Event // newest event by subject
	ring     []Event          // ring[(seq-1)%size] holds the event with that seq
	subs     map[uint64]func(Event)
	nextSub  uint64
}

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
	m := b.meetings[id]
	if m == nil {
		m = &memMeeting{last: make(map[string]Event), subs: make(map[uint64]func(Event))}
		b.meetings[id] = m
	}
	return m, nil
}

// ready restores m once, with m.mu held.
func (b *MemoryBroker) ready(ctx context.Context, id string, m *memMeeting) error {
	if m.restored {
		return nil
	}
	if b.Restore != nil {
		latest, seq, err := b.Restore(ctx, id)
		if err != nil {
			return err
		}
		for _, ev := range latest {
			m.last[ev.Subject] = ev
		}
		m.seq, m.base = seq, seq
	}
	m.restored = true
	return nil
}

// Append implements Broker. Subscribers are called before it returns, under the
// meeting's lock, which is what keeps them in seq order.
func (b *MemoryBroker) Append(ctx context.Context, meetingID string, ev Event, expectSubjectSeq int64) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m, err := b.meeting(meetingID)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := b.ready(ctx, meetingID, m); err != nil {
		return 0, err
	}
	if expectSubjectSeq >= 0 && int64(m.last[ev.Subject].Seq) != expectSubjectSeq {
		return 0, ErrConflict
	}
	m.seq++
	ev.Seq = m.seq
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

// Last implements Broker.
func (b *MemoryBroker) Last(ctx context.Context, meetingID string) ([]Event, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	m, err := b.meeting(meetingID)
	if err != nil {
		return nil, 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := b.ready(ctx, meetingID, m); err != nil {
		return nil, 0, err
	}
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
	m, err := b.meeting(meetingID)
	if err != nil {
		return nil, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := b.ready(ctx, meetingID, m); err != nil {
		return nil, false, err
	}
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
	m, err := b.meeting(meetingID)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.nextSub++
	id := m.nextSub
	m.subs[id] = fn
	m.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			delete(m.subs, id)
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
