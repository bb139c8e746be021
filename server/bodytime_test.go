package server_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop/internal/pdftest"
	"github.com/phonghop/phonghop/server"
)

func withBodyTimeout(d time.Duration, minRate int64) harnessOption {
	return func(c *server.Config) { c.BodyTimeout, c.UploadMinRate = d, minRate }
}

// slowClient sends head at once, then body one byte per gap over a real TCP
// connection; it reports when the server closed the connection (zero: not
// within limit).
func slowClient(t *testing.T, addr string, head string, body []byte, gap, limit time.Duration) time.Duration {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Error(err)
		return 0
	}
	go func() {
		for _, b := range body {
			time.Sleep(gap)
			if _, err := conn.Write([]byte{b}); err != nil {
				return
			}
		}
	}()
	conn.SetReadDeadline(start.Add(limit))
	if _, err := io.Copy(io.Discard, conn); errors.Is(err, os.ErrDeadlineExceeded) {
		return 0 // the limit passed with the connection open
	} // else closed, or reset (the server closes with bytes unread)
	return time.Since(start)
}

// The case: 200 sign-ins sending a byte of their body every few
// seconds were all still open after 40 s (only ReadHeaderTimeout was set).
// With a body timeout every one is closed once it passes, while the bytes
// keep coming; a sign-in at normal speed still works meanwhile.
func TestSlowBodiesAreCut(t *testing.T) {
	const timeout = 2 * time.Second
	h := newHarness(t, nil, withBodyTimeout(timeout, 4<<10))
	addr := h.srv.Listener.Addr().String()
	body := []byte(`{"username":"admin","password":"quan-tri-thu-nghiem"}`)
	head := fmt.Sprintf("POST /api/v1/auth/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", addr, len(body))
	const clients = 200
	// Unbounded, the drip would last 53 × 1 s; the limit leaves a loaded
	// machine ample time beyond the timeout.
	limit := 25 * time.Second
	var wg sync.WaitGroup
	closed := make([]time.Duration, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			closed[i] = slowClient(t, addr, head, body, time.Second, limit)
		}()
	}
	time.Sleep(timeout / 2)
	h.login("admin", adminPassword) // fails the test if it does not work
	wg.Wait()
	var open int
	var last time.Duration
	for _, d := range closed {
		if d == 0 {
			open++
		}
		last = max(last, d)
	}
	if open > 0 {
		t.Fatalf("%d of %d slow sign-ins still open after %v", open, clients, limit)
	}
	t.Logf("%d slow sign-ins closed, the last after %v (timeout %v)", clients, last.Round(time.Millisecond), timeout)
	if last < timeout {
		t.Errorf("a body was cut after %v, before its timeout %v", last, timeout)
	}
}

// An upload may take longer than the body timeout while it keeps the minimum
// rate on average; one that drips is cut after the timeout.
func TestUploadsKeepAMinimumRate(t *testing.T) {
	const timeout = 2 * time.Second
	h := newHarness(t, nil, withBodyTimeout(timeout, 4<<10))
	f := h.meeting(0)
	addr := h.srv.Listener.Addr().String()
	upload := func(pdf []byte) (string, []byte) {
		ct, body := multipartBody("file", "Báo cáo.pdf", pdf)
		return fmt.Sprintf("POST /api/v1/meetings/%s/documents HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
			url.PathEscape(f.id), addr, h.tokens["thuky"], ct, len(body)), body
	}
	// 10 times the minimum rate, for longer than the timeout: taken.
	head, body := upload(pdftest.NoXref(3, 40_000))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	io.WriteString(conn, head)
	for chunk := bytes.NewReader(body); chunk.Len() > 0; {
		io.CopyN(conn, chunk, 4<<10)
		time.Sleep(100 * time.Millisecond)
	}
	answer, _ := io.ReadAll(conn)
	if took := time.Since(start); !bytes.HasPrefix(answer, []byte("HTTP/1.1 201")) || took < timeout {
		t.Fatalf("an upload at 40 KiB/s over %v: %.40q", took, answer)
	}
	// A byte a second: cut once the timeout has passed.
	head, body = upload(pdftest.NoXref(1, 100))
	if d := slowClient(t, addr, head, body, time.Second, 25*time.Second); d == 0 || d < timeout {
		t.Fatalf("a dripping upload closed after %v (0: still open), timeout %v", d, timeout)
	}
}
