package live

import (
	"context"
	"encoding/json"
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

// bigRoom is a meeting of n delegates, all checked in, with a speaker, a queue
// and a poll: the state a tablet connecting to a large council gets.
func bigRoom(b *testing.B, n int, indexed bool) (*phonghop.Meeting, []Event, uint64) {
	b.Helper()
	m := testMeeting(n)
	if indexed {
		m.Index()
	}
	present := make([]string, 0, n)
	for i := 0; i < n; i++ {
		present = append(present, delegateID(i))
	}
	att, _ := json.Marshal(attendanceOf(m, present, nil))
	cur := delegateID(1)
	sp, _ := json.Marshal(Speakers{Current: &cur, Queue: present[2:12]})
	evs := []Event{
		{Seq: 1, Subject: SubjectPresentation, Type: TypePresentation, Payload: []byte(`{"agendaItemId":"i1","documentId":"doc1","page":3}`)},
		{Seq: 2, Subject: SubjectPollPrefix + "p1", Type: TypePoll, Payload: []byte(`{"id":"p1","title":"Thông qua báo cáo","state":"open","cast":10}`)},
		{Seq: 3, Subject: SubjectSpeakers, Type: TypeSpeakers, Payload: sp},
		{Seq: uint64(n + 3), Subject: SubjectAttendance, Type: TypeAttendance, Payload: att},
	}
	return m, evs, uint64(n + 3)
}

// BenchmarkRoomState builds the room's state with 2,000 present: "search" is
// the meeting as it was (each person present looked up by a search of the
// participants, and of the voters), "indexed" the meeting as the meeting
// service hands it out now (indexed once when decoded).
func BenchmarkRoomState(b *testing.B) {
	for _, indexed := range []bool{false, true} {
		name := map[bool]string{false: "search", true: "indexed"}[indexed]
		b.Run(name+"/present=2000", func(b *testing.B) {
			m, evs, _ := bigRoom(b, 2000, indexed)
			b.ReportAllocs()
			for b.Loop() {
				st := stateOf(m, evs)
				if st.Attendance.PresentDelegates != 2000 {
					b.Fatal(st.Attendance.PresentDelegates)
				}
			}
		})
	}
}

// BenchmarkSnapshotNth is the snapshot the n-th socket connecting at one seq
// gets, with 2,000 present: "each" builds and encodes it for every socket
// from an unindexed meeting (as before), "shared" takes it from the room's
// snapshot cache (built once by the first socket; the clock is still read per
// socket).
func BenchmarkSnapshotNth(b *testing.B) {
	b.Run("each/present=2000", func(b *testing.B) {
		m, evs, last := bigRoom(b, 2000, false)
		b.ReportAllocs()
		for b.Loop() {
			st, err := encodeState(m, evs, delegateID(7))
			if err != nil {
				b.Fatal(err)
			}
			_ = snapshotFrame(last, st)
		}
	})
	b.Run("shared/present=2000", func(b *testing.B) {
		m, evs, last := bigRoom(b, 2000, true)
		var c snapshotCache
		ctx := context.Background()
		if _, err := c.state(ctx, m, evs, last, delegateID(0)); err != nil { // the first socket
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			st, err := c.state(ctx, m, evs, last, delegateID(7))
			if err != nil {
				b.Fatal(err)
			}
			_ = snapshotFrame(last, st)
		}
	})
}
