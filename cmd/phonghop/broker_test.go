package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/live"
)

// flakyControl refuses the first fails publishes, as NATS does while this
// process is cut off from it.
type flakyControl struct {
	mu    sync.Mutex
	fails int
	sent  []string
}

func (f *flakyControl) PublishControl(ctx context.Context, kind, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return errors.New("nats: disconnected")
	}
	f.sent = append(f.sent, kind+":"+id)
	return nil
}

func (f *flakyControl) SubscribeControl(func(kind, id string)) (func(), error) { return func() {}, nil }

func (f *flakyControl) published() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.sent...)
}

// A logout made while NATS is unreachable closes this process's sockets at once
// and reaches the others once NATS takes the message; shutdown ends the retries.
func TestControlMessageIsRetried(t *testing.T) {
	ctl := &flakyControl{fails: 3}
	ctx, end := context.WithCancel(context.Background())
	defer end()
	c := clusterLive{ctl: ctl, log: slog.New(slog.NewTextHandler(io.Discard, nil)), ctx: ctx, retryEvery: 10 * time.Millisecond, retryFor: time.Minute}
	closed := 0
	c.send("session", "s1", func() { closed++ })
	if closed != 1 {
		t.Fatalf("local sockets closed %d times, want 1 at once", closed)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(ctl.published()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := ctl.published(); len(got) != 1 || got[0] != "session:s1" {
		t.Fatalf("published %v", got)
	}

	// Sent at the first try: nothing closed here directly (the message does it).
	c.send("session", "s2", func() { closed++ })
	if got := ctl.published(); closed != 1 || len(got) != 2 {
		t.Fatalf("closed %d, published %v", closed, got)
	}

	// Shutdown stops a retry that would otherwise go on.
	ctl.mu.Lock()
	ctl.fails = 1 << 30
	ctl.mu.Unlock()
	c.send("user", "m/u", func() {})
	end()
	time.Sleep(50 * time.Millisecond)
	ctl.mu.Lock()
	left := ctl.fails
	ctl.mu.Unlock()
	time.Sleep(100 * time.Millisecond)
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	if ctl.fails != left {
		t.Fatalf("retries went on after shutdown (%d → %d)", left, ctl.fails)
	}
}

// cutOffBroker is a broker whose control subscription fails, as a NATS
// without the control stream's rights would; it records Close.
type cutOffBroker struct {
	live.Broker
	closed atomic.Bool
}

func (b *cutOffBroker) PublishControl(context.Context, string, string) error { return nil }
func (b *cutOffBroker) SubscribeControl(func(kind, id string)) (func(), error) {
	return nil, errors.New("control stream refused")
}
func (b *cutOffBroker) Close() error { b.closed.Store(true); return nil }

// A start-up step after the broker that fails lets go of the broker's
// connection (issue #18, item 7: the NATS connection leaked).
func TestFailedStartClosesTheBroker(t *testing.T) {
	b := &cutOffBroker{Broker: live.NewMemoryBroker(0)}
	old := newBrokerFn
	newBrokerFn = func(context.Context, config, *journal.Journal, *slog.Logger) (live.Broker, error) { return b, nil }
	defer func() { newBrokerFn = old }()
	cfg, err := loadConfig("t", []string{"-data-dir", t.TempDir(), "-admin-password", "mat-khau-quan-tri", "-bcrypt-cost", "4", "-spool-dir", t.TempDir()}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := build(context.Background(), cfg, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("build succeeded")
	}
	if !b.closed.Load() {
		t.Fatal("the broker was left open")
	}
}
