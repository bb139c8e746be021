package server

import (
	"log/slog"
	"sync"
	"time"
)

// signInThrottle slows password guessing without locking anyone out. Attempts
// are counted per (account, client): the client is the browser's device token
// when it has signed in as that account before (a known-good client), else its
// address. A key's first freeFailures attempts go straight through; after that
// each needs a wait that doubles with every failure (1 s, 2 s, 4 s … at most
// maxWait). Someone guessing at the chair's account from one address slows
// only themselves: the chair's own tablet, and anyone at another address,
// signs in with the right password at once, and no count spans accounts.
//
// An attempt is reserved before the password is checked (bcrypt takes tens of
// milliseconds): simultaneous guesses each take a slot in turn, so at most
// freeFailures reach bcrypt together, never any number. The right password
// clears the key; a failure that is not the password's (the store down) gives
// the slot back.
//
// It is per process: behind a balancer each node counts on its own, which
// still bounds guessing to a few tries per wait per node.
type signInThrottle struct {
	mu      sync.Mutex
	entries map[string]*attempts
	now     func() time.Time
	log     *slog.Logger

	freeFailures int
	baseWait     time.Duration
	maxWait      time.Duration
	forgetAfter  time.Duration // a key idle this long starts afresh
}

type attempts struct {
	failures int       // attempts reserved and not cleared by a success
	next     time.Time // the earliest the next attempt may start
	last     time.Time
}

func newSignInThrottle(log *slog.Logger) *signInThrottle {
	return &signInThrottle{entries: map[string]*attempts{}, now: time.Now, log: log,
		freeFailures: 3, baseWait: time.Second, maxWait: 15 * time.Minute, forgetAfter: time.Hour}
}

// outcome of a reserved attempt.
type outcome int

const (
	signedIn    outcome = iota // the right password: the key starts afresh
	wrongSecret                // counted
	notCounted                 // the check itself failed (the store down): slot given back
)

// wait is the time a key must wait after failures counted.
func (t *signInThrottle) wait(failures int) time.Duration {
	if failures < t.freeFailures {
		return 0
	}
	d := t.baseWait
	for i := t.freeFailures; i < failures && d < t.maxWait; i++ {
		d *= 2
	}
	return min(d, t.maxWait)
}

// reserve takes an attempt for key (account and client), or says how long to
// wait before one. who describes the client for the log.
func (t *signInThrottle) reserve(account, client, who string) (done func(outcome), retryAfter time.Duration) {
	key := account + "\x00" + client
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.entries) > 100_000 { // bound memory under a spray of usernames
		for k, e := range t.entries {
			if now.Sub(e.last) > t.forgetAfter {
				delete(t.entries, k)
			}
		}
	}
	e := t.entries[key]
	if e != nil && now.Sub(e.last) > t.forgetAfter && !now.Before(e.next) {
		e = nil
	}
	if e == nil {
		e = &attempts{}
		t.entries[key] = e
	}
	if now.Before(e.next) {
		return nil, e.next.Sub(now)
	}
	e.failures++
	e.last = now
	w := t.wait(e.failures)
	e.next = now.Add(w)
	if w > 0 && (e.failures == t.freeFailures || e.failures%5 == 0) {
		t.log.Warn("sign-in slowed: repeated failures for one account from one client", "account", account,
			"client", who, "failures", e.failures, "wait", w.String())
	}
	return func(o outcome) {
		t.mu.Lock()
		defer t.mu.Unlock()
		cur := t.entries[key]
		if cur != e {
			return
		}
		switch o {
		case signedIn:
			delete(t.entries, key)
		case notCounted:
			e.failures = max(e.failures-1, 0)
			e.next = t.now().Add(t.wait(e.failures))
		}
	}, 0
}
