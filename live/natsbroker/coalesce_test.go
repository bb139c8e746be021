package natsbroker

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

// A caller never gets an answer from a request that started before its call,
// however many callers and writers race; and a crowd shares few requests.
func TestCoalescedAnswersAreFresh(t *testing.T) {
	var c coalesced[int, int64]
	var version, rounds atomic.Int64
	bg := func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }
	read := func(ctx context.Context, params []int) (int64, error) {
		rounds.Add(1)
		v := version.Load() // what the store holds when the request starts
		time.Sleep(2 * time.Millisecond)
		return v, nil
	}
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				version.Add(1)
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()
	var wg sync.WaitGroup
	const callers = 400
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := version.Load()
			got, err := c.do(context.Background(), "m", i, bg, read)
			if err != nil || got < seen {
				t.Errorf("caller saw version %d before its call and got %d (%v)", seen, got, err)
			}
		}()
	}
	wg.Wait()
	close(stop)
	if n := rounds.Load(); n >= callers/4 {
		t.Errorf("%d requests for %d callers", n, callers)
	}
	t.Logf("%d requests served %d callers", rounds.Load(), callers)
	// The last round's goroutine drops its group just after answering.
	waitFor(t, 5*time.Second, "no groups left", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.groups) == 0
	})
}

// A caller whose context ends stops waiting; the others still get the answer.
func TestCoalescedCallerGivesUp(t *testing.T) {
	var c coalesced[int, int]
	release := make(chan struct{})
	bg := func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }
	read := func(ctx context.Context, params []int) (int, error) { <-release; return len(params), nil }
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	go func() { _, err := c.do(ctx, "m", 1, bg, read); errs <- err }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-errs; err != context.Canceled {
		t.Fatalf("gave up with %v", err)
	}
	got := make(chan int, 1)
	go func() { n, _ := c.do(context.Background(), "m", 2, bg, read); got <- n }()
	time.Sleep(20 * time.Millisecond)
	close(release)
	if n := <-got; n != 1 {
		t.Fatalf("the second round served %d callers, want 1 (it started after the first)", n)
	}
}

// A reconnect burst on real NATS: every Last and Since answer is exact for its
// caller, and the crowd costs far fewer JetStream reads than callers.
func TestBurstOfReadsIsCoalesced(t *testing.T) {
	b := open(t, natstest.URL(t))
	ctx := context.Background()
	mid := newMeetingID()
	const events = 50
	for range events {
		if _, err := b.Append(ctx, mid, ev("presentation"), -1); err != nil {
			t.Fatal(err)
		}
	}
	b.reads.Store(0)
	var wg sync.WaitGroup
	const callers = 300
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs, last, err := b.Last(ctx, mid)
			if err != nil || last != events || len(evs) != 1 || evs[0].Seq != events {
				t.Errorf("Last: %d events, last %d, %v", len(evs), last, err)
				return
			}
			after := uint64(i % events)
			got, complete, err := b.Since(ctx, mid, after)
			if err != nil || !complete || len(got) != int(events-after) || got[0].Seq != after+1 || got[len(got)-1].Seq != events {
				t.Errorf("Since(%d): %d events, complete %v, %v", after, len(got), complete, err)
			}
		}()
	}
	wg.Wait()
	if n := b.reads.Load(); n > callers/2 {
		t.Errorf("%d JetStream reads for %d callers × 2", n, callers)
	} else {
		t.Logf("%d JetStream reads for %d callers × 2", n, callers)
	}
}
