package natsbroker

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

// controlRecorder collects what each process's control subscription delivers.
type controlRecorder struct {
	mu  sync.Mutex
	got map[string]int // "process:kind:id" → deliveries
	ch  chan string
}

func newControlRecorder() *controlRecorder {
	return &controlRecorder{got: map[string]int{}, ch: make(chan string, 100)}
}

func (r *controlRecorder) subscribe(t *testing.T, name string, b *Broker) {
	t.Helper()
	cancel, err := b.SubscribeControl(func(kind, id string) {
		m := name + ":" + kind + ":" + id
		r.mu.Lock()
		r.got[m]++
		r.mu.Unlock()
		r.ch <- m
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
}

// wait waits for every one of want, at most limit.
func (r *controlRecorder) wait(t *testing.T, limit time.Duration, want ...string) {
	t.Helper()
	deadline := time.After(limit)
	for {
		r.mu.Lock()
		missing := []string{}
		for _, w := range want {
			if r.got[w] == 0 {
				missing = append(missing, w)
			}
		}
		r.mu.Unlock()
		if len(missing) == 0 {
			return
		}
		select {
		case <-r.ch:
		case <-deadline:
			t.Fatalf("not delivered within %v: %v", limit, missing)
		}
	}
}

// once fails unless every message was delivered at most once.
func (r *controlRecorder) once(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for m, n := range r.got {
		if n != 1 {
			t.Errorf("%s delivered %d times", m, n)
		}
	}
}

// A control stream deleted while the processes run (an operator's mistake) is
// made again without a restart: a PublishControl that finds it missing makes
// it and lands, each process's subscription follows the new stream although
// its seqs start again at 1 (below what the consumers had read), and nothing
// is delivered twice. With nobody publishing, the subscriptions make it again
// by themselves. A message that a process cut off from NATS had not received
// when the stream went is sent again by its publisher and reaches it once.
func TestControlStreamDeletedWhileRunning(t *testing.T) {
	url := natstest.URL(t)
	cfg := Config{Timeout: 2 * time.Second, ReconnectWait: 100 * time.Millisecond,
		ControlStream: "PHONGHOP_CONTROL_DELETED", ControlSubject: "phonghop.control.deleted"}
	open := func(url string) *Broker {
		c := cfg
		c.URL = url
		b, err := New(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}
	proxy := newCutProxy(t, strings.TrimPrefix(url, "nats://"))
	a, b, c := open(url), open(url), open("nats://"+proxy.addr)
	rec := newControlRecorder()
	rec.subscribe(t, "a", a)
	rec.subscribe(t, "b", b)
	rec.subscribe(t, "c", c)
	ctx := context.Background()
	all := func(kind, id string) []string {
		return []string{"a:" + kind + ":" + id, "b:" + kind + ":" + id, "c:" + kind + ":" + id}
	}
	for i := range 5 { // the consumers read up to seq 5
		if err := b.PublishControl(ctx, ControlSession, fmt.Sprint("before", i)); err != nil {
			t.Fatal(err)
		}
	}
	rec.wait(t, 20*time.Second, all(ControlSession, "before4")...)

	// Deleted, and a logout published at once: the publish makes it again.
	if err := a.js.DeleteStream(ctx, cfg.ControlStream); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := a.PublishControl(ctx, ControlSession, "after1"); err != nil {
		t.Fatalf("publish after the deletion: %v", err)
	}
	rec.wait(t, 20*time.Second, all(ControlSession, "after1")...)
	t.Logf("deleted, published at once: delivered everywhere after %v", time.Since(start))
	if err := b.PublishControl(ctx, ControlUser, "m/u1"); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 20*time.Second, all(ControlUser, "m/u1")...)

	// Process c is cut off when a removal is published, and the stream is
	// deleted before c is back: a sends it again into the new stream.
	proxy.cut()
	waitFor(t, 10*time.Second, "c to notice", func() bool { return !c.nc.IsConnected() })
	if err := a.PublishControl(ctx, ControlUser, "m/u2"); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 20*time.Second, "a:user:m/u2", "b:user:m/u2")
	if err := a.js.DeleteStream(ctx, cfg.ControlStream); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	// Nobody publishes: the subscriptions make the stream again.
	waitFor(t, 20*time.Second, "the control stream to be made again", func() bool {
		_, err := a.js.Stream(ctx, cfg.ControlStream)
		return err == nil
	})
	t.Logf("deleted, nobody publishing: made again after %v", time.Since(start))
	proxy.restore()
	rec.wait(t, 30*time.Second, "c:user:m/u2")
	if err := c.PublishControl(ctx, ControlAccount, "u3/2"); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 20*time.Second, all(ControlAccount, "u3/2")...)
	time.Sleep(500 * time.Millisecond) // anything delivered twice would be by now
	rec.once(t)
	if n := len(rec.got); n != 3*5+3*3+3 {
		t.Errorf("%d deliveries, want %d: %v", n, 3*5+3*3+3, rec.got)
	}
}

// NATS restored from an older backup while the processes run: the control
// stream comes back with the same creation time, fewer messages and a last
// seq below what the consumers read, so new messages would get seqs they
// skip. Each subscription notices (the stream is behind the last message it
// delivered) and reads the stream from its start, delivering only what it
// has not: the backup's messages are not delivered again. The messages were
// published by a third process, gone before the restore, so none is sent
// again and the next one gets seq 2, below what both consumers read.
func TestControlStreamRestoredFromAnOlderBackup(t *testing.T) {
	srv, err := natstest.StartLocal()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	ctx := context.Background()
	open := func() *Broker {
		b, err := New(ctx, Config{URL: srv.URL, Timeout: 2 * time.Second, ReconnectWait: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}
	a, b, p := open(), open(), open()
	rec := newControlRecorder()
	rec.subscribe(t, "a", a)
	rec.subscribe(t, "b", b)
	if err := p.PublishControl(ctx, ControlSession, "s0"); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 20*time.Second, "a:session:s0", "b:session:s0")

	srv.Halt()
	backup := t.TempDir()
	if err := os.CopyFS(backup, os.DirFS(srv.Dir)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "reconnect", func() bool { return a.nc.IsConnected() && b.nc.IsConnected() })
	for i := 1; i <= 4; i++ {
		if err := p.PublishControl(ctx, ControlSession, fmt.Sprint("s", i)); err != nil {
			t.Fatal(err)
		}
	}
	rec.wait(t, 20*time.Second, "a:session:s4", "b:session:s4")
	p.Close()

	srv.Halt()
	if err := os.RemoveAll(srv.Dir); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(srv.Dir, os.DirFS(backup)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	waitFor(t, 10*time.Second, "reconnect", func() bool { return a.nc.IsConnected() && b.nc.IsConnected() })
	if err := b.PublishControl(ctx, ControlUser, "m/u1"); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 20*time.Second, "a:user:m/u1", "b:user:m/u1")
	if a.ctl.rereads.Load() != 1 || b.ctl.rereads.Load() != 1 {
		t.Errorf("streams read again from the start: a %d, b %d; want 1 each", a.ctl.rereads.Load(), b.ctl.rereads.Load())
	}
	t.Logf("restored from the backup: the next message delivered everywhere after %v", time.Since(start))
	time.Sleep(500 * time.Millisecond)
	rec.once(t)
	if n := len(rec.got); n != 2*6 {
		t.Errorf("%d deliveries, want %d: %v", n, 2*6, rec.got)
	}
}
