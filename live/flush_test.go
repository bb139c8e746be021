package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
)

// readEvents reads r's frames until it has the event of seq last, checking that
// each is a whole text frame and that the events come one seq after another.
func readEvents(r *rawConn, last uint64, timeout time.Duration) error {
	seq, snapshot := uint64(0), false
	for !snapshot || seq < last {
		f, err := r.next(timeout)
		if err != nil {
			return fmt.Errorf("after seq %d: %w", seq, err)
		}
		if f.op == opPing {
			continue
		}
		if f.op != opText || !f.fin || f.rsv || f.masked {
			return fmt.Errorf("after seq %d: frame op %d fin %v rsv %v masked %v", seq, f.op, f.fin, f.rsv, f.masked)
		}
		var m struct {
			Type string `json:"type"`
			Seq  uint64 `json:"seq"`
		}
		if err := json.Unmarshal(f.data, &m); err != nil {
			return fmt.Errorf("after seq %d: frame %.60q: %v", seq, f.data, err)
		}
		switch {
		case m.Type == "snapshot" && !snapshot:
			seq, snapshot = m.Seq, true
		case snapshot && m.Seq == seq+1:
			seq = m.Seq
		default:
			return fmt.Errorf("%s seq %d after %d", m.Type, m.Seq, seq)
		}
	}
	return nil
}

// waitFlushersIdle waits until no flusher runs: a flusher adds to the
// counters after each take of clients.
func waitFlushersIdle(t *testing.T, h *Hub) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		h.flush.mu.Lock()
		n := h.flush.running
		h.flush.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d flushers still running", n)
		}
		time.Sleep(time.Millisecond)
	}
}

// On plain TCP the hub's flushers write every client's events (no goroutine
// per socket and event), and a client whose socket takes them never gets a
// writer goroutine of its own.
func TestFlushersWriteEveryQueue(t *testing.T) {
	const clients, events = 30, 60
	e := newEnv(t, func(c *Config, o *envOpts) {
		o.delegates = clients
		c.MessagesPerSecond, c.Burst = 10000, 10000
	})
	conns := make([]*rawConn, clients)
	for i := range conns {
		conns[i] = dialRaw(t, e, delegateID(i), "")
	}
	// Every socket is in the room before the first event.
	for deadline := time.Now().Add(10 * time.Second); e.hub.clientCount("m1") < clients; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d clients joined", e.hub.clientCount("m1"), clients)
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx := context.Background()
	var last uint64
	for k := range events {
		seq, err := e.hub.Present(ctx, "m1", chair, Presentation{"i1", "doc1", k%10 + 1})
		if err != nil {
			t.Fatal(err)
		}
		last = seq
	}
	var wg sync.WaitGroup
	errs := make([]error, clients)
	for i, r := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = readEvents(r, last, 30*time.Second)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("client %d: %v", i, err)
		}
	}
	waitFlushersIdle(t, e.hub)
	if w, h := e.hub.flush.writes.Load(), e.hub.flush.handoffs.Load(); w < clients || h != 0 {
		t.Errorf("flushers wrote %d batches and handed %d clients to a goroutine; want at least %d and none", w, h, clients)
	}
}

// A client that stops reading fills its socket: the flusher hands it, with the
// part of a frame the socket did not take, to a writer goroutine of its own,
// the other clients get every event at once meanwhile, and when the stalled
// client reads again every frame arrives whole and in order.
func TestFullSocketGetsItsOwnWriter(t *testing.T) {
	e := newEnv(t, func(c *Config, o *envOpts) {
		c.WriteQueueBytes = 64 << 20 // stalled, not slow: it is not dropped here
		c.WriteTimeout = time.Minute
		c.MessagesPerSecond, c.Burst = 10000, 10000
		o.smallBufs = true
	})
	stalled := dialRaw(t, e, delegateID(0), "")
	fast := dialRaw(t, e, delegateID(1), "")
	for deadline := time.Now().Add(10 * time.Second); e.hub.clientCount("m1") < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the clients did not join")
		}
		time.Sleep(5 * time.Millisecond)
	}
	fastDone := make(chan error, 1)
	var last uint64
	// 60 polls of about 20 KiB: far more than the stalled socket's buffers hold.
	title := strings.Repeat("Phê duyệt dự toán ", 20<<10/len("Phê duyệt dự toán "))
	ctx := context.Background()
	for k := range 60 {
		seq, err := e.hub.PublishPoll(ctx, "m1", phonghop.Poll{ID: fmt.Sprint("p", k), Title: title, State: phonghop.PollDraft})
		if err != nil {
			t.Fatal(err)
		}
		last = seq
	}
	go func() { fastDone <- readEvents(fast, last, 30*time.Second) }()
	if err := <-fastDone; err != nil {
		t.Fatalf("the reading client: %v", err)
	}
	waitFlushersIdle(t, e.hub)
	if e.hub.flush.handoffs.Load() == 0 {
		t.Fatal("no client was handed to a writer goroutine, though one stopped reading")
	}
	if err := readEvents(stalled, last, 30*time.Second); err != nil {
		t.Fatalf("the stalled client, reading again: %v", err)
	}
}

// consumed is what a partial write leaves: whole frames untouched, and the
// unwritten end of a frame the socket took only part of.
func TestConsumed(t *testing.T) {
	frames := net.Buffers{[]byte("abc"), []byte("de"), []byte("fghi")}
	for _, c := range []struct {
		n     int
		rest  string
		whole bool
	}{
		{0, "abc|de|fghi", true},
		{2, "c|de|fghi", false},
		{3, "de|fghi", true},
		{4, "e|fghi", false},
		{5, "fghi", true},
		{8, "i", false},
		{9, "", true},
	} {
		rest, whole := consumed(frames, c.n)
		parts := make([]string, len(rest))
		for i, b := range rest {
			parts[i] = string(b)
		}
		if got := strings.Join(parts, "|"); got != c.rest || whole != c.whole {
			t.Errorf("consumed %d: %q whole %v, want %q whole %v", c.n, got, whole, c.rest, c.whole)
		}
	}
	if string(frames[0]) != "abc" || len(frames) != 3 {
		t.Error("consumed changed the frames it was given")
	}
}

// Over TLS the bytes on the descriptor are the TLS layer's: the flushers must
// never write frames there, and every client keeps a writer goroutine that
// writes through the TLS connection.
func TestTLSConnectionsKeepTheirWriter(t *testing.T) {
	e := newEnv(t, func(c *Config, o *envOpts) { o.tls = true })
	d := websocket.Dialer{TLSClientConfig: e.srv.Client().Transport.(*http.Transport).TLSClientConfig}
	conn, _, err := d.Dial(e.url+"?user="+delegateID(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	readType(t, conn, "snapshot")
	ctx := context.Background()
	for k := range 20 {
		seq, err := e.hub.Present(ctx, "m1", chair, Presentation{"i1", "doc1", k%10 + 1})
		if err != nil {
			t.Fatal(err)
		}
		if f := readType(t, conn, "presentation"); f.Seq != seq {
			t.Fatalf("seq %d, want %d", f.Seq, seq)
		}
	}
	if n := e.hub.flush.writes.Load(); n != 0 {
		t.Fatalf("the flushers wrote %d batches to a TLS connection's descriptor", n)
	}
}

// A flusher reuses its frame list from one client to the next: writing an
// event to a room allocates nothing per socket.
func TestFlushAllocatesNothingPerSocket(t *testing.T) {
	const clients = 50
	e := newEnv(t, func(c *Config, o *envOpts) { o.delegates = clients })
	conns := make([]*rawConn, clients)
	for i := range conns {
		conns[i] = dialRaw(t, e, delegateID(i), "")
	}
	for deadline := time.Now().Add(10 * time.Second); e.hub.clientCount("m1") < clients; {
		if time.Now().After(deadline) {
			t.Fatal("the clients did not join")
		}
		time.Sleep(5 * time.Millisecond)
	}
	frame := textFrame([]byte(`{"type":"presentation","seq":1}`))
	ready := e.hub.roomClients("m1")
	fw := flushWork{f: &flusher{max: 1}, w: newRawWriter()}
	// As a flusher does: queue one frame on every client, then write them all.
	round := func() {
		for _, c := range ready {
			c.mu.Lock()
			c.queue = append(c.queue, outFrame{data: frame})
			c.writing = true
			c.wg.Add(1)
			c.mu.Unlock()
		}
		for _, c := range ready {
			fw.flush(c)
		}
	}
	round() // the frame list grows once
	if n := testing.AllocsPerRun(20, round); n > 0 {
		t.Fatalf("%.1f allocations per round of %d sockets, want 0", n, clients)
	}
}
