package live

import (
	"sync"
	"time"

	"github.com/phonghop/phonghop"
)

// ownChanges bounds the room changes a participant makes for themselves. The
// socket's token bucket is per connection, and the same changes also come as
// REST calls: one delegate checking in and out, or asking to speak and
// withdrawing, as fast as the server answered made hundreds of events a
// second, each journaled and sent to every tablet and the wall. One bucket
// per person and meeting, whatever the face.
type ownChanges struct {
	mu      sync.Mutex
	buckets map[string]*ownBucket
	calls   int
}

type ownBucket struct {
	tokens   float64
	refilled time.Time
}

// allowOwnChange takes a token from userID's bucket in meetingID, or refuses
// with too_many_messages (429).
func (h *Hub) allowOwnChange(meetingID, userID string) error {
	rate, burst := h.cfg.OwnChangesPerSecond, float64(h.cfg.OwnChangesBurst)
	now := time.Now()
	o := &h.own
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.buckets == nil {
		o.buckets = map[string]*ownBucket{}
	}
	// Full buckets hold nothing worth keeping: dropped now and then, so the
	// map holds only people who changed something in the last few seconds.
	if o.calls++; o.calls%1024 == 0 {
		for k, b := range o.buckets {
			if b.tokens+now.Sub(b.refilled).Seconds()*rate >= burst {
				delete(o.buckets, k)
			}
		}
	}
	key := meetingID + "/" + userID
	b := o.buckets[key]
	if b == nil {
		b = &ownBucket{tokens: burst}
		o.buckets[key] = b
	} else {
		b.tokens = min(burst, b.tokens+now.Sub(b.refilled).Seconds()*rate)
	}
	b.refilled = now
	if b.tokens < 1 {
		return phonghop.Fail(phonghop.ETooMany, "too_many_messages")
	}
	b.tokens--
	return nil
}
