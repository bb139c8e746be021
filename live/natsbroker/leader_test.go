package natsbroker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

// refuseStreams refuses stream look-ups and creations with refusal (the first
// times of them, every one if times < 0), counting the refusals.
func refuseStreams(refusal error, times int64, refused *atomic.Int64) fault {
	return func(_ context.Context, call string, _ int, do func() error) error {
		if call != "stream" && call != "create" || times >= 0 && refused.Load() >= times {
			return do()
		}
		refused.Add(1)
		return refusal
	}
}

// A meeting opened while the cluster has no meta leader opens once it has
// one: the look-up and the creation refused 503 "temporarily unavailable"
// are tried again (BenchmarkManyMeetings saw 122 of 2,000 meetings fail
// without this), and the tablet's subscription, snapshot and page turn work.
func TestOpenWaitsOutALeaderlessCluster(t *testing.T) {
	ctx := context.Background()
	b := open(t, natstest.URL(t))
	var refused atomic.Int64
	withFaults(b, refuseStreams(clusterNotAvail(), 4, &refused))
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
	if refused.Load() != 4 || b.leaderRetries.Load() != 4 {
		t.Fatalf("refused %d, retried %d; want 4 and 4", refused.Load(), b.leaderRetries.Load())
	}
}

// A cluster that stays without a leader fails the open after LeaderWait with
// the client-safe "unavailable" (a tablet retries); any other refusal is not
// retried at all.
func TestOpenGivesUpAfterLeaderWait(t *testing.T) {
	ctx := context.Background()
	var refused atomic.Int64
	b, fault := faultyBroker(t, Config{Timeout: 2 * time.Second, LeaderWait: 400 * time.Millisecond}, refuseStreams(clusterNotAvail(), -1, &refused))
	t0 := time.Now()
	_, err := b.Append(ctx, newMeetingID(), ev("presentation"), -1)
	took := time.Since(t0)
	if phonghop.ErrorCode(err) != phonghop.EUnavailable || !leaderless(err) {
		t.Fatalf("append on a leaderless cluster: %v", err)
	}
	if b.leaderRetries.Load() < 2 || took > 20*time.Second {
		t.Fatalf("retried %d times in %s; want a few within LeaderWait", b.leaderRetries.Load(), took)
	}

	fault.setFault(refuseStreams(insufficientResources(), -1, &refused))
	retried := b.leaderRetries.Load()
	if _, err := b.Subscribe(ctx, newMeetingID(), func(live.Event) {}); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("subscribe refused otherwise: %v", err)
	}
	if b.leaderRetries.Load() != retried {
		t.Fatalf("another refusal was retried %d times", b.leaderRetries.Load()-retried)
	}
}
