package faulttest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// A phonghop process is killed (SIGKILL) while the chair keeps turning pages on
// the other one: the killed node's tablets are dropped, reconnect to the
// surviving node with since=<last seq seen>, and each ends up with every event
// exactly once and in order (replayed, or covered by a snapshot's seq). The
// killed node then comes back and serves the same room.
func TestNodeKilled(t *testing.T) { nodeFailover(t, (*proc).kill) }

// The same with an orderly stop (SIGTERM, as on a rolling update): the node
// closes its sockets with 1001 "going away" and the tablets move over alike.
func TestNodeStopped(t *testing.T) { nodeFailover(t, (*proc).stop) }

func nodeFailover(t *testing.T, down func(*proc)) {
	c := startCluster(t)
	chair := c.login(0, "chutich")
	pt := c.pageTurner(chair)
	from := pt.mustTurn(0, 10*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	// Twelve delegates on node 2, moving to node 1 once node 2 is gone; the
	// secretary stays on node 1 throughout.
	var onNode2, all []*tablet
	for _, u := range delegates() {
		tb := newTablet(u, c.login(0, u))
		onNode2 = append(onNode2, tb)
		all = append(all, tb)
		wg.Add(1)
		go func() {
			defer wg.Done()
			tb.follow(ctx, c, func(n int) int {
				if n == 0 {
					return 1
				}
				return 0
			}, int64(from))
		}()
	}
	steady := newTablet("thuky", c.login(0, "thuky"))
	all = append(all, steady)
	wg.Add(1)
	go func() { defer wg.Done(); steady.follow(ctx, c, func(int) int { return 0 }, int64(from)) }()

	// Every tablet is in the room once it sees a page turned after it joined.
	if err := waitSeq(all, pt.mustTurn(0, 10*time.Second), 20*time.Second); err != nil {
		t.Fatalf("before node 2 went down: %v", err)
	}

	// The chair turns a page every 10 ms on node 1 until told to stop.
	var (
		mu      sync.Mutex
		acked   []uint64
		refused []string
	)
	stopTurning := make(chan struct{})
	turning := make(chan struct{})
	go func() {
		defer close(turning)
		for {
			select {
			case <-stopTurning:
				return
			case <-time.After(10 * time.Millisecond):
			}
			seq, r := pt.turn(0)
			mu.Lock()
			if seq > 0 {
				acked = append(acked, seq)
			} else {
				refused = append(refused, r.String())
			}
			mu.Unlock()
		}
	}()

	time.Sleep(300 * time.Millisecond)
	killedAt := time.Now()
	down(c.nodes[1])

	// Every tablet of node 2 is dropped and reconnects to node 1.
	err := eventually(20*time.Second, func() error {
		for _, tb := range onNode2 {
			if _, conns, _ := tb.snapshot(); conns < 2 {
				return fmt.Errorf("%s has not reconnected", tb.name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("after node 2 went down: %v", err)
	}
	t.Logf("all %d tablets of node 2 reconnected to node 1 within %v of the signal", len(onNode2), time.Since(killedAt).Round(time.Millisecond))
	time.Sleep(500 * time.Millisecond)
	close(stopTurning)
	<-turning

	mu.Lock()
	if len(refused) > 0 {
		t.Errorf("node 1 refused %d page turns while node 2 went down (it should not notice): first %s", len(refused), refused[0])
	}
	if len(acked) < 10 {
		t.Fatalf("only %d page turns acknowledged during the test", len(acked))
	}
	final := acked[len(acked)-1]
	mu.Unlock()

	if err := waitSeq(all, final, 15*time.Second); err != nil {
		t.Fatalf("after node 2 went down: %v", err)
	}
	truth := c.truth(0, chair, from, final)
	inTruth := map[uint64]bool{}
	for _, f := range truth {
		if f.Type == "presentation" {
			inTruth[f.Seq] = true
		}
	}
	for _, s := range acked {
		if !inTruth[s] {
			t.Errorf("page turn acknowledged with seq %d is not in the room's history", s)
		}
	}
	var total streamCheck
	for _, tb := range all {
		sc, err := checkStream(tb, truth, from, final)
		if err != nil {
			_, conns, drops := tb.snapshot()
			t.Errorf("%v (connections %d, drops %q)", err, conns, drops)
		}
		total.replayed += sc.replayed
		total.covered += sc.covered
		total.snapshots += sc.snapshots
		total.notes = append(total.notes, sc.notes...)
	}
	why := map[string]int{}
	for _, tb := range onNode2 {
		if _, _, drops := tb.snapshot(); len(drops) > 0 {
			why[drops[0]]++
		}
	}
	t.Logf("node 2's tablets were dropped with: %v", why)
	t.Logf("%d events (seq %d..%d, %d page turns acknowledged meanwhile) checked on %d tablets: %d received as frames, %d covered by %d snapshots",
		len(truth), from+1, final, len(acked), len(all), total.replayed, total.covered, total.snapshots)
	for _, n := range total.notes {
		t.Log(n)
	}

	// The killed node comes back on the same port and serves the same room: a
	// page turned there reaches the tablets now on node 1 and a tablet on node 2.
	c.startNode(1)
	back := newTablet("daibieu01-node2", c.login(1, "daibieu01"))
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	if err := back.connect(dctx, c, 1, int64(final)); err != nil {
		t.Fatalf("node 2 after restart: %v", err)
	}
	defer back.close()
	seq := pt.mustTurn(1, 10*time.Second)
	if err := waitSeq(append(all, back), seq, 10*time.Second); err != nil {
		t.Errorf("page turned on the restarted node 2: %v", err)
	}
	c.checkAlive()
}
