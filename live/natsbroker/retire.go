package natsbroker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/phonghop/phonghop/live"
)

// Retiring meetings' streams. Every stream costs the NATS servers memory
// whether used or not (about 63 KB for a single-replica one, a Raft group of
// its own on a replicated cluster), and a province holds tens of thousands of
// meetings a year. A meeting that has ended keeps its record in the journal in
// the store; its stream is removed once nothing has used it for a while, and
// created again, from the journal, if anyone comes back:
//
//   - Retire seals the stream (no publish lands any more), records its last
//     seq as the meeting's high-water mark in the store (Config.Reserve), and
//     deletes it. An append that meets the sealed stream waits until it is
//     gone and goes to the new one.
//   - The next use creates the stream again (create): it starts at the
//     restored seq + 2, above every seq the removed stream handed out, so a
//     tablet's since from before gets a snapshot and never a replay with a
//     hole; its first message, on the base subject, holds the newest
//     journaled event of every subject (as the in-process broker restores a
//     meeting). The base's events keep their seqs, so a change built on what
//     a process read before the removal is checked against them.
//   - One process retires a meeting at a time: it holds the meeting's key in
//     a key-value bucket (Config.Replicas, keys expire after lockTTL) while
//     it does; the others pass over it.

// baseSubject is the subject, under the meeting's, of the restored state.
// Events never use it (Append refuses subjects starting with "_").
const baseSubject = "_base"

// restoreTimeout bounds one read of the journal to restore a meeting.
const restoreTimeout = time.Minute

// lockTTL is how long a retiring process holds a meeting's key at most (it
// gives it back when done); a process that dies holding it frees it so.
const lockTTL = 2 * time.Minute

// lockBucket is the key-value bucket of the keys held while retiring.
const lockBucket = "PHONGHOP_RETIRE"

// Ended decides whether a meeting is over, given its room's newest events.
type Ended func(ctx context.Context, meetingID string, room []live.Event) (bool, error)

// Retired reports why a meeting's stream was kept or removed.
type Retired int

const (
	KeptInUse Retired = iota // a consumer reads it (a process has the room open), or it was written within idle
	KeptOpen                 // Ended said no
	KeptBusy                 // another process is retiring it
	Removed                  // the stream was removed
	NoStream                 // there was none
)

func (r Retired) String() string {
	return [...]string{"in use", "not ended", "busy", "removed", "no stream"}[r]
}

// Retire removes the meeting's stream if no process reads it (no consumer),
// nothing was written to it for idle, and ended says the meeting is over. It
// needs Config.Restore and Config.Reserve.
func (b *Broker) Retire(ctx context.Context, meetingID string, idle time.Duration, ended Ended) (Retired, error) {
	if b.cfg.Restore == nil || b.cfg.Reserve == nil {
		return 0, errors.New("natsbroker: Retire needs Config.Restore and Config.Reserve")
	}
	if err := b.ready("retire"); err != nil {
		return 0, err
	}
	if !validID(meetingID) {
		return 0, fmt.Errorf("natsbroker: meeting id %q", meetingID)
	}
	name := b.streamName(meetingID)
	info, err := b.streamInfo(ctx, name)
	if info == nil || err != nil {
		return NoStream, err
	}
	if !info.Config.Sealed && !idleFor(info, idle) {
		return KeptInUse, nil
	}
	kv, err := b.locks(ctx)
	if err != nil {
		return 0, err
	}
	key := "m." + meetingID
	lctx, cancel := b.withTimeout(ctx)
	_, err = kv.Create(lctx, key, []byte(holder()))
	cancel()
	if errors.Is(err, jetstream.ErrKeyExists) {
		return KeptBusy, nil
	}
	if err != nil {
		return 0, unavailable("retire lock", err)
	}
	defer func() {
		dctx, cancel := b.withTimeout(context.WithoutCancel(ctx))
		defer cancel()
		_ = kv.Delete(dctx, key)
	}()
	// Held now: look again, the stream may have been retired and made again
	// while this process waited.
	if info, err = b.streamInfo(ctx, name); info == nil || err != nil {
		return NoStream, err
	}
	if !info.Config.Sealed { // sealed: a retirement cut short, finished here
		if !idleFor(info, idle) || opening(info, b.subjectOf(meetingID, baseSubject)) {
			return KeptInUse, nil
		}
		evs, _, err := b.Last(ctx, meetingID)
		if err != nil {
			return 0, err
		}
		if ok, err := ended(ctx, meetingID, evs); err != nil || !ok {
			return KeptOpen, err
		}
		cfg := info.Config
		cfg.Sealed = true
		uctx, cancel := b.withTimeout(ctx)
		_, err = b.js.UpdateStream(uctx, cfg)
		cancel()
		if err != nil {
			return 0, unavailable("seal "+name, err)
		}
		if info, err = b.streamInfo(ctx, name); info == nil || err != nil {
			return NoStream, err
		}
	}
	// Sealed: its last seq is final. Every seq up to it is recorded as handed
	// out before the stream goes, so the next one starts above.
	if err := b.cfg.Reserve(ctx, meetingID, info.State.LastSeq); err != nil {
		return 0, fmt.Errorf("natsbroker: retire %s: recording seq %d: %w", meetingID, info.State.LastSeq, err)
	}
	dctx, cancel := b.withTimeout(ctx)
	err = b.js.DeleteStream(dctx, name)
	cancel()
	if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, unavailable("delete "+name, err)
	}
	b.forget(meetingID)
	// Other processes forget it too, so that their next read makes it again
	// at once instead of finding nothing there (which they would also get over).
	if err := b.PublishControl(ctx, controlRetired, meetingID); err != nil {
		b.log.Warn("natsbroker: telling the other processes a stream was removed", "meeting", meetingID, "err", err)
	}
	b.log.Info("natsbroker: meeting's stream removed", "meeting", meetingID, "lastSeq", info.State.LastSeq)
	return Removed, nil
}

// idleFor reports whether no consumer reads the stream and nothing was
// written to it (or it was made) within idle.
func idleFor(info *jetstream.StreamInfo, idle time.Duration) bool {
	last := info.Created
	if info.State.LastTime.After(last) {
		last = info.State.LastTime
	}
	return info.State.Consumers == 0 && time.Since(last) >= idle
}

// streamInfo returns the stream's info, nil when there is no such stream.
func (b *Broker) streamInfo(ctx context.Context, name string) (*jetstream.StreamInfo, error) {
	s, err := b.lookup(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable("stream info "+name, err)
	}
	return s.CachedInfo(), nil
}

// locks returns the bucket of retiring keys, creating it on first use.
func (b *Broker) locks(ctx context.Context) (jetstream.KeyValue, error) {
	b.mu.Lock()
	kv := b.lockKV
	b.mu.Unlock()
	if kv != nil {
		return kv, nil
	}
	ctx, cancel := b.withTimeout(ctx)
	defer cancel()
	kv, err := b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      lockBucket,
		Description: "phonghop: meetings whose stream a process is retiring",
		TTL:         lockTTL,
		Storage:     jetstream.FileStorage,
		Replicas:    b.cfg.Replicas,
	})
	if err != nil {
		return nil, unavailable("retire locks", err)
	}
	b.mu.Lock()
	b.lockKV = kv
	b.mu.Unlock()
	return kv, nil
}

func holder() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", h, os.Getpid())
}

// Sweep offers every meeting's stream to Retire and returns how many it
// removed. It goes on past a meeting that fails (the first error is returned).
func (b *Broker) Sweep(ctx context.Context, idle time.Duration, ended Ended) (removed int, err error) {
	if err := b.ready("sweep"); err != nil {
		return 0, err
	}
	lctx, cancel := context.WithTimeout(ctx, 10*b.cfg.Timeout)
	names := b.js.StreamNames(lctx, jetstream.WithStreamListSubject(b.cfg.SubjectPrefix+".>"))
	var ids []string
	for name := range names.Name() {
		if id, ok := strings.CutPrefix(name, b.cfg.StreamPrefix); ok && validID(id) {
			ids = append(ids, id)
		}
	}
	lerr := names.Err()
	cancel()
	if lerr != nil {
		return 0, unavailable("list streams", lerr)
	}
	var first error
	for _, id := range ids {
		if ctx.Err() != nil {
			return removed, ctx.Err()
		}
		r, err := b.Retire(ctx, id, idle, ended)
		if err != nil {
			b.log.Warn("natsbroker: retiring a meeting's stream", "meeting", id, "err", err)
			if first == nil {
				first = err
			}
			continue
		}
		if r == Removed {
			removed++
		}
	}
	return removed, first
}

// RunRetire sweeps every `every` (with some jitter, so that processes started
// together do not sweep together) until ctx ends.
func (b *Broker) RunRetire(ctx context.Context, every, idle time.Duration, ended Ended) {
	for {
		wait := every + time.Duration(time.Now().UnixNano()%int64(every/4+1))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		start := time.Now()
		n, err := b.Sweep(ctx, idle, ended)
		if n > 0 || err != nil {
			b.log.Info("natsbroker: swept meetings' streams", "removed", n, "took", time.Since(start).Round(time.Millisecond), "err", err)
		}
	}
}
