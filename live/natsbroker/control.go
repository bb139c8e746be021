package natsbroker

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Control messages (logouts, removals, ended sessions, retired streams) go
// through one stream, ControlStream, read by every process with an ordered
// consumer. That stream may disappear while processes run: an operator deletes
// it by mistake, or NATS is restored from an older backup (the stream is back
// with fewer messages and its sequence lower than what the processes read).
// Neither needs a restart:
//
//   - A PublishControl that finds no stream creates it again (same
//     configuration) and sends its message there.
//   - Every subscription checks every ControlCheck, and at once when its
//     consumer is deleted or stops hearing from the server, that the stream
//     exists and is the one it reads: same creation time, not behind the last
//     message delivered, and that message still at its seq. A missing stream
//     is created again; a different one is read from its start.
//   - Reading from the start delivers no command twice and none older than
//     the subscription: each message carries the id it was published under,
//     and the subscription keeps the ids it delivered for ControlMaxAge (as
//     long as the stream keeps a message); each carries its first sending
//     time too, and one sent (by the publisher's clock) more than controlSkew
//     before the subscription began is not delivered from a stream read from
//     its start.
//   - What was in the lost stream but not yet delivered to some process
//     (cut off from NATS at that moment) is sent again by the process that
//     published it: each process keeps what it sent for ControlMaxAge and,
//     on finding the stream new, sends it again under the same ids, which
//     the processes that had it drop. Lost for good is only what a process
//     published and then died before the stream came back: a logout or a
//     removal is then not carried to the sockets of a process that was cut
//     off at that moment; they stay open until they reconnect (which checks
//     the session and the meeting afresh).

// controlMsg is a control message as stored.
type controlMsg struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	// At is when the publisher first sent it (its own clock): a message sent
	// again into a new stream is not delivered to a subscription that began
	// after it (older processes leave it out: always delivered).
	At time.Time `json:"at,omitzero"`
}

// controlSkew is how far apart the processes' clocks may be: a message sent
// less than this before a subscription began may still reach it.
const controlSkew = time.Minute

// controlState is the broker's part in keeping control messages flowing.
type controlState struct {
	mu   sync.Mutex
	subs map[*controlSub]struct{}
	sent []sentControl // oldest first, kept ControlMaxAge
	// rereads counts the subscriptions that found another stream and read
	// it from its start (for tests).
	rereads atomic.Int64
}

// sentControl is a control message this process published.
type sentControl struct {
	msgID string
	data  []byte
	at    time.Time
}

func (c *controlState) add(s *controlSub) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.subs == nil {
		c.subs = make(map[*controlSub]struct{})
	}
	c.subs[s] = struct{}{}
}

func (c *controlState) remove(s *controlSub) {
	c.mu.Lock()
	delete(c.subs, s)
	c.mu.Unlock()
}

// kick asks every subscription of this process to check its stream now.
func (c *controlState) kick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.subs {
		s.check()
	}
}

// suspectAll holds every subscription's deliveries until it has checked its
// stream (the connection was lost: NATS may come back with another stream).
func (c *controlState) suspectAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.subs {
		s.suspect()
	}
}

// remember keeps m for a resend, and forgets what is older than maxAge.
func (c *controlState) remember(m sentControl, maxAge time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(dropOlder(c.sent, time.Now().Add(-maxAge)), m)
}

// recent is what this process sent within maxAge, oldest first.
func (c *controlState) recent(maxAge time.Duration) []sentControl {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = dropOlder(c.sent, time.Now().Add(-maxAge))
	return append([]sentControl(nil), c.sent...)
}

func dropOlder(sent []sentControl, before time.Time) []sentControl {
	i := 0
	for i < len(sent) && sent[i].at.Before(before) {
		i++
	}
	return sent[i:]
}

// ensureControl creates the control stream if it does not exist yet (one
// open for concurrent callers, see openStream).
func (b *Broker) ensureControl(ctx context.Context) error {
	return b.openStream(ctx, b.cfg.ControlStream, func(ctx context.Context) error {
		// Creating it again with the same configuration succeeds: retried
		// (see retry).
		return b.retry(ctx, b.cfg.Timeout, func(bound time.Duration) error {
			return b.createControl(ctx, bound)
		})
	})
}

func (b *Broker) createControl(ctx context.Context, bound time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	_, err := b.js.CreateStream(ctx, jetstream.StreamConfig{
		Name:        b.cfg.ControlStream,
		Description: "phonghop logouts and removals, for every process",
		Subjects:    []string{b.cfg.ControlSubject},
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      b.cfg.ControlMaxAge,
		MaxMsgs:     100_000,
		Discard:     jetstream.DiscardOld,
		Storage:     jetstream.FileStorage,
		Replicas:    b.cfg.Replicas,
	})
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return unavailable("create stream "+b.cfg.ControlStream, err)
	}
	return nil
}

// recreateControl creates the control stream again after it was found
// missing (this process believed it existed), and has every subscription of
// this process check what it reads.
func (b *Broker) recreateControl(ctx context.Context) error {
	b.log.Warn("natsbroker: control stream missing; creating it again", "stream", b.cfg.ControlStream)
	b.mu.Lock()
	delete(b.streams, b.cfg.ControlStream)
	b.mu.Unlock()
	err := b.ensureControl(ctx)
	if err == nil {
		go b.ctl.kick()
	}
	return err
}

// streamMissing reports whether a publish or a look-up failed because no
// stream takes the subject or has the name.
func streamMissing(err error) bool {
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, jetstream.ErrStreamNotFound)
}

// PublishControl tells every process subscribed with SubscribeControl,
// including this one, about kind and id (ControlSession, ControlUser). It
// returns once the control stream has the message, or fails with code
// unavailable. A control stream deleted behind this process's back is made
// again.
func (b *Broker) PublishControl(ctx context.Context, kind, id string) error {
	if err := b.ready("control"); err != nil {
		return err
	}
	at := time.Now().UTC()
	data, err := json.Marshal(controlMsg{Kind: kind, ID: id, At: at})
	if err != nil {
		return err
	}
	if err := b.ensureControl(ctx); err != nil {
		return err
	}
	// A message id of its own: a publish asked again after its answer was
	// lost is the same message, which the stream keeps once (within its
	// duplicate window, 2 minutes), so it may be retried (see retry); and
	// subscriptions deliver an id once (see controlSub).
	msgID := "c" + strconv.FormatUint(rand.Uint64(), 36)
	err = b.publishControl(ctx, msgID, data)
	if err != nil && streamMissing(err) && ctx.Err() == nil {
		if err = b.recreateControl(ctx); err == nil {
			err = b.publishControl(ctx, msgID, data)
		}
	}
	if err != nil {
		return err
	}
	b.ctl.remember(sentControl{msgID: msgID, data: data, at: at}, b.cfg.ControlMaxAge)
	return nil
}

func (b *Broker) publishControl(ctx context.Context, msgID string, data []byte) error {
	return b.retry(ctx, b.cfg.Timeout, func(bound time.Duration) error {
		pctx, cancel := context.WithTimeout(ctx, bound)
		defer cancel()
		if _, err := b.js.Publish(pctx, b.cfg.ControlSubject, data, jetstream.WithMsgID(msgID)); err != nil {
			return unavailable("control", err)
		}
		return nil
	})
}

// resendControl sends again, under their ids, the control messages this
// process sent within ControlMaxAge: the stream was found new, and those of
// them it held may not have reached every process.
func (b *Broker) resendControl(ctx context.Context) {
	sent := b.ctl.recent(b.cfg.ControlMaxAge)
	for _, m := range sent {
		if err := b.publishControl(ctx, m.msgID, m.data); err != nil {
			b.log.Error("natsbroker: control message not sent again into the new control stream", "err", err)
			return
		}
	}
	if len(sent) > 0 {
		b.log.Info("natsbroker: control messages sent again into the new control stream", "count", len(sent))
	}
}

// SubscribeControl calls fn, one message at a time, with every control message
// published from now on by any process until cancel is called. An ordered
// consumer reads them from the control stream and resumes after the last one
// it delivered when the connection comes back, so messages published while
// this process was disconnected still arrive (if younger than ControlMaxAge).
// A control stream deleted or set back meanwhile is followed (see controlSub).
func (b *Broker) SubscribeControl(fn func(kind, id string)) (cancel func(), err error) {
	if err := b.ready("control"); err != nil {
		return nil, err
	}
	// Both wait as long as the control stream's open and the consumer's
	// creation are retried (LeaderWait), not one Timeout.
	ctx := context.Background()
	if err := b.ensureControl(ctx); err != nil {
		return nil, err
	}
	s := &controlSub{b: b, fn: fn, since: time.Now().Add(-controlSkew), wake: make(chan struct{}, 1),
		stop: make(chan struct{}), seen: make(map[string]time.Time)}
	if err := s.start(ctx, jetstream.DeliverNewPolicy, 0); err != nil {
		return nil, err
	}
	b.ctl.add(s)
	go s.watch()
	return s.cancel, nil
}

// controlSub is one SubscribeControl: its consumer of the control stream, and
// what tells whether the stream it reads is still the same one.
type controlSub struct {
	b     *Broker
	fn    func(kind, id string)
	since time.Time     // messages first sent before it are not delivered
	wake  chan struct{} // check now
	stop  chan struct{} // closed by cancel
	once  sync.Once

	mu      sync.Mutex // held while fn runs: one message at a time
	stopped bool
	// suspicious: the connection was lost or the consumer failed, so the
	// consumer may be reading another stream than the one it began on;
	// nothing is delivered until verify has looked (and started a consumer
	// again from the last message delivered, or from the new stream's start).
	suspicious bool
	gen        int  // the current consumer; messages of an older one are dropped
	fromStart  bool // it reads the stream from its start (see deliver)
	cc         jetstream.ConsumeContext
	cons       jetstream.Consumer
	created    time.Time // the stream's creation, as read when the consumer began
	lastSeq    uint64    // the last message delivered from it (or its last seq then)
	lastID     string    // that message's id ("" when not delivered by this consumer)
	seen       map[string]time.Time
	seenQ      []seenID // seen's ids, oldest first
}

type seenID struct {
	id string
	at time.Time
}

// check asks the subscription's watcher to look at the stream now.
func (s *controlSub) check() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// suspect holds deliveries until the stream was looked at (see suspicious).
func (s *controlSub) suspect() {
	s.mu.Lock()
	s.suspicious = true
	s.mu.Unlock()
}

// start reads the control stream with a new ordered consumer from policy
// (DeliverNew at first; DeliverAll once the stream was found new;
// DeliverByStartSequence from after the last message delivered, from, when
// the stream was found the same after a suspicion) and stops the one it
// replaces.
func (s *controlSub) start(ctx context.Context, policy jetstream.DeliverPolicy, from uint64) error {
	b := s.b
	st, err := b.lookup(ctx, b.cfg.ControlStream)
	if err != nil {
		return unavailable("control", err)
	}
	info := st.CachedInfo()
	cons, err := b.orderedConsumer(ctx, b.cfg.ControlStream, jetstream.OrderedConsumerConfig{
		DeliverPolicy:     policy,
		OptStartSeq:       from,
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		return unavailable("control", err)
	}
	// From here on only the new consumer's messages are delivered: it reads
	// everything the old one had not (the stream from its start, or what
	// comes after its last seq now).
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		s.dropConsumer(cons)
		return nil
	}
	s.gen++
	gen, oldCC, oldCons := s.gen, s.cc, s.cons
	s.cc, s.cons, s.created, s.suspicious = nil, cons, info.Created, false
	s.fromStart = policy == jetstream.DeliverAllPolicy
	switch policy {
	case jetstream.DeliverNewPolicy:
		s.lastSeq, s.lastID = info.State.LastSeq, ""
	case jetstream.DeliverAllPolicy:
		s.lastSeq, s.lastID = 0, ""
	} // from the last delivered: both stay
	s.mu.Unlock()
	if oldCC != nil {
		oldCC.Stop()
		s.dropConsumer(oldCons)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { s.deliver(gen, m) },
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if b.closed.Load() {
				return
			}
			b.log.Debug("natsbroker: control consumer", "err", err)
			// The stream (and with it the consumer) was deleted, or the
			// server stopped answering: look now rather than at the next tick.
			if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrNoHeartbeat) ||
				errors.Is(err, jetstream.ErrConsumerNotFound) || streamMissing(err) {
				s.suspect()
				s.check()
			}
		}))
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.created = time.Time{} // not read: the next check starts a consumer again
		return unavailable("control", err)
	}
	if s.stopped || s.gen != gen {
		cc.Stop()
		return nil
	}
	s.cc = cc
	return nil
}

// dropConsumer deletes a consumer no longer read, now rather than after its
// inactive threshold.
func (s *controlSub) dropConsumer(cons jetstream.Consumer) {
	if cons == nil || s.b.closed.Load() {
		return
	}
	if info := cons.CachedInfo(); info != nil {
		go func() {
			ctx, cancel := s.b.withTimeout(context.Background())
			defer cancel()
			_ = s.b.js.DeleteConsumer(ctx, s.b.cfg.ControlStream, info.Name)
		}()
	}
}

// deliver passes a message of consumer gen on to fn, once per id.
func (s *controlSub) deliver(gen int, m jetstream.Msg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || gen != s.gen || s.suspicious {
		return
	}
	id := m.Headers().Get(jetstream.MsgIDHeader)
	if md, err := m.Metadata(); err == nil {
		s.lastSeq, s.lastID = md.Sequence.Stream, id
	}
	var c controlMsg
	if err := json.Unmarshal(m.Data(), &c); err != nil {
		s.b.log.Warn("natsbroker: bad control message", "err", err)
		return
	}
	if id != "" {
		if _, dup := s.seen[id]; dup {
			return
		}
		s.remember(id)
	}
	if s.fromStart && !c.At.IsZero() && c.At.Before(s.since) {
		// From before this subscription, read again from a new stream. Only
		// then: a message delivered in order is never held to the clocks.
		return
	}
	if c.Kind == controlRetired {
		s.b.forget(c.ID)
		return
	}
	s.fn(c.Kind, c.ID)
}

// remember keeps id as delivered for as long as the stream may hold it.
func (s *controlSub) remember(id string) {
	now := time.Now()
	keep := now.Add(-s.b.cfg.ControlMaxAge - controlSkew)
	i := 0
	for i < len(s.seenQ) && s.seenQ[i].at.Before(keep) {
		delete(s.seen, s.seenQ[i].id)
		i++
	}
	s.seenQ = append(s.seenQ[i:], seenID{id, now})
	s.seen[id] = now
}

// watch checks the stream every ControlCheck, and when woken, until cancel or
// Close.
func (s *controlSub) watch() {
	t := time.NewTicker(s.b.cfg.ControlCheck)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.b.closedCh:
			return
		case <-t.C:
		case <-s.wake:
		}
		s.verify()
	}
}

// verify makes the control stream again if it is missing, and reads it from
// its start if it is not the stream the consumer was reading: created again,
// or behind what was delivered (restored from an older backup), or holding
// another message at the seq of the last one delivered. Then this process's
// own recent messages are sent again (see resendControl).
func (s *controlSub) verify() {
	b := s.b
	if b.ready("control") != nil {
		return // looked at again when the connection is back (see New)
	}
	s.mu.Lock()
	created, lastSeq, lastID, suspicious := s.created, s.lastSeq, s.lastID, s.suspicious
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.LeaderWait+b.cfg.Timeout)
	defer cancel()
	st, err := b.lookup(ctx, b.cfg.ControlStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if err = b.recreateControl(ctx); err == nil {
			st, err = b.lookup(ctx, b.cfg.ControlStream)
		}
	}
	if err != nil {
		b.log.Debug("natsbroker: control stream check", "err", err)
		return
	}
	info := st.CachedInfo()
	if info.Created.Equal(created) && info.State.LastSeq >= lastSeq && s.holds(ctx, st, info, lastSeq, lastID) {
		if suspicious { // the same stream: go on after the last message delivered
			if err := s.start(ctx, jetstream.DeliverByStartSequencePolicy, lastSeq+1); err != nil {
				b.log.Error("natsbroker: control stream not read again; trying at the next check", "err", err)
			}
		}
		return
	}
	b.log.Warn("natsbroker: the control stream is not the one read (deleted and created again, or NATS restored from an older backup); reading it from its start",
		"stream", b.cfg.ControlStream, "seq", lastSeq, "streamLastSeq", info.State.LastSeq)
	if err := s.start(ctx, jetstream.DeliverAllPolicy, 0); err != nil {
		b.log.Error("natsbroker: control stream not read again; trying at the next check", "err", err)
		return
	}
	b.ctl.rereads.Add(1)
	b.resendControl(ctx)
}

// holds reports whether the stream still has the message delivered last at
// its seq (true when that cannot be told: not known, aged out, no answer).
func (s *controlSub) holds(ctx context.Context, st jetstream.Stream, info *jetstream.StreamInfo, seq uint64, id string) bool {
	if id == "" || seq < info.State.FirstSeq {
		return true
	}
	ctx, cancel := s.b.withTimeout(ctx)
	defer cancel()
	m, err := st.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return false
	}
	if err != nil {
		return true
	}
	return m.Header.Get(jetstream.MsgIDHeader) == id
}

func (s *controlSub) cancel() {
	s.once.Do(func() {
		close(s.stop)
		s.b.ctl.remove(s)
		s.mu.Lock()
		s.stopped = true
		cc := s.cc
		s.mu.Unlock()
		if cc != nil {
			cc.Stop()
		}
	})
}
