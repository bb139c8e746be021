package live

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/phonghop/phonghop"
)

// A room's snapshot is the same for every socket connecting at one seq, and
// with thousands of participants building and encoding it is the costly part
// of a connect. Each room keeps the encoded state of its newest seq, shared by
// the sockets connecting at that seq; a socket that reads an older seq builds
// its own. The snapshot depends on the events, the meeting's set-up and what
// the viewer may see, so an entry is keyed by the seq, the meeting (the shared,
// read-only copy the meeting source hands out, a new one after every change)
// and the viewer's audience key (which restricted events they see).

// maxSnapshotVariants bounds the audience variants kept for one seq; past it
// a snapshot is built for the socket alone.
const maxSnapshotVariants = 16

type snapshotCache struct {
	mu       sync.Mutex
	seq      uint64
	meeting  *phonghop.Meeting
	variants map[string]*snapshotEntry
}

type snapshotEntry struct {
	done  chan struct{}
	state []byte // the encoded State
	err   error
}

// stateSubject reports whether the subject's newest event is part of the
// room's state (see stateOf); a document's news is not, nor a consultation's.
func stateSubject(subject string) bool {
	return !newsSubject(subject)
}

// audienceKey names what of evs the user may see, as far as the state goes:
// "" when every event of the state is for everyone (the usual case), else the
// seqs of the restricted ones the user may see.
func audienceKey(evs []Event, userID string) string {
	var seen []uint64
	restricted := false
	for i := range evs {
		ev := &evs[i]
		if !ev.Restricted || !stateSubject(ev.Subject) {
			continue
		}
		restricted = true
		if ev.For(userID) {
			seen = append(seen, ev.Seq)
		}
	}
	if !restricted {
		return ""
	}
	slices.Sort(seen)
	b := []byte{'r'}
	for _, s := range seen {
		b = append(b, ',')
		b = strconv.AppendUint(b, s, 10)
	}
	return string(b)
}

// visibleTo returns the events of evs the user may receive (evs itself when
// all of them).
func visibleTo(evs []Event, userID string) []Event {
	all := true
	for i := range evs {
		if !evs[i].For(userID) {
			all = false
			break
		}
	}
	if all {
		return evs
	}
	out := make([]Event, 0, len(evs))
	for _, ev := range evs {
		if ev.For(userID) {
			out = append(out, ev)
		}
	}
	return out
}

// encodeState builds and encodes the room's state as the user may see it.
func encodeState(m *phonghop.Meeting, evs []Event, userID string) ([]byte, error) {
	return json.Marshal(stateOf(m, visibleTo(evs, userID)))
}

// state returns the encoded state at seq for the user, shared with every
// socket of the room asking for the same seq, meeting and audience.
func (c *snapshotCache) state(ctx context.Context, m *phonghop.Meeting, evs []Event, seq uint64, userID string) ([]byte, error) {
	key := audienceKey(evs, userID)
	c.mu.Lock()
	if seq > c.seq || (seq == c.seq && m != c.meeting) {
		c.seq, c.meeting, c.variants = seq, m, map[string]*snapshotEntry{}
	}
	if seq != c.seq || m != c.meeting {
		c.mu.Unlock() // an older seq than the room's newest: build it alone
		return encodeState(m, evs, userID)
	}
	e := c.variants[key]
	if e == nil {
		if len(c.variants) >= maxSnapshotVariants {
			c.mu.Unlock()
			return encodeState(m, evs, userID)
		}
		e = &snapshotEntry{done: make(chan struct{})}
		c.variants[key] = e
		c.mu.Unlock()
		e.state, e.err = encodeState(m, evs, userID)
		close(e.done)
		if e.err != nil {
			c.mu.Lock()
			if c.variants != nil && c.variants[key] == e {
				delete(c.variants, key)
			}
			c.mu.Unlock()
		}
		return e.state, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.state, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// snapshotFrame carries the server's clock too: a tablet times the current
// speech from the server's start time, not from its own clock. The clock is
// read per socket; only the state is shared.
func snapshotFrame(seq uint64, state []byte) []byte {
	now, _ := time.Now().UTC().MarshalJSON()
	b := make([]byte, 0, len(state)+len(now)+64)
	b = append(b, `{"type":"snapshot","seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"time":`...)
	b = append(b, now...)
	b = append(b, `,"state":`...)
	b = append(b, state...)
	return append(b, '}')
}
