package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeCentrifugo speaks just enough of Centrifugo's JSON protocol for run(): a
// connect and a subscribe reply, and publications pushed to every subscriber.
// Its fault hook may drop or swap pushes, to check that run() reports them.
type fakeCentrifugo struct {
	mu    sync.Mutex
	conns []*websocket.Conn
	// fault returns the frames to send to subscriber i for publication data;
	// nil means the normal single push.
	fault func(i int, seq int64, push []byte) [][]byte
	held  map[int][]byte // a push held back by a swap fault
}

func (f *fakeCentrifugo) handler() http.Handler {
	up := websocket.Upgrader{}
	mux := http.NewServeMux()
	mux.HandleFunc("/connection/websocket", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		if _, _, err := c.ReadMessage(); err != nil {
			return
		}
		c.WriteMessage(websocket.TextMessage, []byte(`{"id":1,"connect":{"client":"x"}}`))
		if _, _, err := c.ReadMessage(); err != nil {
			return
		}
		// Subscribed before the reply leaves, as in Centrifugo; every later write
		// is the publisher's, under f.mu.
		f.mu.Lock()
		f.conns = append(f.conns, c)
		c.WriteMessage(websocket.TextMessage, []byte(`{"id":2,"subscribe":{}}`))
		f.mu.Unlock()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/api/publish", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != "k" {
			http.Error(w, "bad key", http.StatusUnauthorized)
			return
		}
		var req struct {
			Channel string          `json:"channel"`
			Data    json.RawMessage `json:"data"`
		}
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &req) != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		var d struct {
			Seq int64 `json:"seq"`
		}
		json.Unmarshal(req.Data, &d)
		push, _ := json.Marshal(map[string]any{"push": map[string]any{"channel": req.Channel, "pub": map[string]any{"data": req.Data}}})
		f.mu.Lock()
		for i, c := range f.conns {
			frames := [][]byte{push}
			if f.fault != nil {
				if fr := f.fault(i, d.Seq, push); fr != nil {
					frames = fr
				}
			}
			for _, fr := range frames {
				c.WriteMessage(websocket.TextMessage, fr)
			}
		}
		f.mu.Unlock()
		w.Write([]byte(`{"result":{}}`))
	})
	return mux
}

func runFake(t *testing.T, f *fakeCentrifugo, n, turns int) *Result {
	t.Helper()
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	c := &config{target: "centrifugo", url: srv.URL, delegates: n, concurrency: 8, turns: turns,
		interval: 5 * time.Millisecond, wait: time.Second, quiet: true, apiKey: "k", channel: "ch"}
	res, err := run(context.Background(), c, newCentrifugo(c))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRunCountsEveryDelivery(t *testing.T) {
	res := runFake(t, &fakeCentrifugo{}, 20, 5)
	if res.Connected != 20 || res.Delivered != 100 || res.Expected != 100 || res.Missed != 0 ||
		res.Gaps != 0 || res.OutOfOrder != 0 || res.Duplicates != 0 || res.Dropped != 0 || res.TurnErrors != 0 {
		t.Fatalf("clean run: %+v", res)
	}
	if res.Latency.N != 100 || res.Latency.Max <= 0 || res.Latency.P50 > res.Latency.P99 {
		t.Fatalf("latency: %+v", res.Latency)
	}
}

func TestRunReportsMissedAndReordered(t *testing.T) {
	f := &fakeCentrifugo{held: map[int][]byte{}}
	f.fault = func(i int, seq int64, push []byte) [][]byte {
		switch {
		case i == 3 && seq == 2: // socket 3 never gets turn 2
			return [][]byte{}
		case i == 5 && seq == 2: // socket 5 gets turn 3 before turn 2
			f.held[i] = push
			return [][]byte{}
		case i == 5 && seq == 3:
			return [][]byte{push, f.held[i]}
		case i == 7 && seq == 4: // socket 7 gets turn 4 twice
			return [][]byte{push, push}
		}
		return nil
	}
	res := runFake(t, f, 10, 5)
	// Socket 3: one missed, one gap. Socket 5: a gap (1→3), then 2 out of order.
	// Socket 7: the repeat is a duplicate and out of order.
	if res.Missed != 1 || res.Gaps != 2 || res.OutOfOrder != 2 || res.Duplicates != 1 || res.Delivered != 49 {
		t.Fatalf("missed %d gaps %d outOfOrder %d duplicates %d delivered %d",
			res.Missed, res.Gaps, res.OutOfOrder, res.Duplicates, res.Delivered)
	}
}

// checkingIn is the fake Centrifugo with check-ins: each one publishes an
// attendance event carrying everyone checked in so far, as phonghop does.
type checkingIn struct {
	*centrifugo
	mu  sync.Mutex
	seq int64
	in  []int
}

func (c *checkingIn) checkIn(ctx context.Context, i int) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock() // published in seq order
	c.seq++
	c.in = append(c.in, i)
	err := c.publish(ctx, map[string]any{"type": "attendance", "seq": c.seq, "attendance": map[string]any{"present": c.in}})
	return c.seq, err
}

func TestRunCheckInWave(t *testing.T) {
	f := &fakeCentrifugo{}
	f.fault = func(i int, seq int64, push []byte) [][]byte {
		if i == 2 && seq == 3 { // socket 2 never hears check-in 3
			return [][]byte{}
		}
		return nil
	}
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	c := &config{target: "centrifugo", url: srv.URL, delegates: 10, concurrency: 8, turns: 0,
		wait: time.Second, quiet: true, apiKey: "k", channel: "ch", checkinWave: 200 * time.Millisecond}
	res, err := run(context.Background(), c, &checkingIn{centrifugo: newCentrifugo(c)})
	if err != nil {
		t.Fatal(err)
	}
	if res.CheckIns != 10 || res.CheckInErrors != 0 || res.CheckInExpected != 100 || res.CheckInDelivered != 99 || res.CheckInMissed != 1 {
		t.Fatalf("wave: %+v", res)
	}
	// Each event lists everyone so far: the bytes grow with the square.
	if res.CheckInBytes < 10*10*20 || res.CheckInLatency.N != 99 || res.CheckInWallMs < 150 {
		t.Fatalf("bytes %d, latency %+v, wall %.0f ms", res.CheckInBytes, res.CheckInLatency, res.CheckInWallMs)
	}
}
