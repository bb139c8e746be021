package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeRoom speaks just enough of phonghop's live protocol for the storm and
// the soak: a snapshot or the replay after since on connect, every event to
// every socket, the REST calls that make events, and /metrics with this
// process's goroutines and descriptors. With leak set, every connection
// leaves goroutines behind that end only when the test does.
type fakeRoom struct {
	mu     sync.Mutex
	seq    int64
	events [][]byte
	conns  map[*websocket.Conn]bool
	leak   int
	drop   int // sockets still to close, one per event, with a close code
	opened int // upgrades so far
	stop   chan struct{}
}

func (f *fakeRoom) publish(typ string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	b := fmt.Appendf(nil, `{"type":%q,"seq":%d}`, typ, f.seq)
	f.events = append(f.events, b)
	for c := range f.conns {
		c.SetWriteDeadline(time.Now().Add(time.Second))
		c.WriteMessage(websocket.TextMessage, b)
	}
	if f.drop > 0 {
		for c := range f.conns {
			f.drop--
			c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "slow"))
			c.Close()
			delete(f.conns, c)
			break
		}
	}
	return f.seq
}

func (f *fakeRoom) handler() http.Handler {
	up := websocket.Upgrader{}
	mux := http.NewServeMux()
	seqJSON := func(w http.ResponseWriter, seq int64) { fmt.Fprintf(w, `{"seq":%d}`, seq) }
	mux.HandleFunc("GET /api/v1/meetings/m/live", func(w http.ResponseWriter, r *http.Request) {
		since, err := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
		if err != nil {
			since = -1
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		for range f.leak {
			go func() { <-f.stop }()
		}
		f.mu.Lock()
		if since >= 0 && since <= f.seq {
			for _, b := range f.events[since:] {
				c.WriteMessage(websocket.TextMessage, b)
			}
		} else {
			c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"type":"snapshot","seq":%d,"state":{}}`, f.seq))
		}
		f.conns[c] = true
		f.opened++
		f.mu.Unlock()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				break
			}
		}
		f.mu.Lock()
		delete(f.conns, c)
		f.mu.Unlock()
		c.Close()
	})
	mux.HandleFunc("PUT /api/v1/meetings/m/presentation", func(w http.ResponseWriter, r *http.Request) { seqJSON(w, f.publish("presentation")) })
	mux.HandleFunc("POST /api/v1/meetings/m/attendance", func(w http.ResponseWriter, r *http.Request) { seqJSON(w, f.publish("attendance")) })
	mux.HandleFunc("DELETE /api/v1/meetings/m/attendance", func(w http.ResponseWriter, r *http.Request) { seqJSON(w, f.publish("attendance")) })
	mux.HandleFunc("POST /api/v1/meetings/m/polls", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"id":"p"}`)) })
	mux.HandleFunc("POST /api/v1/meetings/m/polls/p/{op}", func(w http.ResponseWriter, r *http.Request) {
		f.publish("poll")
		w.Write([]byte(`{"id":"p"}`))
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		fds, _ := os.ReadDir("/proc/self/fd")
		rss, _ := readRSS(os.Getpid())
		fmt.Fprintf(w, "# HELP go_goroutines x\ngo_goroutines %d\nprocess_open_fds %d\nprocess_resident_memory_bytes %d\n", runtime.NumGoroutine(), len(fds), rss*1024)
	})
	return mux
}

// fakeTarget is the real phonghop target against the fake room, its set-up
// done by the test.
type fakeTarget struct{ *phonghop }

func (fakeTarget) setup(context.Context) error { return nil }

func startFakeRoom(t *testing.T, leak int, c *config) (*fakeRoom, fakeTarget) {
	f := &fakeRoom{conns: map[*websocket.Conn]bool{}, leak: leak, stop: make(chan struct{})}
	srv := httptest.NewServer(f.handler())
	t.Cleanup(func() {
		close(f.stop)
		srv.CloseClientConnections()
		srv.Close()
	})
	c.url, c.target, c.quiet = srv.URL, "phonghop", true
	c.present = "rest"
	p := &phonghop{c: c, meeting: "m", agendaItem: "a", document: "d", pages: 3, chairToken: "chair", tokens: make([]string, c.delegates)}
	return f, fakeTarget{p}
}

func TestStormAllComeBackWithSince(t *testing.T) {
	c := &config{delegates: 40, concurrency: 8, settle: 10 * time.Millisecond, wait: 20 * time.Second}
	f, tg := startFakeRoom(t, 0, c)
	res, err := storm(context.Background(), c, tg, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if res.Back != 40 || res.Errors != 0 || res.AfterTurn != 40 || res.BackAt.N != 40 || res.WallMs <= 0 {
		t.Fatalf("storm: %+v", res)
	}
	if f.seq != 2 {
		t.Fatalf("seq %d, want the two page turns", f.seq)
	}
}

func TestSoakReturnsToBaseline(t *testing.T) {
	c := &config{delegates: 30, concurrency: 8, settle: 200 * time.Millisecond, wait: 10 * time.Second,
		soak: 7 * time.Second, soakChurn: 6, soakDrain: 10 * time.Second}
	_, tg := startFakeRoom(t, 0, c)
	res, err := soak(context.Background(), c, tg, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Returned || res.Errors != 0 || res.Joins < 12 || res.Turns < 3 || res.CheckIns < 17 || res.Polls < 1 || res.LastTurnReach != 30 || res.Dropped != 0 {
		t.Fatalf("soak: %+v", res)
	}
	if res.Baseline.Goroutines == 0 || res.Baseline.OpenFiles == 0 || res.Baseline.RSSKiB == 0 {
		t.Fatalf("baseline not read from /metrics: %+v", res.Baseline)
	}
}

// A server that leaves goroutines behind per connection fails the soak.
func TestSoakReportsALeak(t *testing.T) {
	c := &config{delegates: 30, concurrency: 8, settle: 200 * time.Millisecond, wait: 10 * time.Second,
		soak: 3 * time.Second, soakChurn: 6, soakDrain: 2 * time.Second}
	_, tg := startFakeRoom(t, 5, c)
	res, err := soak(context.Background(), c, tg, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if res.Returned || res.End.Goroutines < res.Baseline.Goroutines+3*res.Joins {
		t.Fatalf("a leak of 5 goroutines per join went unnoticed: %+v", res)
	}
}

func TestBareWriteLoopDeliversEveryTurn(t *testing.T) {
	srv := httptest.NewServer((&bareServer{conns: map[*websocket.Conn]struct{}{}}).handler())
	defer srv.Close()
	c := &config{target: "bare", url: srv.URL, delegates: 20, concurrency: 8, turns: 3,
		interval: 5 * time.Millisecond, wait: 5 * time.Second, quiet: true,
		settle: 200 * time.Millisecond} // the bare server registers a socket just after its upgrade answer
	res, err := run(context.Background(), c, &bare{c: c})
	if err != nil {
		t.Fatal(err)
	}
	if res.Connected != 20 || res.Delivered != 60 || res.Missed != 0 || res.Gaps != 0 {
		t.Fatalf("bare: %+v", res)
	}
}

// Sockets the server drops during the churn are counted with their close
// code and come back before the end is compared with the baseline.
func TestSoakRejoinsTheDropped(t *testing.T) {
	c := &config{delegates: 30, concurrency: 8, settle: 200 * time.Millisecond, wait: 10 * time.Second,
		soak: 3 * time.Second, soakChurn: 2, soakDrain: 10 * time.Second}
	f, tg := startFakeRoom(t, 0, c)
	f.mu.Lock()
	f.drop = 3
	f.mu.Unlock()
	res, err := soak(context.Background(), c, tg, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if res.Dropped < 1 || res.DroppedWhy["close 4000 slow"] != res.Dropped || res.Rejoined > res.Dropped || !res.Returned || res.LastTurnReach != 30 {
		t.Fatalf("soak with drops: %+v", res)
	}
	// Every tablet connected once, then once per join and once per rejoin.
	f.mu.Lock()
	opened := f.opened
	f.mu.Unlock()
	if opened != 30+res.Joins+res.Rejoined {
		t.Fatalf("%d upgrades, want 30 + %d joins + %d rejoined", opened, res.Joins, res.Rejoined)
	}
}
