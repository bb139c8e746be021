package live

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Issue #12 ("tablets on bad Wi-Fi"): a tablet's heartbeat both ways over a
// real socket. The tablet pings and hears a pong (its own dead-link check);
// its ping's timeout makes the server drop it after that much silence instead
// of the minute the WebSocket keep-alive takes, while a tablet that keeps
// pinging stays, and one that asked for nothing keeps the default.
func TestHeartbeat(t *testing.T) {
	e := newEnv(t) // PingInterval 25 s: no WebSocket ping refreshes anything here
	silent := e.dial(delegateID(0), "")
	beating := e.dial(delegateID(1), "")
	plain := e.dial(delegateID(2), "")
	for _, c := range []*websocket.Conn{silent, beating, plain} {
		readType(t, c, "snapshot")
	}

	// Out of range: a translated error, the connection stays.
	for _, bad := range []int{1, -5, MaxPingTimeoutSeconds + 1} {
		send(t, silent, map[string]any{"type": "ping", "timeout": bad})
		errFrame(t, silent, "invalid_argument", "ping_timeout_invalid")
	}
	send(t, silent, map[string]any{"type": "ping", "timeout": "3"})
	errFrame(t, silent, "invalid_argument", "message_not_object")

	start := time.Now()
	send(t, silent, map[string]any{"type": "ping", "timeout": 3})
	readType(t, silent, "pong")
	send(t, beating, map[string]any{"type": "ping", "timeout": 3})
	readType(t, beating, "pong")

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 10; i++ { // 5 s of pings, one a 0.5 s
			time.Sleep(500 * time.Millisecond)
			if beating.WriteJSON(map[string]any{"type": "ping", "timeout": 3}) != nil {
				return
			}
		}
	}()
	// The silent one is dropped after its 3 s, not PongTimeout's 60 s.
	silent.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err := silent.ReadMessage()
	took := time.Since(start)
	if err == nil {
		t.Fatal("silent client got a frame instead of being dropped")
	}
	if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
		t.Fatalf("silent client was not dropped within 10 s: %v", err)
	}
	if took < 2500*time.Millisecond || took > 6*time.Second {
		t.Fatalf("silent client dropped after %v, want about 3 s", took)
	}
	<-done
	// The pinging one (past its 3 s) and the one that asked for nothing are
	// still served.
	quiet(t, beating)
	quiet(t, plain)
}
