// Package audit keeps phonghop's audit trail: who opened which document, who
// changed a meeting's set-up, opened or closed a poll, edited, rendered or
// approved the minutes, every sign-in (failed ones too) and every admin
// action. It is kept as append-only logs under the store's own prefix
// (audit/), one per meeting and one for accounts, so operators can give it
// its own retention and replication.
//
// # Objects
//
//	audit/accounts/entries/{seq}.json          the accounts' log: sign-ins, users, admin actions
//	audit/meetings/{mid}/entries/{seq}.json    a meeting's log
//	audit/{log}/heads/{seq}.json               a signed head: the log's length and last hash
//
// {seq} is the position (1, 2, …, zero-padded to 20 digits) of the first
// entry an object holds. An object holds one entry, or several at the
// positions that follow, one JSON document a line ("\n" between them, none
// after the last): the entries recorded while the write before them was
// under way (a group commit), so a check-in wave of 2,000 delegates is a few
// dozen writes, not 2,000 one after another. An object is written
// create-only at the next position, so two processes appending at once never
// overwrite each other: the loser of the race reads the object that won,
// chains to its last entry and tries the position after it. Each entry holds
// the SHA-256 of the previous entry's stored bytes (prev: its line), so
// changing, dropping or reordering any entry breaks the chain after it. Heads sign the
// log's length and the hash of its last entry with an Ed25519 key, at most
// every SignInterval for each log this process appended to, and are published
// as a log line ("audit head"); a head taken from the log lines, or a signed
// head in the store, detects a rewritten or truncated tail. Verify checks it
// all; `phonghop audit verify` runs it on either store.
//
// # What is never recorded
//
// Nothing a secret ballot chose and nothing that joins a voter to a secret
// ballot: no entry is written for a ballot (secret or named), so no entry's
// time can be joined to a ballot object's; who voted is one entry at the
// poll's close, the voters sorted (vote.Service's Closed hook).
package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// Prefix is where every audit object is kept.
const Prefix = "audit/"

// Accounts is the name of the accounts' log.
const Accounts = "accounts"

// MeetingLog is the name of a meeting's log.
func MeetingLog(meetingID string) string { return "meetings/" + meetingID }

func entriesPrefix(log string) string { return Prefix + log + "/entries/" }
func headsPrefix(log string) string   { return Prefix + log + "/heads/" }

// EntryKey is the object key of the log's object whose first entry is at seq.
func EntryKey(log string, seq uint64) string {
	return fmt.Sprintf("%s%020d.json", entriesPrefix(log), seq)
}

// HeadKey is the object key of a log's signed head at seq.
func HeadKey(log string, seq uint64) string {
	return fmt.Sprintf("%s%020d.json", headsPrefix(log), seq)
}

// Entry is one recorded action.
type Entry struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	// Prev is the hex SHA-256 of the previous entry's stored bytes ("" for the
	// first entry).
	Prev string `json:"prev"`
	// Action names what was done: "document.opened", "poll.opened",
	// "signin", "signin.failed", "meeting.participants.set", …
	Action string `json:"action"`
	// Actor is the user id who did it ("" when nobody was signed in: a failed
	// sign-in, work done by the server itself).
	Actor string `json:"actor,omitempty"`
	// Username is the actor's username at the time, or the username tried by
	// a failed sign-in.
	Username string `json:"username,omitempty"`
	Meeting  string `json:"meeting,omitempty"`
	// Target holds the ids the action was done on (documentId, pollId,
	// itemId, userId, version…).
	Target map[string]string `json:"target,omitempty"`
	// Address is the client's address, Device its user agent.
	Address string `json:"address,omitempty"`
	Device  string `json:"device,omitempty"`
	// Status is the HTTP status the request was answered with.
	Status int `json:"status,omitempty"`
	// Details is anything else worth keeping (e.g. a secret poll's voters).
	Details map[string]string `json:"details,omitempty"`
	// Changes are the set-up changes the action made, as the meeting's
	// journal records them (field → before and after).
	Changes []Change `json:"changes,omitempty"`
}

// Change is a set-up change and the meeting it was made to.
type Change struct {
	Meeting string `json:"meeting,omitempty"`
	phonghop.Change
}

// Head is a signed statement of a log's length and last entry's hash.
type Head struct {
	Log  string    `json:"log"`
	Seq  uint64    `json:"seq"`
	Hash string    `json:"hash"`
	Time time.Time `json:"time"`
	// PublicKey (base64) is the key that signed it; Verify checks it against
	// the key it is given.
	PublicKey string `json:"publicKey"`
	Signature string `json:"signature"`
}

// signedBytes is what a head's signature covers.
func (h Head) signedBytes() []byte {
	return []byte("phonghop audit head\n" + h.Log + "\n" + strconv.FormatUint(h.Seq, 10) + "\n" + h.Hash + "\n" +
		h.Time.UTC().Format(time.RFC3339Nano) + "\n")
}

func hashOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Service appends to the logs and signs their heads. Several Services (in one
// process or many) may append to the same store at once.
type Service struct {
	Store storage.Store
	// Key signs the heads.
	Key ed25519.PrivateKey
	// SignInterval is how often the heads of the logs this Service appended
	// to are signed (default one minute).
	SignInterval time.Duration
	Logger       *slog.Logger
	// Ship writes every entry to Logger too, as an "audit" line (JSON lines
	// with the JSON log format).
	Ship bool
	// Clock is the time entries carry (default time.Now).
	Clock func() time.Time

	mu      sync.Mutex
	logs    map[string]*logState
	queue   []queued
	pending int // entries in queue

	failures atomic.Int64
	written  atomic.Int64
	cache    entryCache
}

// logState is a log's head as this Service last saw it. Its mutex orders this
// Service's appends to the log; other writers are met by the create-only
// writes.
type logState struct {
	mu     sync.Mutex
	known  bool
	seq    uint64
	hash   string
	signed uint64

	// The group commit (Record): entries waiting for the write under way,
	// and whether one is.
	gmu     sync.Mutex
	pending []*waiter
	writing bool
}

// waiter is an entry Record waits to see written. wake is closed when it was
// written or queued for a retry, or when it heads the next batch (lead).
type waiter struct {
	e    Entry
	size int
	wake chan struct{}
	lead bool
}

// queued is one write that failed: the entries of one object, retried as
// they were (so a write that landed but reported failure is recognised).
type queued struct {
	log   string
	es    []Entry
	tried attempt
	tries int
}

// Stats are counters for metrics.
type Stats struct {
	Written  int64 // entries written
	Failures int64 // attempts that failed (each is retried)
	Pending  int   // entries waiting to be retried
}

// Stats reports the Service's counters.
func (s *Service) Stats() Stats {
	s.mu.Lock()
	n := s.pending
	s.mu.Unlock()
	return Stats{Written: s.written.Load(), Failures: s.failures.Load(), Pending: n}
}

func (s *Service) log() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

func (s *Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) state(log string) *logState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logs == nil {
		s.logs = map[string]*logState{}
	}
	st := s.logs[log]
	if st == nil {
		st = &logState{}
		s.logs[log] = st
	}
	return st
}

// ErrInvalidLog: the log's name is not "accounts" or "meetings/{id}" with a
// clean id.
var ErrInvalidLog = errors.New("audit: invalid log name")

func checkLog(log string) error {
	if log == Accounts {
		return nil
	}
	id, ok := strings.CutPrefix(log, "meetings/")
	if !ok || strings.Contains(id, "/") || storage.CheckKey(id) != nil {
		return ErrInvalidLog
	}
	return nil
}

// Append writes e alone at the log's next position and returns it as
// stored. It fails only when the store does (the entry may then have landed:
// a retry of the same entry finds it and does not write it twice, unless this
// Service appended another entry to the log in between).
func (s *Service) Append(ctx context.Context, log string, e Entry) (Entry, error) {
	if err := checkLog(log); err != nil {
		return e, err
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	stored, _, err := s.write(ctx, log, []Entry{e})
	return stored[0], err
}

// attempt is the object a write last tried to store, and where.
type attempt struct {
	at   uint64
	data []byte
}

// write writes es as one object at the log's next position, chained to its
// last entry, and returns them as stored (with their positions and prev) and
// the object it last tried to store.
func (s *Service) write(ctx context.Context, log string, es []Entry) ([]Entry, attempt, error) {
	es = slices.Clone(es)
	st := s.state(log)
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.known {
		seq, hash, err := s.tip(ctx, log)
		if err != nil {
			return es, attempt{}, err
		}
		st.seq, st.hash, st.known = seq, hash, true
	}
	for {
		data, hash, err := chain(es, st.seq, st.hash)
		if err != nil {
			return es, attempt{}, err
		}
		at := st.seq + 1
		tried := attempt{at: at, data: data}
		_, err = s.Store.Put(ctx, EntryKey(log, at), bytes.NewReader(data), int64(len(data)),
			storage.PutOptions{IfAbsent: true, ContentType: "application/json"})
		if err == nil {
			st.seq, st.hash = at+uint64(len(es))-1, hash
			return es, tried, nil
		}
		if !errors.Is(err, storage.ErrPrecondition) {
			return es, tried, err
		}
		// Another writer took the position (or an earlier write of these very
		// entries landed and reported failure): chain to what is there.
		other, err := readRaw(ctx, s.Store, EntryKey(log, at))
		if err != nil {
			return es, tried, err
		}
		if bytes.Equal(other, data) {
			st.seq, st.hash = at+uint64(len(es))-1, hash
			return es, tried, nil
		}
		lines := entryLines(other)
		st.seq, st.hash = at+uint64(len(lines))-1, hashOf(lines[len(lines)-1])
		if err := ctx.Err(); err != nil {
			return es, tried, err
		}
	}
}

// chain numbers es from after seq, each holding the hash of the one before
// (hash for the first), and returns the object holding them and the hash of
// the last.
func chain(es []Entry, seq uint64, hash string) ([]byte, string, error) {
	var buf bytes.Buffer
	for i := range es {
		es[i].Seq, es[i].Prev = seq+1+uint64(i), hash
		line, err := json.Marshal(es[i])
		if err != nil {
			return nil, "", err
		}
		hash = hashOf(line)
		if i > 0 {
			buf.WriteByte('\n')
		}
		buf.Write(line)
	}
	return buf.Bytes(), hash, nil
}

// entryLines splits an object into its entries' stored bytes (one or more;
// JSON encoding never puts a newline inside an entry).
func entryLines(data []byte) [][]byte { return bytes.Split(data, []byte{'\n'}) }

// tip finds a log's last entry (the last line of its last object): its
// position and hash (0, "" when empty).
func (s *Service) tip(ctx context.Context, log string) (uint64, string, error) {
	infos, err := s.Store.List(ctx, entriesPrefix(log))
	if err != nil {
		return 0, "", err
	}
	for i := len(infos) - 1; i >= 0; i-- {
		seq, ok := seqOf(infos[i].Key, entriesPrefix(log))
		if !ok {
			continue
		}
		data, err := readRaw(ctx, s.Store, infos[i].Key)
		if err != nil {
			return 0, "", err
		}
		lines := entryLines(data)
		return seq + uint64(len(lines)) - 1, hashOf(lines[len(lines)-1]), nil
	}
	return 0, "", nil
}

func seqOf(key, prefix string) (uint64, bool) {
	name, ok := strings.CutSuffix(strings.TrimPrefix(key, prefix), ".json")
	if !ok || len(name) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(name, 10, 64)
	return n, err == nil && n > 0
}

func readRaw(ctx context.Context, st storage.Store, key string) ([]byte, error) {
	rc, _, err := st.Get(ctx, key, nil)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxEntry+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxEntry {
		return nil, fmt.Errorf("audit: %s is larger than %d bytes", key, maxEntry)
	}
	return data, nil
}

// maxEntry bounds an entry read back.
const maxEntry = 1 << 20

// recordTimeout bounds the first attempt at writing an entry.
const recordTimeout = 5 * time.Second

// maxQueued bounds the entries waiting for a retry; past it the oldest write
// is written to the process's log at error level, whole, and dropped from the
// queue (the store has then refused writes for a long while).
const maxQueued = 10_000

// A group commit writes at most maxBatch entries in one object, and no more
// than about maxBatchBytes of them (one entry alone may be larger): far below
// maxEntry, what is read back.
const (
	maxBatch      = 500
	maxBatchBytes = 256 << 10
)

// Record appends e to the log and returns once it is written, on a context
// detached from the request's (a client that goes away does not cancel its
// record). Entries recorded while a write to the same log is under way are
// written together, as one object, as soon as it ends (a group commit): on a
// store that takes milliseconds a write, many requests at once no longer wait
// for each other's writes one by one. An entry the store does not take
// within a few seconds is not dropped: it is counted as a failure, logged and
// kept to be retried by Run until it lands (the action it records has
// happened already and is not undone).
func (s *Service) Record(ctx context.Context, log string, e Entry) {
	if err := checkLog(log); err != nil {
		s.log().Error("audit entry with an invalid log name", "log", log, "action", e.Action)
		return
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	w := &waiter{e: e, size: sizeOf(e), wake: make(chan struct{})}
	st := s.state(log)
	st.gmu.Lock()
	st.pending = append(st.pending, w)
	lead := !st.writing
	st.writing = true
	st.gmu.Unlock()
	if !lead {
		if <-w.wake; !w.lead {
			return // written, or queued, by the batch's writer
		}
	}
	// w heads the queue: it writes what waits, up to a batch.
	st.gmu.Lock()
	n, size := 1, w.size
	for n < len(st.pending) && n < maxBatch && size+st.pending[n].size <= maxBatchBytes {
		size += st.pending[n].size
		n++
	}
	batch := st.pending[:n:n]
	st.pending = st.pending[n:]
	st.gmu.Unlock()
	es := make([]Entry, len(batch))
	for i, b := range batch {
		es[i] = b.e
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	stored, tried, err := s.write(wctx, log, es)
	cancel()
	st.gmu.Lock() // the next batch starts now, while this one is answered
	if len(st.pending) > 0 {
		st.pending[0].lead = true
		close(st.pending[0].wake)
	} else {
		st.writing = false
	}
	st.gmu.Unlock()
	if err == nil {
		for _, e := range stored {
			s.done(log, e)
		}
	} else {
		s.failures.Add(1)
		s.log().Warn("audit entries not written yet; retrying", "log", log, "entries", len(es), "action", es[0].Action, "err", err)
		s.enqueue(queued{log: log, es: stored, tried: tried, tries: 1})
	}
	for _, b := range batch[1:] {
		close(b.wake)
	}
}

// sizeOf is about what e takes in an object (without its position and prev).
func sizeOf(e Entry) int {
	b, err := json.Marshal(e)
	if err != nil {
		return maxBatchBytes
	}
	return len(b) + 100
}

func (s *Service) done(log string, e Entry) {
	s.written.Add(1)
	if s.Ship {
		s.log().Info("audit", "log", log, "entry", e)
	}
}

func (s *Service) enqueue(q queued) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.pending+len(q.es) > maxQueued && len(s.queue) > 0 {
		old := s.queue[0]
		s.queue = s.queue[1:]
		s.pending -= len(old.es)
		for _, e := range old.es {
			s.log().Error("audit entry given up after retries: the store refuses writes", "log", old.log, "entry", e)
		}
	}
	s.queue = append(s.queue, q)
	s.pending += len(q.es)
}

// retry writes the queued entries, in order, until a write fails.
func (s *Service) retry(ctx context.Context) {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.mu.Unlock()
			return
		}
		q := s.queue[0]
		s.mu.Unlock()
		wctx, cancel := context.WithTimeout(ctx, recordTimeout)
		stored, err := s.rewrite(wctx, q)
		cancel()
		if err != nil {
			s.failures.Add(1)
			s.mu.Lock()
			if len(s.queue) > 0 {
				s.queue[0].tries++
			}
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		if len(s.queue) > 0 {
			s.queue = s.queue[1:]
			s.pending -= len(q.es)
		}
		s.mu.Unlock()
		for _, e := range stored {
			s.done(q.log, e)
		}
	}
}

// rewrite writes a queued write again, unless it landed after all: the
// object it tried is where it tried it (the write reported failure, the store
// kept it). It is looked for there and not only at the log's tip, for later
// writes may have chained to it since.
func (s *Service) rewrite(ctx context.Context, q queued) ([]Entry, error) {
	if q.tried.data != nil {
		other, err := readRaw(ctx, s.Store, EntryKey(q.log, q.tried.at))
		switch {
		case err == nil && bytes.Equal(other, q.tried.data):
			st := s.state(q.log)
			st.mu.Lock()
			if end := q.tried.at + uint64(len(q.es)) - 1; st.seq < end { // behind what landed
				lines := entryLines(other)
				st.seq, st.hash, st.known = end, hashOf(lines[len(lines)-1]), true
			}
			st.mu.Unlock()
			return q.es, nil
		case err != nil && !errors.Is(err, storage.ErrNotFound):
			return nil, err
		}
	}
	stored, _, err := s.write(ctx, q.log, q.es)
	return stored, err
}

// Run retries entries the store refused and signs heads every SignInterval
// until ctx ends; then it tries once more (Flush).
func (s *Service) Run(ctx context.Context) {
	iv := s.SignInterval
	if iv <= 0 {
		iv = time.Minute
	}
	retry := time.NewTicker(2 * time.Second)
	sign := time.NewTicker(iv)
	defer retry.Stop()
	defer sign.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-retry.C:
			s.retry(ctx)
		case <-sign.C:
			s.SignHeads(ctx)
		}
	}
}

// Flush writes what is queued and signs every head this Service moved (at
// shutdown). Entries it still cannot write are logged whole, at error level.
func (s *Service) Flush(ctx context.Context) {
	s.retry(ctx)
	s.SignHeads(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.queue {
		for _, e := range q.es {
			s.log().Error("audit entry not written before shutdown", "log", q.log, "entry", e)
		}
	}
	s.queue, s.pending = nil, 0
}

// SignHeads signs and publishes the head of every log this Service appended
// to since it last signed it.
func (s *Service) SignHeads(ctx context.Context) {
	s.mu.Lock()
	names := make([]string, 0, len(s.logs))
	for name := range s.logs {
		names = append(names, name)
	}
	s.mu.Unlock()
	for _, name := range names {
		if _, err := s.SignHead(ctx, name); err != nil {
			s.failures.Add(1)
			s.log().Warn("audit head not signed", "log", name, "err", err)
		}
	}
}

// SignHead signs the log's head as this Service knows it, writes it to the
// store and logs it. It does nothing (and returns a zero Head) when the head
// was signed already or this Service has not appended to the log.
func (s *Service) SignHead(ctx context.Context, log string) (Head, error) {
	if s.Key == nil {
		return Head{}, errors.New("audit: no signing key")
	}
	st := s.state(log)
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.known || st.seq == 0 || st.signed >= st.seq {
		return Head{}, nil
	}
	h := Head{Log: log, Seq: st.seq, Hash: st.hash, Time: s.now(),
		PublicKey: encodeKey(s.Key.Public().(ed25519.PublicKey))}
	h.Signature = encodeKey(ed25519.Sign(s.Key, h.signedBytes()))
	_, err := storage.PutJSON(ctx, s.Store, HeadKey(log, h.Seq), h, storage.PutOptions{IfAbsent: true})
	if err != nil && !errors.Is(err, storage.ErrPrecondition) { // another process signed this seq: as good
		return h, err
	}
	st.signed = h.Seq
	s.log().Info("audit head", "log", h.Log, "seq", h.Seq, "hash", h.Hash, "time", h.Time.Format(time.RFC3339Nano),
		"publicKey", h.PublicKey, "signature", h.Signature)
	return h, nil
}
