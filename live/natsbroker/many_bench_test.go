package natsbroker

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop/live"
)

// procStat reads a process's resident memory (bytes) and CPU time.
func procStat(pid int) (rss int64, cpu time.Duration) {
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				rss = kb << 10
			}
		}
	}
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		cpu = time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ 100
	}
	return rss, cpu
}

// Many meetings open at once on the three-server cluster, each stream with
// three replicas: every meeting's room subscribed (a tablet connected), a
// first snapshot read (connect), then a page turn in each, timed from the
// append to its delivery. Reports the servers' memory and CPU time (together
// and per server), then the memory after every meeting ended and its stream
// was retired. A meeting that fails to open or whose page turn fails is
// counted, not fatal: the benchmark reports what the cluster carried.
// PHONGHOP_BENCH_MEETINGS sets how many (2000), PHONGHOP_BENCH_CONCURRENCY
// how many are opened at the same time (16).
//
//	go test -run '^$' -bench ManyMeetings -benchtime 1x ./live/natsbroker/
func BenchmarkManyMeetings(b *testing.B) {
	n, conc := 2000, 16
	if v, err := strconv.Atoi(os.Getenv("PHONGHOP_BENCH_MEETINGS")); err == nil && v > 0 {
		n = v
	}
	if v, err := strconv.Atoi(os.Getenv("PHONGHOP_BENCH_CONCURRENCY")); err == nil && v > 0 {
		conc = v
	}
	j := testJournal(b)
	servers, openR3 := clusterWith(b, Config{Timeout: 30 * time.Second, Restore: live.RestoreFromJournal(j), Reserve: j.Reserve})
	var brokers []*Broker
	for _, s := range servers {
		brokers = append(brokers, openR3(b, s.URL))
	}
	type sample struct {
		rss int64
		cpu time.Duration
	}
	stat := func() []sample {
		out := make([]sample, len(servers))
		for i, s := range servers {
			out[i].rss, out[i].cpu = procStat(s.Pid())
		}
		return out
	}
	sum := func(ss []sample) (rss int64, cpu time.Duration) {
		for _, s := range ss {
			rss, cpu = rss+s.rss, cpu+s.cpu
		}
		return
	}
	retries := func() (leaderless, unanswered int64) {
		for _, br := range brokers {
			leaderless, unanswered = leaderless+br.leaderRetries.Load(), unanswered+br.unansweredRetries.Load()
		}
		return
	}
	var errMu sync.Mutex
	errs := map[string]int{} // first words of each failure, counted
	failed := func(what string, err error) {
		msg := err.Error()
		if len(msg) > 160 {
			msg = msg[:160]
		}
		errMu.Lock()
		if errs[what+": "+msg]++; errs[what+": "+msg] == 1 {
			b.Logf("%s: %v", what, err)
		}
		errMu.Unlock()
	}
	s0 := stat()
	rss0, cpu0 := sum(s0)
	ctx := context.Background()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = newMeetingID()
	}
	var mu sync.Mutex
	var connects, turns []time.Duration
	got := make([]chan time.Time, n)
	isOpen := make([]bool, n)
	var cancels []func()
	var refused, turnFailed, undelivered int
	start := time.Now()
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i, id := range ids {
		got[i] = make(chan time.Time, 4)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			br := brokers[i%3]
			t0 := time.Now()
			ch := got[i]
			cancel, err := br.Subscribe(ctx, id, func(live.Event) { ch <- time.Now() })
			if err == nil {
				if _, _, err = br.Last(ctx, id); err != nil {
					cancel()
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				refused++
				failed("open", err)
				return
			}
			isOpen[i] = true
			connects = append(connects, time.Since(t0))
			cancels = append(cancels, cancel)
		}()
	}
	wg.Wait()
	opened := time.Since(start)
	s1 := stat()
	rss1, cpu1 := sum(s1)
	leaderRetried, unansweredRetried := retries()
	for i, id := range ids {
		if !isOpen[i] {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			t0 := time.Now()
			if _, err := brokers[(i+1)%3].Append(ctx, id, live.Event{Subject: "presentation", Type: "presentation", Payload: []byte(`{"page":2}`)}, -1); err != nil {
				mu.Lock()
				turnFailed++
				mu.Unlock()
				failed("turn", err)
				return
			}
			select {
			case at := <-got[i]:
				mu.Lock()
				turns = append(turns, at.Sub(t0))
				mu.Unlock()
			case <-time.After(30 * time.Second):
				mu.Lock()
				undelivered++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	s2 := stat()
	_, cpu2 := sum(s2)
	for _, c := range cancels {
		c()
	}
	time.Sleep(2 * time.Second) // consumers deleted
	rstart := time.Now()
	removed, err := brokers[0].Sweep(ctx, 0, always)
	if err != nil {
		failed("sweep", err)
	}
	retired := time.Since(rstart)
	time.Sleep(5 * time.Second)
	rss3, _ := sum(stat())
	for msg, k := range errs {
		b.Logf("%d× %s", k, msg)
	}
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(os.Stderr, "load average after the run: %s", la)
	}
	b.ReportMetric(float64(n), "meetings")
	b.ReportMetric(float64(len(connects)), "opened")
	b.ReportMetric(float64(refused), "refused")
	b.ReportMetric(float64(leaderRetried), "leader-retries")
	b.ReportMetric(float64(unansweredRetried), "unanswered-retries")
	b.ReportMetric(float64(turnFailed), "turns-failed")
	b.ReportMetric(float64(undelivered), "turns-undelivered")
	b.ReportMetric(float64(removed), "removed")
	b.ReportMetric(float64(rss0)/(1<<20), "nats-MB-before")
	b.ReportMetric(float64(rss1)/(1<<20), "nats-MB-open")
	if len(connects) > 0 {
		b.ReportMetric(float64(rss1-rss0)/float64(len(connects))/1024, "nats-KB/meeting")
	}
	b.ReportMetric(float64(rss3)/(1<<20), "nats-MB-after-removal")
	b.ReportMetric((cpu1 - cpu0).Seconds(), "nats-cpu-s-open")
	b.ReportMetric((cpu2 - cpu1).Seconds(), "nats-cpu-s-turns")
	for i := range servers {
		p := "nats" + strconv.Itoa(i+1) + "-"
		b.ReportMetric(float64(s1[i].rss)/(1<<20), p+"MB-open")
		b.ReportMetric((s1[i].cpu - s0[i].cpu).Seconds(), p+"cpu-s-open")
		b.ReportMetric((s2[i].cpu - s1[i].cpu).Seconds(), p+"cpu-s-turns")
	}
	b.ReportMetric(opened.Seconds(), "open-s")
	b.ReportMetric(retired.Seconds(), "removal-s")
	reportLatencies(b, "connect-", connects)
	reportLatencies(b, "turn-", turns)
}
