package natsbroker

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/natsbroker/natstest"
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
// append to its delivery. Reports the servers' memory and CPU time, then the
// memory after every meeting ended and its stream was retired.
// PHONGHOP_BENCH_MEETINGS sets how many (2000).
//
//	go test -run '^$' -bench ManyMeetings -benchtime 1x ./live/natsbroker/
func BenchmarkManyMeetings(b *testing.B) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("PHONGHOP_BENCH_MEETINGS")); err == nil && v > 0 {
		n = v
	}
	servers, err := natstest.StartCluster(3)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		for _, s := range servers {
			s.Stop()
		}
	}()
	j := testJournal(b)
	var brokers []*Broker
	for _, s := range servers {
		var br *Broker
		waitFor(b, 60*time.Second, "cluster", func() bool {
			var err error
			br, err = New(context.Background(), Config{URL: s.URL, Replicas: 3, Timeout: 30 * time.Second,
				Restore: live.RestoreFromJournal(j), Reserve: j.Reserve})
			if err != nil {
				return false
			}
			if _, err = br.ensure(context.Background(), newMeetingID()); err != nil {
				br.Close()
				return false
			}
			return true
		})
		defer br.Close()
		brokers = append(brokers, br)
	}
	stat := func() (rss int64, cpu time.Duration) {
		for _, s := range servers {
			r, c := procStat(s.Pid())
			rss, cpu = rss+r, cpu+c
		}
		return
	}
	rss0, cpu0 := stat()
	ctx := context.Background()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = newMeetingID()
	}
	var mu sync.Mutex
	var connects, turns []time.Duration
	got := make([]chan time.Time, n)
	var cancels []func()
	start := time.Now()
	sem := make(chan struct{}, 16)
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
			if err != nil {
				b.Error(err)
				return
			}
			if _, _, err := br.Last(ctx, id); err != nil {
				b.Error(err)
			}
			mu.Lock()
			connects = append(connects, time.Since(t0))
			cancels = append(cancels, cancel)
			mu.Unlock()
		}()
	}
	wg.Wait()
	opened := time.Since(start)
	rss1, cpu1 := stat()
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			t0 := time.Now()
			if _, err := brokers[(i+1)%3].Append(ctx, id, live.Event{Subject: "presentation", Type: "presentation", Payload: []byte(`{"page":2}`)}, -1); err != nil {
				b.Error(err)
				return
			}
			select {
			case at := <-got[i]:
				mu.Lock()
				turns = append(turns, at.Sub(t0))
				mu.Unlock()
			case <-time.After(30 * time.Second):
				b.Error("page turn not delivered")
			}
		}()
	}
	wg.Wait()
	_, cpu2 := stat()
	for _, c := range cancels {
		c()
	}
	time.Sleep(2 * time.Second) // consumers deleted
	rstart := time.Now()
	removed, err := brokers[0].Sweep(ctx, 0, always)
	if err != nil {
		b.Error(err)
	}
	retired := time.Since(rstart)
	time.Sleep(5 * time.Second)
	rss3, _ := stat()
	b.ReportMetric(float64(n), "meetings")
	b.ReportMetric(float64(removed), "removed")
	b.ReportMetric(float64(rss0)/(1<<20), "nats-MB-before")
	b.ReportMetric(float64(rss1)/(1<<20), "nats-MB-open")
	b.ReportMetric(float64(rss1-rss0)/float64(n)/1024, "nats-KB/meeting")
	b.ReportMetric(float64(rss3)/(1<<20), "nats-MB-after-removal")
	b.ReportMetric((cpu1 - cpu0).Seconds(), "nats-cpu-s-open")
	b.ReportMetric((cpu2 - cpu1).Seconds(), "nats-cpu-s-turns")
	b.ReportMetric(opened.Seconds(), "open-s")
	b.ReportMetric(retired.Seconds(), "removal-s")
	reportLatencies(b, "connect-", connects)
	reportLatencies(b, "turn-", turns)
}
