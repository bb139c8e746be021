package server

import (
	"strings"
	"sync"
	"time"
)

// loginLimiter locks out a username (and, more loosely, an address) after
// repeated failed sign-ins, so passwords cannot be guessed at speed. It is per
// process: behind a balancer each node counts on its own, which still bounds
// guessing to a few tries a minute per node.
type loginLimiter struct {
	mu      sync.Mutex
	entries map[string]*loginEntry
	now     func() time.Time
	// MaxFailures within Window lock the key for Lockout.
	maxUser, maxAddr int
	window, lockout  time.Duration
}

type loginEntry struct {
	failures    int
	first       time.Time
	lockedUntil time.Time
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{entries: map[string]*loginEntry{}, now: time.Now,
		maxUser: 5, maxAddr: 50, window: 5 * time.Minute, lockout: 5 * time.Minute}
}

func (l *loginLimiter) keys(addr, user string) (string, string) {
	return "u:" + strings.ToLower(strings.TrimSpace(user)), "a:" + addr
}

func (l *loginLimiter) allow(addr, user string) bool {
	ku, ka := l.keys(addr, user)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range []string{ku, ka} {
		if e := l.entries[k]; e != nil && now.Before(e.lockedUntil) {
			return false
		}
	}
	return true
}

func (l *loginLimiter) fail(addr, user string) {
	ku, ka := l.keys(addr, user)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.entries) > 100_000 { // bound memory under a spray of usernames
		for k, e := range l.entries {
			if now.Sub(e.first) > l.window && now.After(e.lockedUntil) {
				delete(l.entries, k)
			}
		}
	}
	for _, kv := range []struct {
		k   string
		max int
	}{{ku, l.maxUser}, {ka, l.maxAddr}} {
		e := l.entries[kv.k]
		if e == nil || now.Sub(e.first) > l.window {
			e = &loginEntry{first: now}
			l.entries[kv.k] = e
		}
		e.failures++
		if e.failures >= kv.max {
			e.lockedUntil = now.Add(l.lockout)
			e.failures = 0
			e.first = now
		}
	}
}

func (l *loginLimiter) succeed(addr, user string) {
	ku, _ := l.keys(addr, user)
	l.mu.Lock()
	delete(l.entries, ku)
	l.mu.Unlock()
}
