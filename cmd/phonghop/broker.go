package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/natsbroker"
	"github.com/phonghop/phonghop/server"
)

// newBroker picks the in-process broker, or NATS JetStream when
// PHONGHOP_NATS_URL is set (several processes then share every live room).
// The memory broker writes the journal before the room sees an event, keeps a
// high-water mark of seqs there, and restores each meeting's room and seq from
// it, so a restarted single process goes on above every seq it handed out.
// newBrokerFn is newBroker; tests put a fake in its place.
var newBrokerFn = newBroker

func newBroker(ctx context.Context, cfg config, jr *journal.Journal, log *slog.Logger) (live.Broker, error) {
	if cfg.NATSURL == "" {
		log.Info("broker", "kind", "memory")
		b := live.NewMemoryBroker(cfg.LiveBuffer)
		b.Restore = live.RestoreFromJournal(jr)
		b.Journal = jr
		return b, nil
	}
	// A meeting's stream created again after it was removed (see
	// retireStreams) comes back from the journal, above every seq handed out.
	b, err := natsbroker.New(ctx, natsbroker.Config{URL: cfg.NATSURL, Replicas: cfg.NATSReplicas, Logger: log.With("component", "nats"),
		Restore: live.RestoreFromJournal(jr), Reserve: jr.Reserve})
	if err != nil {
		return nil, err
	}
	log.Info("broker", "kind", "nats", "url", cfg.NATSURL)
	return b, nil
}

// controller is a broker that carries control messages between processes
// (*natsbroker.Broker).
type controller interface {
	PublishControl(ctx context.Context, kind, id string) error
	SubscribeControl(fn func(kind, id string)) (cancel func(), err error)
}

// authCache is what the control messages clear of the accounts' cache.
type authCache interface {
	Forget(sessionID string)
	ForgetUser(userID string)
}

// withControl returns the Live the server should use. With a broker shared by
// processes, a logout or a removal closes the sockets on every process: the
// returned Live publishes it, and every process (this one too) closes its own
// sockets when the message arrives. stop ends the subscription and any retries.
// With the memory broker it returns hub itself.
//
// auth drops a logged-out session, or every session of an account whose
// sessions ended (password changed or reset, disabled), from this process's
// authentication cache (*accounts.Service), so a change made elsewhere takes
// effect here at once.
func withControl(hub *live.Hub, b live.Broker, log *slog.Logger, auth authCache) (l server.Live, stop func(), err error) {
	ctl, ok := b.(controller)
	if !ok {
		return hub, func() {}, nil
	}
	cancel, err := ctl.SubscribeControl(func(kind, id string) {
		switch kind {
		case natsbroker.ControlSession:
			auth.Forget(id)
			hub.CloseSession(id)
		case natsbroker.ControlUser:
			if mid, uid, ok := natsbroker.SplitUserControlID(id); ok {
				hub.CloseUser(mid, uid)
			}
		case natsbroker.ControlAccount:
			if uid, epoch, ok := natsbroker.SplitAccountControlID(id); ok {
				auth.ForgetUser(uid)
				hub.CloseAccount(uid, epoch)
			}
		}
	})
	if err != nil {
		return nil, nil, err
	}
	ctx, end := context.WithCancel(context.Background())
	c := clusterLive{Hub: hub, ctl: ctl, log: log, ctx: ctx, retryEvery: 2 * time.Second, retryFor: time.Hour}
	return c, func() { end(); cancel() }, nil
}

// clusterLive is the hub with CloseSession, CloseUser and CloseAccount sent to
// every process.
type clusterLive struct {
	*live.Hub
	ctl                  controller
	log                  *slog.Logger
	ctx                  context.Context // ends retries at shutdown
	retryEvery, retryFor time.Duration
}

// send publishes a control message. When NATS cannot take it, this process
// closes its own sockets at once and the message is retried in the background
// (the control stream then carries it to every process, also those that were
// cut off meanwhile), for retryFor at most.
func (c clusterLive) send(kind, id string, closeHere func()) {
	try := func() bool {
		ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
		defer cancel()
		return c.ctl.PublishControl(ctx, kind, id) == nil
	}
	if try() {
		return
	}
	c.log.Warn("live: control message not sent; closing this process's sockets and retrying", "kind", kind)
	closeHere()
	go func() {
		wait, deadline := c.retryEvery, time.Now().Add(c.retryFor)
		for time.Now().Before(deadline) {
			select {
			case <-c.ctx.Done():
				return
			case <-time.After(wait):
			}
			if try() {
				c.log.Info("live: control message sent after a retry", "kind", kind)
				return
			}
			wait = min(2*wait, 30*time.Second)
		}
		c.log.Error("live: control message given up", "kind", kind)
	}()
}

func (c clusterLive) CloseSession(sessionID string) {
	c.send(natsbroker.ControlSession, sessionID, func() { c.Hub.CloseSession(sessionID) })
}

func (c clusterLive) CloseUser(meetingID, userID string) {
	c.send(natsbroker.ControlUser, natsbroker.UserControlID(meetingID, userID), func() { c.Hub.CloseUser(meetingID, userID) })
}

func (c clusterLive) CloseAccount(userID string, epoch int) {
	c.send(natsbroker.ControlAccount, natsbroker.AccountControlID(userID, epoch), func() { c.Hub.CloseAccount(userID, epoch) })
}

// retireStreams removes, every few minutes, the NATS streams of meetings that
// ended (live.Ended: closed by the chair, called off, or their day past) and
// were idle for cfg.NATSRemoveIdle; the journal keeps their record and the
// room comes back from it if anyone returns. Every process runs it; one at a
// time removes a given meeting. It returns when ctx ends; without NATS, or
// with removal off, at once.
func retireStreams(ctx context.Context, cfg config, b live.Broker, mtg live.MeetingSource) {
	nb, ok := b.(*natsbroker.Broker)
	if !ok || cfg.NATSRemoveIdle <= 0 {
		return
	}
	every := min(cfg.NATSRemoveIdle/4, 10*time.Minute)
	nb.RunRetire(ctx, every, cfg.NATSRemoveIdle, func(ctx context.Context, meetingID string, room []live.Event) (bool, error) {
		m, err := mtg.Meeting(ctx, meetingID)
		if phonghop.ErrorCode(err) == phonghop.ENotFound {
			return true, nil // deleted
		}
		if err != nil {
			return false, err
		}
		return live.Ended(m, room, time.Now()), nil
	})
}
