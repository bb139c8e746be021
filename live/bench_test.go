package live

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
)

// BenchmarkFanout measures one page turn delivered to every one of n loopback
// sockets: ns/op is the time until the last client has read it.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchFanout(b, n) })
	}
}

func benchFanout(b *testing.B, n int) {
	m := testMeeting(5)
	h := NewHub(Config{Broker: NewMemoryBroker(0), Meetings: meetings{"m1": m}, Logger: nil})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeWS(w, r, Client{MeetingID: "m1", User: phonghop.User{ID: delegateID(0)}})
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	var got atomic.Int64
	done := make(chan struct{}, 1)
	var wg sync.WaitGroup
	conns := make([]*websocket.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil { // snapshot
			b.Fatal(err)
		}
		conns = append(conns, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
				if got.Add(1)%int64(n) == 0 {
					done <- struct{}{}
				}
			}
		}()
	}
	ctx := context.Background()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := h.Present(ctx, "m1", chair, Presentation{"i1", "doc1", i%10 + 1}); err != nil {
			b.Fatal(err)
		}
		<-done
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*n), "ns/delivery")
	// CPU time (server and the clients together) is steadier than wall time on a
	// shared machine.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/delivery")
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	h.Shutdown(sctx)
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFanoutBare is the baseline: a bare gorilla loop writing the same
// frame to every socket from one goroutine (no queues, no auth, no replay).
func BenchmarkFanoutBare(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchBare(b, n) })
	}
}

func benchBare(b *testing.B, n int) {
	var mu sync.Mutex
	var server []*websocket.Conn
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		server = append(server, c)
		mu.Unlock()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	var got atomic.Int64
	done := make(chan struct{}, 1)
	var wg sync.WaitGroup
	conns := make([]*websocket.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
				if got.Add(1)%int64(n) == 0 {
					done <- struct{}{}
				}
			}
		}()
	}
	for {
		mu.Lock()
		k := len(server)
		mu.Unlock()
		if k == n {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		msg := eventFrame(Event{Seq: uint64(i + 1), Type: TypePresentation, Payload: []byte(`{"agendaItemId":"i1","documentId":"doc1","page":1}`)})
		for _, c := range server {
			c.WriteMessage(websocket.TextMessage, msg)
		}
		<-done
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*n), "ns/delivery")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/delivery")
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
}
