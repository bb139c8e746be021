package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeMeetings speaks enough of phonghop's live protocol for the meetings
// mode: one room per meeting id, a snapshot on connect, a page turn (PUT
// .../presentation) to every socket of its meeting only. A meeting in mute
// never delivers; one in refuse refuses its sockets.
type fakeMeetings struct {
	mu     sync.Mutex
	seq    map[string]int64
	conns  map[string][]*websocket.Conn
	mute   string
	refuse string
}

func (f *fakeMeetings) handler() http.Handler {
	up := websocket.Upgrader{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/meetings/{id}/live", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if id == f.refuse {
			http.Error(w, `{"error":{"code":"unavailable"}}`, http.StatusServiceUnavailable)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		f.mu.Lock()
		c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"type":"snapshot","seq":%d,"state":{}}`, f.seq[id]))
		f.conns[id] = append(f.conns[id], c)
		f.mu.Unlock()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("PUT /api/v1/meetings/{id}/presentation", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		f.mu.Lock()
		defer f.mu.Unlock()
		f.seq[id]++
		if id != f.mute {
			for _, c := range f.conns[id] {
				c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"type":"presentation","seq":%d}`, f.seq[id]))
			}
		}
		fmt.Fprintf(w, `{"seq":%d}`, f.seq[id])
	})
	return mux
}

// Every meeting's sockets connect, a page turn in each reaches exactly the
// sockets of its meeting, a meeting that never delivers and one whose sockets
// are refused are counted, and the processes named are measured.
func TestMeetingsModeCountsEveryMeeting(t *testing.T) {
	f := &fakeMeetings{seq: map[string]int64{}, conns: map[string][]*websocket.Conn{}, mute: "m3", refuse: "m5"}
	var urls []string
	for range 2 { // two processes of one cluster
		srv := httptest.NewServer(f.handler())
		t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
		urls = append(urls, srv.URL)
	}
	c := &config{url: urls[0] + "," + urls[1], delegates: 4, concurrency: 8, spread: 50 * time.Millisecond,
		wait: 2 * time.Second, quiet: true}
	m := newMany(c)
	m.tokens, m.chair = []string{"a", "b", "c", "d"}, "chair"
	for i := range 6 {
		m.meetings = append(m.meetings, meetingRef{id: fmt.Sprintf("m%d", i), agendaItem: "a", document: "d"})
	}
	for _, p := range m.procs {
		p.tokens, p.chairToken = m.tokens, m.chair
	}
	res, err := runMeetings(context.Background(), c, m, nil, []int{os.Getpid()}, nil, func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sockets != 24 || res.Connected != 20 || res.ConnectErrors != 4 || res.MeetingsOpen != 5 {
		t.Fatalf("sockets %d, connected %d, errors %d, meetings whole %d; want 24, 20, 4, 5",
			res.Sockets, res.Connected, res.ConnectErrors, res.MeetingsOpen)
	}
	if res.Open.N != 5 || res.Join.N != 15 {
		t.Fatalf("open n=%d join n=%d; want 5 and 15", res.Open.N, res.Join.N)
	}
	if res.Turns != 6 || res.TurnErrors != 0 || res.Expected != 20 || res.Delivered != 16 || res.Missed != 4 {
		t.Fatalf("turns %d (%d failed), delivered %d of %d, missed %d; want 6 (0), 16 of 20, 4",
			res.Turns, res.TurnErrors, res.Delivered, res.Expected, res.Missed)
	}
	if res.Latency.N != 16 || res.AllReached.N == 0 {
		t.Fatalf("latency n=%d, all reached n=%d", res.Latency.N, res.AllReached.N)
	}
	f.mu.Lock()
	for id, cs := range f.conns { // each meeting's sockets spread over both processes
		if len(cs) != 4 {
			t.Errorf("meeting %s: %d sockets", id, len(cs))
		}
	}
	f.mu.Unlock()
	if len(res.Procs) != 1 || res.Procs[0].RSSStartKiB == 0 || res.Procs[0].RSSBeforeKiB == 0 || res.Procs[0].RSSOpenKiB == 0 || len(res.LoadAvg) != 3 {
		t.Fatalf("process figures: %+v, load %v", res.Procs, res.LoadAvg)
	}
}
