package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// roomTarget is a server whose tablets resume with since and whose room has
// attendance and polls (phonghop): what the reconnect storm and the soak need.
type roomTarget interface {
	target
	checkInner
	// dialSince opens delegate i's socket with ?since=seq (seq < 0: without);
	// the frames that follow (snapshot or replay) are left to the reader.
	dialSince(ctx context.Context, d *websocket.Dialer, i int, since int64) (*websocket.Conn, error)
	checkOut(ctx context.Context, i int) (int64, error)
	// openPoll creates a poll and opens it; closePoll closes it.
	openPoll(ctx context.Context, k int) (string, error)
	closePoll(ctx context.Context, id string) error
}

// tablet is one delegate's socket in the storm and the soak: its reader keeps
// the highest seq seen and the time it first saw seq >= want.
type tablet struct {
	i       int
	conn    *websocket.Conn
	last    atomic.Int64
	want    atomic.Int64 // 0: nothing awaited
	backAt  atomic.Int64 // ns since the run's start when last >= want first held
	closing atomic.Bool
	dropped atomic.Bool  // the server closed it
	why     atomic.Value // string: the close code or error that ended it
	frames  atomic.Int64
	done    chan struct{}
}

func (tb *tablet) read(conn *websocket.Conn, done chan struct{}, start time.Time) {
	defer close(done)
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			if !tb.closing.Load() {
				why := err.Error()
				if ce, ok := err.(*websocket.CloseError); ok {
					why = fmt.Sprintf("close %d %s", ce.Code, ce.Text)
				}
				tb.why.Store(why)
				tb.dropped.Store(true)
			}
			return
		}
		tb.frames.Add(1)
		if _, seq, ok, err := scanTypeSeq(b); err == nil && ok && seq > tb.last.Load() {
			tb.last.Store(seq)
			if w := tb.want.Load(); w > 0 && seq >= w && tb.backAt.Load() == 0 {
				tb.backAt.Store(int64(time.Since(start)))
			}
		}
	}
}

// start runs the reader of a freshly dialled tablet.
func (tb *tablet) start(conn *websocket.Conn, since int64, begin time.Time) {
	tb.conn = conn
	tb.closing.Store(false)
	tb.dropped.Store(false)
	tb.done = make(chan struct{})
	if since > tb.last.Load() {
		tb.last.Store(since)
	}
	go tb.read(conn, tb.done, begin)
}

// stop closes the socket without a close frame (as a dropped network does)
// and waits for its reader.
func (tb *tablet) stop() {
	if tb.conn == nil {
		return
	}
	tb.closing.Store(true)
	tb.conn.Close()
	<-tb.done
	tb.conn = nil
}

// leave closes the socket the way a tablet app leaving the room does: a close
// frame, then the connection.
func (tb *tablet) leave() {
	if tb.conn == nil {
		return
	}
	tb.closing.Store(true)
	tb.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	tb.conn.Close()
	<-tb.done
	tb.conn = nil
}

func roomDialer() *websocket.Dialer {
	return &websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024, WriteBufferPool: &sync.Pool{}}
}

// connectAll opens every tablet's socket, c.concurrency at a time.
func connectAll(ctx context.Context, c *config, t roomTarget, tabs []*tablet, begin time.Time) error {
	d := roomDialer()
	return parallel(ctx, len(tabs), c.concurrency, func(i int) error {
		conn, seq, err := t.dial(ctx, d, i)
		if err != nil {
			return err
		}
		tabs[i].start(conn, seq, begin)
		return nil
	})
}

// redial dials tablet tb with since until it gets in or the deadline passes,
// backing off from 50 ms to 2 s (with jitter) as the web app does.
func redial(ctx context.Context, t roomTarget, d *websocket.Dialer, tb *tablet, since int64, deadline time.Time, begin time.Time) (retries int, err error) {
	backoff := 50 * time.Millisecond
	for {
		conn, err := t.dialSince(ctx, d, tb.i, since)
		if err == nil {
			tb.start(conn, since, begin)
			return retries, nil
		}
		if time.Now().Add(backoff).After(deadline) || ctx.Err() != nil {
			return retries, err
		}
		retries++
		time.Sleep(backoff/2 + rand.N(backoff/2+1))
		backoff = min(backoff*2, 2*time.Second)
	}
}

// StormResult is what the reconnect storm measured.
type StormResult struct {
	Target     string    `json:"target"`
	Time       time.Time `json:"time"`
	Tablets    int       `json:"tablets"`
	ConnectMs  float64   `json:"connectWallMs"` // the first connection of all
	Back       int       `json:"back"`          // tablets that had the awaited event again
	WallMs     float64   `json:"wallMs"`        // from the return until the last one was back
	BackAt     Dist      `json:"backAt"`        // per tablet, from the return
	AwayMs     float64   `json:"awayMs"`        // between the drop and the return (-storm-away)
	Retries    int       `json:"retries"`
	Errors     int       `json:"errors"` // tablets that never got back in
	FirstError string    `json:"firstError,omitempty"`
	AfterTurn  int       `json:"afterTurnReached"` // tablets a page turn made after the storm reached
	ServerCPU  float64   `json:"serverCpuSec"`
	// ToolCPU is the load tool's own CPU over the same time (dialling 2,000
	// sockets at once, their handshakes and reads): with the server's, what
	// the storm cost both ends of the machine it shares.
	ToolCPU     float64 `json:"toolCpuSec"`
	ServerRSS   int64   `json:"serverRssKiB"`
	LoadAvg     string  `json:"loadAvg"`
	CPUs        int     `json:"cpus"`
	Concurrency int     `json:"concurrency"`
}

// storm connects every tablet, turns a page and waits until all have it, then
// drops every socket at once (no close frame, as when an access point
// restarts) and has every tablet come back at the same moment with since set
// just before that page turn: a tablet is back when it has that event again
// (replayed, or in a snapshot). A page turn after the storm must reach all.
func storm(ctx context.Context, c *config, t roomTarget, progress func(string, ...any)) (*StormResult, error) {
	res := &StormResult{Target: c.target, Time: time.Now().UTC(), Tablets: c.delegates, CPUs: runtime.NumCPU(), Concurrency: c.delegates}
	if err := t.setup(ctx); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	begin := time.Now()
	tabs := make([]*tablet, c.delegates)
	for i := range tabs {
		tabs[i] = &tablet{i: i}
	}
	defer func() {
		for _, tb := range tabs {
			tb.stop()
		}
	}()
	progress("connecting %d tablets, %d at a time", len(tabs), c.concurrency)
	if err := connectAll(ctx, c, t, tabs, begin); err != nil {
		return nil, err
	}
	res.ConnectMs = float64(time.Since(begin).Microseconds()) / 1000
	sleepCtx(ctx, c.settle)
	s0, err := t.turn(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("page turn: %w", err)
	}
	if n := waitAll(ctx, tabs, s0, c.wait); n < len(tabs) {
		return nil, fmt.Errorf("the page turn before the storm reached %d of %d tablets", n, len(tabs))
	}
	progress("dropping %d sockets and reconnecting them all at once with since=%d", len(tabs), s0-1)
	for _, tb := range tabs {
		tb.stop()
		tb.last.Store(0)
		tb.want.Store(s0)
		tb.backAt.Store(0)
	}
	if c.stormAway > 0 {
		progress("away for %s", c.stormAway)
		sleepCtx(ctx, c.stormAway)
	}
	res.AwayMs = float64(c.stormAway.Microseconds()) / 1000
	res.LoadAvg = loadAvg()
	var cpu0 int64
	if c.serverPID != 0 {
		cpu0, _ = readCPU(c.serverPID)
	}
	toolCPU0 := selfCPU()
	d := roomDialer()
	deadline := time.Now().Add(c.wait)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	dropAt := time.Now()
	dropNs := int64(dropAt.Sub(begin))
	for _, tb := range tabs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := redial(ctx, t, d, tb, s0-1, deadline, begin)
			mu.Lock()
			defer mu.Unlock()
			res.Retries += r
			if err != nil {
				res.Errors++
				if res.FirstError == "" {
					res.FirstError = err.Error()
				}
			}
		}()
	}
	wg.Wait()
	waitAll(ctx, tabs, s0, time.Until(deadline))
	var backs []time.Duration
	for _, tb := range tabs {
		if at := tb.backAt.Load(); at > 0 {
			backs = append(backs, time.Duration(at-dropNs))
		}
	}
	res.Back = len(backs)
	res.BackAt = summarize(backs)
	res.WallMs = res.BackAt.Max
	res.ToolCPU = round2((selfCPU() - toolCPU0).Seconds())
	if c.serverPID != 0 {
		if cpu1, err := readCPU(c.serverPID); err == nil {
			res.ServerCPU = float64(cpu1-cpu0) / 100
		}
		res.ServerRSS, _ = readRSS(c.serverPID)
	}
	if s1, err := t.turn(ctx, 1); err == nil {
		res.AfterTurn = waitAll(ctx, tabs, s1, c.wait)
	} else if res.FirstError == "" {
		res.FirstError = "page turn after the storm: " + err.Error()
	}
	return res, nil
}

// waitAll waits until every tablet with a socket has seen seq, or for d; it
// returns how many have.
func waitAll(ctx context.Context, tabs []*tablet, seq int64, d time.Duration) int {
	deadline := time.Now().Add(d)
	for {
		n := 0
		for _, tb := range tabs {
			if tb.last.Load() >= seq {
				n++
			}
		}
		if n == len(tabs) || time.Now().After(deadline) || ctx.Err() != nil {
			return n
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func tabsOf(c *config) []*tablet {
	tabs := make([]*tablet, c.delegates)
	for i := range tabs {
		tabs[i] = &tablet{i: i}
	}
	return tabs
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func printStorm(w *os.File, r *StormResult) {
	fmt.Fprintf(w, "reconnect storm   %d tablets (first connection of all %.1f s), away %.1f s\n", r.Tablets, r.ConnectMs/1000, r.AwayMs/1000)
	fmt.Fprintf(w, "  back            %d of %d; all back after %.0f ms (p50 %.0f ms, p99 %.0f ms); %d retries, %d never back\n",
		r.Back, r.Tablets, r.WallMs, r.BackAt.P50, r.BackAt.P99, r.Retries, r.Errors)
	fmt.Fprintf(w, "  turn after      reached %d of %d\n", r.AfterTurn, r.Tablets)
	fmt.Fprintf(w, "  server          %.2f s CPU during the storm, %d KiB RSS after\n", r.ServerCPU, r.ServerRSS)
	fmt.Fprintf(w, "  load tool       %.2f s CPU during the storm (its %d dials and reads)\n", r.ToolCPU, r.Tablets)
	fmt.Fprintf(w, "machine           %d CPUs, load average %s\n", r.CPUs, r.LoadAvg)
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error       %s\n", r.FirstError)
	}
}

// gauges are what the soak watches return to their baseline.
type gauges struct {
	At         float64 `json:"atSec"`
	RSSKiB     int64   `json:"rssKiB"`
	HeapKiB    int64   `json:"heapInuseKiB"` // from /metrics (0 without it)
	Goroutines int     `json:"goroutines"`   // from /metrics (0 without it)
	OpenFiles  int     `json:"openFiles"`
}

// readGauges reads the server's /metrics (Go collector and process collector)
// and, with -server-pid, its RSS and descriptors from /proc, which win.
func readGauges(ctx context.Context, c *config) gauges {
	var g gauges
	httpClient.CloseIdleConnections() // the tool's own idle keep-alives are no server leak
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/metrics", nil)
	if err == nil {
		if resp, err := httpClient.Do(req); err == nil {
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				name, val, ok := strings.Cut(sc.Text(), " ")
				if !ok {
					continue
				}
				v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
				if err != nil {
					continue
				}
				switch name {
				case "go_goroutines":
					g.Goroutines = int(v)
				case "process_open_fds":
					g.OpenFiles = int(v)
				case "process_resident_memory_bytes":
					g.RSSKiB = int64(v) / 1024
				case "go_memstats_heap_inuse_bytes":
					g.HeapKiB = int64(v) / 1024
				}
			}
			resp.Body.Close()
			httpClient.CloseIdleConnections()
		}
	}
	if c.serverPID != 0 {
		if v, err := readRSS(c.serverPID); err == nil {
			g.RSSKiB = v
		}
		if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", c.serverPID)); err == nil {
			g.OpenFiles = len(fds)
		}
	}
	return g
}

// SoakResult is what the soak measured.
type SoakResult struct {
	Target        string         `json:"target"`
	Time          time.Time      `json:"time"`
	Tablets       int            `json:"tablets"`
	ChurnSec      float64        `json:"churnSec"`
	ChurnPerSec   int            `json:"churnPerSec"` // tablets leaving (and as many joining) every second
	Joins         int            `json:"joins"`
	Turns         int            `json:"turns"`
	CheckIns      int            `json:"checkIns"`
	CheckOuts     int            `json:"checkOuts"`
	Polls         int            `json:"pollsOpened"`
	Errors        int            `json:"errors"`
	FirstError    string         `json:"firstError,omitempty"`
	Dropped       int            `json:"dropped"` // sockets the server closed during the churn
	DroppedWhy    map[string]int `json:"droppedWhy,omitempty"`
	Rejoined      int            `json:"rejoined"` // dropped tablets that came back after the churn, before the comparison
	Join          Dist           `json:"join"`     // a joining tablet's dial (with its snapshot or replay request)
	LastTurnReach int            `json:"lastTurnReached"`
	Baseline      gauges         `json:"baseline"`
	Peak          gauges         `json:"peak"`
	End           gauges         `json:"end"` // the last sample after the churn stopped
	Returned      bool           `json:"returned"`
	ReturnedAfter float64        `json:"returnedAfterSec"` // from the end of the churn
	Samples       []gauges       `json:"samples"`
	LoadAvgStart  string         `json:"loadAvgStart"`
	LoadAvgEnd    string         `json:"loadAvgEnd"`
	CPUs          int            `json:"cpus"`
}

// within says whether g is back at base: goroutines and descriptors within 20
// (the runtime's and HTTP's own come and go), RSS within 10% or 16 MiB.
func within(g, base gauges) bool {
	return g.Goroutines <= base.Goroutines+20 && g.OpenFiles <= base.OpenFiles+20 &&
		g.RSSKiB <= base.RSSKiB+max(base.RSSKiB/10, 16<<10)
}

// soak connects every tablet, reads the baseline, then for c.soak churns every
// second: c.soakChurn tablets leave (half with a close frame, half dropped)
// and as many join (half resuming with since, half fresh) and the chair turns
// a page; every 10 s a delegate checks in and later out, and a poll opens or
// closes (more than half the delegates checked in first, for the quorum). After the churn it waits up to c.soakDrain for RSS, goroutines and
// open files to come back to the baseline.
func soak(ctx context.Context, c *config, t roomTarget, progress func(string, ...any)) (*SoakResult, error) {
	res := &SoakResult{Target: c.target, Time: time.Now().UTC(), Tablets: c.delegates, ChurnSec: c.soak.Seconds(), CPUs: runtime.NumCPU()}
	k := c.soakChurn
	if k <= 0 {
		k = max(1, c.delegates/100)
	}
	k = min(k, c.delegates)
	res.ChurnPerSec = k
	if err := t.setup(ctx); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	// A poll opens only with a quorum present: more than half the delegates
	// check in before any socket listens, and the churn's check-ins and
	// check-outs are among the others.
	q := min(len(tabsOf(c))/2+2, c.accountCount())
	progress("checking in %d delegates for the quorum", q)
	var qmu sync.Mutex
	if err := parallel(ctx, q, 4, func(i int) error {
		_, err := t.checkIn(ctx, i)
		qmu.Lock()
		res.CheckIns++
		qmu.Unlock()
		return err
	}); err != nil {
		return nil, fmt.Errorf("quorum: %w", err)
	}
	begin := time.Now()
	tabs := tabsOf(c)
	defer func() {
		for _, tb := range tabs {
			tb.stop()
		}
	}()
	progress("connecting %d tablets", len(tabs))
	if err := connectAll(ctx, c, t, tabs, begin); err != nil {
		return nil, err
	}
	sleepCtx(ctx, c.settle)
	sample := func() gauges {
		g := readGauges(ctx, c)
		g.At = round1(time.Since(begin).Seconds())
		return g
	}
	res.Baseline = sample()
	res.Peak = res.Baseline
	res.Samples = append(res.Samples, res.Baseline)
	res.LoadAvgStart = loadAvg()
	progress("baseline %+v; churning %d tablets a second for %s", res.Baseline, k, c.soak)

	fail := func(err error) {
		res.Errors++
		if res.FirstError == "" {
			res.FirstError = err.Error()
		}
	}
	d := roomDialer()
	var joins []time.Duration
	poll := ""
	rng := rand.New(rand.NewPCG(1, 2))
	churnEnd := time.Now().Add(c.soak)
	lastSample := time.Now()
	var lastTurn int64
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for s := 0; time.Now().Before(churnEnd) && ctx.Err() == nil; s++ {
		// Leave and join: k distinct tablets, dropped or closed, then back.
		idx := rng.Perm(len(tabs))[:k]
		var wg sync.WaitGroup
		var mu sync.Mutex
		for j, i := range idx {
			tb := tabs[i]
			if tb.conn != nil && tb.dropped.Load() {
				res.dropped(tb)
			}
			if j%2 == 0 {
				tb.leave()
			} else {
				tb.stop()
			}
			since := int64(-1)
			if j%2 == 1 {
				since = tb.last.Load()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				_, err := redial(ctx, t, d, tb, since, time.Now().Add(30*time.Second), begin)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					fail(fmt.Errorf("join %d: %w", tb.i, err))
					return
				}
				joins = append(joins, time.Since(t0))
				res.Joins++
			}()
		}
		if seq, err := t.turn(ctx, s); err != nil {
			fail(err)
		} else {
			res.Turns++
			lastTurn = seq
		}
		if j := q + (s/10)%max(len(tabs)-q, 1); j < len(tabs) {
			switch s % 10 {
			case 2:
				if _, err := t.checkIn(ctx, j); err != nil {
					fail(err)
				} else {
					res.CheckIns++
				}
			case 7:
				if _, err := t.checkOut(ctx, j); err != nil {
					fail(err)
				} else {
					res.CheckOuts++
				}
			}
		}
		if s%10 == 5 {
			if poll == "" {
				id, err := t.openPoll(ctx, s)
				if err != nil {
					fail(err)
				} else {
					poll = id
					res.Polls++
				}
			} else {
				if err := t.closePoll(ctx, poll); err != nil {
					fail(err)
				}
				poll = ""
			}
		}
		wg.Wait()
		if time.Since(lastSample) >= 10*time.Second {
			lastSample = time.Now()
			g := sample()
			res.Peak.RSSKiB = max(res.Peak.RSSKiB, g.RSSKiB)
			res.Peak.HeapKiB = max(res.Peak.HeapKiB, g.HeapKiB)
			res.Peak.Goroutines = max(res.Peak.Goroutines, g.Goroutines)
			res.Peak.OpenFiles = max(res.Peak.OpenFiles, g.OpenFiles)
			if len(res.Samples) < 400 {
				res.Samples = append(res.Samples, g)
			}
			progress("after %.0f s: %d joins, %d errors, %+v", time.Since(begin).Seconds(), res.Joins, res.Errors, g)
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	if poll != "" {
		if err := t.closePoll(ctx, poll); err != nil {
			fail(err)
		}
	}
	// Every tablet the server dropped comes back before the comparison, so
	// the end is measured with as many sockets as the baseline.
	var back []*tablet
	for _, tb := range tabs {
		if tb.conn != nil && tb.dropped.Load() {
			res.dropped(tb)
		}
		if tb.conn == nil || tb.dropped.Load() {
			back = append(back, tb)
		}
	}
	if err := parallel(ctx, len(back), c.concurrency, func(j int) error {
		tb := back[j]
		since := tb.last.Load()
		tb.stop()
		_, err := redial(ctx, t, d, tb, since, time.Now().Add(60*time.Second), begin)
		return err
	}); err != nil {
		fail(fmt.Errorf("rejoining the dropped: %w", err))
	}
	res.Rejoined = len(back)
	res.Join = summarize(joins)
	res.LastTurnReach = waitAll(ctx, tabs, lastTurn, c.wait)
	res.LoadAvgEnd = loadAvg()
	stopped := time.Now()
	progress("churn stopped; waiting up to %s for the baseline %+v", c.soakDrain, res.Baseline)
	for {
		g := sample()
		res.End = g
		res.Samples = append(res.Samples, g)
		if within(g, res.Baseline) {
			res.Returned = true
			res.ReturnedAfter = round1(time.Since(stopped).Seconds())
			break
		}
		if time.Since(stopped) >= c.soakDrain || ctx.Err() != nil {
			break
		}
		sleepCtx(ctx, 5*time.Second)
	}
	return res, nil
}

func (r *SoakResult) dropped(tb *tablet) {
	r.Dropped++
	if r.DroppedWhy == nil {
		r.DroppedWhy = map[string]int{}
	}
	why, _ := tb.why.Load().(string)
	r.DroppedWhy[why]++
}

func printSoak(w *os.File, r *SoakResult) {
	g := func(x gauges) string {
		return fmt.Sprintf("RSS %d KiB, heap %d KiB, %d goroutines, %d open files", x.RSSKiB, x.HeapKiB, x.Goroutines, x.OpenFiles)
	}
	fmt.Fprintf(w, "soak              %d tablets, %.0f s of churn, %d leaving and joining a second\n", r.Tablets, r.ChurnSec, r.ChurnPerSec)
	fmt.Fprintf(w, "  done            %d joins (dial p50 %.0f ms, p99 %.0f ms), %d page turns, %d check-ins, %d check-outs, %d polls\n",
		r.Joins, r.Join.P50, r.Join.P99, r.Turns, r.CheckIns, r.CheckOuts, r.Polls)
	fmt.Fprintf(w, "  errors          %d; sockets dropped by the server %d; last turn reached %d of %d\n", r.Errors, r.Dropped, r.LastTurnReach, r.Tablets)
	fmt.Fprintf(w, "  rejoined        %d dropped tablets came back before the comparison\n", r.Rejoined)
	for why, n := range r.DroppedWhy {
		fmt.Fprintf(w, "  dropped         %d: %s\n", n, why)
	}
	fmt.Fprintf(w, "  baseline        %s\n", g(r.Baseline))
	fmt.Fprintf(w, "  peak            %s\n", g(r.Peak))
	fmt.Fprintf(w, "  after churn     %s\n", g(r.End))
	if r.Returned {
		fmt.Fprintf(w, "  returned        yes, %.0f s after the churn stopped\n", r.ReturnedAfter)
	} else {
		fmt.Fprintf(w, "  returned        NO\n")
	}
	fmt.Fprintf(w, "machine           %d CPUs, load average %s at the start, %s at the end\n", r.CPUs, r.LoadAvgStart, r.LoadAvgEnd)
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error       %s\n", r.FirstError)
	}
}

// errNoRoom is returned for -storm or -soak against a target without a room.
var errNoRoom = errors.New("-storm and -soak need -target phonghop")

// roomMain runs -storm or -soak and prints the result; it reports whether it ran.
func roomMain(ctx context.Context, c *config, t target) (bool, error) {
	if !c.storm && c.soak <= 0 {
		return false, nil
	}
	rt, ok := t.(roomTarget)
	if !ok {
		return true, errNoRoom
	}
	if _, err := raiseNoFile(); err != nil {
		return true, err
	}
	progress := func(format string, args ...any) {
		if !c.quiet {
			log.Printf(format, args...)
		}
	}
	var res any
	var err error
	if c.storm {
		var r *StormResult
		if r, err = storm(ctx, c, rt, progress); err == nil {
			res = r
			defer printStorm(os.Stdout, r)
		}
	} else {
		var r *SoakResult
		if r, err = soak(ctx, c, rt, progress); err == nil {
			res = r
			defer printSoak(os.Stdout, r)
		}
	}
	if err != nil {
		return true, err
	}
	if c.jsonOut != "" {
		if err := writeJSON(c.jsonOut, res); err != nil {
			return true, err
		}
	}
	return true, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
