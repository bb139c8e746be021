package live

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
)

func TestShutdownClosesAllWithoutLeaks(t *testing.T) {
	for _, detach := range []bool{false, true} {
		t.Run(fmt.Sprintf("ReturnAfterUpgrade=%v", detach), func(t *testing.T) { testShutdown(t, detach) })
	}
}

func testShutdown(t *testing.T, detach bool) {
	http.DefaultClient.CloseIdleConnections()
	before := runtime.NumGoroutine()

	m := testMeeting(5)
	h := NewHub(Config{Broker: NewMemoryBroker(0), Meetings: meetings{"m1": m}, PingInterval: 20 * time.Millisecond, ReturnAfterUpgrade: detach})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeWS(w, r, Client{MeetingID: "m1", User: phonghop.User{ID: r.URL.Query().Get("user")}})
	}))
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "?user=" + delegateID(0)
	const n = 20
	codes := make(chan int, n)
	var conns []*websocket.Conn
	for i := 0; i < n; i++ {
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		readType(t, c, "snapshot")
		go func() {
			for {
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, _, err := c.ReadMessage(); err != nil {
					code := -1
					if ce, ok := err.(*websocket.CloseError); ok {
						code = ce.Code
					}
					codes <- code
					return
				}
			}
		}()
	}
	if _, err := h.Present(context.Background(), "m1", chair, Presentation{"i1", "doc1", 1}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond) // a few pings go out

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if code := <-codes; code != websocket.CloseGoingAway {
			t.Fatalf("close code %d, want 1001", code)
		}
	}
	// Refused once shut down, before any upgrade.
	_, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after shutdown: %v %v", err, resp)
	}
	for _, c := range conns {
		c.Close()
	}
	srv.Close()
	http.DefaultClient.CloseIdleConnections()

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPingsKeepLiveClientsAndDropDeadOnes(t *testing.T) {
	e := newEnv(t, func(c *Config, o *envOpts) {
		c.PingInterval = 50 * time.Millisecond
		c.PongTimeout = 300 * time.Millisecond
	})
	live := e.dial(delegateID(0), "")
	dead := e.dial(delegateID(1), "")
	dead.SetPingHandler(func(string) error { return nil }) // never answers
	readType(t, live, "snapshot")
	readType(t, dead, "snapshot")
	frames := make(chan frame, 1)
	go func() {
		// Reading makes the client answer pings.
		live.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := live.ReadMessage()
		if err == nil {
			frames <- frame{raw: b}
		}
		close(frames)
	}()
	deadErr := make(chan error, 1)
	go func() {
		dead.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			if _, _, err := dead.ReadMessage(); err != nil {
				deadErr <- err
				return
			}
		}
	}()
	select {
	case err := <-deadErr:
		if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
			t.Fatalf("silent client was not dropped: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("silent client was not dropped")
	}
	time.Sleep(500 * time.Millisecond) // past PongTimeout for the live one too
	if _, err := e.hub.Present(context.Background(), "m1", chair, Presentation{"i1", "doc1", 1}); err != nil {
		t.Fatal(err)
	}
	f, ok := <-frames
	if !ok || !strings.Contains(string(f.raw), `"presentation"`) {
		t.Fatalf("live client lost: %s", f.raw)
	}
}

// A removed client that keeps talking but never answers the close frame is
// cut within about closeGrace: its messages must not keep pushing the read
// deadline out to PongTimeout.
func TestClosedClientThatNeverAnswersIsCut(t *testing.T) {
	e := newEnv(t, func(c *Config, o *envOpts) { c.MessagesPerSecond, c.Burst = 1000, 1000 })
	c := e.dial(delegateID(0), "")
	readType(t, c, "snapshot")
	start := time.Now()
	cut := make(chan time.Duration, 1)
	go func() {
		// Keep talking and never read: the close frame is never answered.
		for time.Since(start) < 10*time.Second {
			if c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`)) != nil {
				cut <- time.Since(start)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		close(cut)
	}()
	time.Sleep(50 * time.Millisecond)
	e.hub.CloseUser("m1", delegateID(0))
	d, ok := <-cut
	if !ok {
		t.Fatal("the closed client was not cut within 10 s")
	}
	if d > 5*time.Second {
		t.Fatalf("cut after %v", d)
	}
}
