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

// Entries returns the meeting's journal in seq order.
func (j *Journal) Entries(ctx context.Context, meetingID string) ([]Entry, error) {
	infos, err := j.Store.List(ctx, prefix(meetingID))
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(infos))
	for _, in := range infos {
		name := strings.TrimSuffix(strings.TrimPrefix(in.Key, prefix(meetingID)), ".json")
		if _, err := strconv.ParseUint(name, 10, 64); err != nil {
			continue
		}
		var e Entry
		if _, err := storage.GetJSON(ctx, j.Store, in.Key, &e); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			return nil, err
		}
		out = append(out, e)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Seq < out[b].Seq })
	return out, nil
}
