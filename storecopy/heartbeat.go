// Package storecopy moves everything phonghop keeps from one object store to
// another: Migrate copies store to store (a data directory to S3, or back),
// resumable and verified by hash; Backup writes a store into one archive and
// Restore writes an archive into a store. All three refuse a store a server is
// writing to, which servers make known by a heartbeat object (Beat).
package storecopy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/phonghop/phonghop/storage"
)

const (
	// heartbeatPrefix holds one object per running server. It is never copied:
	// a copy must not look busy, nor an original look idle.
	heartbeatPrefix = "servers/"
	// HeartbeatInterval is how often a server rewrites its heartbeat.
	HeartbeatInterval = 10 * time.Second
	// StaleAfter: a heartbeat older than this is a server that crashed (one
	// that stops cleanly deletes its own).
	StaleAfter = time.Minute
)

// Server is a running server as its heartbeat tells it.
type Server struct {
	ID      string    `json:"id"`
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	Seen    time.Time `json:"seen"`
}

func (s Server) String() string {
	return fmt.Sprintf("%s (pid %d, seen %s ago)", s.Host, s.PID, time.Since(s.Seen).Round(time.Second))
}

// Beat writes this process's heartbeat into s now and every interval until
// the returned stop is called, which deletes it. A store that does not answer
// is logged and tried again at the next beat.
func Beat(ctx context.Context, s storage.Store, interval time.Duration, log *slog.Logger) (stop func()) {
	var id [8]byte
	_, _ = rand.Read(id[:])
	host, _ := os.Hostname()
	me := Server{ID: hex.EncodeToString(id[:]), Host: host, PID: os.Getpid(), Started: time.Now().UTC()}
	key := heartbeatPrefix + me.ID + ".json"
	write := func() {
		me.Seen = time.Now().UTC()
		b, _ := json.Marshal(me)
		wctx, cancel := context.WithTimeout(ctx, interval)
		defer cancel()
		if _, err := s.Put(wctx, key, bytes.NewReader(b), int64(len(b)), storage.PutOptions{ContentType: "application/json"}); err != nil && ctx.Err() == nil {
			log.Warn("heartbeat not written", "err", err)
		}
	}
	write()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				write()
			}
		}
	}()
	return func() {
		cancel()
		<-done
		dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer dcancel()
		_ = s.Delete(dctx, key)
	}
}

// Running lists the servers whose heartbeat in s is fresher than StaleAfter.
func Running(ctx context.Context, s storage.Store) ([]Server, error) {
	infos, err := s.List(ctx, heartbeatPrefix)
	if err != nil {
		return nil, err
	}
	var out []Server
	for _, in := range infos {
		var srv Server
		if _, err := storage.GetJSON(ctx, s, in.Key, &srv); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				continue // stopped while we looked
			}
			return nil, err
		}
		// The later of the store's clock and the server's: either may lag.
		if in.ModTime.After(srv.Seen) {
			srv.Seen = in.ModTime
		}
		if time.Since(srv.Seen) < StaleAfter {
			out = append(out, srv)
		}
	}
	return out, nil
}

// idle fails when a server is using s.
func idle(ctx context.Context, s storage.Store, which string) error {
	running, err := Running(ctx, s)
	if err != nil {
		return fmt.Errorf("%s store: %w", which, err)
	}
	if len(running) > 0 {
		names := make([]string, len(running))
		for i, r := range running {
			names[i] = r.String()
		}
		return fmt.Errorf("%w: the %s store is in use by %s; stop every server first (a crashed server's heartbeat is ignored after %s)",
			ErrInUse, which, strings.Join(names, ", "), StaleAfter)
	}
	return nil
}
