// Command phonghop-load measures the live room under load: it opens N delegate
// WebSockets to a running server, lets the chair turn pages, and reports connect
// times, page-turn delivery latency (p50/p99/max), missed or out-of-order events
// and the server's resident memory per connection. The same measurement runs
// against Centrifugo (-target centrifugo) as a baseline on the same machine.
//
//	phonghop-load -target phonghop -url http://127.0.0.1:8080 -admin-password secret -delegates 5000
//	phonghop-load -target centrifugo -url http://127.0.0.1:18000 -api-key k -delegates 5000 -server-pid 1234
//	phonghop-load -table a.json b.json
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// config holds the command line; every zero value is replaced by a flag default.
type config struct {
	target      string
	url         string
	delegates   int
	accounts    int // delegate accounts the sockets are dealt over (see accountCount)
	concurrency int
	turns       int
	interval    time.Duration
	settle      time.Duration
	wait        time.Duration
	serverPID   int
	pidFile     string
	jsonOut     string
	jsonStdout  bool
	runID       string
	quiet       bool
	cpuProfile  string
	checkinWave time.Duration
	storm       bool
	soak        time.Duration
	soakChurn   int
	soakDrain   time.Duration
	meetings    int
	spread      time.Duration
	serverPIDs  string
	natsPIDs    string
	stormAway   time.Duration

	// phonghop
	meeting          string
	chair            string
	userPrefix       string
	password         string
	adminUser        string
	adminPassword    string
	tokenCache       string
	present          string
	attendance       string // phonghop: "delta" (?features=attendanceDelta) or "full"
	loginConcurrency int

	// centrifugo
	apiKey  string
	channel string
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("phonghop-load: ")
	var c config
	var table bool
	flag.StringVar(&c.target, "target", "phonghop", "server under test: phonghop, centrifugo, or bare (the bare write loop of -bare-serve)")
	flag.StringVar(&c.url, "url", "", "server base URL (default http://127.0.0.1:8080 for phonghop, http://127.0.0.1:18000 for centrifugo)")
	flag.IntVar(&c.delegates, "delegates", 1000, "number of delegate WebSockets")
	flag.IntVar(&c.accounts, "accounts", 0, "phonghop: delegate accounts the sockets are dealt over, socket i signing in as account i mod this (0: as many as the sockets, at most 9,999, as a meeting holds 10,000 participants with the chair; beyond that a delegate holds several sockets, a tablet and a phone)")
	flag.IntVar(&c.concurrency, "concurrency", 100, "connections opened at the same time")
	flag.IntVar(&c.turns, "turns", 20, "page turns made by the chair")
	flag.DurationVar(&c.interval, "interval", 500*time.Millisecond, "time between page turns")
	flag.DurationVar(&c.settle, "settle", 5*time.Second, "idle time after connecting before the server's memory is read")
	flag.DurationVar(&c.wait, "wait", 15*time.Second, "how long to wait for deliveries after the last turn")
	flag.IntVar(&c.serverPID, "server-pid", 0, "pid of the server process, for its RSS and CPU time")
	flag.StringVar(&c.pidFile, "server-pid-file", "", "file holding the server's pid (instead of -server-pid)")
	flag.StringVar(&c.jsonOut, "json-out", "", "also write the result as JSON to this file")
	flag.BoolVar(&c.jsonStdout, "json", false, "print the result as JSON instead of text")
	flag.StringVar(&c.runID, "run", "", "run id used in names of what setup creates (default: time-based)")
	flag.BoolVar(&c.quiet, "q", false, "no progress messages on stderr")
	flag.DurationVar(&c.checkinWave, "checkin-wave", 0, "phonghop: after the turns, every delegate checks in, spread evenly over this time, while all sockets listen (0: no wave; -turns 0 for the wave alone)")
	flag.BoolVar(&c.storm, "storm", false, "phonghop: a reconnect storm instead of page turns: every socket drops at once and all come back at the same moment with since; reports when the last is back")
	flag.DurationVar(&c.stormAway, "storm-away", 0, "phonghop: how long the tablets stay away in the storm before all come back (an access point's restart takes tens of seconds; past the server's 10 s session cache every reconnect reads its session again)")
	flag.DurationVar(&c.soak, "soak", 0, "phonghop: a soak instead of page turns: this long of churn (tablets leaving and joining and a page turn every second; every 10 s a check-in and a check-out, a poll opened or closed), then RSS, goroutines and open files must return to the baseline")
	flag.IntVar(&c.soakChurn, "soak-churn", 0, "phonghop: tablets leaving and joining every second in the soak (default 1% of -delegates)")
	flag.DurationVar(&c.soakDrain, "soak-drain", 3*time.Minute, "phonghop: how long the soak waits after the churn for the baseline")
	flag.IntVar(&c.meetings, "meetings", 0, "phonghop: many meetings at once instead of one room: this many meetings, each with -delegates sockets (the same accounts in every meeting), over the processes in -url (comma-separated); a page turn in each, spread over -spread")
	flag.DurationVar(&c.spread, "spread", 10*time.Second, "phonghop -meetings: the page turns (one per meeting) are spread evenly over this time")
	flag.StringVar(&c.serverPIDs, "server-pids", "", "phonghop -meetings: comma-separated pids of the phonghop processes, for their RSS and CPU time")
	flag.StringVar(&c.natsPIDs, "nats-pids", "", "phonghop -meetings: comma-separated pids of the NATS servers, for their RSS and CPU time")
	flag.StringVar(&c.meeting, "meeting", "", "phonghop: existing meeting id (without -admin-password)")
	flag.StringVar(&c.chair, "chair", "chutoa:hop-khong-giay", "phonghop: chair's user:password")
	flag.StringVar(&c.userPrefix, "user-prefix", "daibieu", "phonghop: delegate usernames are <prefix>00001...")
	flag.StringVar(&c.password, "password", "hop-khong-giay", "phonghop: delegates' password")
	flag.StringVar(&c.adminUser, "admin-user", "admin", "phonghop: admin username")
	flag.StringVar(&c.adminPassword, "admin-password", "", "phonghop: admin password; when set, users, meeting, document and agenda are created")
	flag.StringVar(&c.attendance, "attendance", "delta", "phonghop: how sockets get attendance events: delta (they ask for ?features=attendanceDelta, as the web app does) or full (the whole present list in every event, as clients that do not ask)")
	flag.StringVar(&c.present, "present", "rest", "phonghop: how the chair turns pages: rest (PUT .../presentation) or socket (a present message on the chair's own live socket)")
	flag.StringVar(&c.tokenCache, "token-cache", "", "phonghop: file keeping login tokens between runs against the same server")
	flag.IntVar(&c.loginConcurrency, "login-concurrency", 8, "phonghop: parallel logins and user creations")
	flag.StringVar(&c.apiKey, "api-key", "", "centrifugo: HTTP API key")
	flag.StringVar(&c.channel, "channel", "", "centrifugo: channel (default phonghop-load-<run>)")
	cpuProfile := flag.String("cpuprofile", "", "write the tool's CPU profile of the page turns to this file")
	bareServe := flag.String("bare-serve", "", "serve the bare write loop on this address (for -target bare) and do nothing else")
	seedDir := flag.String("seed-data-dir", "", "phonghop: write the accounts into this embedded store directory (server stopped) and exit")
	flag.BoolVar(&table, "table", false, "print the JSON results given as arguments side by side and exit")
	flag.Parse()

	if *bareServe != "" {
		log.Fatal(serveBare(*bareServe))
	}
	if c.attendance != "delta" && c.attendance != "full" {
		log.Fatal("-attendance must be delta or full")
	}
	if table {
		if err := printTable(os.Stdout, flag.Args()); err != nil {
			log.Fatal(err)
		}
		return
	}
	if c.runID == "" {
		c.runID = strconv.FormatInt(time.Now().Unix(), 36)
	}
	if *seedDir != "" {
		if c.adminPassword == "" {
			log.Fatal("-seed-data-dir needs -admin-password")
		}
		u, p, ok := strings.Cut(c.chair, ":")
		if !ok {
			log.Fatal("-chair must be user:password")
		}
		if err := seedAccounts(context.Background(), *seedDir, &c, u, p); err != nil {
			log.Fatal(err)
		}
		return
	}
	var t target
	switch c.target {
	case "phonghop":
		if c.url == "" {
			c.url = "http://127.0.0.1:8080"
		}
		t = newPhonghop(&c)
	case "centrifugo":
		if c.url == "" {
			c.url = "http://127.0.0.1:18000"
		}
		if c.channel == "" {
			c.channel = "phonghop-load-" + c.runID
		}
		t = newCentrifugo(&c)
	case "bare":
		if c.url == "" {
			c.url = "http://127.0.0.1:18100"
		}
		t = &bare{c: &c}
	default:
		log.Fatalf("unknown -target %q", c.target)
	}
	c.url = strings.TrimRight(c.url, "/")
	if c.pidFile != "" && c.serverPID == 0 {
		pid, err := pidFromFile(c.pidFile)
		if err != nil {
			log.Fatalf("server pid: %v", err)
		}
		c.serverPID = pid
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c.cpuProfile = *cpuProfile
	if ran, err := meetingsMain(ctx, &c); ran {
		if err != nil {
			log.Fatal(err)
		}
		return
	}
	if ran, err := roomMain(ctx, &c, t); ran {
		if err != nil {
			log.Fatal(err)
		}
		return
	}
	res, err := run(ctx, &c, t)
	if err != nil {
		log.Fatal(err)
	}
	if c.jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(c.jsonOut, append(b, '\n'), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	if c.jsonStdout {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Println(string(b))
	} else {
		printResult(os.Stdout, res)
	}
}

// maxMeetingDelegates is the most delegates a phonghop meeting holds beside its
// chair (meetings.maxParticipants is 10,000).
const maxMeetingDelegates = 9999

// accountCount is how many delegate accounts the sockets are dealt over: with
// more sockets than a meeting holds participants, delegates hold several
// (PHONGHOP_LIVE_SOCKETS_PER_USER allows 16 by default).
func (c *config) accountCount() int {
	if c.accounts > 0 {
		return min(c.accounts, c.delegates)
	}
	return min(c.delegates, maxMeetingDelegates)
}

// target is one server under test: how to prepare it, open a delegate's socket,
// understand its frames and turn a page.
type target interface {
	// setup creates or looks up everything the run needs (accounts, meeting,
	// document) and logs the delegates in.
	setup(ctx context.Context) error
	// dial opens delegate i's socket and completes the protocol's handshake; it
	// returns the seq after which events must follow without gaps.
	dial(ctx context.Context, d *websocket.Dialer, i int) (*websocket.Conn, int64, error)
	// frame calls emit for every event in one received frame.
	frame(c *websocket.Conn, b []byte, emit func(typ string, seq int64)) error
	// turn makes page turn k (0-based) and returns its event's seq.
	turn(ctx context.Context, k int) (int64, error)
}

// checkInner is a target whose delegates can check in (phonghop), for the
// check-in wave.
type checkInner interface {
	// checkIn checks delegate i in and returns its attendance event's seq.
	checkIn(ctx context.Context, i int) (int64, error)
}

// sock is what one delegate's reader learns; only its own goroutine writes it
// until the run closes every socket and waits for the readers to end.
type sock struct {
	conn     *websocket.Conn
	dialDur  time.Duration
	track    seqTrack
	pres     []rec
	att      []rec        // attendance events received
	bytes    atomic.Int64 // bytes of every frame received
	closed   atomic.Bool  // the server closed it (s.err set)
	frames   int
	badFrame int
	err      error
}

// Result is the outcome of one run, printed as text or JSON.
type Result struct {
	Target        string    `json:"target"`
	URL           string    `json:"url"`
	Time          time.Time `json:"time"`
	Delegates     int       `json:"delegates"`
	Accounts      int       `json:"accounts,omitempty"` // phonghop: the delegate accounts the sockets sign in as
	Connected     int       `json:"connected"`
	ConnectErrors int       `json:"connectErrors"`
	FirstError    string    `json:"firstError,omitempty"`
	ConnectWallMs float64   `json:"connectWallMs"`
	Connect       Dist      `json:"connect"` // dial + protocol handshake until ready
	// The CPU both sides spent while every socket connected: on a machine
	// shared with other work the wall time says more about the machine than
	// about the server, the server's CPU per connection does not.
	ConnectServerCPUSec float64 `json:"serverCpuDuringConnectSec,omitempty"`
	ConnectToolCPUSec   float64 `json:"toolCpuDuringConnectSec,omitempty"`
	ConnectLoadAvg      string  `json:"connectLoadAvg,omitempty"`

	Present       string  `json:"present,omitempty"`
	Attendance    string  `json:"attendance,omitempty"` // phonghop: delta or full attendance events
	Turns         int     `json:"turns"`
	TurnErrors    int     `json:"turnErrors"`
	IntervalMs    float64 `json:"intervalMs"`
	Expected      int     `json:"expectedDeliveries"`
	Delivered     int     `json:"delivered"`
	Missed        int     `json:"missed"`
	Duplicates    int     `json:"duplicates"`
	OutOfOrder    int     `json:"outOfOrder"`
	Gaps          int     `json:"gaps"`
	Dropped       int     `json:"dropped"` // sockets closed by the server during the run
	BadFrames     int     `json:"badFrames"`
	Latency       Dist    `json:"latency"`
	FirstTurn     Dist    `json:"firstTurnLatency"`
	AllReached    Dist    `json:"allReached"` // per turn, until its slowest delivery
	ServerPID     int     `json:"serverPid,omitempty"`
	RSSBeforeKiB  int64   `json:"rssBeforeKiB,omitempty"`
	RSSIdleKiB    int64   `json:"rssIdleKiB,omitempty"`
	RSSAfterKiB   int64   `json:"rssAfterTurnsKiB,omitempty"`
	RSSSettleKiB  []int64 `json:"rssSettleKiB,omitempty"` // once a second while idle
	RSSPerConnKiB float64 `json:"rssPerConnKiB,omitempty"`
	// RSSPerConnAfterKiB counts what the turns left too (queues, writers, garbage
	// the runtime has not returned yet).
	RSSPerConnAfterKiB float64 `json:"rssPerConnAfterTurnsKiB,omitempty"`
	CPUTurnsSec        float64 `json:"serverCpuDuringTurnsSec,omitempty"`
	ToolRSSKiB         int64   `json:"toolRssKiB,omitempty"`
	ToolCPUSec         float64 `json:"toolCpuDuringTurnsSec"` // the load tool's own share of the CPU
	NoFile             uint64  `json:"noFileLimit"`
	LoadAvg            string  `json:"loadAvg"` // /proc/loadavg before the turns: others share the CPU
	CPUs               int     `json:"cpus"`

	// The check-in wave (-checkin-wave): every delegate checks in over
	// REST within the wave's time while every socket listens.
	CheckIns         int     `json:"checkIns,omitempty"`
	CheckInErrors    int     `json:"checkInErrors,omitempty"`
	CheckInWaveMs    float64 `json:"checkInWaveMs,omitempty"` // the time the check-ins were spread over
	CheckInWallMs    float64 `json:"checkInWallMs,omitempty"` // until the last check-in was answered
	CheckInEvents    int     `json:"checkInEvents,omitempty"` // attendance events holding the check-ins (the server makes those that wait together one)
	CheckInExpected  int     `json:"checkInExpectedDeliveries,omitempty"`
	CheckInDelivered int     `json:"checkInDelivered,omitempty"`
	CheckInMissed    int     `json:"checkInMissed,omitempty"`
	CheckInLatency   Dist    `json:"checkInLatency"`           // from a check-in's request to each socket's receipt of its event
	CheckInCall      Dist    `json:"checkInCall"`              // the check-in request's own time
	CheckInBytes     int64   `json:"checkInBytes,omitempty"`   // received by all sockets from the wave's start until all delivered or -wait
	CheckInDropped   int     `json:"checkInDropped,omitempty"` // sockets closed by the server during the wave
	CheckInServerCPU float64 `json:"checkInServerCpuSec,omitempty"`
	CheckInLoadAvg   string  `json:"checkInLoadAvg,omitempty"`
}

func run(ctx context.Context, c *config, t target) (*Result, error) {
	progress := func(format string, args ...any) {
		if !c.quiet {
			log.Printf(format, args...)
		}
	}
	present, attendance := "", ""
	if c.target == "phonghop" {
		present, attendance = c.present, c.attendance
	}
	accounts := 0
	if c.target == "phonghop" {
		accounts = c.accountCount()
	}
	res := &Result{Target: c.target, Present: present, Attendance: attendance, URL: c.url, Time: time.Now().UTC(), Delegates: c.delegates, Accounts: accounts,
		Turns: c.turns, IntervalMs: float64(c.interval) / 1e6, ServerPID: c.serverPID}
	nofile, err := raiseNoFile()
	if err != nil {
		return nil, fmt.Errorf("raise open-file limit: %w", err)
	}
	res.NoFile = nofile
	if uint64(c.delegates)+64 > nofile {
		return nil, fmt.Errorf("%d sockets need more than the open-file limit %d", c.delegates, nofile)
	}
	progress("setup %s at %s", c.target, c.url)
	if err := t.setup(ctx); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	rss := func() int64 {
		if c.serverPID == 0 {
			return 0
		}
		v, err := readRSS(c.serverPID)
		if err != nil {
			log.Printf("server RSS: %v", err)
		}
		return v
	}
	res.RSSBeforeKiB = rss()

	res.ConnectLoadAvg = loadAvg()
	var connCPU0 int64
	if c.serverPID != 0 {
		connCPU0, _ = readCPU(c.serverPID)
	}
	connToolCPU0 := selfCPU()
	start := time.Now()
	since := func() time.Duration { return time.Since(start) }
	dialer := &websocket.Dialer{
		HandshakeTimeout: 30 * time.Second,
		ReadBufferSize:   1024,
		WriteBufferSize:  1024,
		// A pool returns the write buffer between writes: delegates hardly write.
		WriteBufferPool: &sync.Pool{},
	}
	socks := make([]sock, c.delegates)
	var (
		closing      atomic.Bool
		delivered    atomic.Int64
		attDelivered atomic.Int64
		readers      sync.WaitGroup
		connectWG    sync.WaitGroup
		errMu        sync.Mutex
		connErrs     int
		firstErr     error
		sem          = make(chan struct{}, c.concurrency)
		connected    atomic.Int64
	)
	progress("connecting %d sockets, %d at a time", c.delegates, c.concurrency)
	for i := range socks {
		sem <- struct{}{}
		if ctx.Err() != nil {
			break
		}
		connectWG.Add(1)
		go func(s *sock, i int) {
			t0 := time.Now()
			conn, seq, err := t.dial(ctx, dialer, i)
			s.dialDur = time.Since(t0)
			<-sem
			// Everything main reads after connectWG.Wait is written before Done.
			if err != nil {
				errMu.Lock()
				connErrs++
				if firstErr == nil {
					firstErr = err
				}
				errMu.Unlock()
				connectWG.Done()
				return
			}
			s.conn = conn
			s.track.start(seq)
			s.pres = make([]rec, 0, c.turns+2)
			if n := connected.Add(1); n%1000 == 0 {
				progress("%d connected", n)
			}
			readers.Add(1)
			connectWG.Done()
			readLoop(s, t, since, &delivered, &attDelivered, &closing, &readers)
		}(&socks[i], i)
	}
	connectWG.Wait()
	res.ConnectWallMs = float64(time.Since(start).Microseconds()) / 1000
	res.ConnectToolCPUSec = round2((selfCPU() - connToolCPU0).Seconds())
	if c.serverPID != 0 {
		if cpu1, err := readCPU(c.serverPID); err == nil {
			res.ConnectServerCPUSec = round2(float64(cpu1-connCPU0) / 100)
		}
	}
	res.Connected = int(connected.Load())
	res.ConnectErrors = connErrs
	if firstErr != nil {
		res.FirstError = firstErr.Error()
	}
	var dials []time.Duration
	for i := range socks {
		if socks[i].conn != nil {
			dials = append(dials, socks[i].dialDur)
		}
	}
	res.Connect = summarize(dials)
	progress("%d connected, %d errors in %.1fs; settling %s", res.Connected, connErrs, res.ConnectWallMs/1000, c.settle)
	if res.Connected == 0 {
		return res, fmt.Errorf("no socket connected: %v", firstErr)
	}

	// The server's RSS is sampled every second while it idles: a garbage-collected
	// server returns what connecting cost it only gradually, so the trend matters.
	settleEnd := time.Now().Add(c.settle)
	for time.Now().Before(settleEnd) && ctx.Err() == nil {
		time.Sleep(min(time.Second, time.Until(settleEnd)))
		if c.serverPID != 0 {
			res.RSSSettleKiB = append(res.RSSSettleKiB, rss())
		}
	}
	res.RSSIdleKiB = rss()
	if res.RSSBeforeKiB > 0 && res.RSSIdleKiB > 0 {
		res.RSSPerConnKiB = round1(float64(res.RSSIdleKiB-res.RSSBeforeKiB) / float64(res.Connected))
	}
	var cpu0 int64
	if c.serverPID != 0 {
		cpu0, _ = readCPU(c.serverPID)
	}
	toolCPU0 := selfCPU()
	res.CPUs = runtime.NumCPU()
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			res.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	if c.cpuProfile != "" {
		if f, err := os.Create(c.cpuProfile); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer f.Close()
				defer pprof.StopCPUProfile()
			}
		}
	}

	progress("turning %d pages every %s", c.turns, c.interval)
	turns := make([]turn, 0, c.turns)
	next := time.Now()
	for k := 0; k < c.turns && ctx.Err() == nil; k++ {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		next = next.Add(c.interval)
		sent := since()
		seq, err := t.turn(ctx, k)
		if err != nil {
			res.TurnErrors++
			log.Printf("turn %d: %v", k, err)
			continue
		}
		turns = append(turns, turn{seq: seq, sent: sent})
	}
	// Wait until every connected socket has every turn, or the time is up.
	want := int64(len(turns) * res.Connected)
	deadline := time.Now().Add(c.wait)
	for delivered.Load() < want && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if c.serverPID != 0 {
		if cpu1, err := readCPU(c.serverPID); err == nil {
			res.CPUTurnsSec = float64(cpu1-cpu0) / 100
		}
	}
	res.ToolCPUSec = round2((selfCPU() - toolCPU0).Seconds())
	res.RSSAfterKiB = rss()
	if res.RSSBeforeKiB > 0 && res.RSSAfterKiB > 0 {
		res.RSSPerConnAfterKiB = round1(float64(res.RSSAfterKiB-res.RSSBeforeKiB) / float64(res.Connected))
	}
	if v, err := readRSS(os.Getpid()); err == nil {
		res.ToolRSSKiB = v
	}
	var wave []turn
	if ci, ok := t.(checkInner); ok && c.checkinWave > 0 && ctx.Err() == nil {
		wave = checkInWave(ctx, c, ci, res, socks, since, &attDelivered, progress)
	}

	closing.Store(true)
	for i := range socks {
		if socks[i].conn != nil {
			socks[i].conn.Close()
		}
	}
	readers.Wait()

	all := make([][]rec, 0, res.Connected)
	for i := range socks {
		s := &socks[i]
		if s.conn == nil {
			continue
		}
		all = append(all, s.pres)
		res.OutOfOrder += s.track.outOfOrder
		res.Gaps += s.track.gaps
		res.BadFrames += s.badFrame
		if s.err != nil {
			res.Dropped++
			if res.FirstError == "" {
				res.FirstError = s.err.Error()
			}
		}
	}
	m := matchTurns(turns, all)
	res.Expected = len(turns) * res.Connected
	res.Delivered = len(m.latencies)
	res.Missed = m.missed
	res.Duplicates = m.duplicates
	res.Latency = summarize(m.latencies)
	if len(turns) > 0 {
		first := matchTurns(turns[:1], all)
		res.FirstTurn = summarize(first.latencies)
	}
	res.AllReached = summarize(m.turnMax)
	if len(wave) > 0 {
		att := make([][]rec, 0, res.Connected)
		for i := range socks {
			if socks[i].conn != nil {
				att = append(att, socks[i].att)
			}
		}
		w := matchTurns(wave, att)
		res.CheckInExpected = len(wave) * res.Connected
		res.CheckInDelivered = len(w.latencies)
		res.CheckInMissed = w.missed
		res.CheckInLatency = summarize(w.latencies)
	}
	runtime.KeepAlive(socks)
	return res, nil
}

// readLoop reads one socket until it is closed. It keeps no timer and no buffer
// between frames: a blocked ReadMessage holds only the connection's small
// bufio.Reader.
func readLoop(s *sock, t target, since func() time.Duration, delivered, attDelivered *atomic.Int64, closing *atomic.Bool, wg *sync.WaitGroup) {
	defer wg.Done()
	emit := func(typ string, seq int64) {
		s.track.observe(seq)
		switch typ {
		case "presentation":
			s.pres = append(s.pres, rec{seq: seq, at: since()})
			delivered.Add(1)
		case "attendance":
			s.att = append(s.att, rec{seq: seq, at: since()})
			attDelivered.Add(1)
		}
	}
	for {
		_, b, err := s.conn.ReadMessage()
		if err != nil {
			if !closing.Load() {
				s.err = err
				s.closed.Store(true)
			}
			return
		}
		s.frames++
		s.bytes.Add(int64(len(b)))
		if err := t.frame(s.conn, b, emit); err != nil {
			s.badFrame++
		}
	}
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func printResult(w io.Writer, r *Result) {
	fmt.Fprintf(w, "target            %s (%s)\n", r.Target, r.URL)
	fmt.Fprintf(w, "sockets           %d connected of %d, %d errors, in %.1f s\n", r.Connected, r.Delegates, r.ConnectErrors, r.ConnectWallMs/1000)
	if r.Accounts > 0 && r.Accounts < r.Delegates {
		fmt.Fprintf(w, "accounts          %d, the sockets dealt over them\n", r.Accounts)
	}
	fmt.Fprintf(w, "connect           p50 %.1f ms  p99 %.1f ms  max %.1f ms; CPU server %.2f s, tool %.2f s (load %s)\n", r.Connect.P50, r.Connect.P99, r.Connect.Max,
		r.ConnectServerCPUSec, r.ConnectToolCPUSec, r.ConnectLoadAvg)
	fmt.Fprintf(w, "turns             %d every %.0f ms, %d failed %s\n", r.Turns, r.IntervalMs, r.TurnErrors, r.Present)
	fmt.Fprintf(w, "deliveries        %d of %d; missed %d, duplicates %d, out of order %d, gaps %d, dropped sockets %d\n",
		r.Delivered, r.Expected, r.Missed, r.Duplicates, r.OutOfOrder, r.Gaps, r.Dropped)
	fmt.Fprintf(w, "latency           p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n", r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max)
	fmt.Fprintf(w, "all reached       per turn: median %.1f ms  max %.1f ms\n", r.AllReached.P50, r.AllReached.Max)
	fmt.Fprintf(w, "first turn        p50 %.1f ms  p99 %.1f ms  max %.1f ms\n", r.FirstTurn.P50, r.FirstTurn.P99, r.FirstTurn.Max)
	if r.ServerPID != 0 {
		fmt.Fprintf(w, "server RSS        %d KiB before, %d KiB idle with sockets, %d KiB after turns\n", r.RSSBeforeKiB, r.RSSIdleKiB, r.RSSAfterKiB)
		if n := len(r.RSSSettleKiB); n > 1 {
			fmt.Fprintf(w, "server RSS idle   %d KiB after 1 s, %d KiB after %d s\n", r.RSSSettleKiB[0], r.RSSSettleKiB[n-1], n)
		}
		fmt.Fprintf(w, "RSS per socket    %.1f KiB idle, %.1f KiB after the turns\n", r.RSSPerConnKiB, r.RSSPerConnAfterKiB)
		fmt.Fprintf(w, "server CPU        %.2f s during the turns\n", r.CPUTurnsSec)
	}
	fmt.Fprintf(w, "machine           %d CPUs, load average %s before the turns\n", r.CPUs, r.LoadAvg)
	fmt.Fprintf(w, "tool              %d KiB RSS, %.2f s CPU during the turns\n", r.ToolRSSKiB, r.ToolCPUSec)
	if r.CheckIns > 0 {
		fmt.Fprintf(w, "check-in wave     %d delegates over %.1f s (%d failed, attendance events %s), last answered after %.1f s; call p50 %.1f ms p99 %.1f ms\n",
			r.CheckIns, r.CheckInWaveMs/1000, r.CheckInErrors, r.Attendance, r.CheckInWallMs/1000, r.CheckInCall.P50, r.CheckInCall.P99)
		fmt.Fprintf(w, "  deliveries      %d of %d (%d events); missed %d; sockets dropped %d\n", r.CheckInDelivered, r.CheckInExpected, r.CheckInEvents, r.CheckInMissed, r.CheckInDropped)
		fmt.Fprintf(w, "  latency         p50 %.1f ms  p99 %.1f ms  max %.1f ms\n", r.CheckInLatency.P50, r.CheckInLatency.P99, r.CheckInLatency.Max)
		fmt.Fprintf(w, "  bytes sent      %.1f MiB to all sockets, %.1f KiB per socket\n", float64(r.CheckInBytes)/(1<<20), float64(r.CheckInBytes)/1024/float64(max(r.Connected, 1)))
		fmt.Fprintf(w, "  server CPU      %.2f s; load average %s\n", r.CheckInServerCPU, r.CheckInLoadAvg)
	}
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error       %s\n", r.FirstError)
	}
}

// printTable prints several results (JSON files written with -json-out) side by
// side, with the ratio of each column to the first.
func printTable(w io.Writer, files []string) error {
	if len(files) == 0 {
		return errors.New("-table needs JSON result files")
	}
	var (
		rs    []Result
		names []string // a column's name: its file's, as scripts/load.sh names them (phonghop-before-5000.json)
	)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var r Result
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		rs = append(rs, r)
		names = append(names, columnName(f, r.Target))
	}
	row := func(name string, f func(r Result) string) {
		fmt.Fprintf(w, "%-26s", name)
		for _, r := range rs {
			fmt.Fprintf(w, " %18s", f(r))
		}
		fmt.Fprintln(w)
	}
	ms := func(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) + " ms" }
	fmt.Fprintf(w, "%-26s", "")
	for _, n := range names {
		fmt.Fprintf(w, " %18s", n)
	}
	fmt.Fprintln(w)
	row("sockets connected", func(r Result) string { return fmt.Sprintf("%d/%d", r.Connected, r.Delegates) })
	row("accounts (phonghop)", func(r Result) string {
		if r.Accounts == 0 {
			return "-"
		}
		return strconv.Itoa(r.Accounts)
	})
	row("connect errors", func(r Result) string { return strconv.Itoa(r.ConnectErrors) })
	row("connect all (wall)", func(r Result) string { return ms(r.ConnectWallMs) })
	row("connect p50", func(r Result) string { return ms(r.Connect.P50) })
	row("connect p99", func(r Result) string { return ms(r.Connect.P99) })
	row("server CPU (connect)", func(r Result) string { return fmt.Sprintf("%.2f s", r.ConnectServerCPUSec) })
	row("load tool CPU (connect)", func(r Result) string { return fmt.Sprintf("%.2f s", r.ConnectToolCPUSec) })
	row("load average (connect)", func(r Result) string { return r.ConnectLoadAvg })
	row("turns", func(r Result) string { return fmt.Sprintf("%d (%d failed)", r.Turns, r.TurnErrors) })
	row("delivered/expected", func(r Result) string { return fmt.Sprintf("%d/%d", r.Delivered, r.Expected) })
	row("missed", func(r Result) string { return strconv.Itoa(r.Missed) })
	row("out of order / gaps", func(r Result) string { return fmt.Sprintf("%d / %d", r.OutOfOrder, r.Gaps) })
	row("dropped sockets", func(r Result) string { return strconv.Itoa(r.Dropped) })
	row("latency p50", func(r Result) string { return ms(r.Latency.P50) })
	row("latency p90", func(r Result) string { return ms(r.Latency.P90) })
	row("latency p99", func(r Result) string { return ms(r.Latency.P99) })
	row("latency max", func(r Result) string { return ms(r.Latency.Max) })
	row("all reached (median turn)", func(r Result) string { return ms(r.AllReached.P50) })
	row("first turn p99", func(r Result) string { return ms(r.FirstTurn.P99) })
	row("server RSS idle", func(r Result) string { return fmt.Sprintf("%.1f MiB", float64(r.RSSIdleKiB)/1024) })
	row("RSS per socket", func(r Result) string { return fmt.Sprintf("%.1f KiB", r.RSSPerConnKiB) })
	row("RSS per socket after turns", func(r Result) string { return fmt.Sprintf("%.1f KiB", r.RSSPerConnAfterKiB) })
	row("server CPU (turns)", func(r Result) string { return fmt.Sprintf("%.2f s", r.CPUTurnsSec) })
	row("load tool CPU (turns)", func(r Result) string { return fmt.Sprintf("%.2f s", r.ToolCPUSec) })
	row("load average (turns)", func(r Result) string { return r.LoadAvg })
	if rs[0].CheckIns > 0 {
		row("attendance events", func(r Result) string { return r.Attendance })
		row("check-ins (failed)", func(r Result) string { return fmt.Sprintf("%d (%d)", r.CheckIns, r.CheckInErrors) })
		row("check-in events", func(r Result) string { return strconv.Itoa(r.CheckInEvents) })
		row("check-in delivered", func(r Result) string { return fmt.Sprintf("%d/%d", r.CheckInDelivered, r.CheckInExpected) })
		row("check-in dropped sockets", func(r Result) string { return strconv.Itoa(r.CheckInDropped) })
		row("check-in latency p50", func(r Result) string { return ms(r.CheckInLatency.P50) })
		row("check-in latency p99", func(r Result) string { return ms(r.CheckInLatency.P99) })
		row("check-in call p99", func(r Result) string { return ms(r.CheckInCall.P99) })
		row("check-in bytes sent", func(r Result) string { return fmt.Sprintf("%.1f MiB", float64(r.CheckInBytes)/(1<<20)) })
		row("check-in server CPU", func(r Result) string { return fmt.Sprintf("%.2f s", r.CheckInServerCPU) })
		row("check-in load average", func(r Result) string { return r.CheckInLoadAvg })
	}
	if len(rs) > 1 {
		base := rs[0]
		ratio := func(a, b float64) string {
			if b == 0 {
				return "-"
			}
			return strconv.FormatFloat(a/b, 'f', 2, 64) + "x"
		}
		fmt.Fprintf(w, "\nratios to %s:\n", base.Target)
		row("connect all (wall)", func(r Result) string { return ratio(r.ConnectWallMs, base.ConnectWallMs) })
		row("server CPU (connect)", func(r Result) string { return ratio(r.ConnectServerCPUSec, base.ConnectServerCPUSec) })
		row("latency p50", func(r Result) string { return ratio(r.Latency.P50, base.Latency.P50) })
		row("latency p99", func(r Result) string { return ratio(r.Latency.P99, base.Latency.P99) })
		row("RSS per socket", func(r Result) string { return ratio(r.RSSPerConnKiB, base.RSSPerConnKiB) })
		row("server CPU (turns)", func(r Result) string { return ratio(r.CPUTurnsSec, base.CPUTurnsSec) })
	}
	return nil
}

// columnName is a result file's name without its directory, ".json" and the
// socket count ("phonghop-before-5000.json": phonghop-before), or target.
func columnName(file, target string) string {
	name := strings.TrimSuffix(filepath.Base(file), ".json")
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	if name == "" || len(name) > 18 {
		return target
	}
	return name
}

// httpClient is shared by setup and page turns; keep-alive matters for the turns,
// whose send time is taken just before the request.
var httpClient = &http.Client{
	Timeout:   60 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64},
}

// checkInWave has every delegate check in, spread evenly over -checkin-wave,
// while every socket listens, and waits until every socket has every check-in
// (or -wait after the last answer). It returns the check-ins made (seq and
// send time) for matching against what the sockets received.
func checkInWave(ctx context.Context, c *config, t checkInner, res *Result, socks []sock, since func() time.Duration, attDelivered *atomic.Int64, progress func(string, ...any)) []turn {
	n := min(len(socks), c.accountCount()) // every account checks in once
	res.CheckInLoadAvg = loadAvg()
	res.CheckInWaveMs = float64(c.checkinWave.Microseconds()) / 1000
	var cpu0 int64
	if c.serverPID != 0 {
		cpu0, _ = readCPU(c.serverPID)
	}
	bytes0 := int64(0)
	for i := range socks {
		bytes0 += socks[i].bytes.Load()
	}
	connected := 0
	for i := range socks {
		if socks[i].conn != nil {
			connected++
		}
	}
	dropped0 := droppedNow(socks)
	progress("check-in wave: %d delegates over %s", n, c.checkinWave)
	var (
		mu    sync.Mutex
		wave  = make([]turn, 0, n)
		calls = make([]time.Duration, 0, n)
		wg    sync.WaitGroup
	)
	start := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if d := time.Until(start.Add(c.checkinWave * time.Duration(i) / time.Duration(n))); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sent := since()
			t0 := time.Now()
			seq, err := t.checkIn(ctx, i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.CheckInErrors++
				if res.FirstError == "" {
					res.FirstError = err.Error()
				}
				return
			}
			calls = append(calls, time.Since(t0))
			wave = append(wave, turn{seq: seq, sent: sent})
		}(i)
	}
	wg.Wait()
	res.CheckIns = n
	res.CheckInWallMs = float64(time.Since(start).Microseconds()) / 1000
	res.CheckInCall = summarize(calls)
	// Check-ins the server made together share one event: a socket gets one
	// frame per seq.
	seqs := map[int64]bool{}
	for _, w := range wave {
		seqs[w.seq] = true
	}
	res.CheckInEvents = len(seqs)
	want := int64(len(seqs) * connected)
	deadline := time.Now().Add(c.wait)
	for attDelivered.Load() < want && time.Now().Before(deadline) && ctx.Err() == nil && droppedNow(socks) == dropped0 {
		time.Sleep(10 * time.Millisecond)
	}
	if droppedNow(socks) != dropped0 { // sockets closed as slow: give the rest the full wait
		for attDelivered.Load() < want && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
	for i := range socks {
		res.CheckInBytes += socks[i].bytes.Load()
	}
	res.CheckInBytes -= bytes0
	res.CheckInDropped = droppedNow(socks) - dropped0
	if c.serverPID != 0 {
		if cpu1, err := readCPU(c.serverPID); err == nil {
			res.CheckInServerCPU = float64(cpu1-cpu0) / 100
		}
	}
	return wave
}

// droppedNow counts the sockets the server has closed so far.
func droppedNow(socks []sock) int {
	n := 0
	for i := range socks {
		if socks[i].closed.Load() {
			n++
		}
	}
	return n
}

func loadAvg() string {
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			return strings.Join(f[:3], " ")
		}
	}
	return ""
}
