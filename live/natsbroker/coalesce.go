package natsbroker

import (
	"context"
	"sync"
)

// coalesced serves concurrent reads of one meeting with one request to NATS:
// when a thousand tablets reconnect at once they ask for the same room, and a
// request each made JetStream time out under the burst.
//
// A caller shares only a request that starts after it arrived, so its answer is
// as fresh as one of its own (the live hub relies on that: it subscribes a
// client before reading, and an older answer could miss an event in between).
// Callers arriving while a request runs wait for the next one, which then
// serves them all with their parameters merged.
type coalesced[P, R any] struct {
	mu     sync.Mutex
	groups map[string]*group[P, R]
}

type group[P, R any] struct {
	running bool
	next    *round[P, R] // callers waiting for the next request
}

type round[P, R any] struct {
	params []P
	done   chan struct{}
	res    R
	err    error
}

// do returns fn's answer for a round that started after the call; fn gets the
// parameters of every caller in its round. ctx only bounds the wait: the
// request runs on with its own context (from fnCtx) for the callers left.
func (c *coalesced[P, R]) do(ctx context.Context, key string, p P, fnCtx func() (context.Context, context.CancelFunc), fn func(ctx context.Context, params []P) (R, error)) (R, error) {
	c.mu.Lock()
	if c.groups == nil {
		c.groups = map[string]*group[P, R]{}
	}
	g := c.groups[key]
	if g == nil {
		g = &group[P, R]{}
		c.groups[key] = g
	}
	if g.next == nil {
		g.next = &round[P, R]{done: make(chan struct{})}
	}
	r := g.next
	r.params = append(r.params, p)
	if !g.running {
		c.startLocked(key, g, fnCtx, fn)
	}
	c.mu.Unlock()
	select {
	case <-r.done:
		return r.res, r.err
	case <-ctx.Done():
		var zero R
		return zero, ctx.Err()
	}
}

func (c *coalesced[P, R]) startLocked(key string, g *group[P, R], fnCtx func() (context.Context, context.CancelFunc), fn func(context.Context, []P) (R, error)) {
	r := g.next
	g.next = nil
	g.running = true
	go func() {
		ctx, cancel := fnCtx()
		r.res, r.err = fn(ctx, r.params)
		cancel()
		close(r.done)
		c.mu.Lock()
		defer c.mu.Unlock()
		if g.next != nil {
			c.startLocked(key, g, fnCtx, fn)
			return
		}
		g.running = false
		delete(c.groups, key)
	}()
}
