package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// nats-server is killed (SIGKILL) while the chair turns pages on both nodes,
// and restarted on the same port and store directory: both nodes reconnect by
// themselves and the room goes on. Every page turn answered 200 (acknowledged)
// is in the room's history and reached every tablet; those made while NATS was
// down were refused with 503 unavailable. Each tablet ends with every event
// exactly once and in order.
func TestNATSRestart(t *testing.T) {
	c := startCluster(t)
	chair := c.login(0, "chutich")
	pt := c.pageTurner(chair)
	from := pt.mustTurn(0, 10*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	var tablets []*tablet
	for k, u := range delegates() {
		node := k % 2 // six tablets on each node, staying there
		tb := newTablet(fmt.Sprintf("%s@node%d", u, node+1), c.login(node, u))
		tablets = append(tablets, tb)
		wg.Add(1)
		go func() { defer wg.Done(); tb.follow(ctx, c, func(int) int { return node }, int64(from)) }()
	}
	joined := pt.mustTurn(1, 10*time.Second)
	if err := waitSeq(tablets, joined, 20*time.Second); err != nil {
		t.Fatalf("before the restart: %v", err)
	}

	// The chair turns pages every 20 ms, alternately on node 1 and node 2.
	type attempt struct {
		node  int
		at    time.Time
		seq   uint64
		r     result
		phase string
	}
	var (
		mu       sync.Mutex
		attempts []attempt
		phase    = "before"
	)
	stopTurning, turning := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(turning)
		for n := 0; ; n++ {
			select {
			case <-stopTurning:
				return
			case <-time.After(20 * time.Millisecond):
			}
			seq, r := pt.turn(n % 2)
			mu.Lock()
			attempts = append(attempts, attempt{node: n % 2, at: time.Now(), seq: seq, r: r, phase: phase})
			mu.Unlock()
		}
	}()
	setPhase := func(p string) { mu.Lock(); phase = p; mu.Unlock() }

	time.Sleep(300 * time.Millisecond)
	setPhase("down")
	c.nats.kill()
	time.Sleep(1500 * time.Millisecond)
	for i := range c.nodes {
		if r := c.probe(i, "/readyz"); r.Status != http.StatusServiceUnavailable {
			t.Errorf("NATS down: /readyz on node %d: %s (want 503)", i+1, r)
		}
	}
	// A tablet connecting now is refused (503 before the upgrade, or closed
	// with 1011 "unavailable" right after it), never with a 500.
	for i := range c.nodes {
		status, code, detail := c.tryConnect(i, chair, int64(from))
		if !(status == http.StatusServiceUnavailable || (status == http.StatusSwitchingProtocols && code == 1011)) {
			t.Errorf("NATS down: live connection to node %d: status %d, close %d %q (want 503, or close 1011)", i+1, status, code, detail)
		}
	}
	setPhase("restarting")
	c.startNATS()
	restarted := time.Now()
	for i := range c.nodes {
		if err := eventually(30*time.Second, func() error { return c.ready(i) }); err != nil {
			t.Fatalf("node %d not ready 30 s after NATS restarted: %v", i+1, err)
		}
	}
	t.Logf("both nodes ready %v after NATS restarted", time.Since(restarted).Round(time.Millisecond))
	setPhase("after")
	// Let each node acknowledge a few turns after the restart.
	err := eventually(20*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		var ok [2]int
		for _, a := range attempts {
			if a.phase == "after" && a.seq > 0 {
				ok[a.node]++
			}
		}
		if ok[0] < 3 || ok[1] < 3 {
			return fmt.Errorf("page turns acknowledged after the restart: node 1 %d, node 2 %d", ok[0], ok[1])
		}
		return nil
	})
	close(stopTurning)
	<-turning
	if err != nil {
		t.Fatalf("the room does not go on after NATS restarted: %v", err)
	}
	// A page turn after the restart reaches the tablets of both nodes.
	final := pt.mustTurn(1, 10*time.Second)
	if err := waitSeq(tablets, final, 20*time.Second); err != nil {
		t.Fatalf("page turned after the NATS restart: %v", err)
	}

	counts := map[string]map[string]int{}
	acked := []uint64{joined, final}
	for _, a := range attempts {
		if counts[a.phase] == nil {
			counts[a.phase] = map[string]int{}
		}
		switch {
		case a.seq > 0:
			counts[a.phase]["acknowledged"]++
			acked = append(acked, a.seq)
		case a.r.Err == nil && a.r.Status == http.StatusServiceUnavailable && a.r.Code == "unavailable":
			counts[a.phase]["refused 503"]++
		default:
			counts[a.phase]["other"]++
			t.Errorf("page turn on node %d (%s NATS restart): %s (want 200 with a seq, or 503 unavailable)", a.node+1, a.phase, trim(a.r))
		}
	}
	t.Logf("page turns by phase: %v", counts)

	truth := c.truth(0, chair, from, final)
	inTruth := map[uint64]bool{}
	for _, f := range truth {
		if f.Type == "presentation" {
			inTruth[f.Seq] = true
		}
	}
	ackedSet := map[uint64]bool{}
	for _, s := range acked {
		ackedSet[s] = true
		if !inTruth[s] {
			t.Errorf("page turn acknowledged with seq %d is not in the room's history after the NATS restart (acknowledged and lost)", s)
		}
	}
	// Page turns in the history that nobody saw acknowledged: refused (503) to
	// the chair, yet stored (their acknowledgement was lost with the connection).
	var unacked []uint64
	for s := range inTruth {
		if !ackedSet[s] {
			unacked = append(unacked, s)
		}
	}
	if len(unacked) > 0 {
		t.Logf("page turns stored although not acknowledged (refused, delivered after): seqs %v", unacked)
	}
	var total streamCheck
	reconnects := 0
	for _, tb := range tablets {
		sc, err := checkStream(tb, truth, from, final)
		_, conns, drops := tb.snapshot()
		if err != nil {
			t.Errorf("%v (connections %d, drops %q)", err, conns, drops)
		}
		reconnects += conns - 1
		total.replayed += sc.replayed
		total.covered += sc.covered
		total.snapshots += sc.snapshots
		total.notes = append(total.notes, sc.notes...)
	}
	t.Logf("%d events (seq %d..%d) checked on %d tablets: %d received as frames, %d covered by %d snapshots; %d reconnects",
		len(truth), from+1, final, len(tablets), total.replayed, total.covered, total.snapshots, reconnects)
	for _, n := range total.notes {
		t.Log(n)
	}
	c.checkAlive()
}
