package live

import (
	"context"
	"testing"
)

// A tablet further behind than ReplayEvents, or whose replay would take more
// than its write queue, gets one snapshot instead of a frame per missed event;
// one only a little behind still gets exactly the events it missed.
func TestReplayBounded(t *testing.T) {
	ctx := context.Background()
	turn := func(e *env, n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if _, err := e.hub.Present(ctx, "m1", chair, Presentation{"i1", "doc1", i%10 + 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Run("default count", func(t *testing.T) {
		// 1,100 page turns, all still held by the broker: more than the
		// default bound of 1,024 replayed frames.
		e := newEnv(t, func(c *Config, o *envOpts) { o.buffer = 4096 })
		turn(e, 1100)
		c := e.dial(delegateID(0), "&since=1")
		if f := readType(t, c, "snapshot"); f.Seq != 1100 || f.State.Presentation.Page != 10 {
			t.Fatalf("got %s", f.raw)
		}
		quiet(t, c)
		c = e.dial(delegateID(1), "&since=1090")
		for want := uint64(1091); want <= 1100; want++ {
			if f := readType(t, c, "presentation"); f.Seq != want {
				t.Fatalf("got %s, want seq %d", f.raw, want)
			}
		}
		quiet(t, c)
	})
	t.Run("bytes", func(t *testing.T) {
		// 40 page turns are ~3 KB of frames; the queue takes 2,000 bytes.
		e := newEnv(t, func(c *Config, o *envOpts) { c.WriteQueueBytes = 2000 })
		turn(e, 40)
		c := e.dial(delegateID(0), "&since=0")
		if f := readType(t, c, "snapshot"); f.Seq != 40 {
			t.Fatalf("got %s", f.raw)
		}
		quiet(t, c)
		c = e.dial(delegateID(0), "&since=35")
		for want := uint64(36); want <= 40; want++ {
			if f := readType(t, c, "presentation"); f.Seq != want {
				t.Fatalf("got %s, want seq %d", f.raw, want)
			}
		}
		quiet(t, c)
	})
}
