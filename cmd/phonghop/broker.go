package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/natsbroker"
	"github.com/phonghop/phonghop/server"
)

// newBroker picks the in-process broker, or NATS JetStream when
// PHONGHOP_NATS_URL is set (several processes then share every live room).
// The memory broker restores each meeting's room and seq from the journal, so a
// restarted single process goes on where it stopped.
func newBroker(ctx context.Context, cfg config, jr *journal.Journal, log *slog.Logger) (live.Broker, error) {
	if cfg.NATSURL == "" {
		log.Info("broker", "kind", "memory")
		b := live.NewMemoryBroker(cfg.LiveBuffer)
		b.Restore = live.RestoreFromJournal(jr)
		return b, nil
	}
	b, err := natsbroker.New(ctx, natsbroker.Config{URL: cfg.NATSURL, Replicas: cfg.NATSReplicas, Logger: log.With("component", "nats")})
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

// withControl returns the Live the server should use. With a broker shared by
// processes, a logout or a removal closes the sockets on every process: the
// returned Live publishes it, and every process (this one too) closes its own
// sockets when the message arrives. stop ends the subscription. With the memory
// broker it returns hub itself.
func withControl(hub *live.Hub, b live.Broker, log *slog.Logger) (l server.Live, stop func(), err error) {
	ctl, ok := b.(controller)
	if !ok {
		return hub, func() {}, nil
	}
	stop, err = ctl.SubscribeControl(func(kind, id string) {
		switch kind {
		case natsbroker.ControlSession:
			hub.CloseSession(id)
		case natsbroker.ControlUser:
			if mid, uid, ok := natsbroker.SplitUserControlID(id); ok {
				hub.CloseUser(mid, uid)
			}
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return clusterLive{Hub: hub, ctl: ctl, log: log}, stop, nil
}

// clusterLive is the hub with CloseSession and CloseUser sent to every process.
type clusterLive struct {
	*live.Hub
	ctl controller
	log *slog.Logger
}

func (c clusterLive) publish(kind, id string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ctl.PublishControl(ctx, kind, id); err != nil {
		// NATS is down: at least this process closes its sockets; the others'
		// sockets are refused on their next request or reconnect.
		c.log.Warn("live: control message not sent", "kind", kind, "err", err)
		return false
	}
	return true
}

func (c clusterLive) CloseSession(sessionID string) {
	if !c.publish(natsbroker.ControlSession, sessionID) {
		c.Hub.CloseSession(sessionID)
	}
}

func (c clusterLive) CloseUser(meetingID, userID string) {
	if !c.publish(natsbroker.ControlUser, natsbroker.UserControlID(meetingID, userID)) {
		c.Hub.CloseUser(meetingID, userID)
	}
}
