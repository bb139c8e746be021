package live

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
)

// outFrame is one text frame to write, header included (textFrame). seq is 0
// for frames that are no event (errors, pong); event frames at or below what
// the client has are skipped.
type outFrame struct {
	seq  uint64
	data []byte
}

// client is one connection. Its reader is the ServeWS goroutine; its frames are
// written by the hub's flushers, or by a writer goroutine of its own while its
// socket is full, so an idle connection costs one goroutine and no queue.
type client struct {
	hub  *Hub
	conn *websocket.Conn
	wire net.Conn // under conn: every frame is written to it (wire.go)
	info Client
	room *room

	features features // what the socket asked for on its URL (?features=)

	mu      sync.Mutex
	queue   []outFrame // in c.one while it holds one frame
	one     [1]outFrame
	queued  int  // bytes in queue and in the batch being written
	started bool // the first frames are written: the writer may run
	writing bool // a writer runs: a flusher has the client or its writer goroutine runs
	pingDue bool
	closed  bool // ServeWS is leaving: nothing more is queued or started
	wg      sync.WaitGroup

	// A close that waits for the queue to be written first (see closeLocked).
	pendingClose bool
	closeCode    int
	closeReason  string

	closing atomic.Bool // a close frame is on its way; stop refreshing read deadlines

	wlock     chan struct{} // the write lock (one slot): held while writing to wire
	closeSent bool          // a close frame is written; under wlock

	lastSeq   uint64          // newest event written; only the running writer (or run before start) touches it
	written   int             // bytes of the writer's last batch, not yet taken off queued; writer only
	raw       syscall.RawConn // the descriptor, for the flushers' non-blocking writes; nil: writer goroutines only
	pingTimer *time.Timer

	// readTimeout is the silence after which the client is dropped: the hub's
	// PongTimeout until the client's heartbeat asks for less ({"type":"ping",
	// "timeout"}). Reader goroutine only.
	readTimeout time.Duration

	// rate limit; reader only
	tokens      float64
	refilled    time.Time
	refused     int
	refusedFrom time.Time
}

// run writes the first frames, then reads until the connection ends.
func (c *client) run(since uint64, hasSince bool) {
	h := c.hub
	conn := c.conn
	conn.SetReadLimit(h.cfg.ReadLimit)
	c.answerControl()
	defer c.cleanup()

	h.addSession(c)
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.WriteTimeout)
	err := h.join(ctx, c)
	var first [][]byte
	var lastSeq uint64
	if err == nil {
		first, lastSeq, err = c.initial(ctx, since, hasSince)
	}
	cancel()
	if err != nil {
		h.log.Error("live: connect", "meeting", c.info.MeetingID, "err", err)
		c.closeWith(CloseUnavailable, "unavailable")
	} else if h.isClosed() {
		c.closeWith(websocket.CloseGoingAway, "going away")
	}
	if len(first) > 0 && !c.closing.Load() {
		frames := make(net.Buffers, len(first))
		for i, b := range first {
			frames[i] = textFrame(b)
		}
		if err := c.write(frames, time.Now().Add(h.cfg.WriteTimeout), false); err != nil {
			return
		}
	}
	c.mu.Lock()
	c.lastSeq = lastSeq
	c.started = true
	c.kickLocked()
	c.pingTimer = time.AfterFunc(h.cfg.PingInterval, c.pingFire)
	c.mu.Unlock()

	c.refreshRead()
	conn.SetPongHandler(func(string) error {
		c.refreshRead()
		return nil
	})
	for {
		mt, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		c.refreshRead()
		c.handle(mt, data)
	}
}

// initial returns the frames a new client gets first: the events after since
// when they are all held and within the replay bounds, else a snapshot. The
// room is subscribed already, so nothing appended from now on is missed; the
// writer skips what these cover.
func (c *client) initial(ctx context.Context, since uint64, hasSince bool) ([][]byte, uint64, error) {
	h := c.hub
	evs, last, err := h.cfg.Broker.Last(ctx, c.info.MeetingID)
	if err != nil {
		return nil, 0, err
	}
	if hasSince && since <= last && last-since <= uint64(h.cfg.ReplayEvents) {
		out, seq, ok, err := c.replay(ctx, since)
		if err != nil || ok {
			return out, seq, err
		}
	}
	m, err := h.cfg.Meetings.Meeting(ctx, c.info.MeetingID)
	if err != nil {
		return nil, 0, err
	}
	if m == nil {
		return nil, 0, phonghop.Fail(phonghop.ENotFound, "meeting_not_found")
	}
	// A snapshot holds only what the client may see.
	st, err := c.room.snapshots.state(ctx, m, evs, last, c.info.User.ID)
	if err != nil {
		return nil, 0, err
	}
	return [][]byte{snapshotFrame(last, st)}, last, nil
}

// replay returns the frames of the events after since, unless some are no
// longer held or they would take more than the client's write queue
// (WriteQueueBytes): a tablet that slept for hours gets a snapshot instead of
// thousands of frames built at once outside the queue's bound.
func (c *client) replay(ctx context.Context, since uint64) (out [][]byte, seq uint64, ok bool, err error) {
	h := c.hub
	evs, complete, err := h.cfg.Broker.Since(ctx, c.info.MeetingID, since)
	if err != nil || !complete || len(evs) > h.cfg.ReplayEvents {
		return nil, 0, false, err
	}
	out = make([][]byte, 0, len(evs))
	seq = since
	size := 0
	for _, ev := range evs {
		if ev.For(c.info.User.ID) {
			f := c.features.encode(&ev)
			if size += len(f); size > h.cfg.WriteQueueBytes {
				return nil, 0, false, nil
			}
			out = append(out, f)
		}
		seq = ev.Seq
	}
	return out, seq, true, nil
}

func (c *client) refreshRead() {
	if c.closing.Load() {
		return
	}
	d := c.hub.cfg.PongTimeout
	if c.readTimeout > 0 && c.readTimeout < d {
		d = c.readTimeout
	}
	c.conn.SetReadDeadline(time.Now().Add(d))
}

// Bounds of a heartbeat's timeout, in seconds: a tablet that pings every few
// seconds asks the server to drop it after a few missed pings.
const (
	MinPingTimeoutSeconds = 3
	MaxPingTimeoutSeconds = 600
)

// heartbeat applies a ping's timeout: from now on the client is dropped after
// that much silence (never more than PongTimeout).
func (c *client) heartbeat(seconds int) error {
	if seconds == 0 {
		return nil
	}
	if seconds < MinPingTimeoutSeconds || seconds > MaxPingTimeoutSeconds {
		return phonghop.Fail(phonghop.EInvalid, "ping_timeout_invalid", "min", MinPingTimeoutSeconds, "max", MaxPingTimeoutSeconds)
	}
	c.readTimeout = time.Duration(seconds) * time.Second
	c.refreshRead()
	return nil
}

func (c *client) cleanup() {
	h := c.hub
	h.leave(c)
	h.removeSession(c)
	h.giveSocket(c.info.User.ID)
	c.mu.Lock()
	c.closed = true
	c.queue = nil
	if c.pingTimer != nil {
		c.pingTimer.Stop()
	}
	c.mu.Unlock()
	c.conn.Close()
	c.wg.Wait()
}

// enqueue queues f without blocking; a client whose queue would grow past
// WriteQueueBytes is closed as slow instead.
func (c *client) enqueue(f outFrame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.closing.Load() {
		return
	}
	if c.queued+len(f.data) > c.hub.cfg.WriteQueueBytes {
		c.hub.slowDrops.Add(1)
		c.closeLocked(CloseSlow, "slow", false)
		return
	}
	c.queue = append(c.queue, f)
	c.queued += len(f.data)
	c.kickLocked()
}

// kickLocked starts the writer if there is work and none runs: the hub's
// flushers (flush.go), or for a close, or a connection without a descriptor of
// its own, a writer goroutine.
func (c *client) kickLocked() {
	if c.started && !c.writing && !c.closed && (!c.closing.Load() || c.pendingClose) && (len(c.queue) > 0 || c.pingDue || c.pendingClose) {
		c.writing = true
		c.wg.Add(1)
		if c.raw != nil && !c.pendingClose {
			c.hub.flush.add(c)
		} else {
			go c.writeLoop(nil, false)
		}
	}
}

func (c *client) pingFire() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.pingDue = true
	c.kickLocked()
	c.pingTimer.Reset(c.hub.cfg.PingInterval)
	c.mu.Unlock()
}

// batch is what the writer takes from the queue in one go.
type batch struct {
	frames net.Buffers // the ping and the frames to write, in order
	last   uint64      // the newest event seq once they are written
	size   int         // the queued bytes they account for

	code   int // for stepClose: the close to send
	reason string
}

type step int

const (
	stepWrite step = iota // write the batch
	stepStop              // nothing to write: the writer is done
	stepClose             // the queue is written: send the pending close, then stop
)

// next accounts for the writer's last write and takes the next batch, its
// frames appended to buf. With stepStop and stepClose the writer is done
// (writing is false); the caller sends the close.
func (c *client) next(buf net.Buffers) (batch, step) {
	c.mu.Lock()
	c.queued -= c.written
	if c.queued < 0 {
		c.queued = 0
	}
	c.written = 0
	if c.pendingClose && len(c.queue) == 0 && !c.closed {
		// Everything queued before the close is written: now close.
		c.pendingClose = false
		c.writing = false
		b := batch{code: c.closeCode, reason: c.closeReason}
		c.mu.Unlock()
		return b, stepClose
	}
	if c.closed || (c.closing.Load() && !c.pendingClose) || (len(c.queue) == 0 && !c.pingDue) {
		c.writing = false
		c.emptyQueue()
		c.mu.Unlock()
		return batch{}, stepStop
	}
	// The frames are taken under the lock, so that the queue's array is free
	// again at once (emptyQueue).
	b := batch{frames: buf[:0], last: c.lastSeq}
	if c.pingDue {
		b.frames = append(b.frames, pingWire)
		c.pingDue = false
	}
	for _, f := range c.queue {
		b.size += len(f.data)
		if f.seq != 0 && f.seq <= b.last {
			continue
		}
		b.frames = append(b.frames, f.data)
		if f.seq != 0 {
			b.last = f.seq
		}
	}
	c.emptyQueue()
	c.mu.Unlock()
	return b, stepWrite
}

// emptyQueue empties the queue into the client's own one-frame array: a
// client's single queued frame lives in the client, so queuing it allocates
// nothing, and an idle client holds no queue of its own nor any frame.
func (c *client) emptyQueue() {
	clear(c.queue)
	c.one = [1]outFrame{}
	c.queue = c.one[:0:1]
}

// wrote records a batch as written: the writer's next take accounts for it.
func (c *client) wrote(b batch) {
	c.lastSeq = b.last
	c.written = b.size
}

// failWrite ends a client whose write failed: the reader sees the closed
// connection and cleans up.
func (c *client) failWrite() {
	c.conn.Close()
	c.mu.Lock()
	c.writing = false
	c.queue = nil
	c.mu.Unlock()
}

// writeLoop is a client's own writer goroutine, which waits for the socket up
// to WriteTimeout a write. pending is a batch a flusher could not write at
// once; with locked, part of its first frame is out and the write lock is
// still held for the rest.
func (c *client) writeLoop(pending *batch, locked bool) {
	defer c.wg.Done()
	wt := c.hub.cfg.WriteTimeout
	var b batch
	s := stepWrite
	if pending != nil {
		b = *pending
	} else {
		b, s = c.next(nil)
	}
	for s == stepWrite {
		if len(b.frames) > 0 {
			var err error
			if locked {
				err = c.writeLocked(b.frames, time.Now().Add(wt))
				locked = false
			} else {
				err = c.write(b.frames, time.Now().Add(wt), false)
			}
			if err != nil {
				c.failWrite()
				return
			}
		}
		c.wrote(b)
		b, s = c.next(nil)
	}
	if s == stepClose {
		c.sendClose(b.code, b.reason)
	}
}

// closeWith sends a close frame with code and reason now, dropping what is
// queued, then ends the connection.
func (c *client) closeWith(code int, reason string) {
	c.mu.Lock()
	c.closeLocked(code, reason, false)
	c.mu.Unlock()
}

// closeLocked starts closing the client; nothing more is queued after it. With
// flush, the frames already queued (say, the errors that explain the close) are
// written before the close frame.
func (c *client) closeLocked(code int, reason string, flush bool) {
	if c.closed || c.closing.Load() {
		return
	}
	c.closing.Store(true)
	if flush && c.started && (c.writing || len(c.queue) > 0) {
		c.pendingClose, c.closeCode, c.closeReason = true, code, reason
		c.kickLocked()
		return
	}
	c.queue = nil
	c.queued = 0
	c.wg.Add(1)
	go c.kill(code, reason)
}

// closeGrace is how long a closing client gets to answer the close frame before
// the connection is cut; cutting at once could reset the close frame away.
const closeGrace = time.Second

func (c *client) kill(code int, reason string) {
	defer c.wg.Done()
	c.sendClose(code, reason)
}

func (c *client) sendClose(code int, reason string) {
	d := min(c.hub.cfg.WriteTimeout, closeGrace)
	err := c.write(net.Buffers{controlFrame(opClose, websocket.FormatCloseMessage(code, reason))}, time.Now().Add(d), true)
	if err != nil {
		c.conn.Close()
		return
	}
	// The reader returns when the client answers the close; one that does not
	// is cut after closeGrace. A timer, not a read deadline: deadlines belong
	// to the reader goroutine (gorilla allows one reader), and the reader's
	// own refresh could push a deadline set here back to PongTimeout.
	time.AfterFunc(closeGrace, func() { c.conn.Close() })
}

// sendError answers the client alone; nothing is broadcast.
func (c *client) sendError(err error) {
	e := phonghop.Public(err)
	if e.Code == phonghop.EInternal {
		c.hub.log.Error("live: client message", "meeting", c.info.MeetingID, "user", c.info.User.ID, "err", err)
	}
	c.enqueue(outFrame{data: textFrame(errorFrame(e))})
}

// allow takes a token from the client's bucket.
func (c *client) allow(now time.Time) bool {
	cfg := &c.hub.cfg
	if c.refilled.IsZero() {
		c.tokens = float64(cfg.Burst)
	} else {
		c.tokens = min(float64(cfg.Burst), c.tokens+now.Sub(c.refilled).Seconds()*cfg.MessagesPerSecond)
	}
	c.refilled = now
	if c.tokens >= 1 {
		c.tokens--
		return true
	}
	return false
}

type clientMessage struct {
	Type         string `json:"type"`
	AgendaItemID string `json:"agendaItemId"`
	DocumentID   string `json:"documentId"`
	Page         int    `json:"page"`
	UserID       string `json:"userId"`
	Present      *bool  `json:"present"` // markAttendance
	Reason       string `json:"reason"`  // markAttendance
	Seconds      int    `json:"seconds"` // setSpeechLimit
	Text         string `json:"text"`    // sendNotice
	Timeout      int    `json:"timeout"` // ping: drop me after this many seconds of silence
}

var pongFrame = []byte(`{"type":"pong"}`)

func (c *client) handle(mt int, data []byte) {
	if c.closing.Load() {
		return // the client is being closed: it acts no more
	}
	now := time.Now()
	if !c.allow(now) {
		if now.Sub(c.refusedFrom) > time.Second {
			c.refusedFrom, c.refused = now, 0
		}
		c.refused++
		if c.refused > 2*c.hub.cfg.Burst {
			c.mu.Lock()
			c.closeLocked(CloseTooMany, "too_many_requests", true)
			c.mu.Unlock()
			return
		}
		c.sendError(phonghop.Fail(phonghop.ETooMany, "too_many_messages"))
		return
	}
	if mt != websocket.TextMessage {
		c.sendError(phonghop.Fail(phonghop.EInvalid, "message_not_text"))
		return
	}
	if !utf8.Valid(data) {
		// RFC 6455 §8.1: a text frame that is not UTF-8 fails the connection
		// with 1007 (JSON decoding would silently replace the bytes).
		c.closeWith(websocket.CloseInvalidFramePayloadData, "invalid_utf8")
		return
	}
	var m clientMessage
	if err := json.Unmarshal(data, &m); err != nil {
		c.sendError(phonghop.Fail(phonghop.EInvalid, "message_not_object"))
		return
	}
	h := c.hub
	ctx, cancel := context.WithTimeout(context.Background(), 2*h.cfg.WriteTimeout)
	defer cancel()
	mid, user := c.info.MeetingID, c.info.User
	var err error
	switch m.Type {
	case "present":
		_, err = h.Present(ctx, mid, user, Presentation{AgendaItemID: m.AgendaItemID, DocumentID: m.DocumentID, Page: m.Page})
	case "requestToSpeak":
		_, err = h.RequestToSpeak(ctx, mid, user.ID)
	case "withdraw":
		_, err = h.Withdraw(ctx, mid, user.ID)
	case "giveFloor":
		_, err = h.GiveFloor(ctx, mid, user, m.UserID)
	case "nextSpeaker":
		_, err = h.NextSpeaker(ctx, mid, user)
	case "endSpeech":
		_, err = h.EndSpeech(ctx, mid, user)
	case "openMeeting":
		_, err = h.OpenMeeting(ctx, mid, user)
	case "closeMeeting":
		_, err = h.CloseMeeting(ctx, mid, user)
	case "setSpeechLimit":
		_, err = h.SetSpeechLimit(ctx, mid, user, m.Seconds)
	case "markAttendance":
		if m.Present == nil {
			err = phonghop.Fail(phonghop.EInvalid, "present_required")
			break
		}
		_, err = h.MarkAttendance(ctx, mid, user, m.UserID, *m.Present, m.Reason)
	case "sendNotice":
		_, err = h.SendNotice(ctx, mid, user, m.Text)
	case "withdrawNotice":
		_, err = h.WithdrawNotice(ctx, mid, user)
	case "ping":
		if err = c.heartbeat(m.Timeout); err == nil {
			c.enqueue(outFrame{data: pongWire})
		}
	default:
		err = phonghop.Fail(phonghop.EInvalid, "message_type_unknown")
	}
	if err != nil {
		c.sendError(err) // phonghop.Public: a deadline is unavailable
		return
	}
	if h.cfg.Actions != nil && m.Type != "present" && m.Type != "ping" {
		h.cfg.Actions.RoomAction(ctx, actionOf(c.info, m))
	}
}

// actionOf describes a client message the room took, for Config.Actions.
func actionOf(info Client, m clientMessage) Action {
	a := Action{Meeting: info.MeetingID, User: info.User, Address: info.Address, Device: info.Device, Type: m.Type}
	switch m.Type {
	case "giveFloor":
		a.Target = map[string]string{"userId": m.UserID}
	case "markAttendance":
		a.Target = map[string]string{"userId": m.UserID}
		a.Details = map[string]string{"present": strconv.FormatBool(*m.Present), "reason": m.Reason}
	case "setSpeechLimit":
		a.Details = map[string]string{"seconds": strconv.Itoa(m.Seconds)}
	case "sendNotice":
		a.Details = map[string]string{"text": m.Text}
	}
	return a
}
