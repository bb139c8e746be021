package live

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"time"

	"github.com/gorilla/websocket"
)

// A client's frames are written by the hub itself, straight to the connection
// under gorilla's Conn, instead of through gorilla's writer:
//   - an event's frame, header included, is built once for every socket (frames
//     from a server are not masked), so a socket's write copies nothing;
//   - whatever is queued for a socket (a ping, the frames that piled up while it
//     was being written) goes out in one system call (writev), where gorilla
//     makes one per frame. The write system call is most of the fan-out's CPU
//     (docs/performance.md);
//   - that call is made by one of the hub's few flushers (flush.go), without a
//     deadline and without waiting: a socket that cannot take it all now gets
//     a writer goroutine of its own for the rest, which waits with a deadline.
//
// Every frame to the client passes one write lock (client.wlock): the writer's
// batches and pings, the snapshot or replay at connect, the close frame, and the
// answers to the client's pings and close (SetPingHandler, SetCloseHandler in
// run, replacing gorilla's own). After a close frame nothing more is written.
// gorilla still writes one frame by itself, a close frame when the client breaks
// the protocol or sends too big a message, just before its reader fails; a Write
// on a net.Conn is atomic (the runtime holds the descriptor's write lock for the
// whole call, writev included), so that frame cannot land inside one of ours.

const (
	opText  = 1
	opClose = 8
	opPing  = 9
	opPong  = 10
	finBit  = 0x80

	// maxControlPayload is the most a control frame carries (RFC 6455 §5.5).
	maxControlPayload = 125
)

// appendFrame appends one final, unmasked frame of opcode op carrying payload.
func appendFrame(b []byte, op byte, payload []byte) []byte {
	b = append(b, finBit|op)
	switch n := len(payload); {
	case n < 126:
		b = append(b, byte(n))
	case n < 1<<16:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

// textFrame is payload as one text frame, ready for the wire.
func textFrame(payload []byte) []byte {
	return appendFrame(make([]byte, 0, len(payload)+10), opText, payload)
}

// controlFrame is a ping, pong or close frame; a payload past 125 bytes is cut.
func controlFrame(op byte, payload []byte) []byte {
	if len(payload) > maxControlPayload {
		payload = payload[:maxControlPayload]
	}
	return appendFrame(make([]byte, 0, len(payload)+2), op, payload)
}

var (
	pingWire = controlFrame(opPing, nil)
	pongWire = textFrame(pongFrame) // the answer to a {"type":"ping"} message

	errCloseSent = errors.New("live: the close frame is sent")
)

// controlWait bounds the wait for the write lock of a pong or close answering
// the client's, as gorilla's own handlers do.
const controlWait = time.Second

// write writes frames to the connection in one call, by deadline (which bounds
// the wait for the write lock too). With closing, the frames end in a close
// frame: nothing is written after them.
func (c *client) write(frames net.Buffers, deadline time.Time, closing bool) error {
	if !c.lockWrite(deadline) {
		return os.ErrDeadlineExceeded
	}
	if c.closeSent {
		<-c.wlock
		return errCloseSent
	}
	c.closeSent = closing
	return c.writeLocked(frames, deadline)
}

// writeLocked writes frames by deadline under the write lock, and releases it.
// The deadline is cleared afterwards: the flushers' writes (tryWrite) have none.
func (c *client) writeLocked(frames net.Buffers, deadline time.Time) error {
	defer func() { <-c.wlock }()
	c.wire.SetWriteDeadline(deadline)
	var err error
	if len(frames) == 1 {
		_, err = c.wire.Write(frames[0])
	} else {
		_, err = frames.WriteTo(c.wire)
	}
	c.wire.SetWriteDeadline(time.Time{})
	return err
}

// tryWrite writes frames in one non-blocking system call, if the write lock is
// free. rest is what the socket did not take now (nil: all of it); with locked,
// part of rest's first frame is out and the write lock stays held, so that the
// rest goes out (writeLocked) before any other frame.
func (c *client) tryWrite(w *rawWriter, frames net.Buffers) (rest net.Buffers, locked bool, err error) {
	if len(frames) == 0 {
		return nil, false, nil
	}
	select {
	case c.wlock <- struct{}{}:
	default:
		return frames, false, nil // a pong or close is being written: wait for it
	}
	if c.closeSent {
		<-c.wlock
		return nil, false, errCloseSent
	}
	n, err := w.write(c.raw, frames)
	if err != nil {
		<-c.wlock
		return nil, false, err
	}
	rest, whole := consumed(frames, n)
	if whole {
		<-c.wlock
		return rest, false, nil
	}
	return rest, true, nil
}

// consumed is frames without their first n bytes; whole says rest starts at a
// frame's first byte.
func consumed(frames net.Buffers, n int) (rest net.Buffers, whole bool) {
	for len(frames) > 0 && n >= len(frames[0]) {
		n -= len(frames[0])
		frames = frames[1:]
	}
	if len(frames) == 0 {
		return nil, true
	}
	if n == 0 {
		return frames, true
	}
	rest = append(net.Buffers{frames[0][n:]}, frames[1:]...)
	return rest, false
}

// lockWrite takes the write lock, waiting until deadline at most.
func (c *client) lockWrite(deadline time.Time) bool {
	select {
	case c.wlock <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case c.wlock <- struct{}{}:
		return true
	case <-t.C:
		return false
	}
}

// answerControl makes the connection's answers to the client's ping and close
// frames pass the write lock (they are written by the reader goroutine).
func (c *client) answerControl() {
	c.conn.SetPingHandler(func(data string) error {
		// As gorilla's: a pong that cannot be written now is dropped.
		c.write(net.Buffers{controlFrame(opPong, []byte(data))}, time.Now().Add(controlWait), false)
		return nil
	})
	c.conn.SetCloseHandler(func(code int, _ string) error {
		// As gorilla's: echo the code; the reader returns the close error next.
		c.write(net.Buffers{controlFrame(opClose, websocket.FormatCloseMessage(code, ""))}, time.Now().Add(controlWait), true)
		return nil
	})
}
