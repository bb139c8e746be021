package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop/metrics"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// An unavailable store is `unavailable` with the same reason on the live
// room, over a real socket, as over REST (issue #18, item 6: the socket said
// `internal`).
func TestUnavailableStoreSameOnSocketAndREST(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(2)
	conn, _, err := websocket.DefaultDialer.Dial(wsURL(h, f.id), http.Header{"Authorization": {"Bearer " + h.tokens["chutich"]}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := conn.ReadMessage(); err != nil { // the snapshot
		t.Fatal(err)
	}
	h.store.down.Store(true)
	defer h.store.down.Store(false)
	msg := map[string]any{"type": "present", "agendaItemId": f.item, "documentId": f.doc, "page": 2}
	if err := conn.WriteJSON(msg); err != nil {
		t.Fatal(err)
	}
	var frame struct {
		Type  string
		Error struct{ Code, Reason string }
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := conn.ReadJSON(&frame); err != nil {
		t.Fatal(err)
	}
	r := h.do("PUT", "/api/v1/meetings/"+f.id+"/presentation", "chutich", map[string]any{"agendaItemId": f.item, "documentId": f.doc, "page": 2})
	var rest struct {
		Error struct{ Code, Reason string }
	}
	_ = json.Unmarshal(r.body, &rest)
	if r.status != http.StatusServiceUnavailable || rest.Error.Code != "unavailable" {
		t.Fatalf("REST: %d %s", r.status, r.body)
	}
	if frame.Type != "error" || frame.Error != rest.Error {
		t.Fatalf("socket answered %+v, REST %+v", frame, rest.Error)
	}
}

// A client that hangs up is no server fault: not logged at error level, not
// counted as a 5xx (issue #18, item 6: it was a logged 500).
func TestClientHangUpIsNotAServerError(t *testing.T) {
	var logs syncBuffer
	obs := metrics.New()
	h := newHarness(t, nil, withLog(&logs), withObserver(obs))
	// The session is read from the store, as on a process that has not
	// seen it (a sign-in keeps it in this one's cache).
	h.acc.AuthCacheTTL = -1
	h.store.stall.Store(true)
	defer h.store.stall.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+"/api/v1/meetings", nil)
	req.Header.Set("Authorization", "Bearer "+h.tokens["admin"])
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the request was answered %d", resp.StatusCode)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "status=499") {
		if time.Now().After(deadline) {
			t.Fatalf("the hang-up was not logged as 499:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a hang-up logged at error level:\n%s", logs.String())
	}
	rec := httptest.NewRecorder()
	obs.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "phonghop_http_requests_total") && strings.Contains(line, `status="5`) {
			t.Errorf("a hang-up counted as a server error: %s", line)
		}
		if strings.HasPrefix(line, "phonghop_http_errors_total") && strings.Contains(line, `code="internal"`) {
			t.Errorf("a hang-up counted as internal: %s", line)
		}
	}
	if !strings.Contains(string(body), `phonghop_http_requests_total{method="GET",route="/api/v1/meetings",status="499"} 1`) {
		t.Errorf("the hang-up is not counted as 499:\n%s", body)
	}
}
