package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/phonghop/phonghop/storage"
)

// Report is what Verify found in one log.
type Report struct {
	Log     string `json:"log"`
	Entries uint64 `json:"entries"`
	// Hash is the hash of the last entry: compare it with the published
	// "audit head" lines.
	Hash string `json:"hash"`
	// Signed is the position of the newest valid signed head (0: none).
	Signed uint64 `json:"signed"`
	// Problems lists every break found; empty means the log is whole as far
	// as its heads reach.
	Problems []string `json:"problems,omitempty"`
}

// OK reports whether the log has no problem.
func (r Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) fail(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Verify checks every audit log in the store: each entry sits at its own
// position (an object's first entry at the object's, the others after it), the positions run 1, 2, 3… without a gap, each entry's prev is
// the hash of the one before, and each head is signed by key and matches the
// entry at its position (a head past the last entry means the tail was
// dropped). key nil accepts the key the heads name (they then prove nothing
// against whoever can write the store). only, when not empty, limits the
// check to those logs.
func Verify(ctx context.Context, st storage.Store, key ed25519.PublicKey, only ...string) ([]Report, error) {
	infos, err := st.List(ctx, Prefix)
	if err != nil {
		return nil, err
	}
	type objects struct{ entries, heads []storage.Info }
	logs := map[string]*objects{}
	var stray []string
	for _, in := range infos {
		rest := strings.TrimPrefix(in.Key, Prefix)
		var log string
		var kind string
		if i := strings.LastIndex(rest, "/entries/"); i > 0 {
			log, kind = rest[:i], "entries"
		} else if i := strings.LastIndex(rest, "/heads/"); i > 0 {
			log, kind = rest[:i], "heads"
		}
		if log == "" || checkLog(log) != nil {
			stray = append(stray, in.Key)
			continue
		}
		if len(only) > 0 && !contains(only, log) {
			continue
		}
		o := logs[log]
		if o == nil {
			o = &objects{}
			logs[log] = o
		}
		if kind == "entries" {
			o.entries = append(o.entries, in)
		} else {
			o.heads = append(o.heads, in)
		}
	}
	for _, l := range only {
		if logs[l] == nil {
			logs[l] = &objects{}
		}
	}
	names := make([]string, 0, len(logs))
	for n := range logs {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Report
	for _, n := range names {
		r, err := verifyLog(ctx, st, key, n, logs[n].entries, logs[n].heads)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	if len(stray) > 0 {
		r := Report{Log: "(other)"}
		for _, k := range stray {
			r.fail("%s is not an entry or head of any log", k)
		}
		out = append(out, r)
	}
	return out, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func verifyLog(ctx context.Context, st storage.Store, key ed25519.PublicKey, log string, entries, heads []storage.Info) (Report, error) {
	r := Report{Log: log}
	raws, err := readAll(ctx, st, entries)
	if err != nil {
		return r, err
	}
	hashes := map[uint64]string{}
	prev := ""
	var want uint64 = 1
	for i, in := range entries {
		at, ok := seqOf(in.Key, entriesPrefix(log))
		if !ok {
			r.fail("%s: not an entry's name", in.Key)
			continue
		}
		switch {
		case at > want:
			r.fail("entries %d to %d are missing", want, at-1)
			prev = "" // the next entry cannot chain to a missing one: reported once
		case at < want:
			r.fail("the object at %d overlaps the entries before it (to %d)", at, want-1)
			prev = ""
		}
		lines := entryLines(raws[i])
		want = at + uint64(len(lines))
		for j, data := range lines {
			seq := at + uint64(j)
			var e Entry
			if err := json.Unmarshal(data, &e); err != nil {
				r.fail("entry %d is not an entry: %v", seq, err)
			} else {
				if e.Seq != seq {
					r.fail("entry %d says it is entry %d (moved)", seq, e.Seq)
				}
				if (seq == 1 || prev != "") && e.Prev != prev {
					r.fail("entry %d does not follow entry %d (changed, dropped or reordered)", seq, seq-1)
				}
			}
			h := hashOf(data)
			hashes[seq] = h
			prev = h
			r.Entries = seq
			r.Hash = h
		}
	}
	rawHeads, err := readAll(ctx, st, heads)
	if err != nil {
		return r, err
	}
	for i, in := range heads {
		seq, ok := seqOf(in.Key, headsPrefix(log))
		var h Head
		if !ok || json.Unmarshal(rawHeads[i], &h) != nil {
			r.fail("%s is not a head", in.Key)
			continue
		}
		if h.Seq != seq || h.Log != log {
			r.fail("head %d names another position or log (%s %d)", seq, h.Log, h.Seq)
			continue
		}
		if !headSigned(h, key) {
			r.fail("head %d is not signed by the audit key", seq)
			continue
		}
		got, found := hashes[seq]
		switch {
		case !found && seq > r.Entries:
			r.fail("head %d signs %d entries but the log has %d (its tail was dropped)", seq, seq, r.Entries)
		case !found:
			r.fail("head %d signs an entry that is missing", seq)
		case got != h.Hash:
			r.fail("head %d does not match entry %d (the log was changed)", seq, seq)
		default:
			r.Signed = max(r.Signed, seq)
		}
	}
	return r, nil
}

func headSigned(h Head, key ed25519.PublicKey) bool {
	pub, err := ParsePublicKey(h.PublicKey)
	if err != nil {
		return false
	}
	if key != nil && !bytes.Equal(pub, key) {
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(h.Signature)
	return err == nil && ed25519.Verify(pub, h.signedBytes(), sig)
}

// readAll reads the objects' bytes, a few at a time.
func readAll(ctx context.Context, st storage.Store, infos []storage.Info) ([][]byte, error) {
	out := make([][]byte, len(infos))
	errs := make([]error, len(infos))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, in := range infos {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = readRaw(ctx, st, in.Key)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
