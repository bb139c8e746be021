package storecopy

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/phonghop/phonghop/storage"
)

var (
	// ErrInUse: a server is writing to a store that is to be copied or
	// written.
	ErrInUse = errors.New("store in use")
	// ErrNotEmpty: the target holds objects this copy did not put there.
	ErrNotEmpty = errors.New("target store not empty")
	// ErrMismatch: bytes read back differ from those written, or an archive
	// from its manifest.
	ErrMismatch = errors.New("copy differs from the original")
	// ErrChanged: the source changed while it was being copied.
	ErrChanged = errors.New("source changed while copying")
)

// Report says what a copy did.
type Report struct {
	Objects int   // objects in the source
	Bytes   int64 // their bytes
	Copied  int   // objects written this run
	Skipped int   // objects a previous run had copied already
	Removed int   // objects a previous run copied that the source no longer has
	Elapsed time.Duration
}

// Options tune a copy.
type Options struct {
	// Workers copying at once (default 4): S3 round trips overlap.
	Workers int
	// Log, when set, gets a progress line every few seconds.
	Log *slog.Logger
}

func (o Options) workers() int {
	if o.Workers <= 0 {
		return 4
	}
	return o.Workers
}

// objects lists everything a copy moves: all but the heartbeats.
func objects(ctx context.Context, s storage.Store) ([]storage.Info, error) {
	all, err := s.List(ctx, "")
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, in := range all {
		if !strings.HasPrefix(in.Key, heartbeatPrefix) {
			out = append(out, in)
		}
	}
	return out, nil
}

// record is one line of a migration's state file: an object copied and
// verified, and the source version it was copied from.
type record struct {
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag"` // the source's
	SHA256 string `json:"sha256"`
}

// header is the first line of a state file: which copy it belongs to.
type header struct {
	Source  string    `json:"source"`
	Target  string    `json:"target"`
	Started time.Time `json:"started"`
}

// Migrate copies every object of src into dst, each read back from dst and
// compared with the source by SHA-256. It refuses while a server uses either
// store, and a target holding anything but what an earlier run of the same
// migration copied. Progress is appended to the file statePath, so a run that
// stops (a crash, a network outage, Ctrl-C) is resumed by running it again:
// objects already copied and unchanged in the source are skipped. The
// descriptions srcName and dstName are kept in the state file so a state file
// is not resumed against other stores. At the end the source is listed again:
// a change while copying (a server started) fails the run.
func Migrate(ctx context.Context, src, dst storage.Store, srcName, dstName, statePath string, opt Options) (Report, error) {
	start := time.Now()
	var rep Report
	if err := idle(ctx, src, "source"); err != nil {
		return rep, err
	}
	if err := idle(ctx, dst, "target"); err != nil {
		return rep, err
	}
	done, err := loadState(statePath, srcName, dstName)
	if err != nil {
		return rep, err
	}
	list, err := objects(ctx, src)
	if err != nil {
		return rep, fmt.Errorf("listing the source: %w", err)
	}
	inTarget, err := objects(ctx, dst)
	if err != nil {
		return rep, fmt.Errorf("listing the target: %w", err)
	}
	srcKeys := make(map[string]storage.Info, len(list))
	for _, in := range list {
		srcKeys[in.Key] = in
		rep.Objects++
		rep.Bytes += in.Size
	}
	// The target may hold only what this migration put there.
	targetSize := map[string]int64{}
	var stale []string
	for _, in := range inTarget {
		targetSize[in.Key] = in.Size
		if _, ours := done[in.Key]; !ours {
			return rep, fmt.Errorf("%w: %s holds %s (and maybe more) that no earlier run of this migration copied; migrate into an empty bucket or directory", ErrNotEmpty, dstName, in.Key)
		}
		if _, still := srcKeys[in.Key]; !still {
			stale = append(stale, in.Key)
		}
	}
	state, err := openState(statePath, srcName, dstName, len(done) == 0)
	if err != nil {
		return rep, err
	}
	defer state.close()

	var todo []storage.Info
	for _, in := range list {
		r, ok := done[in.Key]
		if ok && r.Size == in.Size && r.ETag == in.ETag && targetSize[in.Key] == in.Size {
			rep.Skipped++
			continue
		}
		todo = append(todo, in)
	}
	prog := newProgress(opt.Log, "migrate", len(todo))
	err = parallel(ctx, opt.workers(), todo, func(ctx context.Context, in storage.Info) error {
		r, err := copyVerified(ctx, src, dst, in)
		if err != nil {
			return err
		}
		prog.add(in.Size)
		return state.add(r)
	})
	rep.Copied = prog.count()
	if err != nil {
		rep.Elapsed = time.Since(start)
		return rep, err
	}
	for _, k := range stale {
		if err := dst.Delete(ctx, k); err != nil {
			return rep, fmt.Errorf("removing %s, which the source no longer has: %w", k, err)
		}
		rep.Removed++
	}
	if err := unchanged(ctx, src, list); err != nil {
		return rep, err
	}
	if err := sameListing(ctx, dst, list); err != nil {
		return rep, err
	}
	if err := state.sync(); err != nil {
		return rep, err
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// copyVerified copies one object and reads it back from dst to compare hashes.
func copyVerified(ctx context.Context, src, dst storage.Store, in storage.Info) (record, error) {
	body, info, err := src.Get(ctx, in.Key, nil)
	if err != nil {
		return record{}, fmt.Errorf("reading %s: %w", in.Key, err)
	}
	h := sha256.New()
	_, err = dst.Put(ctx, in.Key, io.TeeReader(body, h), info.Size, storage.PutOptions{ContentType: info.ContentType})
	body.Close()
	if err != nil {
		return record{}, fmt.Errorf("writing %s: %w", in.Key, err)
	}
	want := hex.EncodeToString(h.Sum(nil))
	got, size, err := hashOf(ctx, dst, in.Key)
	if err != nil {
		return record{}, fmt.Errorf("reading back %s: %w", in.Key, err)
	}
	if got != want || size != info.Size {
		return record{}, fmt.Errorf("%w: %s: wrote %d bytes sha256 %s, read back %d bytes sha256 %s", ErrMismatch, in.Key, info.Size, want, size, got)
	}
	return record{Key: in.Key, Size: info.Size, ETag: info.ETag, SHA256: want}, nil
}

func hashOf(ctx context.Context, s storage.Store, key string) (string, int64, error) {
	body, _, err := s.Get(ctx, key, nil)
	if err != nil {
		return "", 0, err
	}
	defer body.Close()
	h := sha256.New()
	n, err := io.Copy(h, body)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// unchanged fails when s no longer lists exactly before (same keys, sizes and
// ETags): something wrote to it while it was copied.
func unchanged(ctx context.Context, s storage.Store, before []storage.Info) error {
	if err := idle(ctx, s, "source"); err != nil {
		return fmt.Errorf("%w: a server started while copying: %w", ErrChanged, err)
	}
	after, err := objects(ctx, s)
	if err != nil {
		return fmt.Errorf("listing the source again: %w", err)
	}
	if diff := listingDiff(before, after, true); diff != "" {
		return fmt.Errorf("%w (%s): run it again once nothing writes to it", ErrChanged, diff)
	}
	return nil
}

// sameListing fails unless s holds exactly want's keys with want's sizes.
func sameListing(ctx context.Context, s storage.Store, want []storage.Info) error {
	got, err := objects(ctx, s)
	if err != nil {
		return fmt.Errorf("listing the target: %w", err)
	}
	if diff := listingDiff(want, got, false); diff != "" {
		return fmt.Errorf("%w: the target's listing differs (%s)", ErrMismatch, diff)
	}
	return nil
}

func listingDiff(a, b []storage.Info, etags bool) string {
	m := make(map[string]storage.Info, len(a))
	for _, in := range a {
		m[in.Key] = in
	}
	var diffs []string
	for _, in := range b {
		o, ok := m[in.Key]
		switch {
		case !ok:
			diffs = append(diffs, "new "+in.Key)
		case o.Size != in.Size || (etags && o.ETag != in.ETag):
			diffs = append(diffs, "changed "+in.Key)
		}
		delete(m, in.Key)
	}
	for k := range m {
		diffs = append(diffs, "missing "+k)
	}
	if len(diffs) > 5 {
		diffs = append(diffs[:5], fmt.Sprintf("%d more", len(diffs)-5))
	}
	return strings.Join(diffs, ", ")
}

// loadState reads a state file, if there is one, and checks it belongs to
// this migration.
func loadState(path, srcName, dstName string) (map[string]record, error) {
	done := map[string]record{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return done, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if !sc.Scan() {
		return done, sc.Err() // empty: a run that stopped before its first line
	}
	var h header
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Source == "" {
		return nil, fmt.Errorf("%s is not a migration state file", path)
	}
	if h.Source != srcName || h.Target != dstName {
		return nil, fmt.Errorf("%s belongs to the migration from %s to %s, not %s to %s; give another -state file", path, h.Source, h.Target, srcName, dstName)
	}
	for sc.Scan() {
		var r record
		// A line cut short by a crash is the last one: that object is copied again.
		if err := json.Unmarshal(sc.Bytes(), &r); err == nil && r.Key != "" {
			done[r.Key] = r
		}
	}
	return done, sc.Err()
}

type stateFile struct {
	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	synced time.Time
}

func openState(path, srcName, dstName string, fresh bool) (*stateFile, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if fresh {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	s := &stateFile{f: f, w: bufio.NewWriter(f), synced: time.Now()}
	if fresh {
		b, _ := json.Marshal(header{Source: srcName, Target: dstName, Started: time.Now().UTC()})
		s.w.Write(append(b, '\n'))
		if err := s.sync(); err != nil {
			f.Close()
			return nil, err
		}
	}
	return s, nil
}

// add records a verified copy. Lines are flushed each second: a crash loses at
// most that second's records, whose objects are then copied again.
func (s *stateFile) add(r record) error {
	b, _ := json.Marshal(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.Write(append(b, '\n'))
	if time.Since(s.synced) > time.Second {
		return s.syncLocked()
	}
	return nil
}

func (s *stateFile) sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.syncLocked()
}

func (s *stateFile) syncLocked() error {
	s.synced = time.Now()
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	return nil
}

func (s *stateFile) close() {
	_ = s.sync()
	s.f.Close()
}

// parallel runs fn over items with n workers; the first error stops the rest.
func parallel(ctx context.Context, n int, items []storage.Info, fn func(context.Context, storage.Info) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ch := make(chan storage.Info)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for in := range ch {
				if err := fn(ctx, in); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
feed:
	for _, in := range items {
		select {
		case ch <- in:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// progress counts copied objects and logs now and then.
type progress struct {
	mu     sync.Mutex
	log    *slog.Logger
	what   string
	total  int
	n      int
	bytes  int64
	logged time.Time
}

func newProgress(log *slog.Logger, what string, total int) *progress {
	return &progress{log: log, what: what, total: total, logged: time.Now()}
}

func (p *progress) add(size int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	p.bytes += size
	if p.log != nil && (time.Since(p.logged) > 5*time.Second || p.n == p.total) {
		p.logged = time.Now()
		p.log.Info(p.what, "objects", p.n, "of", p.total, "bytes", p.bytes)
	}
}

func (p *progress) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}
