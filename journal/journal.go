// Package journal keeps each meeting's history (items taken up, speakers given the
// floor, check-ins, polls opened and closed) as append-only objects in the store,
// so the minutes can be assembled after a restart. Every entry is a live event:
// its key is the event's seq, written create-only, so each seq is recorded once
// however many processes try.
package journal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/phonghop/phonghop/storage"
)

// Entry is one recorded event.
type Entry struct {
	Seq  uint64          `json:"seq"`
	Type string          `json:"type"` // live event type: presentation, attendance, speakers, poll
	Time time.Time       `json:"time"`
	By   string          `json:"by,omitempty"` // userId who caused it, when known
	Data json.RawMessage `json:"data"`         // the event's payload object
}

// Journal reads and writes meeting journals in a store.
type Journal struct {
	Store storage.Store

	cache entryCache
}

func prefix(meetingID string) string { return "meetings/" + meetingID + "/journal/" }

// Key returns the object key of a journal entry; zero-padded so keys sort by seq.
func Key(meetingID string, seq uint64) string {
	return fmt.Sprintf("%s%020d.json", prefix(meetingID), seq)
}

// Append records e. Recording the same seq twice keeps the first.
func (j *Journal) Append(ctx context.Context, meetingID string, e Entry) error {
	_, err := storage.PutJSON(ctx, j.Store, Key(meetingID, e.Seq), e, storage.PutOptions{IfAbsent: true})
	if errors.Is(err, storage.ErrPrecondition) {
		return nil
	}
	return err
}

// Write records e at its seq, replacing any entry there. It is for the one
// writer that owns a meeting's seqs (the in-process broker, which writes an
// entry before anyone sees the event): an entry already there can only be
// left by one of its writes that reported failure.
func (j *Journal) Write(ctx context.Context, meetingID string, e Entry) error {
	_, err := storage.PutJSON(ctx, j.Store, Key(meetingID, e.Seq), e, storage.PutOptions{})
	return err
}

// Remove deletes the entry at seq, if any.
func (j *Journal) Remove(ctx context.Context, meetingID string, seq uint64) error {
	return j.Store.Delete(ctx, Key(meetingID, seq))
}

// seqMark is the meeting's high-water mark of seqs: every seq the in-process
// broker hands out is at or below it, so after a restart the sequence goes on
// above every seq a tablet may hold, journaled or not (page turns are not).
type seqMark struct {
	Through uint64 `json:"through"`
}

func seqMarkKey(meetingID string) string { return prefix(meetingID) + "seqmark.json" }

// Reserve raises the meeting's high-water mark to through (it never goes down).
func (j *Journal) Reserve(ctx context.Context, meetingID string, through uint64) error {
	_, err := storage.UpdateJSON(ctx, j.Store, seqMarkKey(meetingID), true, func(m *seqMark) error {
		if m.Through >= through {
			return storage.ErrStop
		}
		m.Through = through
		return nil
	})
	return err
}

// Reserved returns the meeting's high-water mark (0: none yet).
func (j *Journal) Reserved(ctx context.Context, meetingID string) (uint64, error) {
	var m seqMark
	_, err := storage.GetJSON(ctx, j.Store, seqMarkKey(meetingID), &m)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, nil
	}
	return m.Through, err
}

// Entries returns the meeting's journal in seq order. One listing finds the
// entries; those not read before (by key and ETag: an entry that was replaced
// is read again) are read a few at a time, and kept, so a meeting's journal
// costs one listing per call once it has been read.
func (j *Journal) Entries(ctx context.Context, meetingID string) ([]Entry, error) {
	infos, err := j.Store.List(ctx, prefix(meetingID))
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(infos))
	var missing []storage.Info
	for _, in := range infos {
		name := strings.TrimSuffix(strings.TrimPrefix(in.Key, prefix(meetingID)), ".json")
		if _, err := strconv.ParseUint(name, 10, 64); err != nil {
			continue
		}
		if e, ok := j.cache.get(in.Key, in.ETag); ok {
			out = append(out, e)
		} else {
			missing = append(missing, in)
		}
	}
	read := make([]*Entry, len(missing))
	errs := make([]error, len(missing))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, in := range missing {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var e Entry
			etag, err := storage.GetJSON(ctx, j.Store, in.Key, &e)
			switch {
			case errors.Is(err, storage.ErrNotFound): // removed since the listing
			case err != nil:
				errs[i] = err
			default:
				j.cache.put(in.Key, etag, e)
				read[i] = &e
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, e := range read {
		if e != nil {
			out = append(out, *e)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Seq < out[b].Seq })
	return out, nil
}

// entryCache keeps entries read, by key and ETag. Entries are written once
// (only a write that reported failure is ever replaced, and then its ETag
// changes), so a cached one is the stored one while its ETag is listed.
type entryCache struct {
	mu      sync.Mutex
	entries map[string]cachedEntry
}

type cachedEntry struct {
	etag string
	e    Entry
}

// maxCached bounds the cache (about 1 KiB an entry); past it, it starts afresh.
const maxCached = 200_000

func (c *entryCache) get(key, etag string) (Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ce, ok := c.entries[key]
	return ce.e, ok && ce.etag == etag && etag != ""
}

func (c *entryCache) put(key, etag string, e Entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCached {
		c.entries = make(map[string]cachedEntry)
	}
	c.entries[key] = cachedEntry{etag, e}
}
