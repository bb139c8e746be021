package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const demoPassword = "hop-khong-giay"

// delegates are the demo meeting's twelve voters.
func delegates() []string {
	var out []string
	for i := 1; i <= 12; i++ {
		out = append(out, fmt.Sprintf("daibieu%02d", i))
	}
	return out
}

type meeting struct {
	ID     string `json:"id"`
	Agenda []struct {
		ID          string   `json:"id"`
		DocumentIDs []string `json:"documentIds"`
	} `json:"agenda"`
	Documents []document `json:"documents"`
}

type document struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Pages  int    `json:"pages"`
}

// result is one API answer: the status and the error code, or the transport
// error when there was no answer.
type result struct {
	Status int
	Code   string // error.code of an error answer
	Body   []byte
	Err    error // no HTTP answer at all
}

func (r result) String() string {
	if r.Err != nil {
		return "no answer: " + r.Err.Error()
	}
	return fmt.Sprintf("%d %s", r.Status, strings.TrimSpace(string(r.Body)))
}

var apiClient = &http.Client{Timeout: 20 * time.Second}

// call sends a JSON request to node i (body nil: none) and reads the answer.
func (c *cluster) call(i int, token, method, path string, body any) result {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			panic(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.urls[i]+"/api/v1"+path, rd)
	if err != nil {
		return result{Err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(req, token)
}

// probe GETs a path outside the API (/healthz, /readyz) on node i.
func (c *cluster) probe(i int, path string) result {
	req, err := http.NewRequest("GET", c.urls[i]+path, nil)
	if err != nil {
		return result{Err: err}
	}
	return do(req, "")
}

func do(req *http.Request, token string) result {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		return result{Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	r := result{Status: resp.StatusCode, Body: b, Err: err}
	if resp.StatusCode >= 400 {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		r.Code = e.Error.Code
	}
	return r
}

// decode unmarshals a 2xx answer into out, failing the test otherwise.
func (r result) decode(t *testing.T, what string, out any) {
	t.Helper()
	if r.Err != nil || r.Status/100 != 2 {
		t.Fatalf("%s: %s", what, r)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			t.Fatalf("%s: %v in %s", what, err, r.Body)
		}
	}
}

// login signs user in on node i and returns the bearer token.
func (c *cluster) login(i int, user string) string {
	c.t.Helper()
	tok, _ := c.loginID(i, user)
	return tok
}

// loginID signs user in on node i and returns the token and the user's id.
func (c *cluster) loginID(i int, user string) (token, id string) {
	c.t.Helper()
	var out struct {
		Token string
		User  struct{ ID string }
	}
	c.call(i, "", "POST", "/auth/login", map[string]string{"username": user, "password": demoPassword}).
		decode(c.t, "login "+user, &out)
	if out.Token == "" || out.User.ID == "" {
		c.t.Fatalf("login %s: no token or user id", user)
	}
	return out.Token, out.User.ID
}

// demoMeeting finds the seeded meeting through the API of node 2 (so both
// nodes are known to share the store).
func (c *cluster) demoMeeting() meeting {
	c.t.Helper()
	tok := c.login(0, "chutich")
	var list []meeting
	c.call(1, tok, "GET", "/meetings", nil).decode(c.t, "list meetings", &list)
	if len(list) == 0 {
		c.t.Fatal("node 2 lists no meeting for chutich")
	}
	var m meeting
	c.call(1, tok, "GET", "/meetings/"+list[0].ID, nil).decode(c.t, "get meeting", &m)
	return m
}

// pageTurner makes the chair's page turns: the first agenda item with a
// document, its first document, pages cycling.
type pageTurner struct {
	c     *cluster
	token string
	item  string
	doc   string
	pages int
	n     int
}

func (c *cluster) pageTurner(token string) *pageTurner {
	c.t.Helper()
	for _, it := range c.meeting.Agenda {
		if len(it.DocumentIDs) == 0 {
			continue
		}
		pt := &pageTurner{c: c, token: token, item: it.ID, doc: it.DocumentIDs[0], pages: 1}
		for _, d := range c.meeting.Documents {
			if d.ID == pt.doc && d.Pages > 1 {
				pt.pages = d.Pages
			}
		}
		return pt
	}
	c.t.Fatal("the demo meeting has no agenda item with a document")
	return nil
}

// turn sends PUT presentation to node i; seq is set when it answered 200.
func (p *pageTurner) turn(i int) (seq uint64, r result) {
	p.n++
	page := p.n%p.pages + 1
	r = p.c.call(i, p.token, "PUT", "/meetings/"+p.c.meeting.ID+"/presentation",
		map[string]any{"agendaItemId": p.item, "documentId": p.doc, "page": page})
	if r.Err == nil && r.Status == http.StatusOK {
		var out struct{ Seq uint64 }
		if err := json.Unmarshal(r.Body, &out); err != nil || out.Seq == 0 {
			r.Err = fmt.Errorf("200 without a seq: %s", r.Body)
		}
		seq = out.Seq
	}
	return seq, r
}

// mustTurn turns a page on node i, retrying a 503 for up to limit.
func (p *pageTurner) mustTurn(i int, limit time.Duration) uint64 {
	p.c.t.Helper()
	var seq uint64
	var r result
	err := eventually(limit, func() error {
		seq, r = p.turn(i)
		if seq == 0 {
			return fmt.Errorf("%s", r)
		}
		return nil
	})
	if err != nil {
		p.c.t.Fatalf("page turn on node %d: %v", i+1, err)
	}
	return seq
}

// frame is what a tablet keeps of one server message with a seq.
type frame struct {
	Type string
	Seq  uint64
}

// tablet is one live connection's client side: it records every frame with a
// seq, and can keep itself connected, reconnecting with since=<last seq>.
type tablet struct {
	name  string
	token string
	// dialTimeout bounds each connection attempt of follow (default 10 s);
	// maxBackoff caps its pause between failed attempts (default 2 s).
	dialTimeout, maxBackoff time.Duration

	mu      sync.Mutex
	frames  []frame
	last    uint64    // newest seq seen
	conns   int       // connections opened
	firstAt time.Time // when the first connection opened
	drops   []string
	conn    *websocket.Conn
	dropped chan struct{} // closed when the current connection ends
}

func newTablet(name, token string) *tablet { return &tablet{name: name, token: token} }

var dialer = &websocket.Dialer{HandshakeTimeout: 20 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}

// connect opens a live connection to node i, with since when since >= 0, and
// starts reading it.
func (tb *tablet) connect(ctx context.Context, c *cluster, i int, since int64) error {
	u := strings.Replace(c.urls[i], "http://", "ws://", 1) + "/api/v1/meetings/" + c.meeting.ID + "/live"
	if since >= 0 {
		u += fmt.Sprintf("?since=%d", since)
	}
	h := http.Header{"Authorization": {"Bearer " + tb.token}}
	conn, resp, err := dialer.DialContext(ctx, u, h)
	if err != nil {
		if resp != nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			return fmt.Errorf("dial node %d: %v: %d %s", i+1, err, resp.StatusCode, b)
		}
		return fmt.Errorf("dial node %d: %w", i+1, err)
	}
	dropped := make(chan struct{})
	tb.mu.Lock()
	tb.conn, tb.dropped = conn, dropped
	tb.conns++
	if tb.conns == 1 {
		tb.firstAt = time.Now()
	}
	tb.mu.Unlock()
	go tb.read(conn, dropped)
	return nil
}

func (tb *tablet) read(conn *websocket.Conn, dropped chan struct{}) {
	defer close(dropped)
	defer conn.Close()
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			tb.mu.Lock()
			tb.drops = append(tb.drops, err.Error())
			tb.mu.Unlock()
			return
		}
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			tb.mu.Lock()
			tb.drops = append(tb.drops, "bad frame "+string(b))
			tb.mu.Unlock()
			continue
		}
		if f.Seq == 0 { // error, pong
			continue
		}
		tb.mu.Lock()
		tb.frames = append(tb.frames, f)
		if f.Seq > tb.last {
			tb.last = f.Seq
		}
		tb.mu.Unlock()
	}
}

// tryConnect opens one live connection to node i and reads its first message
// (or its close), for checking how a node refuses connections during an
// outage. It reports the HTTP status when the upgrade was refused, or the close
// code when the socket was closed at once (-1: it stayed open).
func (c *cluster) tryConnect(i int, token string, since int64) (status, closeCode int, detail string) {
	u := strings.Replace(c.urls[i], "http://", "ws://", 1) + "/api/v1/meetings/" + c.meeting.ID + "/live"
	if since >= 0 {
		u += fmt.Sprintf("?since=%d", since)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, resp, err := dialer.DialContext(ctx, u, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		if resp == nil {
			return 0, 0, err.Error()
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return resp.StatusCode, 0, string(b)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	_, b, err := conn.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); ok {
		return http.StatusSwitchingProtocols, ce.Code, ce.Text
	}
	if err != nil {
		return http.StatusSwitchingProtocols, -1, err.Error()
	}
	return http.StatusSwitchingProtocols, -1, string(b)
}

// close ends the current connection.
func (tb *tablet) close() {
	tb.mu.Lock()
	conn, dropped := tb.conn, tb.dropped
	tb.mu.Unlock()
	if conn != nil {
		conn.Close()
		<-dropped
	}
}

func (tb *tablet) lastSeq() uint64 {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.last
}

func (tb *tablet) snapshot() (frames []frame, conns int, drops []string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]frame(nil), tb.frames...), tb.conns, append([]string(nil), tb.drops...)
}

// follow keeps the tablet connected until ctx ends: whenever the connection
// drops it reconnects, to the node target(n) for the n-th connection, with
// since set to the last seq it saw, backing off between failed attempts.
func (tb *tablet) follow(ctx context.Context, c *cluster, target func(n int) int, since int64) {
	n := 0
	backoff := 50 * time.Millisecond
	dialTimeout, maxBackoff := 10*time.Second, 2*time.Second
	if tb.dialTimeout > 0 {
		dialTimeout = tb.dialTimeout
	}
	if tb.maxBackoff > 0 {
		maxBackoff = tb.maxBackoff
	}
	for ctx.Err() == nil {
		if n > 0 {
			since = int64(tb.lastSeq())
		}
		dctx, cancel := context.WithTimeout(ctx, dialTimeout)
		err := tb.connect(dctx, c, target(n), since)
		cancel()
		if err != nil {
			tb.mu.Lock()
			tb.drops = append(tb.drops, "reconnect: "+err.Error())
			tb.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(backoff + rand.N(backoff)):
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		n++
		backoff = 50 * time.Millisecond
		tb.mu.Lock()
		dropped := tb.dropped
		tb.mu.Unlock()
		select {
		case <-ctx.Done():
			tb.close()
			return
		case <-dropped:
		}
	}
}

// waitSeq waits until every tablet has seen seq, reporting the ones that
// have not within limit.
func waitSeq(tablets []*tablet, seq uint64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var behind []string
		for _, tb := range tablets {
			if l := tb.lastSeq(); l < seq {
				behind = append(behind, fmt.Sprintf("%s at %d", tb.name, l))
			}
		}
		if len(behind) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if len(behind) > 10 {
				behind = append(behind[:10], fmt.Sprintf("and %d more", len(behind)-10))
			}
			return fmt.Errorf("%d tablets did not see seq %d within %v: %s", len(behind), seq, limit, strings.Join(behind, ", "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// truth reads the room's events after from up to through, as a fresh
// connection to node i replays them: the list every tablet must have seen.
func (c *cluster) truth(i int, token string, from, through uint64) []frame {
	c.t.Helper()
	tb := newTablet("truth", token)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := tb.connect(ctx, c, i, int64(from)); err != nil {
		c.t.Fatalf("truth: %v", err)
	}
	defer tb.close()
	if err := waitSeq([]*tablet{tb}, through, 20*time.Second); err != nil {
		c.t.Fatalf("truth: %v", err)
	}
	frames, _, _ := tb.snapshot()
	var out []frame
	for _, f := range frames {
		if f.Type == "snapshot" {
			c.t.Fatalf("truth: node %d answered since=%d with a snapshot (seq %d), not a replay: the room's history is not all held", i+1, from, f.Seq)
		}
		if f.Seq <= through {
			out = append(out, f)
		}
	}
	for k := 1; k < len(out); k++ {
		if out[k].Seq != out[k-1].Seq+1 {
			c.t.Fatalf("truth: replay after %d is not gap-free: %v", from, out)
		}
	}
	return out
}

// streamCheck is how one tablet's frames compare with the truth.
type streamCheck struct {
	replayed  int // events received as frames
	covered   int // events not received but covered by a snapshot's seq
	snapshots int
	notes     []string // where snapshots came
}

// checkStream verifies that the tablet's frames after from, up to through, are
// the truth in order, each exactly once, except events covered by a snapshot
// (whose seq is at or past them and never behind what the tablet had seen).
func checkStream(tb *tablet, truth []frame, from, through uint64) (streamCheck, error) {
	frames, _, _ := tb.snapshot()
	var sc streamCheck
	i := 0
	var prev uint64 = from
	for _, f := range frames {
		if f.Seq > through {
			break
		}
		if f.Type == "snapshot" {
			if f.Seq < prev {
				return sc, fmt.Errorf("%s: snapshot at seq %d after seeing %d (went back)", tb.name, f.Seq, prev)
			}
			sc.snapshots++
			sc.notes = append(sc.notes, fmt.Sprintf("%s: snapshot at seq %d after seeing %d", tb.name, f.Seq, prev))
			for i < len(truth) && truth[i].Seq <= f.Seq {
				i++
				sc.covered++
			}
			prev = f.Seq
			continue
		}
		if f.Seq <= from {
			continue // before the window
		}
		if i >= len(truth) {
			return sc, fmt.Errorf("%s: extra frame %+v after the last expected event", tb.name, f)
		}
		if f != truth[i] {
			what := "out of order or duplicated"
			if f.Seq > truth[i].Seq {
				what = "a gap"
			}
			return sc, fmt.Errorf("%s: %s: got %+v where %+v was due (previous seq %d)", tb.name, what, f, truth[i], prev)
		}
		i++
		sc.replayed++
		prev = f.Seq
	}
	if i != len(truth) {
		return sc, fmt.Errorf("%s: missed events from seq %d on (saw up to %d)", tb.name, truth[i].Seq, prev)
	}
	return sc, nil
}
