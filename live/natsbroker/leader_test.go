package natsbroker

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

// leaderlessJS is a real JetStream context whose stream look-ups and
// creations are refused the way a cluster without a meta leader refuses them
// (503, err_code 10008), refuse times, or with refusal instead when set.
type leaderlessJS struct {
	jetstream.JetStream
	mu      sync.Mutex
	refuse  int // -1: always
	refusal *jetstream.APIError
	refused int
}

func clusterNotAvail() *jetstream.APIError {
	return &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}
}

func (l *leaderlessJS) take() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.refuse == 0 {
		return nil
	}
	if l.refuse > 0 {
		l.refuse--
	}
	l.refused++
	if l.refusal != nil {
		return l.refusal
	}
	return clusterNotAvail()
}

func (l *leaderlessJS) Stream(ctx context.Context, name string) (jetstream.Stream, error) {
	if err := l.take(); err != nil {
		return nil, err
	}
	return l.JetStream.Stream(ctx, name)
}

func (l *leaderlessJS) CreateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	if err := l.take(); err != nil {
		return nil, err
	}
	return l.JetStream.CreateStream(ctx, cfg)
}

// A meeting opened while the cluster has no meta leader opens once it has
// one: the look-up and the creation refused 503 "temporarily unavailable"
// are tried again (BenchmarkManyMeetings saw 122 of 2,000 meetings fail
// without this), and the tablet's subscription, snapshot and page turn work.
func TestOpenWaitsOutALeaderlessCluster(t *testing.T) {
	ctx := context.Background()
	b := open(t, natstest.URL(t))
	fault := &leaderlessJS{JetStream: b.js, refuse: 4}
	b.js = fault
	mid := newMeetingID()
	got := make(chan live.Event, 1)
	cancel, err := b.Subscribe(ctx, mid, func(ev live.Event) { got <- ev })
	if err != nil {
		t.Fatalf("subscribe while leaderless: %v", err)
	}
	defer cancel()
	if _, last, err := b.Last(ctx, mid); err != nil || last != 0 {
		t.Fatalf("last: %d, %v", last, err)
	}
	seq, err := b.Append(ctx, mid, ev("presentation"), -1)
	if err != nil || seq != 1 {
		t.Fatalf("append: %d, %v", seq, err)
	}
	select {
	case e := <-got:
		if e.Seq != 1 {
			t.Fatalf("delivered seq %d", e.Seq)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("page turn not delivered")
	}
	if fault.refused != 4 || b.leaderRetries.Load() != 4 {
		t.Fatalf("refused %d, retried %d; want 4 and 4", fault.refused, b.leaderRetries.Load())
	}
}

// A cluster that stays without a leader fails the open after LeaderWait with
// the client-safe "unavailable" (a tablet retries); any other refusal is not
// retried at all.
func TestOpenGivesUpAfterLeaderWait(t *testing.T) {
	ctx := context.Background()
	b, err := New(ctx, Config{URL: natstest.URL(t), Timeout: 2 * time.Second, LeaderWait: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	fault := &leaderlessJS{JetStream: b.js, refuse: -1}
	b.js = fault
	t0 := time.Now()
	_, err = b.Append(ctx, newMeetingID(), ev("presentation"), -1)
	took := time.Since(t0)
	if phonghop.ErrorCode(err) != phonghop.EUnavailable || !leaderless(err) {
		t.Fatalf("append on a leaderless cluster: %v", err)
	}
	if b.leaderRetries.Load() < 2 || took > 20*time.Second {
		t.Fatalf("retried %d times in %s; want a few within LeaderWait", b.leaderRetries.Load(), took)
	}

	fault.mu.Lock()
	fault.refusal = &jetstream.APIError{Code: 500, ErrorCode: 10049, Description: "insufficient resources"}
	fault.mu.Unlock()
	retried := b.leaderRetries.Load()
	if _, err := b.Subscribe(ctx, newMeetingID(), func(live.Event) {}); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("subscribe refused otherwise: %v", err)
	}
	if b.leaderRetries.Load() != retried {
		t.Fatalf("another refusal was retried %d times", b.leaderRetries.Load()-retried)
	}
}
