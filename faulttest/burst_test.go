package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// tabletCount is how many tablets TestReconnectBurst connects:
// PHONGHOP_FAULTTEST_TABLETS, else 2,000 (500 for race-built children), lowered
// to what the descriptor limit allows.
func tabletCount(t *testing.T) int {
	n := 2000
	if os.Getenv("PHONGHOP_FAULTTEST_RACE") == "1" {
		n = 500
	}
	if s := os.Getenv("PHONGHOP_FAULTTEST_TABLETS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			t.Fatalf("PHONGHOP_FAULTTEST_TABLETS=%q is not a positive number", s)
		}
		n = v
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(n)+512 {
		fit := int(lim.Cur) - 512
		if fit < 100 {
			t.Fatalf("RLIMIT_NOFILE is %d (hard %d): too low for a reconnect burst", lim.Cur, lim.Max)
		}
		t.Logf("RLIMIT_NOFILE is %d (hard %d): %d tablets instead of %d", lim.Cur, lim.Max, fit, n)
		n = fit
	}
	return n
}

// Thousands of tablets reconnect at the same moment (half to each node, with
// since, as after a network blip): all get in (retrying with backoff is
// allowed), both nodes stay up and a page turned afterwards reaches every one.
func TestReconnectBurst(t *testing.T) {
	n := tabletCount(t)
	c := startCluster(t)
	chair := c.login(0, "chutich")
	pt := c.pageTurner(chair)
	users := append([]string{"chutich", "thuky", "quansat"}, delegates()...)
	tokens := make([]string, len(users))
	for k, u := range users {
		tokens[k] = c.login(k%2, u)
	}
	s0 := pt.mustTurn(0, 10*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	tablets := make([]*tablet, n)
	start := make(chan struct{})
	for k := range tablets {
		node := k % 2
		tb := newTablet(fmt.Sprintf("tablet%04d@node%d", k, node+1), tokens[k%len(tokens)])
		// A slow handshake is waited for rather than abandoned (which would
		// only add work), and retries spread out.
		tb.dialTimeout, tb.maxBackoff = 30*time.Second, 5*time.Second
		tablets[k] = tb
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// since=s0-1: each gets seq s0 replayed (or a snapshot), which
			// proves it joined the room.
			tb.follow(ctx, c, func(int) int { return node }, int64(s0-1))
		}()
	}
	began := time.Now()
	close(start)
	if err := waitSeq(tablets, s0, 120*time.Second); err != nil {
		t.Errorf("reconnect burst of %d: %v", n, err)
		for _, tb := range tablets {
			if _, conns, drops := tb.snapshot(); conns == 0 && len(drops) > 0 {
				t.Logf("e.g. %s never connected: %s", tb.name, drops[len(drops)-1])
				break
			}
		}
		c.checkAlive()
		t.FailNow()
	}
	took := time.Since(began)
	var firsts []time.Duration
	retries, reconnects := 0, 0
	var lastErr string
	why := map[string]int{} // why established connections ended
	for _, tb := range tablets {
		tb.mu.Lock()
		firsts = append(firsts, tb.firstAt.Sub(began))
		for _, d := range tb.drops {
			if strings.HasPrefix(d, "reconnect:") {
				retries++
				lastErr = d
			} else {
				why[d]++
			}
		}
		reconnects += tb.conns - 1
		tb.mu.Unlock()
	}
	slices.Sort(firsts)
	t.Logf("%d tablets in the room %v after the burst began (connected: p50 %v, p99 %v, last %v); %d failed attempts retried, %d dropped and reconnected",
		n, took.Round(time.Millisecond), firsts[len(firsts)/2].Round(time.Millisecond),
		firsts[len(firsts)*99/100].Round(time.Millisecond), firsts[len(firsts)-1].Round(time.Millisecond), retries, reconnects)
	if len(why) > 0 {
		t.Logf("connections ended after opening: %v", why)
		// The servers log why they closed a connection at connect.
		for _, nd := range c.nodes {
			shown := 0
			for _, l := range strings.Split(nd.out.String(), "\n") {
				if strings.Contains(l, "live: connect") && shown < 3 {
					t.Logf("%s: %s", nd.name, l)
					shown++
				}
			}
		}
	}
	if lastErr != "" {
		t.Logf("a retried attempt failed with: %s", lastErr)
	}

	for i := range c.nodes {
		if r := c.probe(i, "/healthz"); r.Status != http.StatusOK {
			t.Errorf("/healthz on node %d after the burst: %s", i+1, r)
		}
	}
	c.checkAlive()

	var final uint64
	for i := range c.nodes {
		seq := pt.mustTurn(i, 10*time.Second)
		final = seq
		began = time.Now()
		if err := waitSeq(tablets, seq, 30*time.Second); err != nil {
			t.Fatalf("page turn on node %d after the burst: %v", i+1, err)
		}
		t.Logf("page turn on node %d (seq %d) reached all %d tablets in %v", i+1, seq, n, time.Since(began).Round(time.Millisecond))
	}
	// Each tablet has every event from s0 on exactly once, in order.
	truth := c.truth(0, chair, s0-1, final)
	bad, snaps := 0, 0
	for _, tb := range tablets {
		sc, err := checkStream(tb, truth, s0-1, final)
		snaps += sc.snapshots
		if err != nil {
			if bad++; bad <= 5 {
				t.Error(err)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d tablets did not see the events in order exactly once", bad, n)
	}
	t.Logf("%d tablets got a snapshot rather than a replay", snaps)
	cancel()
	wg.Wait()
}
