package live

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
)

// detachFlag runs the WebSocket tests with Config.ReturnAfterUpgrade.
var detachFlag = flag.Bool("live.detach", false, "run the hub tests with Config.ReturnAfterUpgrade")

// meetings serves meetings built by the test.
type meetings map[string]*phonghop.Meeting

func (ms meetings) Meeting(ctx context.Context, id string) (*phonghop.Meeting, error) {
	m, ok := ms[id]
	if !ok {
		return nil, phonghop.Fail(phonghop.ENotFound, "meeting_not_found")
	}
	return m, nil
}

// recorder keeps journal entries in memory.
type recorder struct {
	mu      sync.Mutex
	entries []journal.Entry
}

func (r *recorder) Append(ctx context.Context, meetingID string, e journal.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
	return nil
}

func (r *recorder) list() []journal.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]journal.Entry(nil), r.entries...)
}

// await returns the entries keep takes once there are at least n of them, or
// what there is after 10 s. The hub journals a change made over a socket right
// after the broker delivered it (a broker that does not journal, as NATS), so
// the last write may still be on its way when the tablets have the event.
func (r *recorder) await(n int, keep func(journal.Entry) bool) []journal.Entry {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var got []journal.Entry
		for _, en := range r.list() {
			if keep(en) {
				got = append(got, en)
			}
		}
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
	}
}

const (
	chairID     = "u-chair"
	presenterID = "u-pres"
	observerID  = "u-obs"
	secretaryID = "u-sec"
)

func delegateID(i int) string { return fmt.Sprintf("d%02d", i) }

// testMeeting is a year-end review with a chair, a secretary, an observer, a
// presenting delegate and n other delegates.
func testMeeting(n int) *phonghop.Meeting {
	m := &phonghop.Meeting{
		ID:    "m1",
		Title: "Tổng kết công tác cải cách hành chính năm 2023",
		Participants: []phonghop.Participant{
			{UserID: chairID, Role: phonghop.RoleChair},
			{UserID: secretaryID, Role: phonghop.RoleSecretary},
			{UserID: observerID, Role: phonghop.RoleObserver},
			{UserID: presenterID, Role: phonghop.RoleDelegate},
		},
		Agenda: []phonghop.AgendaItem{
			{ID: "i1", Title: "Báo cáo năm", Presenter: presenterID, DocumentIDs: []string{"doc1"}},
			{ID: "i2", Title: "Kết luận", DocumentIDs: []string{"doc2"}},
		},
		Documents: []phonghop.Document{
			{ID: "doc1", Name: "bao-cao.pdf", Pages: 10},
			{ID: "doc2", Name: "ket-luan.pdf"}, // pages unknown
		},
	}
	for i := 0; i < n; i++ {
		m.Participants = append(m.Participants, phonghop.Participant{UserID: delegateID(i), Role: phonghop.RoleDelegate})
	}
	return m
}

type env struct {
	t       *testing.T
	hub     *Hub
	broker  *MemoryBroker
	rec     *recorder
	meeting *phonghop.Meeting
	srv     *httptest.Server
	url     string
}

type option func(*Config, *envOpts)

type envOpts struct {
	buffer    int
	smallBufs bool
	delegates int
	// goroutineWriters gives every client writer goroutines instead of the
	// hub's flushers, as off unix or on a TLS connection.
	goroutineWriters bool
	tls              bool // the server speaks TLS (wss://)
}

// newEnv starts a hub behind a real HTTP server. The handler trusts ?user= and
// ?session=: authentication is the server's job, not this package's.
func newEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	cfg := Config{}
	o := envOpts{buffer: 64, delegates: 5}
	for _, f := range opts {
		f(&cfg, &o)
	}
	e := &env{t: t, broker: NewMemoryBroker(o.buffer), rec: &recorder{}, meeting: testMeeting(o.delegates)}
	cfg.Broker = e.broker
	cfg.Meetings = meetings{"m1": e.meeting}
	cfg.Journal = e.rec
	cfg.ReturnAfterUpgrade = *detachFlag
	e.hub = NewHub(cfg)
	e.hub.noFlushers = o.goroutineWriters
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		e.hub.ServeWS(w, r, Client{MeetingID: "m1", User: phonghop.User{ID: q.Get("user")}, SessionID: q.Get("session")})
	}))
	if o.smallBufs {
		e.srv.Listener = smallBufListener{e.srv.Listener}
	}
	if o.tls {
		e.srv.StartTLS()
	} else {
		e.srv.Start()
	}
	e.url = "ws" + strings.TrimPrefix(e.srv.URL, "http")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.hub.Shutdown(ctx)
		e.srv.Close()
	})
	return e
}

// smallBufListener shrinks the server's socket send buffers so that a client
// that does not read blocks the writer quickly.
type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

func (e *env) dial(user, query string) *websocket.Conn {
	e.t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(e.url+"?user="+user+query, nil)
	if err != nil {
		e.t.Fatalf("dial %s: %v (%v)", user, err, resp)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// frame is any server message.
type frame struct {
	Type         string          `json:"type"`
	Seq          uint64          `json:"seq"`
	State        *State          `json:"state"`
	Presentation *Presentation   `json:"presentation"`
	Attendance   *Attendance     `json:"attendance"`
	Speakers     *Speakers       `json:"speakers"`
	Poll         json.RawMessage `json:"poll"`
	Error        *phonghop.Error `json:"error"`
	raw          []byte
}

func read(t *testing.T, c *websocket.Conn) frame {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	mt, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if mt != websocket.TextMessage {
		t.Fatalf("message type %d", mt)
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("frame %q: %v", b, err)
	}
	if f.Type == "" {
		t.Fatalf("frame without type: %s", b)
	}
	f.raw = b
	return f
}

func readType(t *testing.T, c *websocket.Conn, typ string) frame {
	t.Helper()
	f := read(t, c)
	if f.Type != typ {
		t.Fatalf("got %s, want %s", f.raw, typ)
	}
	return f
}

// quiet asserts the client has nothing pending: the answer to a ping comes
// after every frame queued before it. (A read timeout would break the conn.)
func quiet(t *testing.T, c *websocket.Conn) {
	t.Helper()
	send(t, c, map[string]string{"type": "ping"})
	readType(t, c, "pong")
}

// skipTo reads until a frame of the type, skipping others.
func skipTo(t *testing.T, c *websocket.Conn, typ string) frame {
	t.Helper()
	for {
		if f := read(t, c); f.Type == typ {
			return f
		}
	}
}

// closeCode reads until the connection ends and returns its close code.
func closeCode(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errorsAs(err, &ce) {
			return ce.Code
		}
		t.Fatalf("connection ended without close frame: %v", err)
	}
}

func errorsAs(err error, ce **websocket.CloseError) bool {
	c, ok := err.(*websocket.CloseError)
	if ok {
		*ce = c
	}
	return ok
}

func send(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	if err := c.WriteJSON(v); err != nil {
		t.Fatal(err)
	}
}

func present(item, doc string, page int) map[string]any {
	return map[string]any{"type": "present", "agendaItemId": item, "documentId": doc, "page": page}
}

var chair = phonghop.User{ID: chairID}

func TestSnapshotOnConnect(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.hub.CheckIn(ctx, "m1", delegateID(0)); err != nil {
		t.Fatal(err)
	}
	c := e.dial(delegateID(1), "")
	f := readType(t, c, "snapshot")
	if f.Seq != 1 || f.State == nil {
		t.Fatalf("snapshot %s", f.raw)
	}
	st := f.State
	if st.Presentation != nil || st.Speakers.Current != nil || len(st.Speakers.Queue) != 0 || len(st.Polls) != 0 {
		t.Fatalf("state %s", f.raw)
	}
	// 6 delegates (the presenter and d00..d04); one present: no quorum.
	if a := st.Attendance; a.Expected != 6 || len(a.Present) != 1 || a.Present[0] != delegateID(0) || a.Quorum {
		t.Fatalf("attendance %+v", a)
	}
	if !strings.Contains(string(f.raw), `"presentation":null`) || !strings.Contains(string(f.raw), `"polls":[]`) {
		t.Fatalf("snapshot must carry null presentation and empty polls: %s", f.raw)
	}
}

func TestChairPresentReachesEveryone(t *testing.T) {
	e := newEnv(t)
	ch := e.dial(chairID, "")
	others := []*websocket.Conn{e.dial(delegateID(0), ""), e.dial(observerID, ""), e.dial(secretaryID, "")}
	for _, c := range append(others, ch) {
		readType(t, c, "snapshot")
	}
	send(t, ch, present("i1", "doc1", 1))
	want := readType(t, ch, "presentation")
	if want.Seq != 1 || *want.Presentation != (Presentation{"i1", "doc1", 1}) {
		t.Fatalf("got %s", want.raw)
	}
	for _, c := range others {
		got := readType(t, c, "presentation")
		if string(got.raw) != string(want.raw) {
			t.Fatalf("frames differ: %s vs %s", got.raw, want.raw)
		}
	}
	// A page turn is broadcast but not journaled; a new item is journaled.
	send(t, ch, present("i1", "doc1", 2))
	send(t, ch, present("i2", "doc2", 7)) // doc2 has unknown page count: any page >= 1
	for _, c := range append(others, ch) {
		if f := readType(t, c, "presentation"); f.Seq != 2 || f.Presentation.Page != 2 {
			t.Fatalf("got %s", f.raw)
		}
		if f := readType(t, c, "presentation"); f.Seq != 3 || f.Presentation.AgendaItemID != "i2" {
			t.Fatalf("got %s", f.raw)
		}
	}
	var seqs []uint64
	for _, en := range e.rec.await(2, func(journal.Entry) bool { return true }) {
		seqs = append(seqs, en.Seq)
		if en.Type != "presentation" || en.By != chairID {
			t.Fatalf("entry %+v", en)
		}
	}
	if fmt.Sprint(seqs) != "[1 3]" {
		t.Fatalf("journaled seqs %v, want [1 3]", seqs)
	}
}

func TestPresentRights(t *testing.T) {
	e := newEnv(t)
	ch := e.dial(chairID, "")
	pr := e.dial(presenterID, "")
	del := e.dial(delegateID(0), "")
	for _, c := range []*websocket.Conn{ch, pr, del} {
		readType(t, c, "snapshot")
	}
	// Nothing presented yet: the presenter may not start their item alone.
	send(t, pr, present("i1", "doc1", 1))
	if f := readType(t, pr, "error"); f.Error.Code != "forbidden" {
		t.Fatalf("got %s", f.raw)
	}
	send(t, ch, present("i1", "doc1", 1))
	for _, c := range []*websocket.Conn{ch, pr, del} {
		readType(t, c, "presentation")
	}
	// The presenter of the current item turns its pages.
	send(t, pr, present("i1", "doc1", 5))
	for _, c := range []*websocket.Conn{ch, pr, del} {
		if f := readType(t, c, "presentation"); f.Seq != 2 || f.Presentation.Page != 5 {
			t.Fatalf("got %s", f.raw)
		}
	}
	// A delegate, and the presenter outside their item, are refused; nothing is sent.
	send(t, del, present("i1", "doc1", 6))
	if f := readType(t, del, "error"); f.Error.Code != "forbidden" || f.Seq != 0 || strings.Contains(string(f.raw), `"seq"`) {
		t.Fatalf("got %s", f.raw)
	}
	send(t, pr, present("i2", "doc2", 1))
	if f := readType(t, pr, "error"); f.Error.Code != "forbidden" {
		t.Fatalf("got %s", f.raw)
	}
	// Invalid presentations.
	for _, p := range []map[string]any{present("i1", "doc1", 11), present("i1", "doc1", 0), present("i1", "nope", 1), present("nope", "doc1", 1)} {
		send(t, ch, p)
		if f := readType(t, ch, "error"); f.Error.Code != "invalid_argument" {
			t.Fatalf("%v: got %s", p, f.raw)
		}
	}
	quiet(t, del)
	// The next change has the next seq: nothing was appended meanwhile.
	send(t, ch, present("i1", "doc1", 3))
	if f := readType(t, del, "presentation"); f.Seq != 3 {
		t.Fatalf("got %s", f.raw)
	}
}

func TestSinceReplaysExactly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		if _, err := e.hub.Present(ctx, "m1", chair, Presentation{"i1", "doc1", i}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.dial(delegateID(0), "&since=2")
	for want := uint64(3); want <= 5; want++ {
		if f := readType(t, c, "presentation"); f.Seq != want || f.Presentation.Page != int(want) {
			t.Fatalf("got %s, want seq %d", f.raw, want)
		}
	}
	upToDate := e.dial(delegateID(1), "&since=5")
	quiet(t, upToDate)
	if _, err := e.hub.CheckIn(ctx, "m1", delegateID(0)); err != nil {
		t.Fatal(err)
	}
	for _, cc := range []*websocket.Conn{c, upToDate} {
		if f := readType(t, cc, "attendance"); f.Seq != 6 {
			t.Fatalf("got %s", f.raw)
		}
	}
}

func TestSinceTooOldOrFutureGetsSnapshot(t *testing.T) {
	e := newEnv(t, func(c *Config, o *envOpts) { o.buffer = 4 })
	ctx := context.Background()
	for i := 1; i <= 10; i++ {
		if _, err := e.hub.Present(ctx, "m1", chair, Presentation{"i1", "doc1", i}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"&since=1", "&since=5", "&since=999", "&since=0"} {
		c := e.dial(delegateID(0), q)
		f := readType(t, c, "snapshot")
		if f.Seq != 10 || f.State.Presentation.Page != 10 {
			t.Fatalf("%s: got %s", q, f.raw)
		}
	}
	// since=6 is still held (events 7..10).
	c := e.dial(delegateID(0), "&since=6")
	if f := readType(t, c, "presentation"); f.Seq != 7 {
		t.Fatalf("got %s", f.raw)
	}
}

func httpGet(t *testing.T, e *env, query string, hdr http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+"?user="+chairID+query, nil)
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRefusedBeforeUpgrade(t *testing.T) {
	e := newEnv(t, func(c *Config, o *envOpts) { c.AllowedOrigins = []string{"https://phonghop.example.vn/"} })
	for _, q := range []string{"&since=-1", "&since=abc", "&since=", "&since=1.5"} {
		code, body := httpGet(t, e, q, nil)
		if code != 400 || !strings.Contains(body, `"code":"invalid_argument"`) {
			t.Fatalf("%s: %d %s", q, code, body)
		}
	}
	code, body := httpGet(t, e, "", http.Header{"Origin": {"https://evil.example"}})
	if code != 403 || !strings.Contains(body, `{"error":{"code":"forbidden"`) {
		t.Fatalf("evil origin: %d %s", code, body)
	}
	// The server's own origin, a configured one, and no Origin at all pass.
	host := strings.TrimPrefix(e.srv.URL, "http://")
	for _, o := range []string{"http://" + host, "https://PhongHop.example.vn", ""} {
		h := http.Header{}
		if o != "" {
			h.Set("Origin", o)
		}
		d := websocket.Dialer{}
		c, resp, err := d.Dial(e.url+"?user="+chairID, h)
		if err != nil {
			t.Fatalf("origin %q: %v %v", o, err, resp)
		}
		readType(t, c, "snapshot")
		c.Close()
	}
}

func TestBadClientMessages(t *testing.T) {
	e := newEnv(t, func(c *Config, o *envOpts) { c.ReadLimit = 1024 })
	c := e.dial(delegateID(0), "")
	readType(t, c, "snapshot")
	for _, m := range []string{"not json", `{"type":"dance"}`, `[1,2]`, `{}`} {
		if err := c.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
		if f := readType(t, c, "error"); f.Error.Code != "invalid_argument" {
			t.Fatalf("%q: got %s", m, f.raw)
		}
	}
	c.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"ping"}`))
	if f := readType(t, c, "error"); f.Error.Code != "invalid_argument" {
		t.Fatalf("binary: got %s", f.raw)
	}
	// Still connected.
	send(t, c, map[string]string{"type": "ping"})
	readType(t, c, "pong")
	// Over the read limit: closed with 1009.
	c.WriteMessage(websocket.TextMessage, make([]byte, 1<<20))
	if code := closeCode(t, c); code != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d", code)
	}
}

func TestFloodIsLimitedOthersUnaffected(t *testing.T) {
	e := newEnv(t, func(c *Config, o *envOpts) { c.MessagesPerSecond = 10; c.Burst = 5 })
	flood := e.dial(delegateID(0), "")
	other := e.dial(delegateID(1), "")
	readType(t, flood, "snapshot")
	readType(t, other, "snapshot")

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 500; i++ {
			if flood.WriteMessage(websocket.TextMessage, []byte(`{"type":"requestToSpeak"}`)) != nil {
				return
			}
		}
	}()
	start := time.Now()
	if _, err := e.hub.Present(context.Background(), "m1", chair, Presentation{"i1", "doc1", 1}); err != nil {
		t.Fatal(err)
	}
	if f := skipTo(t, other, "presentation"); time.Since(start) > time.Second {
		t.Fatalf("other client waited %v for %s", time.Since(start), f.raw)
	}
	// The flooder got its burst through, then refusals, then was closed.
	limited, code := 0, 0
	flood.SetReadDeadline(time.Now().Add(5 * time.Second))
	for code == 0 {
		_, b, err := flood.ReadMessage()
		if ce, ok := err.(*websocket.CloseError); ok {
			code = ce.Code
			break
		} else if err != nil {
			t.Fatalf("flooder ended without close frame after %d refusals: %v", limited, err)
		}
		if strings.Contains(string(b), `"too_many_requests"`) {
			limited++
		}
	}
	wg.Wait()
	if limited == 0 || code != CloseTooMany {
		t.Fatalf("refusals %d, close code %d", limited, code)
	}
	// The flood was rate-limited: the speakers' queue changed once at most.
	st, _, err := e.hub.State(context.Background(), "m1")
	if err != nil || len(st.Speakers.Queue) != 1 {
		t.Fatalf("queue %v %v", st.Speakers.Queue, err)
	}
	send(t, other, map[string]string{"type": "ping"})
	skipTo(t, other, "pong")
}

func TestSlowClientIsDropped(t *testing.T) {
	e := newEnv(t, func(c *Config, o *envOpts) {
		c.WriteQueueBytes = 64 << 10
		c.WriteTimeout = 3 * time.Second
		o.smallBufs = true
	})
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4096)
		}
		return c, err
	}}
	slow, _, err := d.Dial(e.url+"?user="+delegateID(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fast := e.dial(delegateID(1), "")
	readType(t, fast, "snapshot")

	// Polls with long titles: 400 × 8 KiB, far more than the slow client's queue
	// and socket buffers hold.
	title := strings.Repeat("Khen thưởng 05 tập thể ", 8<<10/len("Khen thưởng 05 tập thể "))
	ctx := context.Background()
	var worst time.Duration
	for i := 0; i < 400; i++ {
		start := time.Now()
		p := phonghop.Poll{ID: fmt.Sprintf("p%d", i), Title: title, State: phonghop.PollDraft}
		seq, err := e.hub.PublishPoll(ctx, "m1", p)
		if err != nil {
			t.Fatal(err)
		}
		f := readType(t, fast, "poll")
		if f.Seq != seq {
			t.Fatalf("fast client got seq %d, want %d", f.Seq, seq)
		}
		worst = max(worst, time.Since(start))
	}
	if worst > time.Second {
		t.Fatalf("fast client waited up to %v", worst)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.hub.clientCount("m1") != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("slow client still connected: %d clients", e.hub.clientCount("m1"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Reading now, the slow client finds its connection ended.
	slow.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := slow.ReadMessage(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("slow client's connection still open")
			}
			break
		}
	}
	if e.hub.SlowDrops() != 1 {
		t.Fatalf("slow drops %d, want 1", e.hub.SlowDrops())
	}
	t.Logf("fast client's worst delivery %v", worst)
}

func TestCloseSessionAndUser(t *testing.T) {
	e := newEnv(t)
	a := e.dial(delegateID(0), "&session=s1")
	a2 := e.dial(delegateID(0), "&session=s1")
	b := e.dial(delegateID(1), "&session=s2")
	c := e.dial(delegateID(2), "&session=s3")
	for _, x := range []*websocket.Conn{a, a2, b, c} {
		readType(t, x, "snapshot")
	}
	e.hub.CloseSession("s1")
	for _, x := range []*websocket.Conn{a, a2} {
		if code := closeCode(t, x); code != CloseSessionEnded {
			t.Fatalf("close code %d", code)
		}
	}
	e.hub.CloseUser("m1", delegateID(1))
	if code := closeCode(t, b); code != CloseRemoved {
		t.Fatalf("close code %d", code)
	}
	if _, err := e.hub.Present(context.Background(), "m1", chair, Presentation{"i1", "doc1", 1}); err != nil {
		t.Fatal(err)
	}
	readType(t, c, "presentation")
	deadline := time.Now().Add(2 * time.Second)
	for e.hub.clientCount("m1") != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d clients left, want 1", e.hub.clientCount("m1"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConcurrentCheckInAcrossProcesses(t *testing.T) {
	// Two hubs on one broker stand for two processes.
	e := newEnv(t, func(c *Config, o *envOpts) { o.delegates = 50 })
	other := NewHub(Config{Broker: e.broker, Meetings: meetings{"m1": e.meeting}})
	watch := e.dial(chairID, "")
	readType(t, watch, "snapshot")
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			h := e.hub
			if i%2 == 1 {
				h = other
			}
			if _, err := h.CheckIn(ctx, "m1", delegateID(i)); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	a, err := other.Attendance(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Present) != 50 || a.Expected != 51 || !a.Quorum {
		t.Fatalf("attendance: %d present, expected %d, quorum %v", len(a.Present), a.Expected, a.Quorum)
	}
	// The watcher saw attendance events in seq order, each with more present
	// (check-ins waiting together on one process share one event), up to 50.
	var last uint64
	for n := 0; n < 50; {
		f := readType(t, watch, "attendance")
		if f.Seq <= last || len(f.Attendance.Present) <= n {
			t.Fatalf("event %d with %d present after %d with %d", f.Seq, len(f.Attendance.Present), last, n)
		}
		last, n = f.Seq, len(f.Attendance.Present)
		if f.Attendance.Quorum != (n*2 > 51) {
			t.Fatalf("event %d: %d present, quorum %v", f.Seq, n, f.Attendance.Quorum)
		}
	}
	// Checking in twice changes nothing; checking out does.
	if seq, err := e.hub.CheckIn(ctx, "m1", delegateID(3)); err != nil || seq != last {
		t.Fatalf("repeated check-in: seq %d, %v", seq, err)
	}
	if seq, err := other.CheckOut(ctx, "m1", delegateID(3)); err != nil || seq != last+1 {
		t.Fatalf("check-out: seq %d, %v", seq, err)
	}
	if _, err := e.hub.CheckIn(ctx, "m1", "stranger"); phonghop.ErrorCode(err) != phonghop.EForbidden {
		t.Fatalf("stranger check-in: %v", err)
	}
	// Each hub journals what it appended: the first hub its 25 check-ins
	// (those made together in one entry).
	var journaled []string
	for _, en := range e.rec.list() {
		var d AttendanceDelta
		if err := json.Unmarshal(en.Data, &d); err != nil {
			t.Fatal(err)
		}
		journaled = append(journaled, d.In...)
	}
	slices.Sort(journaled)
	var want []string
	for i := 0; i < 50; i += 2 {
		want = append(want, delegateID(i))
	}
	if fmt.Sprint(journaled) != fmt.Sprint(want) {
		t.Fatalf("journaled on hub one: %v, want %v", journaled, want)
	}
}

func TestSpeakersAndSharedSeq(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := e.dial(chairID, "")
	d0 := e.dial(delegateID(0), "")
	d1 := e.dial(delegateID(1), "")
	obs := e.dial(observerID, "")
	for _, c := range []*websocket.Conn{ch, d0, d1, obs} {
		readType(t, c, "snapshot")
	}
	send(t, obs, map[string]string{"type": "requestToSpeak"})
	if f := readType(t, obs, "error"); f.Error.Code != "forbidden" {
		t.Fatalf("got %s", f.raw)
	}
	send(t, d0, map[string]string{"type": "requestToSpeak"})
	readType(t, ch, "speakers")
	send(t, d1, map[string]string{"type": "requestToSpeak"})
	if f := readType(t, ch, "speakers"); fmt.Sprint(f.Speakers.Queue) != "[d00 d01]" || f.Speakers.Current != nil {
		t.Fatalf("got %s", f.raw)
	}
	send(t, d1, map[string]string{"type": "giveFloor", "userId": delegateID(1)})
	if f := skipTo(t, d1, "error"); f.Error.Code != "forbidden" {
		t.Fatalf("got %s", f.raw)
	}
	send(t, ch, map[string]string{"type": "nextSpeaker"})
	if f := readType(t, ch, "speakers"); *f.Speakers.Current != delegateID(0) || fmt.Sprint(f.Speakers.Queue) != "[d01]" || f.Speakers.Since == nil {
		t.Fatalf("got %s", f.raw)
	}
	send(t, d1, map[string]string{"type": "withdraw"})
	if f := readType(t, ch, "speakers"); fmt.Sprint(f.Speakers.Queue) != "[]" {
		t.Fatalf("got %s", f.raw)
	}
	send(t, ch, map[string]string{"type": "giveFloor", "userId": ""})
	if f := readType(t, ch, "speakers"); f.Speakers.Current != nil || !strings.Contains(string(f.raw), `"current":null`) {
		t.Fatalf("got %s", f.raw)
	}
	send(t, ch, map[string]string{"type": "nextSpeaker"})
	if f := readType(t, ch, "error"); f.Error.Code != "conflict" {
		t.Fatalf("got %s", f.raw)
	}
	// Every event type shares one seq.
	e.hub.Present(ctx, "m1", chair, Presentation{"i1", "doc1", 1})
	e.hub.CheckIn(ctx, "m1", delegateID(0))
	e.hub.PublishPoll(ctx, "m1", phonghop.Poll{ID: "p1", Title: "Khen thưởng", State: phonghop.PollOpen, Cast: 1})
	e.hub.PublishPoll(ctx, "m1", phonghop.Poll{ID: "p1", Title: "Khen thưởng", State: phonghop.PollOpen, Cast: 0}) // stale: dropped
	e.hub.RequestToSpeak(ctx, "m1", delegateID(2))
	var seqs []uint64
	var types []string
	for i := 0; i < 9; i++ {
		f := read(t, d0)
		seqs = append(seqs, f.Seq)
		types = append(types, f.Type)
	}
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("seqs %v (%v)", seqs, types)
		}
	}
	if fmt.Sprint(types[5:]) != "[presentation attendance poll speakers]" {
		t.Fatalf("types %v", types)
	}
	quiet(t, d0)
	st, seq, err := e.hub.State(ctx, "m1")
	if err != nil || seq != 9 || len(st.Polls) != 1 || len(st.Speakers.Queue) != 1 {
		t.Fatalf("state %+v seq %d err %v", st, seq, err)
	}
	var p phonghop.Poll
	if json.Unmarshal(st.Polls[0], &p) != nil || p.Cast != 1 {
		t.Fatalf("poll %s", st.Polls[0])
	}
}

// TestPollClosingShown: a poll moves open → closing → closed in the room, and
// neither a late "open" nor a late "closing" moves it back. Before, "closing"
// ranked below "open" and was never sent, so the room showed a closing poll open.
func TestPollClosingShown(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	poll := func(state string) phonghop.Poll {
		return phonghop.Poll{ID: "p1", Title: "Khen thưởng", State: state}
	}
	for _, c := range []struct {
		state string
		want  string
	}{
		{phonghop.PollOpen, phonghop.PollOpen},
		{phonghop.PollClosing, phonghop.PollClosing},
		{phonghop.PollOpen, phonghop.PollClosing},
		{phonghop.PollClosed, phonghop.PollClosed},
		{phonghop.PollClosing, phonghop.PollClosed},
	} {
		if _, err := e.hub.PublishPoll(ctx, "m1", poll(c.state)); err != nil {
			t.Fatal(err)
		}
		st, _, err := e.hub.State(ctx, "m1")
		if err != nil {
			t.Fatal(err)
		}
		var p phonghop.Poll
		if len(st.Polls) != 1 || json.Unmarshal(st.Polls[0], &p) != nil || p.State != c.want {
			t.Fatalf("after publishing %q: room has %s, want %q", c.state, st.Polls, c.want)
		}
	}
}

// TestInvalidUTF8TextClosesWith1007: a text frame that is not UTF-8 fails the
// connection with 1007 (RFC 6455 §8.1). Before the fix it was decoded as JSON
// with the bad bytes replaced and acted on.
func TestInvalidUTF8TextClosesWith1007(t *testing.T) {
	e := newEnv(t)
	c := e.dial(delegateID(0), "")
	readType(t, c, "snapshot")
	if err := c.WriteMessage(websocket.TextMessage, []byte("{\"type\":\"requestToSpeak\",\"x\":\"\xff\xfe\"}")); err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, c); code != websocket.CloseInvalidFramePayloadData {
		t.Fatalf("closed with %d, want 1007", code)
	}
	st, _, err := e.hub.State(context.Background(), "m1")
	if err != nil || len(st.Speakers.Queue) != 0 {
		t.Fatalf("the message was acted on: %+v %v", st.Speakers, err)
	}
}

// TestSocketsPerUserCapped: one user may hold MaxSocketsPerUser live
// connections on a process; the next upgrade is refused with 429, and a closed
// one frees its place. Before the fix 400 sockets from one token were taken.
func TestSocketsPerUserCapped(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *envOpts) { c.MaxSocketsPerUser = 8 })
	var conns []*websocket.Conn
	for i := 0; i < 8; i++ {
		c := e.dial(delegateID(0), "")
		readType(t, c, "snapshot")
		conns = append(conns, c)
	}
	_, resp, err := websocket.DefaultDialer.Dial(e.url+"?user="+delegateID(0), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("ninth socket: %v %v", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "too_many_sockets") {
		t.Fatalf("ninth socket's answer: %s", body)
	}
	// Another user is not counted with them.
	readType(t, e.dial(delegateID(1), ""), "snapshot")
	conns[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, _, err := websocket.DefaultDialer.Dial(e.url+"?user="+delegateID(0), nil)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed socket's place was not freed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
