package main

import (
	"math"
	"slices"
	"time"
)

// Dist summarises a sample of durations in milliseconds.
type Dist struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50Ms"`
	P90 float64 `json:"p90Ms"`
	P99 float64 `json:"p99Ms"`
	Max float64 `json:"maxMs"`
}

// percentile returns the nearest-rank percentile p (0 < p <= 100) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(rank, 1)
	rank = min(rank, len(sorted))
	return sorted[rank-1]
}

func summarize(d []time.Duration) Dist {
	if len(d) == 0 {
		return Dist{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	ms := func(x time.Duration) float64 { return math.Round(float64(x)/1e4) / 100 }
	return Dist{
		N:   len(s),
		P50: ms(percentile(s, 50)),
		P90: ms(percentile(s, 90)),
		P99: ms(percentile(s, 99)),
		Max: ms(s[len(s)-1]),
	}
}

// seqTrack checks one socket's event order: seq strictly increases and, since
// every meeting event reaches every participant, never skips a number.
type seqTrack struct {
	last       int64
	started    bool
	outOfOrder int // events whose seq was not above the previous one
	gaps       int // seq numbers skipped between consecutive events
}

// start sets the seq the next event must follow (the snapshot's, or 0).
func (t *seqTrack) start(seq int64) { t.last, t.started = seq, true }

func (t *seqTrack) observe(seq int64) {
	if !t.started {
		t.start(seq)
		return
	}
	if seq <= t.last {
		t.outOfOrder++
		return
	}
	if seq > t.last+1 {
		t.gaps += int(seq - t.last - 1)
	}
	t.last = seq
}

// turn is one page turn: the seq the server gave its event and when it was sent,
// on the process's monotonic clock (offset from the run's start).
type turn struct {
	seq  int64
	sent time.Duration
}

// rec is one presentation event received by one socket.
type rec struct {
	seq int64
	at  time.Duration
}

// matchResult is what matching received events against the chair's turns yields.
type matchResult struct {
	latencies  []time.Duration
	missed     int // (socket, turn) pairs never received
	duplicates int // a turn received twice on one socket
	unknown    int // presentation events that match no turn of ours
	// turnMax is, per turn, the latency of its slowest delivery: the time until
	// every tablet showed that page.
	turnMax []time.Duration
}

// matchTurns pairs every socket's received presentation events with the turns
// the chair made. A delivery's latency is its receipt time minus the turn's send
// time; both come from the same clock, so no synchronisation is involved.
func matchTurns(turns []turn, socks [][]rec) matchResult {
	// Several turns may share a seq: check-ins the server made as one event.
	idx := make(map[int64][]int, len(turns))
	for i, t := range turns {
		idx[t.seq] = append(idx[t.seq], i)
	}
	var r matchResult
	r.turnMax = make([]time.Duration, len(turns))
	seen := make([]bool, len(turns))
	r.latencies = make([]time.Duration, 0, len(turns)*len(socks))
	for _, recs := range socks {
		clear(seen)
		got := 0
		for _, e := range recs {
			is, ok := idx[e.seq]
			if !ok {
				r.unknown++
				continue
			}
			if seen[is[0]] {
				r.duplicates++
				continue
			}
			for _, i := range is {
				seen[i] = true
				got++
				l := e.at - turns[i].sent
				r.latencies = append(r.latencies, l)
				r.turnMax[i] = max(r.turnMax[i], l)
			}
		}
		r.missed += len(turns) - got
	}
	return r
}
