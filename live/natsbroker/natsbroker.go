// Package natsbroker is a live.Broker on NATS JetStream, so that several
// phonghop processes share every meeting's live room.
//
// Each meeting is one stream, named StreamPrefix+meetingID, holding the subjects
// SubjectPrefix+"."+meetingID+".<subject>" ("presentation", "attendance",
// "speakers", "poll.<pollId>"). The stream sequence is the meeting's seq: gap-free,
// strictly increasing and the same for every process, because the stream's
// leader assigns it. An expectation is the stream's per-subject check
// (Nats-Expected-Last-Subject-Sequence, where 0 means "no message on the
// subject"); a refused one is live.ErrConflict. Last is one direct "multi last"
// get, which the server answers from one consistent view of the stream with the
// stream's last seq; Since is a batched direct get from a seq; Subscribe is an
// ordered consumer from the stream's last seq + 1, which re-creates itself after
// a reconnect or a server restart and resumes after the last event it delivered.
//
// Direct gets (nats-server 2.11 or later; tested with 2.15.2) are answered by
// any replica of a replicated stream, so a read that comes back behind what
// this process has already seen (its appends, its subscriptions' start and
// deliveries) is retried until the replica catches up: a snapshot is never
// older than the subscription that follows it.
//
// A stream is created on a meeting's first use and kept within MaxMsgsPerMeeting
// events and MaxAge, discarding the oldest: a room whose newest event on a
// subject is older than that loses it (tablets then see that subject empty), and
// Since reports complete=false for trimmed events.
//
// While NATS is unreachable every call fails at once with a *phonghop.Error of
// code unavailable: publishes are not buffered for a later reconnect, so an
// Append that reports failure never lands afterwards unless the server received
// it before the connection broke (a publish whose acknowledgement was lost):
// such a failure wraps live.ErrUnanswered, and the hub looks for the event.
//
// A request refused because the cluster has no meta leader (503), or left
// unanswered, is asked again within LeaderWait only where asking twice cannot
// do a thing twice (see retry): look-ups, the creation and opening of a
// stream, a consumer made under a name chosen once, a control message with a
// message id of its own. An Append's publish never is.
//
// Besides events the broker carries control messages (PublishControl,
// SubscribeControl): logouts and removals that must close sockets on every
// process. They go through a stream of their own, kept for ControlMaxAge, so a
// process cut off from NATS when one was published gets it when it reconnects.
// A control stream or a meeting's stream deleted while phonghop runs (by
// hand, or NATS restored from an older backup) is made again by whoever
// needs it next: the control stream as it was, each subscription following
// the new one (see control.go); a meeting's stream from the journal, above
// every seq handed out (see create and reserveAhead).
package natsbroker

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/live"
)

// Config configures a Broker. Every zero value means the default beside it.
type Config struct {
	URL            string        // NATS URL(s), comma-separated; required
	Name           string        // connection name shown by the server; "phonghop"
	StreamPrefix   string        // stream name = prefix + meeting id; "PHONGHOP_M_"
	SubjectPrefix  string        // subjects = prefix.<meeting id>.<subject>; "phonghop.m"
	ControlSubject string        // subject of control messages; "phonghop.control"
	ControlStream  string        // stream keeping them; "PHONGHOP_CONTROL"
	ControlMaxAge  time.Duration // how long they are kept for processes that reconnect; 1 h
	// ControlCheck is how often each control subscription checks that the
	// control stream it reads is still there and still the same (see
	// controlSub); a deleted one is made again. 5 s.
	ControlCheck time.Duration
	Replicas     int           // stream replicas (1, or 3 on a NATS cluster); 1
	MaxAge       time.Duration // events older than this are discarded; 30 days
	// MaxMsgsPerMeeting bounds each meeting's stream; the oldest events go first.
	// 100,000.
	MaxMsgsPerMeeting int64
	Timeout           time.Duration // bound on each request to NATS; 5 s
	// LeaderWait bounds how long a request is retried while the cluster has
	// no meta leader (503 "JetStream system temporarily unavailable": an
	// election, or a leader fallen behind its Raft work under load) or leaves
	// it unanswered (see retry), so that a meeting opened during such a
	// hiccup opens late rather than failing for its tablets. 15 s.
	LeaderWait    time.Duration
	ReconnectWait time.Duration // pause between reconnect attempts; 500 ms
	Logger        *slog.Logger  // slog.Default()
	// Restore gives a meeting's newest event per subject and the highest seq
	// ever handed out, from the journal in the store
	// (live.RestoreFromJournal). With it, a meeting's stream created when the
	// store already knows the meeting (it was removed by Retire) starts above
	// every seq handed out before and holds that state as its first message.
	// Retire needs it.
	Restore func(ctx context.Context, meetingID string) (latest []live.Event, seq uint64, err error)
	// Reserve records in the store that every seq up to through was handed out
	// (journal.Journal.Reserve); Retire calls it before removing a stream, so
	// Restore starts above it. Retire needs it.
	Reserve func(ctx context.Context, meetingID string, through uint64) error
}

// Broker is a live.Broker on NATS JetStream. It is safe for concurrent use.
type Broker struct {
	cfg Config
	log *slog.Logger
	nc  *nats.Conn
	js  jetstream.JetStream

	mu sync.Mutex
	// streams holds, by stream name, the open of each stream this process
	// uses (see openStream): done means the stream is known to exist; a
	// failed one is not kept.
	streams map[string]*streamOpen
	lockKV  jetstream.KeyValue // keys held while retiring a meeting's stream (see Retire)
	floors  sync.Map           // meeting id → *atomic.Uint64: highest seq this process knows exists
	// lost holds, by meeting id, the floor of a stream found gone (see
	// forget): a stream made again starts above it (see create).
	lost sync.Map
	// reserved holds, by meeting id, the *reservation of seqs this process
	// made in the store (see reserveAhead).
	reserved sync.Map

	lasts  coalesced[struct{}, lastResult]
	sinces coalesced[uint64, sinceResult]
	reads  atomic.Int64 // Last and Since rounds run (for tests)
	// leaderRetries counts calls retried because the cluster had no meta
	// leader (503), unansweredRetries those retried because they went
	// unanswered (see retry), for tests and benchmarks.
	leaderRetries     atomic.Int64
	unansweredRetries atomic.Int64

	// ctl holds the control subscriptions and the control messages this
	// process sent (see control.go).
	ctl controlState

	closed   atomic.Bool
	closedCh chan struct{}
}

var _ live.Broker = (*Broker)(nil)

// Kinds of control messages.
const (
	ControlSession = "session" // id: a session id that was logged out
	ControlUser    = "user"    // id: UserControlID(meetingID, userID), removed from the meeting
	// ControlAccount: id AccountControlID(userID, epoch): the account's
	// sessions older than epoch ended (password changed or reset, disabled).
	ControlAccount = "account"
	// controlRetired: id a meeting whose stream Retire removed; every process
	// forgets it knew the stream (handled by the broker, not passed on).
	controlRetired = "retired"
)

// AccountControlID joins a user and a session epoch into the id of a
// ControlAccount message.
func AccountControlID(userID string, epoch int) string { return userID + "/" + strconv.Itoa(epoch) }

// SplitAccountControlID undoes AccountControlID.
func SplitAccountControlID(id string) (userID string, epoch int, ok bool) {
	u, e, ok := strings.Cut(id, "/")
	n, err := strconv.Atoi(e)
	return u, n, ok && err == nil
}

// UserControlID joins a meeting and a user into the id of a ControlUser message.
func UserControlID(meetingID, userID string) string { return meetingID + "/" + userID }

// SplitUserControlID undoes UserControlID.
func SplitUserControlID(id string) (meetingID, userID string, ok bool) {
	return strings.Cut(id, "/")
}

// New connects to NATS, checks that JetStream is enabled and returns the broker.
// It fails with code unavailable when NATS cannot be reached; afterwards the
// connection reconnects by itself for as long as the broker lives.
func New(ctx context.Context, cfg Config) (*Broker, error) {
	if cfg.URL == "" {
		return nil, errors.New("natsbroker: Config.URL is required")
	}
	if cfg.Name == "" {
		cfg.Name = "phonghop"
	}
	if cfg.StreamPrefix == "" {
		cfg.StreamPrefix = "PHONGHOP_M_"
	}
	if cfg.SubjectPrefix == "" {
		cfg.SubjectPrefix = "phonghop.m"
	}
	if cfg.ControlSubject == "" {
		cfg.ControlSubject = "phonghop.control"
	}
	if cfg.ControlStream == "" {
		cfg.ControlStream = "PHONGHOP_CONTROL"
	}
	if cfg.ControlMaxAge <= 0 {
		cfg.ControlMaxAge = time.Hour
	}
	if cfg.ControlCheck <= 0 {
		cfg.ControlCheck = 5 * time.Second
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 30 * 24 * time.Hour
	}
	if cfg.MaxMsgsPerMeeting <= 0 {
		cfg.MaxMsgsPerMeeting = 100_000
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.ReconnectWait <= 0 {
		cfg.ReconnectWait = 500 * time.Millisecond
	}
	if cfg.LeaderWait <= 0 {
		cfg.LeaderWait = 15 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	b := &Broker{cfg: cfg, log: cfg.Logger, streams: make(map[string]*streamOpen), closedCh: make(chan struct{})}
	nc, err := nats.Connect(cfg.URL,
		nats.Name(cfg.Name),
		nats.Timeout(cfg.Timeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(cfg.ReconnectWait),
		// No buffering while disconnected: a publish fails now rather than
		// landing after its caller was told it failed.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if !b.closed.Load() {
				b.log.Warn("nats: disconnected", "err", err)
			}
			// NATS may come back with another control stream (restored from
			// a backup): nothing is delivered until it was looked at.
			b.ctl.suspectAll()
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			b.log.Info("nats: reconnected", "url", c.ConnectedUrlRedacted())
			b.ctl.kick()
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(b.closedCh) }),
	)
	if err != nil {
		return nil, unavailable("connect", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		b.closed.Store(true)
		nc.Close()
		return nil, unavailable("jetstream", err)
	}
	b.nc, b.js = nc, js
	actx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	if _, err := js.AccountInfo(actx); err != nil {
		b.closed.Store(true)
		nc.Close()
		return nil, unavailable("JetStream account (is the server run with -js?)", err)
	}
	return b, nil
}

// unavailable wraps a NATS failure as the client-safe unavailable error,
// keeping the cause in the message for logs.
func unavailable(op string, cause error) error {
	return fmt.Errorf("%w (natsbroker: %s: %w)", phonghop.Fail(phonghop.EUnavailable, "live_unavailable"), op, cause)
}

var errClosed = errors.New("broker closed")

// ready fails fast when the broker is closed or NATS is unreachable, instead of
// waiting for a timeout.
func (b *Broker) ready(op string) error {
	if b.closed.Load() {
		return unavailable(op, errClosed)
	}
	if !b.nc.IsConnected() {
		return unavailable(op, nats.ErrDisconnected)
	}
	return nil
}

// requestCtx is the context of a coalesced read, not bounded by any one
// caller. It has no deadline: the round waits for the meeting's stream to
// open for as long as the open runs (see ensure: LeaderWait and a request at
// most), and then reads within Config.Timeout (see lastOnce, sinceOnce). Each
// caller still waits no longer than its own context.
func (b *Broker) requestCtx() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// withTimeout bounds ctx by Config.Timeout.
func (b *Broker) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, b.cfg.Timeout)
}

// validID accepts what may appear in a stream name and a subject token.
func validID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// validSubject accepts dot-separated tokens of validID characters.
func validSubject(s string) bool {
	for _, tok := range strings.Split(s, ".") {
		if !validID(tok) {
			return false
		}
	}
	return true
}

func (b *Broker) streamName(meetingID string) string { return b.cfg.StreamPrefix + meetingID }
func (b *Broker) subjects(meetingID string) string {
	return b.cfg.SubjectPrefix + "." + meetingID + ".>"
}
func (b *Broker) subjectOf(meetingID, subject string) string {
	return b.cfg.SubjectPrefix + "." + meetingID + "." + subject
}

// ensure makes sure the meeting's stream exists, unless this process knows it
// does. A missing stream is created: empty for a new meeting, or, when the
// store knows the meeting (its stream was retired), starting above every seq
// handed out before with the restored state as its first message (see
// create). A stream made by another process with other limits is kept as it is.
func (b *Broker) ensure(ctx context.Context, meetingID string) (string, error) {
	if !validID(meetingID) {
		return "", phonghop.Fail(phonghop.EInvalid, "meeting_id_invalid")
	}
	name := b.streamName(meetingID)
	err := b.openStream(ctx, name, func(ctx context.Context) error {
		// Every step of an open may be asked again after a timeout (see
		// retry): the look-up is a read, creating a stream that exists with
		// the same configuration succeeds and with another is answered
		// "already in use" (then finished), the restored state goes in
		// expecting an empty subject, and the update sets what it sets. The
		// look-up waits 1 s at first: nats-server drops a look-up of a stream
		// whose creation (by another process) is in flight and has no leader
		// yet, rather than answer it later (seen: 10 s on a loaded test
		// cluster, while the stream was up within a second).
		return b.retry(ctx, min(time.Second, b.cfg.Timeout), func(lookup time.Duration) error {
			return b.ensureOnce(ctx, meetingID, name, lookup)
		})
	})
	if err != nil {
		return "", err
	}
	return name, nil
}

// retry runs call until it succeeds, fails otherwise, or LeaderWait has
// passed. Two failures are tried again, after a growing, jittered pause (many
// meetings opened together should not all come back at the same instant):
// 503 "JetStream system temporarily unavailable" (the cluster has no meta
// leader: nothing was done), and a request left unanswered within the bound
// call was given (context.DeadlineExceeded: it may have been done), whose
// bound doubles up to Timeout at each. So only calls that are safe to repeat
// go through retry: reads, calls that do the same thing again (creating what
// exists with the same configuration), and publishes the server checks (an
// expected empty subject, a message id it deduplicates). An Append never
// does: its publish may have landed with its acknowledgement lost, and a
// second would be a second event. ctx ending stops it.
func (b *Broker) retry(ctx context.Context, bound time.Duration, call func(bound time.Duration) error) error {
	giveUp := time.Now().Add(b.cfg.LeaderWait)
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		err := call(bound)
		if err == nil || ctx.Err() != nil {
			return err
		}
		pause := wait/2 + rand.N(wait/2+1)
		unanswered := errors.Is(err, context.DeadlineExceeded)
		if !leaderless(err) && !unanswered || time.Now().Add(pause).After(giveUp) {
			return err
		}
		if unanswered {
			bound = min(2*bound, b.cfg.Timeout)
			b.unansweredRetries.Add(1)
		} else {
			b.leaderRetries.Add(1)
		}
		if !b.sleep(ctx, pause) {
			return err
		}
	}
}

// sleep waits for d, and reports false at once when ctx ends or the broker
// closes.
func (b *Broker) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-b.closedCh:
		return false
	}
}

// streamOpen is one stream's open in this process.
type streamOpen struct {
	done chan struct{} // closed when the open has ended
	err  error         // its failure, set before done is closed
}

// openStream runs open (look the stream up, create it) once for every
// concurrent first use of the stream in this process, and never again once it
// succeeded, until forget. Forty tablets of a new meeting arriving in the same
// second, or a reconnect storm after a restart, would otherwise each look up
// and create the same replicated stream, which a loaded cluster's meta leader
// answers only after seconds. Each caller waits no longer than its ctx allows;
// the open runs on for the others, detached from the caller that started it
// and bounded by LeaderWait and Config.Timeout per request (Last and Since
// wait for it that long: see requestCtx). A failure is every waiter's and is
// not kept: the next use opens afresh.
func (b *Broker) openStream(ctx context.Context, name string, open func(context.Context) error) error {
	b.mu.Lock()
	o := b.streams[name]
	if o == nil {
		o = &streamOpen{done: make(chan struct{})}
		b.streams[name] = o
		go func() {
			err := open(context.WithoutCancel(ctx))
			b.mu.Lock()
			o.err = err
			if err != nil && b.streams[name] == o {
				delete(b.streams, name)
			}
			b.mu.Unlock()
			close(o.done)
		}()
	}
	b.mu.Unlock()
	select {
	case <-o.done:
		return o.err
	default: // the first use: wait for it, or for ctx
	}
	select {
	case <-o.done:
		return o.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ensureOnce looks the stream up, waiting at most lookup for the answer, and
// creates or finishes it.
func (b *Broker) ensureOnce(ctx context.Context, meetingID, name string, lookup time.Duration) error {
	ictx, cancel := context.WithTimeout(ctx, lookup)
	s, err := b.js.Stream(ictx, name)
	cancel()
	switch {
	case err == nil:
		return b.finish(ctx, meetingID, s.CachedInfo())
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return b.create(ctx, meetingID)
	default:
		return unavailable("stream info "+name, err)
	}
}

// lookup asks for the stream's info within Timeout. A look-up is a read: one
// left unanswered (nats-server drops a look-up of a stream another process
// is creating) is asked again after 1 s, growing, and one refused for want of
// a meta leader after a pause (see retry), within that Timeout.
func (b *Broker) lookup(ctx context.Context, name string) (jetstream.Stream, error) {
	ctx, cancel := b.withTimeout(ctx)
	defer cancel()
	var s jetstream.Stream
	err := b.retry(ctx, min(time.Second, b.cfg.Timeout), func(bound time.Duration) error {
		lctx, cancel := context.WithTimeout(ctx, bound)
		defer cancel()
		var err error
		s, err = b.js.Stream(lctx, name)
		return err
	})
	return s, err
}

// jsErrCodeClusterNotAvail is JetStream's 503 "JetStream system temporarily
// unavailable": the cluster's meta group has no leader at the moment.
const jsErrCodeClusterNotAvail jetstream.ErrorCode = 10008

// leaderless reports whether err is that refusal.
func leaderless(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jsErrCodeClusterNotAvail
}

// streamConfig is the configuration of a meeting's stream.
func (b *Broker) streamConfig(meetingID string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        b.streamName(meetingID),
		Description: "phonghop live events of meeting " + meetingID,
		Subjects:    []string{b.subjects(meetingID)},
		Retention:   jetstream.LimitsPolicy,
		MaxMsgs:     b.cfg.MaxMsgsPerMeeting,
		MaxAge:      b.cfg.MaxAge,
		Discard:     jetstream.DiscardOld,
		Storage:     jetstream.FileStorage,
		Replicas:    b.cfg.Replicas,
		AllowDirect: true, // Last and Since are direct gets
	}
}

// create creates the meeting's stream. With Config.Restore, what the store
// knows of the meeting decides how: nothing (a new meeting) gives an empty
// stream from seq 1; otherwise the stream starts at the restored seq + 2 (so
// that any seq a tablet holds is below the new stream's first seq - 1 and its
// since gets a snapshot) and its first message, on the base subject, holds the
// restored state. Until that message is in, the stream takes only the base
// subject: an append meanwhile finds no stream and is retried (see Append), so
// nothing is built on a room without its state.
func (b *Broker) create(ctx context.Context, meetingID string) error {
	cfg := b.streamConfig(meetingID)
	var base []live.Event
	if b.cfg.Restore != nil {
		rctx, cancel := context.WithTimeout(ctx, restoreTimeout)
		evs, seq, err := b.cfg.Restore(rctx, meetingID)
		cancel()
		if err != nil {
			return unavailable("restore "+meetingID+" from the journal", err)
		}
		if seq > 0 || len(evs) > 0 {
			for _, ev := range evs {
				seq = max(seq, ev.Seq)
			}
			cfg.FirstSeq = seq + 2
		}
		if len(evs) > 0 {
			base = evs
			cfg.Subjects = []string{b.subjectOf(meetingID, baseSubject)}
		}
	}
	// A stream this process read or wrote before it went starts above what
	// it knew, journal or not.
	lost, wasLost := b.lost.Load(meetingID)
	if wasLost {
		cfg.FirstSeq = max(cfg.FirstSeq, lost.(uint64)+2)
	}
	if wasLost || cfg.FirstSeq > 0 {
		// Retired, or deleted behind phonghop's back (an operator, NATS
		// restored from an older backup): say so either way.
		b.log.Info("natsbroker: meeting's stream made again from the journal", "meeting", meetingID, "firstSeq", cfg.FirstSeq, "events", len(base))
	}
	cctx, cancel := b.withTimeout(ctx)
	defer cancel()
	_, err := b.js.CreateStream(cctx, cfg)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another process made it meanwhile
		s, err := b.js.Stream(cctx, cfg.Name)
		if err != nil {
			return unavailable("stream info "+cfg.Name, err)
		}
		return b.finish(ctx, meetingID, s.CachedInfo())
	}
	if err != nil {
		return unavailable("create stream "+cfg.Name, err)
	}
	if base == nil {
		return nil
	}
	return b.seed(ctx, meetingID, cfg, base)
}

// finish completes the creation of a stream found taking only its base
// subject: its creator died before the base message was in, or is at it.
// Either may finish it; the base message goes in once (expected empty subject).
func (b *Broker) finish(ctx context.Context, meetingID string, info *jetstream.StreamInfo) error {
	if !opening(info, b.subjectOf(meetingID, baseSubject)) {
		return nil
	}
	if b.cfg.Restore == nil {
		return unavailable("stream "+info.Config.Name, errors.New("being restored, and this process has no journal to finish it"))
	}
	rctx, cancel := context.WithTimeout(ctx, restoreTimeout)
	evs, _, err := b.cfg.Restore(rctx, meetingID)
	cancel()
	if err != nil {
		return unavailable("restore "+meetingID+" from the journal", err)
	}
	return b.seed(ctx, meetingID, info.Config, evs)
}

// seed publishes the base message (unless one is there) and opens the stream
// to the meeting's subjects.
func (b *Broker) seed(ctx context.Context, meetingID string, cfg jetstream.StreamConfig, base []live.Event) error {
	ctx, cancel := b.withTimeout(ctx)
	defer cancel()
	data, err := json.Marshal(base)
	if err != nil {
		return err
	}
	_, err = b.js.Publish(ctx, b.subjectOf(meetingID, baseSubject), data,
		jetstream.WithExpectStream(cfg.Name), jetstream.WithExpectLastSequencePerSubject(0))
	if err != nil && !wrongLast(err) {
		return unavailable("restore "+cfg.Name, err)
	}
	cfg.Subjects = []string{b.subjects(meetingID)}
	if _, err := b.js.UpdateStream(ctx, cfg); err != nil {
		return unavailable("open stream "+cfg.Name, err)
	}
	return nil
}

// wrongLast reports whether err is a refused per-subject expectation.
func wrongLast(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// forget drops the belief that the meeting's stream exists (it was deleted).
// What this process knew of its seqs is kept apart: the stream made again
// starts above it (see create), while reads of the new one are not held to
// it (see behind).
func (b *Broker) forget(meetingID string) {
	b.mu.Lock()
	delete(b.streams, b.streamName(meetingID))
	b.mu.Unlock()
	if v, ok := b.floors.LoadAndDelete(meetingID); ok {
		f := v.(*atomic.Uint64).Load()
		if old, ok := b.lost.Load(meetingID); !ok || old.(uint64) < f {
			b.lost.Store(meetingID, f)
		}
	}
}

// reserveBlock is how far ahead of the seqs it hands out a process reserves
// them in the store (Config.Reserve), and reserveEarly how near the end of a
// reservation an append takes the next: one store write per reserveBlock -
// reserveEarly events of a meeting, at most, per process.
const (
	reserveBlock = 256
	reserveEarly = 128
)

// reservation is what this process reserved of a meeting's seqs.
type reservation struct {
	through atomic.Uint64 // seqs up to this one are reserved in the store
	busy    atomic.Bool   // a reservation is being written
}

// reserveAhead keeps the meeting's high-water mark in the store ahead of the
// seqs handed out, seq being the newest: a stream deleted behind phonghop's
// back (an operator's mistake, NATS restored from an older backup) is made
// again from the journal above every seq a tablet may hold, page turns
// included, which the journal does not have. The write runs beside the
// append, which never waits for it (its event has landed whatever the store
// says, and page turns must not slow down with the store): a stream lost
// while the write is under way, more than reserveEarly events after the last
// one, could reuse seqs. A failure is logged and taken up by the next append.
func (b *Broker) reserveAhead(meetingID string, seq uint64) {
	if b.cfg.Reserve == nil {
		return
	}
	v, _ := b.reserved.Load(meetingID)
	if v == nil {
		v, _ = b.reserved.LoadOrStore(meetingID, new(reservation))
	}
	r := v.(*reservation)
	if seq+reserveEarly <= r.through.Load() || !r.busy.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer r.busy.Store(false)
		ctx, cancel := b.withTimeout(context.Background())
		defer cancel()
		through := seq + reserveBlock
		if err := b.cfg.Reserve(ctx, meetingID, through); err != nil {
			b.log.Warn("natsbroker: seqs not reserved in the store", "meeting", meetingID, "through", through, "err", err)
			return
		}
		for cur := r.through.Load(); cur < through && !r.through.CompareAndSwap(cur, through); cur = r.through.Load() {
		}
	}()
}

// forgetIfGone makes the next call create the meeting's stream again when err
// says nothing serves it and the stream is indeed gone (retired, or deleted
// behind this process's back). Nothing serves a stream either while its
// replicas elect a leader: then it is kept, as creating it would wait for the
// cluster's meta leader, which may be electing too.
func (b *Broker) forgetIfGone(ctx context.Context, meetingID string, err error) bool {
	if !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, jetstream.ErrNoStreamResponse) &&
		!errors.Is(err, jetstream.ErrStreamNotFound) || !b.nc.IsConnected() {
		return false
	}
	if _, err := b.lookup(ctx, b.streamName(meetingID)); errors.Is(err, jetstream.ErrStreamNotFound) {
		b.forget(meetingID)
		return true
	}
	return false
}

type recovery int

const (
	giveUp   recovery = iota // the failure stands
	retryNow                 // the stream is usable again: publish again
	reread                   // the stream was created again with restored state: read it again first
)

// recover looks at the meeting's stream after a publish failed with err: gone
// (retired) is created again at the next attempt; sealed (being retired) is
// waited for until it is gone; still opening (its creator is putting in the
// restored state) is finished here.
func (b *Broker) recover(ctx context.Context, meetingID string, err error) recovery {
	if !b.nc.IsConnected() {
		return giveUp
	}
	var apiErr *jetstream.APIError
	if !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, jetstream.ErrNoStreamResponse) && !errors.As(err, &apiErr) {
		return giveUp
	}
	name := b.streamName(meetingID)
	deadline := time.Now().Add(b.cfg.Timeout)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		s, err := b.lookup(ctx, name)
		switch {
		case errors.Is(err, jetstream.ErrStreamNotFound):
			b.forget(meetingID)
			return retryNow
		case err != nil:
			return giveUp
		}
		info := s.CachedInfo()
		if opening(info, b.subjectOf(meetingID, baseSubject)) {
			if b.finish(ctx, meetingID, info) != nil {
				return giveUp
			}
			return reread
		}
		if !info.Config.Sealed || time.Now().After(deadline) {
			return giveUp
		}
		if !b.sleep(ctx, wait) {
			return giveUp
		}
	}
}

// opening reports whether the stream takes only its base subject: created
// again, its restored state not yet in.
func opening(info *jetstream.StreamInfo, base string) bool {
	return len(info.Config.Subjects) == 1 && info.Config.Subjects[0] == base
}

// Append implements live.Broker.
func (b *Broker) Append(ctx context.Context, meetingID string, ev live.Event, expectSubjectSeq int64) (uint64, error) {
	if err := b.ready("append"); err != nil {
		return 0, err
	}
	if !validSubject(ev.Subject) || strings.HasPrefix(ev.Subject, "_") {
		return 0, phonghop.Fail(phonghop.EInvalid, "event_subject_invalid")
	}
	ev.Seq = 0 // the stream assigns it; readers take it from the metadata
	data, err := json.Marshal(ev)
	if err != nil {
		return 0, err
	}
	expect, fromBase := expectSubjectSeq, false
	for recovered := 0; ; {
		stream, err := b.ensure(ctx, meetingID)
		if err != nil {
			return 0, err
		}
		opts := []jetstream.PublishOpt{jetstream.WithExpectStream(stream)}
		if expect >= 0 {
			opts = append(opts, jetstream.WithExpectLastSequencePerSubject(uint64(expect)))
		}
		pctx, cancel := b.withTimeout(ctx)
		ack, err := b.js.Publish(pctx, b.subjectOf(meetingID, ev.Subject), data, opts...)
		cancel()
		if err == nil {
			b.raise(meetingID, ack.Sequence)
			b.reserveAhead(meetingID, ack.Sequence)
			return ack.Sequence, nil
		}
		if wrongLast(err) {
			// The event the caller saw may be in the base message of a stream
			// created again (its seq is from before): then the subject has no
			// message of its own yet.
			if expect > 0 && !fromBase {
				ok, err := b.inBase(ctx, meetingID, stream, ev.Subject, uint64(expect))
				if err != nil {
					return 0, err
				}
				if ok {
					expect, fromBase = 0, true
					continue
				}
			}
			return 0, live.ErrConflict
		}
		if recovered < 3 {
			switch b.recover(ctx, meetingID, err) {
			case retryNow:
				recovered++
				continue
			case reread:
				if expectSubjectSeq >= 0 {
					// The caller's view may lack the restored state: it reads again.
					return 0, live.ErrConflict
				}
				recovered++
				continue
			}
		}
		if maybeStored(err) {
			// Sent, answer lost: the stream may hold it (the hub looks).
			err = fmt.Errorf("%w: %w", live.ErrUnanswered, err)
		}
		if ctx.Err() != nil {
			return 0, fmt.Errorf("%w: %w", ctx.Err(), err)
		}
		return 0, unavailable("append", err)
	}
}

// maybeStored reports whether a publish that failed with err may have been
// stored: any failure but the server's refusal (an API error) or no stream
// taking the subject, or a publish never sent (no connection).
func maybeStored(err error) bool {
	var apiErr *jetstream.APIError
	return !errors.As(err, &apiErr) && !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, jetstream.ErrNoStreamResponse) &&
		!errors.Is(err, nats.ErrReconnectBufExceeded)
}

// decode turns a stored message into its event, with the seq of the stream.
func decode(data []byte, seq uint64) (live.Event, error) {
	var ev live.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return ev, fmt.Errorf("natsbroker: event %d: %w", seq, err)
	}
	ev.Seq = seq
	return ev, nil
}

// directRequest is the JetStream direct get request (JSApiMsgGetRequest).
type directRequest struct {
	Seq       uint64   `json:"seq,omitempty"`
	Batch     int      `json:"batch,omitempty"`
	MultiLast []string `json:"multi_last,omitempty"`
}

// directGet sends a batched direct get and collects the messages up to the
// end-of-batch marker. found=false when the server has no matching message.
// A stream just created on a cluster answers direct gets only once its
// replicas' subscriptions have spread over the routes, so "no responders" is
// retried for a moment.
func (b *Broker) directGet(ctx context.Context, stream string, req directRequest) (msgs []*nats.Msg, eob *nats.Msg, found bool, err error) {
	data, _ := json.Marshal(req)
	ctx, cancel := b.withTimeout(ctx)
	defer cancel()
	// Retry for half the timeout, so that what is reported is "no responders"
	// (which tells a deleted stream) rather than the timeout.
	giveUp := time.Now().Add(b.cfg.Timeout / 2)
	for attempt := 1; ; attempt++ {
		msgs, eob, found, err = b.directGetOnce(ctx, stream, data)
		if !errors.Is(err, nats.ErrNoResponders) || time.Now().After(giveUp) {
			return msgs, eob, found, err
		}
		if !b.sleep(ctx, min(time.Duration(attempt)*10*time.Millisecond, 100*time.Millisecond)) {
			return msgs, eob, found, err
		}
	}
}

func (b *Broker) directGetOnce(ctx context.Context, stream string, data []byte) (msgs []*nats.Msg, eob *nats.Msg, found bool, err error) {
	inbox := nats.NewInbox()
	sub, err := b.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, nil, false, unavailable("direct get", err)
	}
	defer sub.Unsubscribe()
	if err := b.nc.PublishRequest("$JS.API.DIRECT.GET."+stream, inbox, data); err != nil {
		return nil, nil, false, unavailable("direct get", err)
	}
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, nil, false, ctx.Err()
			}
			return nil, nil, false, unavailable("direct get", err)
		}
		if len(m.Data) == 0 && m.Header.Get("Status") == "503" {
			return nil, nil, false, unavailable("direct get", nats.ErrNoResponders)
		}
		switch st := m.Header.Get("Status"); st {
		case "":
			msgs = append(msgs, m)
		case "204": // end of batch
			return msgs, m, true, nil
		case "404":
			return nil, nil, false, nil
		default:
			return nil, nil, false, unavailable("direct get", fmt.Errorf("status %s %s", st, m.Header.Get("Description")))
		}
	}
}

func headerUint(m *nats.Msg, key string) (uint64, error) {
	v, err := strconv.ParseUint(m.Header.Get(key), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("natsbroker: header %s: %q", key, m.Header.Get(key))
	}
	return v, nil
}

// lastSeq asks the stream's leader for its last seq. A stream still opening
// (see create) is finished first, so that what is read after it holds the
// restored state.
func (b *Broker) lastSeq(ctx context.Context, meetingID, stream string) (uint64, error) {
	s, err := b.lookup(ctx, stream)
	if err != nil {
		return 0, unavailable("stream info", err)
	}
	info := s.CachedInfo()
	if opening(info, b.subjectOf(meetingID, baseSubject)) {
		if err := b.finish(ctx, meetingID, info); err != nil {
			return 0, err
		}
		if s, err = b.lookup(ctx, stream); err != nil {
			return 0, unavailable("stream info", err)
		}
		info = s.CachedInfo()
	}
	return info.State.LastSeq, nil
}

// raise records that the meeting's stream has reached seq.
func (b *Broker) raise(meetingID string, seq uint64) {
	v, _ := b.floors.Load(meetingID)
	if v == nil {
		v, _ = b.floors.LoadOrStore(meetingID, new(atomic.Uint64))
	}
	f := v.(*atomic.Uint64)
	for {
		cur := f.Load()
		if seq <= cur || f.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// floor is the highest seq this process knows the meeting's stream has: what
// it appended, what was last when it subscribed, what it was delivered.
func (b *Broker) floor(meetingID string) uint64 {
	if v, ok := b.floors.Load(meetingID); ok {
		return v.(*atomic.Uint64).Load()
	}
	return 0
}

// behind retries a read answered by a replica that has not caught up with
// what this process knows (direct gets of a replicated stream are served by
// followers too): a read behind the subscription's start would leave a hole
// between a snapshot and the events that follow it.
func (b *Broker) behind(ctx context.Context, meetingID, stream string, got uint64, attempt int) (retry bool, err error) {
	f := b.floor(meetingID)
	if got >= f {
		return false, nil
	}
	if attempt == 5 {
		// Unless the stream itself went back (deleted and created again), the
		// replica is behind: wait for it.
		last, err := b.lastSeq(ctx, meetingID, stream)
		if err != nil {
			return false, err
		}
		if last < f {
			if v, ok := b.floors.Load(meetingID); ok {
				v.(*atomic.Uint64).Store(last)
			}
			if got >= last {
				return false, nil
			}
		}
	}
	if attempt >= 50 {
		return false, unavailable("read", fmt.Errorf("replica behind: seq %d, expected at least %d", got, b.floor(meetingID)))
	}
	if !b.sleep(ctx, time.Duration(attempt+1)*time.Millisecond) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, unavailable("read", errClosed)
	}
	return true, nil
}

// Last implements live.Broker: the newest event of every subject and the
// stream's last seq, read from one consistent view of the stream.
type lastResult struct {
	evs  []live.Event
	last uint64
}

// Last is coalesced per meeting (see coalesced); the events returned are
// shared by the callers of a round and must not be changed.
func (b *Broker) Last(ctx context.Context, meetingID string) ([]live.Event, uint64, error) {
	if err := b.ready("last"); err != nil {
		return nil, 0, err
	}
	r, err := b.lasts.do(ctx, meetingID, struct{}{}, b.requestCtx, func(ctx context.Context, _ []struct{}) (lastResult, error) {
		evs, last, err := b.lastOnce(ctx, meetingID)
		return lastResult{evs, last}, err
	})
	return r.evs, r.last, err
}

// lastOnce waits for the stream's open as long as it runs (octx has no
// deadline, see requestCtx), then reads within Timeout.
func (b *Broker) lastOnce(octx context.Context, meetingID string) ([]live.Event, uint64, error) {
	b.reads.Add(1)
	stream, err := b.ensure(octx, meetingID)
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := b.withTimeout(octx)
	defer func() { cancel() }()
	for attempt, again := 0, true; ; attempt++ {
		evs, last, err := b.last(ctx, meetingID, stream)
		if err != nil {
			if b.forgetIfGone(ctx, meetingID, err) && again { // retired: made again from the journal
				again = false
				if stream, err = b.ensure(octx, meetingID); err == nil {
					cancel()
					ctx, cancel = b.withTimeout(octx)
					continue
				}
			}
			return nil, 0, err
		}
		if retry, err := b.behind(ctx, meetingID, stream, last, attempt); err != nil {
			return nil, 0, err
		} else if !retry {
			return evs, last, nil
		}
	}
}

func (b *Broker) last(ctx context.Context, meetingID, stream string) ([]live.Event, uint64, error) {
	msgs, eob, found, err := b.directGet(ctx, stream, directRequest{MultiLast: []string{b.subjects(meetingID)}})
	if err != nil {
		return nil, 0, err
	}
	if !found { // no event held: a new meeting, or every event aged out
		last, err := b.lastSeq(ctx, meetingID, stream)
		if err != nil || last == 0 {
			return nil, last, err
		}
		// A stream still opening when read was finished by lastSeq: read
		// again, for its restored state.
		if msgs, eob, found, err = b.directGet(ctx, stream, directRequest{MultiLast: []string{b.subjects(meetingID)}}); err != nil || !found {
			return nil, last, err
		}
	}
	last, err := headerUint(eob, "Nats-UpTo-Sequence")
	if err != nil {
		return nil, 0, err
	}
	out := make([]live.Event, 0, len(msgs))
	var base []live.Event
	for _, m := range msgs {
		seq, err := headerUint(m, "Nats-Sequence")
		if err != nil {
			return nil, 0, err
		}
		if m.Header.Get("Nats-Subject") == b.subjectOf(meetingID, baseSubject) {
			if err := json.Unmarshal(m.Data, &base); err != nil {
				return nil, 0, fmt.Errorf("natsbroker: base message %d: %w", seq, err)
			}
			continue
		}
		ev, err := decode(m.Data, seq)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, ev)
	}
	// The restored state stands for every subject with no event of its own
	// since the stream was created again.
	for _, ev := range base {
		if !slices.ContainsFunc(out, func(o live.Event) bool { return o.Subject == ev.Subject }) {
			out = append(out, ev)
		}
	}
	return out, last, nil
}

// inBase reports whether the stream's base message holds subject's event at
// seq (see create).
func (b *Broker) inBase(ctx context.Context, meetingID, stream, subject string, seq uint64) (bool, error) {
	msgs, _, found, err := b.directGet(ctx, stream, directRequest{MultiLast: []string{b.subjectOf(meetingID, baseSubject)}})
	if err != nil || !found || len(msgs) == 0 {
		return false, err
	}
	var base []live.Event
	if err := json.Unmarshal(msgs[0].Data, &base); err != nil {
		return false, fmt.Errorf("natsbroker: base message: %w", err)
	}
	return slices.ContainsFunc(base, func(ev live.Event) bool { return ev.Subject == subject && ev.Seq == seq }), nil
}

// sincePage is how many events one direct get returns.
const sincePage = 512

// Since implements live.Broker.
type sinceResult struct {
	evs      []live.Event
	complete bool
}

// Since is coalesced per meeting (see coalesced): a round reads from the
// smallest `after` of its callers, and each gets the part after its own. The
// events are shared by the callers of a round and must not be changed.
func (b *Broker) Since(ctx context.Context, meetingID string, after uint64) ([]live.Event, bool, error) {
	if err := b.ready("since"); err != nil {
		return nil, false, err
	}
	r, err := b.sinces.do(ctx, meetingID, after, b.requestCtx, func(ctx context.Context, afters []uint64) (sinceResult, error) {
		evs, complete, err := b.sinceOnce(ctx, meetingID, slices.Min(afters))
		return sinceResult{evs, complete}, err
	})
	if err != nil {
		return nil, false, err
	}
	i, _ := slices.BinarySearchFunc(r.evs, after+1, func(ev live.Event, seq uint64) int { return cmp.Compare(ev.Seq, seq) })
	return r.evs[i:], r.complete, nil
}

// sinceOnce waits for the stream's open as long as it runs (octx has no
// deadline, see requestCtx), then reads within Timeout.
func (b *Broker) sinceOnce(octx context.Context, meetingID string, after uint64) ([]live.Event, bool, error) {
	b.reads.Add(1)
	stream, err := b.ensure(octx, meetingID)
	if err != nil {
		return nil, false, err
	}
	ctx, cancel := b.withTimeout(octx)
	defer func() { cancel() }()
	for attempt, again := 0, true; ; attempt++ {
		evs, complete, err := b.since(ctx, meetingID, stream, after)
		if err != nil || !complete {
			if b.forgetIfGone(ctx, meetingID, err) && again { // retired: made again from the journal
				again = false
				if stream, err = b.ensure(octx, meetingID); err == nil {
					cancel()
					ctx, cancel = b.withTimeout(octx)
					continue
				}
			}
			return evs, complete, err
		}
		end := after
		if len(evs) > 0 {
			end = evs[len(evs)-1].Seq
		}
		if retry, err := b.behind(ctx, meetingID, stream, max(end, after), attempt); err != nil {
			return nil, false, err
		} else if !retry {
			return evs, true, nil
		}
	}
}

func (b *Broker) since(ctx context.Context, meetingID, stream string, after uint64) ([]live.Event, bool, error) {
	var out []live.Event
	next := after + 1
	for {
		msgs, eob, found, err := b.directGet(ctx, stream, directRequest{Seq: next, Batch: sincePage})
		if err != nil {
			return nil, false, err
		}
		if !found {
			if len(out) > 0 {
				return out, true, nil
			}
			// Nothing at or after next: fine unless the stream went further and
			// those events were discarded (aged out).
			last, err := b.lastSeq(ctx, meetingID, stream)
			if err != nil {
				return nil, false, err
			}
			return nil, last <= after, nil
		}
		for _, m := range msgs {
			seq, err := headerUint(m, "Nats-Sequence")
			if err != nil {
				return nil, false, err
			}
			if seq != next { // the stream no longer holds next: trimmed by its limits
				return nil, false, nil
			}
			next++
			if m.Header.Get("Nats-Subject") == b.subjectOf(meetingID, baseSubject) {
				continue // restored state, not an event (a since from before the stream gets a snapshot)
			}
			ev, err := decode(m.Data, seq)
			if err != nil {
				return nil, false, err
			}
			out = append(out, ev)
		}
		pending, err := headerUint(eob, "Nats-Num-Pending")
		if err != nil {
			return nil, false, err
		}
		if pending == 0 || len(msgs) == 0 {
			return out, true, nil
		}
	}
}

// Subscribe implements live.Broker with an ordered consumer starting after the
// stream's current last seq. fn runs on the consumer's goroutine, one event at a
// time; after cancel returns it is not called again.
func (b *Broker) Subscribe(ctx context.Context, meetingID string, fn func(live.Event)) (func(), error) {
	if err := b.ready("subscribe"); err != nil {
		return nil, err
	}
	stream, err := b.ensure(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	last, err := b.lastSeq(ctx, meetingID, stream)
	if err != nil && b.forgetIfGone(ctx, meetingID, err) { // retired: made again from the journal
		if stream, err = b.ensure(ctx, meetingID); err == nil {
			last, err = b.lastSeq(ctx, meetingID, stream)
		}
	}
	if err != nil {
		return nil, err
	}
	b.raise(meetingID, last)
	cons, err := b.orderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   last + 1,
		// A consumer left behind by a dead process goes away on its own.
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		return nil, unavailable("subscribe", err)
	}
	var mu sync.Mutex
	stopped := false
	base := b.subjectOf(meetingID, baseSubject)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			b.log.Error("natsbroker: message metadata", "meeting", meetingID, "err", err)
			return
		}
		b.raise(meetingID, md.Sequence.Stream)
		if m.Subject() == base {
			return // restored state, which the room read with Last
		}
		ev, err := decode(m.Data(), md.Sequence.Stream)
		if err != nil {
			b.log.Error("natsbroker: decode", "meeting", meetingID, "err", err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			fn(ev)
		}
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if !b.closed.Load() {
			b.log.Debug("natsbroker: consumer", "meeting", meetingID, "err", err)
		}
	}))
	if err != nil {
		return nil, unavailable("subscribe", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			mu.Lock()
			stopped = true
			mu.Unlock()
			cc.Stop()
			// The consumer goes now rather than after its inactive threshold:
			// a stream nobody reads can be retired (see Retire).
			if info := cons.CachedInfo(); info != nil && !b.closed.Load() {
				go func() {
					ctx, cancel := b.withTimeout(context.Background())
					defer cancel()
					_ = b.js.DeleteConsumer(ctx, stream, info.Name)
				}()
			}
		})
	}, nil
}

// orderedConsumer creates an ordered consumer of the stream. Its name is
// chosen here, once, so that a creation asked again after its answer was lost
// (see retry) updates the same consumer with the same configuration instead
// of making a second.
func (b *Broker) orderedConsumer(ctx context.Context, stream string, cfg jetstream.OrderedConsumerConfig) (jetstream.Consumer, error) {
	cfg.NamePrefix = "phonghop_" + strconv.FormatUint(rand.Uint64(), 36)
	var cons jetstream.Consumer
	err := b.retry(ctx, b.cfg.Timeout, func(bound time.Duration) error {
		ctx, cancel := context.WithTimeout(ctx, bound)
		defer cancel()
		var err error
		cons, err = b.js.OrderedConsumer(ctx, stream, cfg)
		return err
	})
	return cons, err
}

// Ping implements live.Broker: connected, and JetStream answers.
func (b *Broker) Ping(ctx context.Context) error {
	if err := b.ready("ping"); err != nil {
		return err
	}
	ctx, cancel := b.withTimeout(ctx)
	defer cancel()
	if _, err := b.js.AccountInfo(ctx); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Close drains the connection (pending deliveries finish, subscriptions end)
// and waits for it to close, at most Config.Timeout. Later calls fail.
func (b *Broker) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	if err := b.nc.Drain(); err != nil {
		b.nc.Close()
	}
	select {
	case <-b.closedCh:
	case <-time.After(b.cfg.Timeout):
		b.nc.Close()
	}
	return nil
}
