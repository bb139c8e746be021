package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/phonghop/phonghop/storage"
)

// Filter picks entries for the admin's screen and exports. Zero fields match
// everything.
type Filter struct {
	// Who matches the actor's user id exactly, or a part of the username
	// (any case).
	Who string
	// Action matches the action or a group of them: "document" matches
	// "document.opened" and "document.deleted", "signin" the failed ones too.
	Action string
	// From and To bound the entry's time (From included, To excluded).
	From, To time.Time
}

// Match reports whether e passes the filter.
func (f Filter) Match(e Entry) bool {
	if f.Who != "" && e.Actor != f.Who && !strings.Contains(strings.ToLower(e.Username), strings.ToLower(f.Who)) {
		return false
	}
	if f.Action != "" && e.Action != f.Action && !strings.HasPrefix(e.Action, f.Action+".") {
		return false
	}
	if !f.From.IsZero() && e.Time.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !e.Time.Before(f.To) {
		return false
	}
	return true
}

// Page is one page of a log's entries, newest first.
type Page struct {
	Log string `json:"log"`
	// Entries in the log (matching or not) and those matching the filter.
	Entries uint64  `json:"entries"`
	Matched int     `json:"matched"`
	Items   []Entry `json:"items"`
	// Before, when not zero, asks for the next page (older entries).
	Before uint64 `json:"before,omitempty"`
}

// CheckLog reports ErrInvalidLog for a name that is not "accounts" or
// "meetings/{id}".
func CheckLog(log string) error { return checkLog(log) }

// entryCache keeps the entries read back from the store, per log. Entries are
// written create-only and never change, so what was read once is kept and
// only the entries added since are read (one listing, then a GET per new
// object). Reading is for display: Verify reads the store itself.
type entryCache struct {
	mu   sync.Mutex
	logs map[string][]Entry
	n    int
}

// maxCached bounds the entries kept in memory over every log; past it the
// cache starts again empty.
const maxCached = 200_000

// Entries returns every entry of the log, oldest first. An entry that cannot
// be decoded stops the reading there (Verify says why).
func (s *Service) Entries(ctx context.Context, log string) ([]Entry, error) {
	if err := checkLog(log); err != nil {
		return nil, err
	}
	infos, err := s.Store.List(ctx, entriesPrefix(log))
	if err != nil {
		return nil, err
	}
	c := &s.cache
	c.mu.Lock()
	have := c.logs[log]
	c.mu.Unlock()
	// Only a contiguous run from 1 is kept: entries past a gap are read but
	// not cached (the gap may still be filled by a concurrent writer). An
	// object whose first entry is cached is cached whole (objects never
	// overlap).
	var fresh []storage.Info
	for _, in := range infos {
		seq, ok := seqOf(in.Key, entriesPrefix(log))
		if ok && seq > uint64(len(have)) {
			fresh = append(fresh, in)
		}
	}
	raws, err := readAll(ctx, s.Store, fresh)
	if err != nil {
		return nil, err
	}
	out := have[:len(have):len(have)]
	contiguous := true
	for i, data := range raws {
		for _, line := range entryLines(data) {
			var e Entry
			if err := json.Unmarshal(line, &e); err != nil {
				return out, fmt.Errorf("audit: %s: %w", fresh[i].Key, err)
			}
			if e.Seq != uint64(len(out))+1 {
				contiguous = false
			}
			out = append(out, e)
			if contiguous {
				have = out
			}
		}
	}
	c.mu.Lock()
	if c.logs == nil || c.n+len(have) > maxCached {
		c.logs, c.n = map[string][]Entry{}, 0
	}
	if len(have) > len(c.logs[log]) {
		c.n += len(have) - len(c.logs[log])
		c.logs[log] = have
	}
	c.mu.Unlock()
	return out, nil
}

// Search returns the log's entries matching f, newest first: at most limit
// of them, older than position before (0: from the newest).
func (s *Service) Search(ctx context.Context, log string, f Filter, before uint64, limit int) (Page, error) {
	all, err := s.Entries(ctx, log)
	if err != nil {
		return Page{Log: log}, err
	}
	p := Page{Log: log, Items: []Entry{}}
	if n := len(all); n > 0 {
		p.Entries = all[n-1].Seq
	}
	for i := len(all) - 1; i >= 0; i-- {
		e := all[i]
		if !f.Match(e) {
			continue
		}
		p.Matched++
		if before != 0 && e.Seq >= before {
			continue
		}
		if len(p.Items) < limit {
			p.Items = append(p.Items, e)
		} else if p.Before == 0 {
			p.Before = p.Items[len(p.Items)-1].Seq
		}
	}
	return p, nil
}

// VerifyLog checks one log against this Service's key (see Verify).
func (s *Service) VerifyLog(ctx context.Context, log string) (Report, error) {
	if err := checkLog(log); err != nil {
		return Report{Log: log}, err
	}
	var pub ed25519.PublicKey
	if s.Key != nil {
		pub = s.Key.Public().(ed25519.PublicKey)
	}
	rs, err := Verify(ctx, s.Store, pub, log)
	if err != nil || len(rs) == 0 {
		return Report{Log: log}, err
	}
	return rs[0], nil
}
