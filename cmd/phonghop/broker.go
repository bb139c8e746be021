package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/phonghop/phonghop/live"
)

// newBroker picks the in-process broker, or NATS when PHONGHOP_NATS_URL is set.
func newBroker(ctx context.Context, cfg config, log *slog.Logger) (live.Broker, error) {
	if cfg.NATSURL == "" {
		log.Info("broker", "kind", "memory")
		return live.NewMemoryBroker(cfg.LiveBuffer), nil
	}
	return nil, errors.New("PHONGHOP_NATS_URL is set but this build has no NATS broker yet")
}
