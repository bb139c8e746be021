package natsbroker

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/phonghop/phonghop"
)

// streamCalls counts the JetStream API requests made about one stream
// ($JS.API.STREAM.<op>.<stream>), by op, as the server sees them: a plain
// subscription on the server the broker is connected to.
type streamCalls struct {
	nc  *nats.Conn
	sub *nats.Subscription
}

func countStreamCalls(t testing.TB, url, stream string) *streamCalls {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	sub, err := nc.SubscribeSync("$JS.API.STREAM.*." + stream)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil { // the server has the interest before the first call
		t.Fatal(err)
	}
	return &streamCalls{nc, sub}
}

// byOp drains what arrived so far: requests by op ("INFO", "CREATE", ...).
func (c *streamCalls) byOp(t testing.TB) map[string]int {
	t.Helper()
	if err := c.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for {
		m, err := c.sub.NextMsg(200 * time.Millisecond)
		if errors.Is(err, nats.ErrTimeout) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		n[strings.Split(m.Subject, ".")[3]]++
	}
}

// firstOpens is how many tablets of a brand-new meeting arrive at once.
const firstOpens = 50

// appendAtOnce makes n first uses of a new meeting at once (an append each,
// as tablets checking in) and returns how long until every one was answered.
func appendAtOnce(t testing.TB, b *Broker, mid string, n int) time.Duration {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := b.Append(ctx, mid, ev("attendance"), -1); err != nil {
				errs <- err
			}
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(t0)
	close(errs)
	for err := range errs {
		t.Errorf("first use: %v", err)
	}
	return took
}

// Fifty tablets of a brand-new meeting arrive within the same moment on the
// three-server cluster (a room's first minute, or a reconnect storm after a
// process restart): the meeting's replicated stream is looked up and created
// once for all of them, not once each (fifty look-ups and creations of one R3
// stream at once went past the broker's 10 s timeout on a loaded test
// cluster), and every one of them is answered.
func TestConcurrentFirstOpensShareOne(t *testing.T) {
	servers, openR3 := cluster(t)
	b := openR3(t, servers[0].URL)
	mid := newMeetingID()
	calls := countStreamCalls(t, servers[0].URL, b.streamName(mid))
	took := appendAtOnce(t, b, mid, firstOpens)
	t.Logf("%d concurrent first uses of one R3 stream: %s", firstOpens, took)
	got := calls.byOp(t)
	if took > 60*time.Second {
		t.Fatalf("%d first uses took %s", firstOpens, took)
	}
	if got["INFO"] != 1 || got["CREATE"] != 1 {
		t.Fatalf("stream API calls %v: want one look-up and one creation for all %d", got, firstOpens)
	}
	if _, last, err := b.Last(context.Background(), mid); err != nil || last != firstOpens {
		t.Fatalf("last seq %d after %d appends, %v", last, firstOpens, err)
	}
}

// Concurrent first uses of a meeting wait for one open, each no longer than
// its own context allows; the open's failure is every waiter's, and is not
// kept: the next use opens the stream afresh.
func TestConcurrentFirstOpensShareAFailure(t *testing.T) {
	ctx := context.Background()
	// The first look-up is held until release, then refused; later ones
	// reach the server.
	release := make(chan struct{})
	b, fault := faultyBroker(t, Config{Timeout: 30 * time.Second}, onCall("stream", 1, func(ctx context.Context, _ func() error) error {
		select {
		case <-release:
			return insufficientResources()
		case <-ctx.Done():
			return ctx.Err()
		}
	}))
	mid := newMeetingID()

	const n = 20
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			_, err := b.Append(ctx, mid, ev("attendance"), -1)
			errs <- err
		}()
	}
	waitFor(t, 30*time.Second, "the first look-up", func() bool { return fault.count("stream") >= 1 })
	// A tablet that gives up early is answered when it gives up, not when
	// the open ends.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if _, err := b.Append(short, mid, ev("attendance"), -1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("append with a context that ends while the stream opens: %v", err)
	}
	if took := time.Since(t0); took > 10*time.Second {
		t.Fatalf("a waiter whose context ended returned after %s", took)
	}
	time.Sleep(200 * time.Millisecond) // the others are waiting too
	close(release)
	for i := 0; i < n; i++ {
		if err := <-errs; phonghop.ErrorCode(err) != phonghop.EUnavailable {
			t.Fatalf("append %d of an open that failed: %v", i, err)
		}
	}
	if looks := fault.count("stream"); looks != 1 {
		t.Fatalf("%d stream look-ups for %d concurrent first uses, want 1", looks, n+1)
	}
	// Not kept: the next use opens it.
	if seq, err := b.Append(ctx, mid, ev("attendance"), -1); err != nil || seq != 1 {
		t.Fatalf("append after a failed open: %d, %v", seq, err)
	}
	if looks := fault.count("stream"); looks != 2 {
		t.Fatalf("%d stream look-ups after a failed open and one more use, want 2", looks)
	}
}

// BenchmarkFirstOpens times PHONGHOP_BENCH_FIRST_OPENS (50) concurrent first
// opens of one brand-new meeting's stream on the three-server cluster with
// three replicas, a new meeting each time, two ways in turn within one run:
// "shared" is the broker's open (ensure: one look-up and creation for all),
// "each" is what every caller did before it was shared (its own look-up and
// creation, ensureOnce). Reports the mean wall time of a wave each way, their
// ratio, and the opens that failed (each way).
//
//	go test -run '^$' -bench FirstOpens -benchtime 10x ./live/natsbroker/
func BenchmarkFirstOpens(b *testing.B) {
	n := firstOpens
	if v, err := strconv.Atoi(os.Getenv("PHONGHOP_BENCH_FIRST_OPENS")); err == nil && v > 0 {
		n = v
	}
	servers, openR3 := clusterWith(b, Config{Timeout: 30 * time.Second})
	br := openR3(b, servers[0].URL)
	ctx := context.Background()
	var errMu sync.Mutex
	errs := map[string]int{} // failures by message, logged at the end
	wave := func(open func(mid string) error) (time.Duration, int64) {
		mid := newMeetingID()
		var wg sync.WaitGroup
		var failed atomic.Int64
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if err := open(mid); err != nil {
					failed.Add(1)
					errMu.Lock()
					errs[err.Error()]++
					errMu.Unlock()
				}
			}()
		}
		t0 := time.Now()
		close(start)
		wg.Wait()
		return time.Since(t0), failed.Load()
	}
	var shared, each time.Duration
	var sharedFailed, eachFailed int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, f := wave(func(mid string) error { _, err := br.ensure(ctx, mid); return err })
		shared, sharedFailed = shared+d, sharedFailed+f
		d, f = wave(func(mid string) error { return br.ensureOnce(ctx, mid, br.streamName(mid), br.cfg.Timeout) })
		each, eachFailed = each+d, eachFailed+f
	}
	for msg, k := range errs {
		b.Logf("%d× %s", k, msg)
	}
	b.ReportMetric(float64(shared.Microseconds())/1e3/float64(b.N), "shared-ms")
	b.ReportMetric(float64(each.Microseconds())/1e3/float64(b.N), "each-ms")
	b.ReportMetric(float64(each)/float64(shared), "each/shared")
	b.ReportMetric(float64(sharedFailed), "shared-failed")
	b.ReportMetric(float64(eachFailed), "each-failed")
}

// A look-up left unanswered is asked again after a short wait, not after the
// whole Timeout: two processes opening one new meeting at once on a loaded
// cluster had one process's look-up dropped while the other created the
// stream, and every use of the meeting on that process failed after 10 s.
func TestUnansweredLookUpIsAskedAgain(t *testing.T) {
	ctx := context.Background()
	b, fault := faultyBroker(t, Config{Timeout: 20 * time.Second}, onCall("stream", 1, unanswered))
	t0 := time.Now()
	seq, err := b.Append(ctx, newMeetingID(), ev("attendance"), -1)
	took := time.Since(t0)
	if err != nil || seq != 1 {
		t.Fatalf("append after an unanswered look-up: %d, %v", seq, err)
	}
	if fault.count("stream") != 2 || took > 15*time.Second {
		t.Fatalf("%d look-ups in %s; want the dropped one asked again well within the 20 s timeout", fault.count("stream"), took)
	}
	t.Logf("opened after an unanswered look-up in %s", took)
}
