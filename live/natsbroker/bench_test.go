package natsbroker

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

// reportLatencies adds p50 and p99 of ds, in microseconds.
func reportLatencies(b *testing.B, prefix string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(at(0.50), prefix+"p50-µs")
	b.ReportMetric(at(0.99), prefix+"p99-µs")
}

// BenchmarkAppendDelivery measures one event from Append on one broker handle
// until a subscriber on another handle (another process) has it: through
// NATS JetStream, and through the in-process memory broker for comparison.
func BenchmarkAppendDelivery(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		m := live.NewMemoryBroker(0)
		benchAppendDelivery(b, m, m)
	})
	b.Run("nats", func(b *testing.B) {
		url := natstest.URL(b)
		benchAppendDelivery(b, open(b, url), open(b, url))
	})
}

func benchAppendDelivery(b *testing.B, pub, sub live.Broker) {
	ctx := context.Background()
	mid := newMeetingID()
	got := make(chan uint64, 1)
	cancel, err := sub.Subscribe(ctx, mid, func(ev live.Event) { got <- ev.Seq })
	if err != nil {
		b.Fatal(err)
	}
	defer cancel()
	ev := live.Event{Subject: live.SubjectPresentation, Type: live.TypePresentation,
		Payload: []byte(`{"agendaItemId":"i1","documentId":"doc1","page":1}`), By: chairID}
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		seq, err := pub.Append(ctx, mid, ev, -1)
		if err != nil {
			b.Fatal(err)
		}
		if s := <-got; s != seq {
			b.Fatalf("delivered %d, appended %d", s, seq)
		}
		ds = append(ds, time.Since(start))
	}
	b.StopTimer()
	reportLatencies(b, "", ds)
}

// BenchmarkPageTurnFanout measures page turns reaching n delegates' sockets:
// all on one hub (one process) or spread over two hubs on two NATS connections
// (two processes), the chair turning pages on the first. Latency is from the
// turn until each socket has read it; "last" is until the last socket has.
func BenchmarkPageTurnFanout(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("memory-1hub/%d", n), func(b *testing.B) { benchFanout(b, n, 1, false) })
		b.Run(fmt.Sprintf("nats-1hub/%d", n), func(b *testing.B) { benchFanout(b, n, 1, true) })
		b.Run(fmt.Sprintf("nats-2hubs/%d", n), func(b *testing.B) { benchFanout(b, n, 2, true) })
	}
}

func benchFanout(b *testing.B, n, hubs int, useNATS bool) {
	m := testMeeting(newMeetingID(), n)
	var hs []*live.Hub
	var urls []string
	mem := live.NewMemoryBroker(0)
	for i := 0; i < hubs; i++ {
		var br live.Broker = mem
		if useNATS {
			br = open(b, natstest.URL(b))
		}
		h := live.NewHub(live.Config{Broker: br, Meetings: meetings{m}, ReturnAfterUpgrade: true})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeWS(w, r, live.Client{MeetingID: m.ID, User: phonghop.User{ID: r.URL.Query().Get("user")}})
		}))
		b.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			h.Shutdown(ctx)
			srv.Close()
		})
		hs = append(hs, h)
		urls = append(urls, "ws"+strings.TrimPrefix(srv.URL, "http"))
	}

	var start atomic.Int64 // unix ns of the current turn
	var got atomic.Int64
	done := make(chan struct{}, 1)
	lat := make([][]time.Duration, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		c, _, err := websocket.DefaultDialer.Dial(urls[i%hubs]+"?user="+delegateID(i), nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil { // snapshot
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
				lat[i] = append(lat[i], time.Duration(time.Now().UnixNano()-start.Load()))
				if got.Add(1)%int64(n) == 0 {
					done <- struct{}{}
				}
			}
		}(i)
	}
	ctx := context.Background()
	last := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		start.Store(t0.UnixNano())
		if _, err := hs[0].Present(ctx, m.ID, chair, live.Presentation{AgendaItemID: "i1", DocumentID: "doc1", Page: i%40 + 1}); err != nil {
			b.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			b.Fatalf("turn %d: %d of %d deliveries", i, got.Load()%int64(n), n)
		}
		last = append(last, time.Since(t0))
	}
	b.StopTimer()
	for _, h := range hs {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		h.Shutdown(sctx)
		cancel()
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	reportLatencies(b, "", all)
	reportLatencies(b, "last-", last)
}
