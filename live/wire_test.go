package live

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
)

// rawConn is a WebSocket client that reads the server's bytes itself, so a
// test sees every frame as it is on the wire: its header bits, its length,
// and whatever follows a close frame (gorilla's client hides all of that).
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
	wm sync.Mutex // one frame written at a time
}

func dialRaw(t *testing.T, e *env, user, query string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "GET /?user=%s%s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", user, query)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %s", resp.Status)
	}
	return &rawConn{t: t, c: c, br: br}
}

// rawFrame is one frame as the server sent it.
type rawFrame struct {
	fin, rsv, masked bool
	op               byte
	data             []byte
}

// next reads one frame; io.EOF when the server has closed the connection.
func (r *rawConn) next(timeout time.Duration) (rawFrame, error) {
	r.c.SetReadDeadline(time.Now().Add(timeout))
	var h [2]byte
	if _, err := io.ReadFull(r.br, h[:]); err != nil {
		return rawFrame{}, err
	}
	f := rawFrame{fin: h[0]&0x80 != 0, rsv: h[0]&0x70 != 0, op: h[0] & 0x0f, masked: h[1]&0x80 != 0}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r.br, b[:]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
		if n < 126 {
			return f, fmt.Errorf("length %d in the 16-bit form", n)
		}
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r.br, b[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(b[:])
		if n < 1<<16 {
			return f, fmt.Errorf("length %d in the 64-bit form", n)
		}
	}
	f.data = make([]byte, n)
	_, err := io.ReadFull(r.br, f.data)
	return f, err
}

// send writes one masked frame, as a client must.
func (r *rawConn) send(op byte, payload []byte) {
	var key [4]byte
	rand.Read(key[:])
	b := []byte{0x80 | op, 0x80 | byte(len(payload))} // payloads here are < 126 bytes
	b = append(b, key[:]...)
	for i, c := range payload {
		b = append(b, c^key[i%4])
	}
	r.wm.Lock()
	defer r.wm.Unlock()
	if _, err := r.c.Write(b); err != nil {
		r.t.Errorf("send: %v", err)
	}
}

func TestFrameHeaders(t *testing.T) {
	for _, tc := range []struct {
		n    int
		head []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xff, 0xff}},
		{65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		f := textFrame(bytes.Repeat([]byte("a"), tc.n))
		if !bytes.Equal(f[:len(tc.head)], tc.head) || len(f) != len(tc.head)+tc.n {
			t.Errorf("%d bytes: header % x, length %d", tc.n, f[:min(len(f), 10)], len(f))
		}
	}
	if c := controlFrame(opClose, bytes.Repeat([]byte("x"), 200)); len(c) != 2+maxControlPayload || c[1] != maxControlPayload {
		t.Errorf("a control frame carries %d bytes", c[1])
	}
}

// Events published from several goroutines at once, large and small, while
// the server pings every few milliseconds and each client sends JSON pings
// and WebSocket pings: every socket reads well-formed frames, the events in
// seq order without a gap, an answer to every ping of both kinds, the
// server's pings, and at the end a close frame with its code after which
// nothing more comes.
func TestFramesIntactAndInOrderUnderConcurrentEvents(t *testing.T) {
	for _, goroutines := range []bool{false, true} {
		t.Run(fmt.Sprintf("goroutineWriters=%v", goroutines), func(t *testing.T) { testFramesIntact(t, goroutines) })
	}
}

func testFramesIntact(t *testing.T, goroutines bool) {
	e := newEnv(t, func(c *Config, o *envOpts) {
		o.goroutineWriters = goroutines
		c.PingInterval = 5 * time.Millisecond
		c.WriteQueueBytes = 16 << 20 // no client is slow here, however loaded the machine
		c.MessagesPerSecond, c.Burst = 10000, 10000
		o.buffer = 2048
	})
	const clients, publishers, perPublisher, jsonPings, wsPings = 6, 4, 60, 40, 40
	type got struct {
		seq, jsonPongs, wsPongs atomic.Int64 // progress, read by the test while it runs
		first, events           int
		serverPings             int
		closeCode               int
		closeReason             string
		after                   int // bytes after the close frame
		err                     error
	}
	results := make([]got, clients)
	conns := make([]*rawConn, clients)
	var readers sync.WaitGroup
	for i := range conns {
		conns[i] = dialRaw(t, e, delegateID(i), "&session=s")
		readers.Add(1)
		go func(r *rawConn, g *got) {
			defer readers.Done()
			fail := func(format string, args ...any) { g.err = fmt.Errorf(format, args...) }
			seq := int64(-1)
			for {
				f, err := r.next(30 * time.Second)
				if err != nil {
					fail("read: %v", err)
					return
				}
				if !f.fin || f.rsv || f.masked {
					fail("frame fin %v rsv %v masked %v", f.fin, f.rsv, f.masked)
					return
				}
				switch f.op {
				case opPing:
					g.serverPings++
					continue
				case opPong:
					if want := fmt.Sprint("p", g.wsPongs.Load()); string(f.data) != want {
						fail("pong %q, want %s", f.data, want)
						return
					}
					g.wsPongs.Add(1)
					continue
				case opClose:
					if len(f.data) >= 2 {
						g.closeCode = int(binary.BigEndian.Uint16(f.data))
						g.closeReason = string(f.data[2:])
					}
					for {
						f, err := r.next(5 * time.Second)
						if err != nil {
							if err != io.EOF {
								fail("after the close frame: %v", err)
							}
							return
						}
						g.after += len(f.data) + 2
					}
				case opText:
				default:
					fail("opcode %d", f.op)
					return
				}
				var m struct {
					Type string `json:"type"`
					Seq  int64  `json:"seq"`
				}
				if err := json.Unmarshal(f.data, &m); err != nil {
					fail("frame %.80q: %v", f.data, err)
					return
				}
				switch {
				case m.Type == "pong":
					g.jsonPongs.Add(1)
				case m.Type == "snapshot" && seq < 0:
					seq, g.first = m.Seq, int(m.Seq)
				case m.Seq != 0 && seq >= 0:
					if m.Seq != seq+1 {
						fail("%s seq %d after %d", m.Type, m.Seq, seq)
						return
					}
					seq = m.Seq
					g.events++
				default:
					fail("unexpected frame %.80q", f.data)
					return
				}
				g.seq.Store(seq)
			}
		}(conns[i], &results[i])
	}
	// The clients' pings, while the events go out.
	var pingers sync.WaitGroup
	for _, r := range conns {
		pingers.Add(1)
		go func(r *rawConn) {
			defer pingers.Done()
			for k := range max(jsonPings, wsPings) {
				if k < jsonPings {
					r.send(opText, []byte(`{"type":"ping"}`))
				}
				if k < wsPings {
					r.send(opPing, []byte(fmt.Sprint("p", k)))
				}
			}
		}(r)
	}
	ctx := context.Background()
	var publish sync.WaitGroup
	for p := range publishers {
		publish.Add(1)
		go func() {
			defer publish.Done()
			for k := range perPublisher {
				var err error
				if k%20 == 19 {
					// Frames past 125 and past 65,535 bytes: both longer length forms.
					size := []int{200, 70 << 10, 1000}[k/20%3]
					_, err = e.hub.PublishPoll(ctx, "m1", phonghop.Poll{ID: fmt.Sprintf("p%d-%d", p, k), Title: strings.Repeat("x", size), State: phonghop.PollDraft})
				} else {
					_, err = e.hub.Present(ctx, "m1", chair, Presentation{"i1", "doc1", k%10 + 1})
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	publish.Wait()
	pingers.Wait()
	_, last, err := e.broker.Last(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	// Every socket has everything before the close, which drops what is queued.
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < clients; {
		g := &results[i]
		if g.seq.Load() == int64(last) && g.jsonPongs.Load() == jsonPings && g.wsPongs.Load() == wsPings {
			i++
			continue
		}
		if time.Now().After(deadline) {
			break // the checks below say what is missing
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.hub.CloseSession("s")
	readers.Wait()
	for i := range results {
		g := &results[i]
		if g.err != nil {
			t.Errorf("client %d: %v", i, g.err)
			continue
		}
		if g.seq.Load() != int64(last) || g.events != int(last)-g.first {
			t.Errorf("client %d: %d events up to seq %d from %d, want up to %d", i, g.events, g.seq.Load(), g.first, last)
		}
		if g.jsonPongs.Load() != jsonPings || g.wsPongs.Load() != wsPings {
			t.Errorf("client %d: %d pongs and %d WebSocket pongs, want %d and %d", i, g.jsonPongs.Load(), g.wsPongs.Load(), jsonPings, wsPings)
		}
		if g.serverPings == 0 {
			t.Errorf("client %d: no ping from the server", i)
		}
		if g.closeCode != CloseSessionEnded || g.closeReason != "unauthenticated" {
			t.Errorf("client %d: close %d %q", i, g.closeCode, g.closeReason)
		}
		if g.after != 0 {
			t.Errorf("client %d: %d bytes after the close frame", i, g.after)
		}
	}
	t.Logf("%d events; client 0: %d server pings", int(last)-results[0].first, results[0].serverPings)
}

// A client's close is echoed with its code, and nothing follows it.
func TestClientCloseIsEchoed(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e, delegateID(0), "")
	if f, err := r.next(5 * time.Second); err != nil || f.op != opText || !bytes.Contains(f.data, []byte(`"snapshot"`)) {
		t.Fatalf("first frame %v %.40q", err, f.data)
	}
	r.send(opClose, []byte{0x03, 0xe8, 'b', 'y', 'e'}) // 1000 "bye"
	f, err := r.next(5 * time.Second)
	if err != nil || f.op != opClose || !bytes.Equal(f.data, []byte{0x03, 0xe8}) {
		t.Fatalf("answer to the close: %v op %d % x", err, f.op, f.data)
	}
	if f, err := r.next(5 * time.Second); err != io.EOF {
		t.Fatalf("after the close: %v op %d %q", err, f.op, f.data)
	}
}

// A client closed while events keep coming (its writer busy) gets its close
// frame last: nothing is written after it.
func TestNothingAfterTheCloseFrame(t *testing.T) {
	e := newEnv(t)
	for round := range 5 {
		user := delegateID(round)
		r := dialRaw(t, e, user, "")
		stop := make(chan struct{})
		var publish sync.WaitGroup
		publish.Add(1)
		go func() {
			defer publish.Done()
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := e.hub.Present(context.Background(), "m1", chair, Presentation{"i1", "doc1", k%10 + 1}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		var closed, after int
		for texts := 0; ; {
			f, err := r.next(10 * time.Second)
			if err != nil {
				if err != io.EOF {
					t.Fatalf("round %d: %v", round, err)
				}
				break
			}
			switch {
			case closed > 0:
				after += len(f.data) + 2
			case f.op == opClose:
				closed = int(binary.BigEndian.Uint16(f.data))
			case f.op == opText:
				if texts++; texts == 20 {
					go e.hub.CloseUser("m1", user)
				}
			}
		}
		close(stop)
		publish.Wait()
		if closed != CloseRemoved || after != 0 {
			t.Fatalf("round %d: close %d, then %d bytes", round, closed, after)
		}
	}
}

// Once the close frame is written, the write lock refuses every other frame.
func TestWriteRefusedAfterClose(t *testing.T) {
	srv, cli := net.Pipe()
	defer srv.Close()
	defer cli.Close()
	go io.Copy(io.Discard, cli)
	c := &client{wire: srv, wlock: make(chan struct{}, 1)}
	deadline := time.Now().Add(5 * time.Second)
	if err := c.write(net.Buffers{textFrame([]byte(`{}`)), pingWire}, deadline, false); err != nil {
		t.Fatal(err)
	}
	if err := c.write(net.Buffers{controlFrame(opClose, nil)}, deadline, true); err != nil {
		t.Fatal(err)
	}
	if err := c.write(net.Buffers{textFrame([]byte(`{}`))}, deadline, false); err != errCloseSent {
		t.Fatalf("a frame after the close: %v", err)
	}
	// A writer that cannot get the lock gives up at its deadline.
	c.wlock <- struct{}{}
	if err := c.write(net.Buffers{pingWire}, time.Now().Add(50*time.Millisecond), false); err != os.ErrDeadlineExceeded {
		t.Fatalf("lock held: %v", err)
	}
}
