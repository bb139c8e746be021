package live

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
)

// MeetingSource gives the meeting's set-up: roles, agenda, documents.
type MeetingSource interface {
	Meeting(ctx context.Context, id string) (*phonghop.Meeting, error)
}

// Recorder keeps the meeting's history; *journal.Journal satisfies it.
type Recorder interface {
	Append(ctx context.Context, meetingID string, e journal.Entry) error
}

// Config configures a Hub. Every zero value means the default given beside it.
type Config struct {
	Broker   Broker        // required
	Meetings MeetingSource // required
	Journal  Recorder      // nil: history is not recorded
	Logger   *slog.Logger  // nil: slog.Default()

	// AllowedOrigins are the browser origins ("https://host[:port]") that may
	// connect besides the request's own Host. A request without Origin (not a
	// browser) is always allowed: the origin check is no authentication.
	AllowedOrigins []string

	WriteQueueBytes int           // per client bytes waiting to be written; 0: 256 KiB. Over it the client is closed with 4008 "slow".
	ReadLimit       int64         // largest client message; 0: 64 KiB. Over it the connection is closed with 1009.
	PingInterval    time.Duration // 0: 25 s
	PongTimeout     time.Duration // silence after which a client is dropped; 0: 60 s
	WriteTimeout    time.Duration // 0: 10 s

	// ReplayEvents bounds the events replayed to a client connecting with
	// since (0: 1024); further behind, or with more than WriteQueueBytes of
	// frames to replay, it gets a snapshot instead.
	ReplayEvents int

	// MessagesPerSecond and Burst bound each client's messages (token bucket);
	// 0: 10 per second, burst 20. Over it a message is answered with an error
	// too_many_requests; more than 2×Burst refusals within a second close the
	// connection with 4029.
	MessagesPerSecond float64
	Burst             int

	// OwnChangesPerSecond and OwnChangesBurst bound the changes a
	// participant makes for themselves (checking in or out, asking to speak
	// or withdrawing) per person and meeting, on every face (REST and every
	// socket of theirs together); 0: 2 per second, burst 20. Over it the
	// change is refused (too_many_messages) and nothing is journaled or sent.
	OwnChangesPerSecond float64
	OwnChangesBurst     int

	// MaxSocketsPerUser bounds one user's live connections on this process
	// (a few tablets and a wall display, and reconnects overlapping the
	// sockets they replace); past it the upgrade is refused with 429
	// too_many_sockets. 0: no bound (cmd/phonghop sets 16).
	MaxSocketsPerUser int

	// ReturnAfterUpgrade makes ServeWS return as soon as the WebSocket is up; the
	// client then runs on a goroutine of its own (Shutdown still waits for it).
	// net/http keeps its per-request buffers (about 10 KiB) and the handler's
	// deep stack for as long as a handler runs, so this roughly halves the memory
	// of an idle socket. false: ServeWS returns after the connection is closed.
	ReturnAfterUpgrade bool

	// Actions, when set, is told of each action a socket made the room take
	// (the audit trail); page turns and pings are not told.
	Actions ActionRecorder
}

// ActionRecorder is told of an action a participant's socket made the room
// take, after it was taken.
type ActionRecorder interface {
	RoomAction(ctx context.Context, a Action)
}

// Action is a room action taken over a live socket.
type Action struct {
	Meeting string
	User    phonghop.User
	// Address and Device are the socket's client address and user agent.
	Address, Device string
	// Type is the client message's type: openMeeting, markAttendance, …
	Type string
	// Target holds the ids acted on (userId of giveFloor and markAttendance).
	Target map[string]string
	// Details is what else the message said (present and reason of
	// markAttendance, seconds of setSpeechLimit, a notice's text).
	Details map[string]string
}

// Close codes the hub sends besides the standard ones (1000, 1001 on shutdown,
// 1009 message too big, 1011 internal error).
const (
	CloseSessionEnded = 4001 // "unauthenticated": the session was logged out
	CloseRemoved      = 4003 // "forbidden": the user no longer takes part in the meeting
	CloseSlow         = 4008 // "slow": the client did not read fast enough; reconnect with since
	CloseTooMany      = 4029 // "too_many_requests": the client kept flooding
	CloseUnavailable  = 1011 // "unavailable": the broker could not be reached at connect
)

const numShards = 32

// Hub runs the live rooms of one process: one room per meeting with connected
// clients, subscribed to the broker, sharing every event's frame among clients.
type Hub struct {
	cfg     Config
	log     *slog.Logger
	up      websocket.Upgrader
	origins map[string]bool

	rooms      [numShards]roomShard
	sessions   [numShards]sessionShard
	subjects   subjectLocks // one read-modify-write per meeting and subject at a time
	attendance attendQueues // check-ins waiting for their turn (attendbatch.go)
	flush      *flusher     // writes clients' queues (flush.go)
	noFlushers bool         // tests: every client gets writer goroutines, as off unix

	mu     sync.Mutex // guards closed and wg.Add
	closed bool
	wg     sync.WaitGroup // one per running ServeWS

	userMu    sync.Mutex
	userConns map[string]int // live connections (and upgrades under way) per user

	own ownChanges // the bound on a participant's own changes (ownchanges.go)

	slowDrops   atomic.Int64
	notRecorded atomic.Int64 // changes refused because the journal could not take them
	unjournaled atomic.Int64 // events standing in the room whose journal entry is still being written (see journalLater)
	conns       atomic.Int64 // clients in rooms now
	events      atomic.Int64 // events delivered to rooms of this process
	frames      atomic.Int64 // frames queued on clients (events × clients)
}

// SlowDrops returns how many clients were closed as slow since the hub started.
func (h *Hub) SlowDrops() int64 { return h.slowDrops.Load() }

// Stats are the hub's counters, for metrics.
type Stats struct {
	Connections int64 // clients connected now
	Events      int64 // events delivered to this process's rooms since start
	Frames      int64 // frames queued on clients since start
	SlowDrops   int64 // clients closed as slow since start
	NotRecorded int64 // changes refused since start because the journal could not take them
	// Unjournaled is how many events the room shows whose journal entry is
	// still being retried (their change was refused and could not be taken
	// back): the minutes lack them until it is written.
	Unjournaled int64
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	return Stats{Connections: h.conns.Load(), Events: h.events.Load(), Frames: h.frames.Load(), SlowDrops: h.slowDrops.Load(),
		NotRecorded: h.notRecorded.Load(), Unjournaled: h.unjournaled.Load()}
}

type roomShard struct {
	mu    sync.Mutex
	rooms map[string]*room
}

type sessionShard struct {
	mu       sync.Mutex
	sessions map[string]map[*client]struct{}
}

// Client is who a connection belongs to, as the server authenticated it.
type Client struct {
	MeetingID string
	User      phonghop.User
	SessionID string
	// Epoch is the session's epoch (accounts.Session.Epoch): CloseAccount
	// closes the sockets of sessions older than a given one.
	Epoch int
	// Address and Device are the client's address (as the server trusts it)
	// and user agent, for the audit trail of its actions.
	Address, Device string
}

// NewHub returns a hub with cfg's defaults filled in.
func NewHub(cfg Config) *Hub {
	if cfg.Broker == nil || cfg.Meetings == nil {
		panic("live: Config.Broker and Config.Meetings are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.WriteQueueBytes <= 0 {
		cfg.WriteQueueBytes = 256 << 10
	}
	if cfg.ReplayEvents <= 0 {
		cfg.ReplayEvents = DefaultBuffer
	}
	if cfg.ReadLimit <= 0 {
		cfg.ReadLimit = 64 << 10
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 25 * time.Second
	}
	if cfg.PongTimeout <= 0 {
		cfg.PongTimeout = 60 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.MessagesPerSecond <= 0 {
		cfg.MessagesPerSecond = 10
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 20
	}
	if cfg.OwnChangesPerSecond <= 0 {
		cfg.OwnChangesPerSecond = 2
	}
	if cfg.OwnChangesBurst <= 0 {
		cfg.OwnChangesBurst = 20
	}
	h := &Hub{cfg: cfg, log: cfg.Logger, origins: make(map[string]bool), userConns: make(map[string]int), flush: newFlusher()}
	for _, o := range cfg.AllowedOrigins {
		h.origins[normOrigin(o)] = true
	}
	for i := range h.rooms {
		h.rooms[i].rooms = make(map[string]*room)
		h.sessions[i].sessions = make(map[string]map[*client]struct{})
	}
	readBuf := 1024
	if !cfg.ReturnAfterUpgrade {
		// The handler keeps net/http's 4 KiB reader alive anyway: reuse it.
		readBuf = 0
	}
	h.up = websocket.Upgrader{
		// Small buffers: client messages are small, and the write buffer is
		// borrowed from the pool only while a frame is being written, so an idle
		// connection holds neither.
		ReadBufferSize:    readBuf,
		WriteBufferSize:   4096,
		WriteBufferPool:   &sync.Pool{},
		EnableCompression: false,
		CheckOrigin:       h.originAllowed,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			e := phonghop.Fail(phonghop.EInvalid, "handshake_invalid")
			if status == http.StatusForbidden {
				e = phonghop.Fail(phonghop.EForbidden, "origin_not_allowed")
			}
			writeHTTPError(w, status, e)
		},
	}
	return h
}

func shard(key string) int {
	f := fnv.New32a()
	f.Write([]byte(key))
	return int(f.Sum32() % numShards)
}

func normOrigin(o string) string { return strings.ToLower(strings.TrimRight(o, "/")) }

func (h *Hub) originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return h.origins[normOrigin(u.Scheme+"://"+u.Host)]
}

func writeHTTPError(w http.ResponseWriter, status int, e *phonghop.Error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(struct {
		Error *phonghop.Error `json:"error"`
	}{e})
	w.Write(b)
}

// enter counts a ServeWS in, unless the hub is shutting down.
func (h *Hub) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.wg.Add(1)
	return true
}

func (h *Hub) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// ServeWS upgrades the request to a WebSocket and runs the client until the
// connection closes (with Config.ReturnAfterUpgrade: it returns once the client
// runs on its own goroutine). The caller has authenticated c.User and checked that it
// takes part in c.MeetingID. Before the upgrade: a browser Origin that is not
// allowed → 403 forbidden; a `since` that is not a non-negative integer → 400
// invalid_argument; a hub shutting down → 503 unavailable.
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request, c Client) {
	if !h.enter() {
		writeHTTPError(w, http.StatusServiceUnavailable, phonghop.Fail(phonghop.EUnavailable, "shutting_down"))
		return
	}
	detached := false
	defer func() {
		if !detached {
			h.wg.Done()
		}
	}()
	if !h.originAllowed(r) {
		writeHTTPError(w, http.StatusForbidden, phonghop.Fail(phonghop.EForbidden, "origin_not_allowed"))
		return
	}
	var since uint64
	hasSince := false
	q := r.URL.Query()
	if q.Has("since") {
		n, err := strconv.ParseUint(q.Get("since"), 10, 64)
		if err != nil {
			writeHTTPError(w, http.StatusBadRequest, phonghop.Fail(phonghop.EInvalid, "since_invalid"))
			return
		}
		since, hasSince = n, true
	}
	if !h.takeSocket(c.User.ID) {
		writeHTTPError(w, http.StatusTooManyRequests, phonghop.Fail(phonghop.ETooMany, "too_many_sockets", "max", h.cfg.MaxSocketsPerUser))
		return
	}
	conn, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		h.giveSocket(c.User.ID)
		return // the upgrader has answered
	}
	wire := conn.NetConn()
	var raw syscall.RawConn
	if !h.noFlushers {
		raw = rawConnOf(wire)
	}
	cl := &client{hub: h, conn: conn, wire: wire, raw: raw, wlock: make(chan struct{}, 1), info: c, features: featuresOf(q)}
	cl.emptyQueue()
	if h.cfg.ReturnAfterUpgrade {
		detached = true
		go func() {
			defer h.wg.Done()
			cl.run(since, hasSince)
		}()
		return
	}
	cl.run(since, hasSince)
}

// takeSocket counts a connection of user, unless they have the most allowed.
func (h *Hub) takeSocket(user string) bool {
	h.userMu.Lock()
	defer h.userMu.Unlock()
	if h.cfg.MaxSocketsPerUser > 0 && h.userConns[user] >= h.cfg.MaxSocketsPerUser {
		return false
	}
	h.userConns[user]++
	return true
}

func (h *Hub) giveSocket(user string) {
	h.userMu.Lock()
	defer h.userMu.Unlock()
	if h.userConns[user]--; h.userConns[user] <= 0 {
		delete(h.userConns, user)
	}
}

// join adds c to its meeting's room, creating and subscribing the room if it is
// the first; it returns once the room's subscription is active.
func (h *Hub) join(ctx context.Context, c *client) error {
	sh := &h.rooms[shard(c.info.MeetingID)]
	sh.mu.Lock()
	r := sh.rooms[c.info.MeetingID]
	creator := r == nil
	if creator {
		r = &room{hub: h, id: c.info.MeetingID, clients: make(map[*client]struct{}), ready: make(chan struct{})}
		sh.rooms[r.id] = r
	}
	r.mu.Lock()
	r.clients[c] = struct{}{}
	r.mu.Unlock()
	c.room = r
	sh.mu.Unlock()
	h.conns.Add(1)

	if creator {
		cancel, err := h.cfg.Broker.Subscribe(ctx, r.id, r.deliver)
		r.cancel, r.err = cancel, err
		if err != nil {
			sh.mu.Lock()
			if sh.rooms[r.id] == r {
				delete(sh.rooms, r.id) // let the next client try afresh
			}
			sh.mu.Unlock()
		}
		close(r.ready)
	} else {
		select {
		case <-r.ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return r.err
}

// leave removes c from its room; the last one out unsubscribes it.
func (h *Hub) leave(c *client) {
	r := c.room
	if r == nil {
		return
	}
	sh := &h.rooms[shard(r.id)]
	sh.mu.Lock()
	r.mu.Lock()
	if _, ok := r.clients[c]; ok {
		r.hub.conns.Add(-1)
	}
	delete(r.clients, c)
	empty := len(r.clients) == 0
	r.mu.Unlock()
	if empty && sh.rooms[r.id] == r {
		delete(sh.rooms, r.id)
	}
	sh.mu.Unlock()
	if empty {
		<-r.ready
		if r.cancel != nil {
			r.cancel()
		}
	}
}

func (h *Hub) addSession(c *client) {
	if c.info.SessionID == "" {
		return
	}
	sh := &h.sessions[shard(c.info.SessionID)]
	sh.mu.Lock()
	set := sh.sessions[c.info.SessionID]
	if set == nil {
		set = make(map[*client]struct{})
		sh.sessions[c.info.SessionID] = set
	}
	set[c] = struct{}{}
	sh.mu.Unlock()
}

func (h *Hub) removeSession(c *client) {
	if c.info.SessionID == "" {
		return
	}
	sh := &h.sessions[shard(c.info.SessionID)]
	sh.mu.Lock()
	if set := sh.sessions[c.info.SessionID]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(sh.sessions, c.info.SessionID)
		}
	}
	sh.mu.Unlock()
}

// CloseSession closes, now, every live connection opened with the session
// (logout), with close code 4001.
func (h *Hub) CloseSession(sessionID string) {
	sh := &h.sessions[shard(sessionID)]
	sh.mu.Lock()
	list := make([]*client, 0, len(sh.sessions[sessionID]))
	for c := range sh.sessions[sessionID] {
		list = append(list, c)
	}
	sh.mu.Unlock()
	for _, c := range list {
		c.closeWith(CloseSessionEnded, "unauthenticated")
	}
}

// CloseAccount closes, now, every connection of the user opened with a
// session older than epoch (the account's sessions ended: its password was
// changed or reset, or it was disabled), with close code 4001.
func (h *Hub) CloseAccount(userID string, epoch int) {
	var list []*client
	for i := range h.sessions {
		sh := &h.sessions[i]
		sh.mu.Lock()
		for _, set := range sh.sessions {
			for c := range set {
				if c.info.User.ID == userID && c.info.Epoch < epoch {
					list = append(list, c)
				}
			}
		}
		sh.mu.Unlock()
	}
	for _, c := range list {
		c.closeWith(CloseSessionEnded, "unauthenticated")
	}
}

// CloseUser closes the user's connections to the meeting (removed from it),
// with close code 4003.
func (h *Hub) CloseUser(meetingID, userID string) {
	for _, c := range h.roomClients(meetingID) {
		if c.info.User.ID == userID {
			c.closeWith(CloseRemoved, "forbidden")
		}
	}
}

func (h *Hub) roomClients(meetingID string) []*client {
	sh := &h.rooms[shard(meetingID)]
	sh.mu.Lock()
	r := sh.rooms[meetingID]
	sh.mu.Unlock()
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*client, 0, len(r.clients))
	for c := range r.clients {
		out = append(out, c)
	}
	return out
}

// clientCount returns the number of clients in the meeting's room here.
func (h *Hub) clientCount(meetingID string) int { return len(h.roomClients(meetingID)) }

// Shutdown refuses new connections, closes every connection with 1001 "going
// away" and waits until all of them are gone, or ctx ends. It does not close the
// broker.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	for i := range h.rooms {
		sh := &h.rooms[i]
		sh.mu.Lock()
		rooms := make([]*room, 0, len(sh.rooms))
		for _, r := range sh.rooms {
			rooms = append(rooms, r)
		}
		sh.mu.Unlock()
		for _, r := range rooms {
			for _, c := range h.roomClients(r.id) {
				c.closeWith(websocket.CloseGoingAway, "going away")
			}
		}
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// room is one meeting's connected clients in this process.
type room struct {
	hub     *Hub
	id      string
	mu      sync.RWMutex
	clients map[*client]struct{}

	ready  chan struct{} // closed once the subscription is made (or failed)
	cancel func()
	err    error

	snapshots snapshotCache // the newest seq's state, shared by connecting sockets
}

// deliver marshals and frames the event once and queues the same bytes on
// every client; it never blocks on a client.
func (r *room) deliver(ev Event) {
	full := textFrame(eventFrame(ev))
	var delta []byte // encoded once too, for the sockets that asked
	if d := deltaFrame(&ev); d != nil {
		delta = textFrame(d)
	}
	r.mu.RLock()
	n := 0
	for c := range r.clients {
		if ev.For(c.info.User.ID) {
			c.enqueue(outFrame{seq: ev.Seq, data: c.features.frameFor(&ev, full, delta)})
			n++
		}
	}
	r.mu.RUnlock()
	r.hub.events.Add(1)
	r.hub.frames.Add(int64(n))
}

// eventFrame is {"type":T,"seq":N,T:payload}; built by hand since the type is
// one of ours and the payload is already JSON.
func eventFrame(ev Event) []byte {
	b := make([]byte, 0, len(ev.Payload)+2*len(ev.Type)+40)
	b = append(b, `{"type":"`...)
	b = append(b, ev.Type...)
	b = append(b, `","seq":`...)
	b = strconv.AppendUint(b, ev.Seq, 10)
	b = append(b, `,"`...)
	b = append(b, ev.Type...)
	b = append(b, `":`...)
	if len(ev.Payload) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, ev.Payload...)
	}
	return append(b, '}')
}

func errorFrame(e *phonghop.Error) []byte {
	b, _ := json.Marshal(struct {
		Type  string          `json:"type"`
		Error *phonghop.Error `json:"error"`
	}{"error", e})
	return b
}
