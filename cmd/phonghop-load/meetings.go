package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The meetings mode (-meetings M): many meetings open at once, as on a
// province's busy day, instead of one big room. M meetings with -per-meeting
// K delegates each (the same K accounts sit in every meeting); every meeting's
// K sockets connect, spread over the phonghop processes named in -url (a
// comma-separated list: the processes of one cluster), then the chair turns a
// page in every meeting, the turns spread evenly over -spread, each through
// the process after the one its first socket is on, so that the event crosses
// NATS. Reported: the time to make the meetings (each one's set-up changes
// are live events, so this opens its stream on NATS), the connect time of a meeting's first socket (which opens
// the meeting: its stream on NATS) and of the others, the page turn's call
// and its delivery to every socket of its meeting (p50/p99), and the RSS and
// CPU time of every process in -server-pids and -nats-pids.

// many is the meetings mode's view of the servers: one client per process.
type many struct {
	c        *config
	procs    []*phonghop // one per URL; tokens are shared (sessions are in the store)
	meetings []meetingRef
	tokens   []string // delegate j's token, for socket j of every meeting
	chair    string

	setupErrors     int // meetings that could not be made
	firstSetupError string
}

// newMany makes a client per URL in c.url.
func newMany(c *config) *many {
	m := &many{c: c}
	for _, u := range strings.Split(c.url, ",") {
		cc := *c
		cc.url = strings.TrimRight(strings.TrimSpace(u), "/")
		m.procs = append(m.procs, &phonghop{c: &cc})
	}
	return m
}

// setup makes (or finds) the accounts on the first process, logs them in and
// makes the meetings, their requests spread over the processes.
func (m *many) setup(ctx context.Context, progress func(string, ...any)) error {
	p := m.procs[0]
	if m.c.adminPassword == "" {
		return errors.New("-meetings needs -admin-password: the meetings are made for the run")
	}
	chairUser, chairPass := p.chairCreds()
	admin, err := p.login(ctx, m.c.adminUser, m.c.adminPassword)
	if err != nil {
		return err
	}
	ids, err := p.ensureUsers(ctx, admin, chairUser, chairPass)
	if err != nil {
		return err
	}
	if err := p.loginAll(ctx, chairUser, chairPass); err != nil {
		return err
	}
	m.tokens, m.chair = p.tokens, p.chairToken
	for _, q := range m.procs {
		q.tokens, q.chairToken = m.tokens, m.chair
	}
	body, err := pdfUpload(2)
	if err != nil {
		return err
	}
	// A meeting that cannot be made is counted and left out (each one's
	// set-up changes open its stream on NATS, which is part of what is
	// measured); the run goes on with the others.
	made := make([]meetingRef, m.c.meetings)
	var done atomic.Int64
	var mu sync.Mutex
	t0 := time.Now()
	_ = parallel(ctx, m.c.meetings, m.c.loginConcurrency, func(i int) error {
		q := m.procs[i%len(m.procs)]
		ref, err := q.newMeeting(ctx, admin, fmt.Sprintf("Kiểm tra nhiều cuộc họp %s %05d", m.c.runID, i+1), ids, body)
		if err != nil {
			mu.Lock()
			if m.setupErrors++; m.firstSetupError == "" {
				m.firstSetupError = err.Error()
			}
			mu.Unlock()
			return nil
		}
		made[i] = ref
		if k := done.Add(1); k%500 == 0 {
			progress("%d meetings made", k)
		}
		return nil
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, r := range made {
		if r.id != "" {
			m.meetings = append(m.meetings, r)
		}
	}
	progress("%d meetings with %d delegates each made in %.1fs (%d failed)", len(m.meetings), m.c.delegates, time.Since(t0).Seconds(), m.setupErrors)
	if len(m.meetings) == 0 {
		return fmt.Errorf("no meeting could be made: %s", m.firstSetupError)
	}
	return nil
}

// ProcStat is one process's resident memory and CPU time at the points of a run.
type ProcStat struct {
	Role         string  `json:"role"` // phonghop or nats
	PID          int     `json:"pid"`
	RSSStartKiB  int64   `json:"rssStartKiB"`  // before the meetings were made
	RSSBeforeKiB int64   `json:"rssBeforeKiB"` // meetings made, before connecting
	CPUSetupSec  float64 `json:"cpuSetupSec"`  // making the meetings (and their streams)
	RSSOpenKiB   int64   `json:"rssOpenKiB"`   // every meeting connected, after -settle
	RSSAfterKiB  int64   `json:"rssAfterTurnsKiB"`
	CPUOpenSec   float64 `json:"cpuOpenSec"` // connecting every socket
	CPUTurnsSec  float64 `json:"cpuTurnsSec"`
}

// MeetingsResult is the outcome of a meetings run.
type MeetingsResult struct {
	Mode          string    `json:"mode"` // "meetings"
	URLs          []string  `json:"urls"`
	Time          time.Time `json:"time"`
	Meetings      int       `json:"meetings"`
	SetupErrors   int       `json:"setupErrors"` // meetings that could not be made
	SetupMs       float64   `json:"setupMs"`
	PerMeeting    int       `json:"perMeeting"`
	Sockets       int       `json:"sockets"`
	Connected     int       `json:"connected"`
	ConnectErrors int       `json:"connectErrors"`
	// MeetingsOpen counts meetings whose every socket connected.
	MeetingsOpen  int     `json:"meetingsOpen"`
	FirstError    string  `json:"firstError,omitempty"`
	ConnectWallMs float64 `json:"connectWallMs"`
	Open          Dist    `json:"open"` // a meeting's first socket: opens the meeting (its stream)
	Join          Dist    `json:"join"` // the other sockets
	SpreadMs      float64 `json:"spreadMs"`
	Turns         int     `json:"turns"`
	TurnErrors    int     `json:"turnErrors"`
	TurnCall      Dist    `json:"turnCall"` // the chair's PUT .../presentation
	Expected      int     `json:"expectedDeliveries"`
	Delivered     int     `json:"delivered"`
	Missed        int     `json:"missed"`
	Dropped       int     `json:"dropped"` // sockets the server closed during the run
	Latency       Dist    `json:"latency"` // from a turn's call to each socket of its meeting
	// AllReached is, per meeting, the time until its last socket had the turn.
	AllReached Dist       `json:"allReached"`
	Procs      []ProcStat `json:"procs"`
	ToolRSSKiB int64      `json:"toolRssKiB"`
	ToolCPUSec float64    `json:"toolCpuSec"`
	LoadAvg    []string   `json:"loadAvg"` // before connecting, before the turns, at the end
	CPUs       int        `json:"cpus"`
}

// pidList parses a comma-separated list of pids.
func pidList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("pid %q: %w", f, err)
		}
		out = append(out, pid)
	}
	return out, nil
}

// runMeetings makes the meetings with setup (nil: m has them already),
// connects every meeting's sockets, turns a page in each and measures.
func runMeetings(ctx context.Context, c *config, m *many, setup func() error, serverPIDs, natsPIDs []int, progress func(string, ...any)) (*MeetingsResult, error) {
	k := c.delegates
	res := &MeetingsResult{Mode: "meetings", Time: time.Now().UTC(), PerMeeting: k,
		SpreadMs: float64(c.spread.Microseconds()) / 1000, CPUs: runtime.NumCPU()}
	for _, p := range m.procs {
		res.URLs = append(res.URLs, p.c.url)
	}
	nofile, err := raiseNoFile()
	if err != nil {
		return nil, fmt.Errorf("raise open-file limit: %w", err)
	}
	if n := uint64(max(c.meetings, len(m.meetings)) * k); n+64 > nofile {
		return nil, fmt.Errorf("%d sockets need more than the open-file limit %d", n, nofile)
	}
	for _, pid := range serverPIDs {
		res.Procs = append(res.Procs, ProcStat{Role: "phonghop", PID: pid})
	}
	for _, pid := range natsPIDs {
		res.Procs = append(res.Procs, ProcStat{Role: "nats", PID: pid})
	}
	// sample reads every process's CPU time, and its RSS into the field rss
	// picks (nil: not kept).
	sample := func(rss func(*ProcStat) *int64) []int64 {
		cpus := make([]int64, len(res.Procs))
		for i := range res.Procs {
			p := &res.Procs[i]
			if v, err := readRSS(p.PID); err == nil && rss != nil {
				*rss(p) = v
			}
			cpus[i], _ = readCPU(p.PID)
		}
		return cpus
	}
	res.LoadAvg = append(res.LoadAvg, loadAvg())
	tool0 := selfCPU()
	cpuStart := sample(func(p *ProcStat) *int64 { return &p.RSSStartKiB })
	if setup != nil {
		t0 := time.Now()
		if err := setup(); err != nil {
			return nil, fmt.Errorf("setup: %w", err)
		}
		res.SetupMs = float64(time.Since(t0).Microseconds()) / 1000
	}
	res.SetupErrors, res.FirstError = m.setupErrors, m.firstSetupError
	nm := len(m.meetings)
	res.Meetings, res.Sockets = nm, nm*k
	cpu0 := sample(func(p *ProcStat) *int64 { return &p.RSSBeforeKiB })

	start := time.Now()
	since := func() time.Duration { return time.Since(start) }
	dialer := roomDialer()
	socks := make([]sock, nm*k) // meeting i's socket j is socks[i*k+j]
	var (
		closing                 atomic.Bool
		delivered, attDelivered atomic.Int64
		readers, connectWG      sync.WaitGroup
		errMu                   sync.Mutex
		sem                     = make(chan struct{}, c.concurrency)
		connected               atomic.Int64
	)
	target := m.procs[0]
	progress("connecting %d meetings × %d sockets over %d processes, %d at a time", nm, k, len(m.procs), c.concurrency)
	// Meeting by meeting: a meeting's first socket opens it, the others join.
	for idx := range socks {
		sem <- struct{}{}
		if ctx.Err() != nil {
			<-sem
			break
		}
		i, j := idx/k, idx%k
		connectWG.Add(1)
		go func(s *sock) {
			p := m.procs[(i+j)%len(m.procs)]
			t0 := time.Now()
			conn, seq, err := p.dialLive(ctx, dialer, m.meetings[i].id, m.tokens[j])
			s.dialDur = time.Since(t0)
			<-sem
			if err != nil {
				errMu.Lock()
				res.ConnectErrors++
				if res.FirstError == "" {
					res.FirstError = err.Error()
				}
				errMu.Unlock()
				connectWG.Done()
				return
			}
			s.conn = conn
			s.track.start(seq)
			s.pres = make([]rec, 0, 2)
			if n := connected.Add(1); n%2000 == 0 {
				progress("%d connected", n)
			}
			readers.Add(1)
			connectWG.Done()
			readLoop(s, target, since, &delivered, &attDelivered, &closing, &readers)
		}(&socks[idx])
	}
	connectWG.Wait()
	res.ConnectWallMs = float64(time.Since(start).Microseconds()) / 1000
	res.Connected = int(connected.Load())
	var opens, joins []time.Duration
	for i := range nm {
		all := true
		for j := range k {
			s := &socks[i*k+j]
			switch {
			case s.conn == nil:
				all = false
			case j == 0:
				opens = append(opens, s.dialDur)
			default:
				joins = append(joins, s.dialDur)
			}
		}
		if all {
			res.MeetingsOpen++
		}
	}
	res.Open, res.Join = summarize(opens), summarize(joins)
	progress("%d of %d sockets connected (%d errors), %d meetings whole, in %.1fs; settling %s",
		res.Connected, res.Sockets, res.ConnectErrors, res.MeetingsOpen, res.ConnectWallMs/1000, c.settle)
	if res.Connected == 0 {
		return res, fmt.Errorf("no socket connected: %s", res.FirstError)
	}
	cpu1 := sample(nil)
	for t := time.Now().Add(c.settle); time.Now().Before(t) && ctx.Err() == nil; {
		time.Sleep(min(time.Second, time.Until(t)))
	}
	sample(func(p *ProcStat) *int64 { return &p.RSSOpenKiB })
	res.LoadAvg = append(res.LoadAvg, loadAvg())

	progress("turning a page in each of %d meetings over %s", nm, c.spread)
	type turnAt struct {
		seq  int64
		sent time.Duration
		ok   bool
	}
	turns := make([]turnAt, nm)
	var calls []time.Duration
	var wg sync.WaitGroup
	cpu2 := sample(nil)
	tstart := time.Now()
	for i := 0; i < nm && ctx.Err() == nil; i++ {
		if d := time.Until(tstart.Add(c.spread * time.Duration(i) / time.Duration(nm))); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := m.procs[(i+1)%len(m.procs)]
			sent := since()
			t0 := time.Now()
			seq, err := p.present(ctx, m.meetings[i], 2)
			errMu.Lock()
			defer errMu.Unlock()
			if err != nil {
				res.TurnErrors++
				if res.FirstError == "" {
					res.FirstError = err.Error()
				}
				return
			}
			calls = append(calls, time.Since(t0))
			turns[i] = turnAt{seq: seq, sent: sent, ok: true}
		}()
	}
	wg.Wait()
	res.Turns = nm
	res.TurnCall = summarize(calls)
	want := int64(0)
	for i := range nm {
		if turns[i].ok {
			for j := range k {
				if socks[i*k+j].conn != nil {
					want++
				}
			}
		}
	}
	for deadline := time.Now().Add(c.wait); delivered.Load() < want && time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(10 * time.Millisecond)
	}
	cpu3 := sample(func(p *ProcStat) *int64 { return &p.RSSAfterKiB })
	for i := range res.Procs {
		res.Procs[i].CPUSetupSec = float64(cpu0[i]-cpuStart[i]) / 100
		res.Procs[i].CPUOpenSec = float64(cpu1[i]-cpu0[i]) / 100
		res.Procs[i].CPUTurnsSec = float64(cpu3[i]-cpu2[i]) / 100
	}
	res.ToolCPUSec = round2((selfCPU() - tool0).Seconds())
	if v, err := readRSS(os.Getpid()); err == nil {
		res.ToolRSSKiB = v
	}
	res.LoadAvg = append(res.LoadAvg, loadAvg())

	closing.Store(true)
	for i := range socks {
		if socks[i].conn != nil {
			socks[i].conn.Close()
		}
	}
	readers.Wait()
	var lat, reached []time.Duration
	for i := range nm {
		if !turns[i].ok {
			continue
		}
		var pres [][]rec
		for j := range k {
			s := &socks[i*k+j]
			if s.conn == nil {
				continue
			}
			pres = append(pres, s.pres)
			if s.err != nil {
				res.Dropped++
			}
		}
		r := matchTurns([]turn{{seq: turns[i].seq, sent: turns[i].sent}}, pres)
		res.Expected += len(pres)
		res.Delivered += len(r.latencies)
		res.Missed += r.missed
		lat = append(lat, r.latencies...)
		reached = append(reached, r.turnMax...)
	}
	res.Latency, res.AllReached = summarize(lat), summarize(reached)
	runtime.KeepAlive(socks)
	return res, nil
}

// meetingsMain runs the meetings mode when -meetings is set.
func meetingsMain(ctx context.Context, c *config) (ran bool, err error) {
	if c.meetings <= 0 {
		return false, nil
	}
	if c.target != "phonghop" {
		return true, errors.New("-meetings is for -target phonghop")
	}
	progress := func(format string, args ...any) {
		if !c.quiet {
			log.Printf(format, args...)
		}
	}
	serverPIDs, err := pidList(c.serverPIDs)
	if err != nil {
		return true, err
	}
	if c.serverPID != 0 {
		serverPIDs = append(serverPIDs, c.serverPID)
	}
	natsPIDs, err := pidList(c.natsPIDs)
	if err != nil {
		return true, err
	}
	m := newMany(c)
	res, err := runMeetings(ctx, c, m, func() error { return m.setup(ctx, progress) }, serverPIDs, natsPIDs, progress)
	if err != nil {
		return true, err
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	if c.jsonOut != "" {
		if err := os.WriteFile(c.jsonOut, append(b, '\n'), 0o644); err != nil {
			return true, err
		}
	}
	if c.jsonStdout {
		fmt.Println(string(b))
	} else {
		printMeetings(os.Stdout, res)
	}
	return true, nil
}

func printMeetings(w io.Writer, r *MeetingsResult) {
	fmt.Fprintf(w, "meetings          %d × %d sockets over %s\n", r.Meetings, r.PerMeeting, strings.Join(r.URLs, ", "))
	fmt.Fprintf(w, "made              %d meetings in %.1f s, %d failed\n", r.Meetings, r.SetupMs/1000, r.SetupErrors)
	fmt.Fprintf(w, "sockets           %d connected of %d, %d errors, in %.1f s; %d meetings whole\n", r.Connected, r.Sockets, r.ConnectErrors, r.ConnectWallMs/1000, r.MeetingsOpen)
	fmt.Fprintf(w, "open (1st socket) p50 %.1f ms  p99 %.1f ms  max %.1f ms\n", r.Open.P50, r.Open.P99, r.Open.Max)
	fmt.Fprintf(w, "join (others)     p50 %.1f ms  p99 %.1f ms  max %.1f ms\n", r.Join.P50, r.Join.P99, r.Join.Max)
	fmt.Fprintf(w, "turns             %d over %.1f s, %d failed; call p50 %.1f ms  p99 %.1f ms\n", r.Turns, r.SpreadMs/1000, r.TurnErrors, r.TurnCall.P50, r.TurnCall.P99)
	fmt.Fprintf(w, "deliveries        %d of %d; missed %d, dropped sockets %d\n", r.Delivered, r.Expected, r.Missed, r.Dropped)
	fmt.Fprintf(w, "latency           p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n", r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max)
	fmt.Fprintf(w, "all reached       per meeting: median %.1f ms  p99 %.1f ms\n", r.AllReached.P50, r.AllReached.P99)
	for _, p := range r.Procs {
		fmt.Fprintf(w, "%-8s pid %-7d RSS %d → %d → %d → %d KiB (start, made, open, after turns); CPU %.2f s making, %.2f s connecting, %.2f s turns\n",
			p.Role, p.PID, p.RSSStartKiB, p.RSSBeforeKiB, p.RSSOpenKiB, p.RSSAfterKiB, p.CPUSetupSec, p.CPUOpenSec, p.CPUTurnsSec)
	}
	fmt.Fprintf(w, "machine           %d CPUs, load average %s\n", r.CPUs, strings.Join(r.LoadAvg, " / "))
	fmt.Fprintf(w, "tool              %d KiB RSS, %.2f s CPU\n", r.ToolRSSKiB, r.ToolCPUSec)
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error       %s\n", r.FirstError)
	}
}
