package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// downBroker induces a broker failure: every call fails.
type downBroker struct{ Broker }

var errDown = errors.New("broker down")

func (downBroker) Append(context.Context, string, Event, int64) (uint64, error) { return 0, errDown }
func (downBroker) Last(context.Context, string) ([]Event, uint64, error)        { return nil, 0, errDown }
func (downBroker) Subscribe(context.Context, string, func(Event)) (func(), error) {
	return nil, errDown
}

// refusingStore is a real store that refuses writes while refuse is set
// (reads go on), as a full disk or a read-only bucket does.
type refusingStore struct {
	storage.Store
	refuse atomic.Bool
	puts   atomic.Int64 // refused writes
}

func (s *refusingStore) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	if s.refuse.Load() {
		s.puts.Add(1)
		return storage.Info{}, fmt.Errorf("write refused: %w", storage.ErrUnavailable)
	}
	return s.Store.Put(ctx, key, r, size, o)
}

func (s *refusingStore) Delete(ctx context.Context, key string) error {
	if s.refuse.Load() {
		return fmt.Errorf("write refused: %w", storage.ErrUnavailable)
	}
	return s.Store.Delete(ctx, key)
}

func shortRecordTimeout(t *testing.T) {
	old := recordTimeout
	recordTimeout = 300 * time.Millisecond
	t.Cleanup(func() { recordTimeout = old })
}

// watch subscribes to the meeting and keeps what the room was sent.
func watch(t *testing.T, b Broker) func() []Event {
	var mu sync.Mutex
	var seen []Event
	cancel, err := b.Subscribe(context.Background(), "m1", func(ev Event) {
		mu.Lock()
		seen = append(seen, ev)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return func() []Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]Event(nil), seen...)
	}
}

// With one process (the memory broker writes the journal), a change the
// journal cannot take is refused with unavailable, the room is never sent it
// and its seq is not used; the next change that can be recorded gets it.
func TestStoreRefusingWritesRefusesTheChange(t *testing.T) {
	shortRecordTimeout(t)
	ctx := context.Background()
	base := tempStore(t)
	st := &refusingStore{Store: base}
	j := &journal.Journal{Store: st}
	b := NewMemoryBroker(0)
	b.Restore, b.Journal = RestoreFromJournal(j), j
	h := NewHub(Config{Broker: b, Meetings: meetings{"m1": testMeeting(2)}, Journal: j})
	seen := watch(t, b)

	if _, err := h.Present(ctx, "m1", chair, Presentation{"i1", "doc1", 1}); err != nil {
		t.Fatal(err)
	}
	st.refuse.Store(true)
	if seq, err := h.CheckIn(ctx, "m1", delegateID(0)); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("check-in on a store refusing writes: seq %d, err %v", seq, err)
	}
	if seq, err := h.Present(ctx, "m1", chair, Presentation{"i2", "doc2", 1}); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("present on a store refusing writes: seq %d, err %v", seq, err)
	}
	if st.puts.Load() == 0 {
		t.Fatal("no write was tried")
	}
	if n := len(seen()); n != 1 {
		t.Fatalf("the room was sent %d events, want only the first", n)
	}
	at, err := h.Attendance(ctx, "m1")
	if err != nil || len(at.Present) != 0 {
		t.Fatalf("attendance shows a refused check-in: %+v %v", at, err)
	}
	if h.Stats().NotRecorded != 2 {
		t.Fatalf("NotRecorded = %d", h.Stats().NotRecorded)
	}

	st.refuse.Store(false)
	seq, err := h.CheckIn(ctx, "m1", delegateID(0))
	if err != nil || seq != 2 {
		t.Fatalf("check-in with the store back: seq %d, err %v (want 2: refused changes use no seq)", seq, err)
	}
	entries, err := j.Entries(ctx, "m1")
	if err != nil || len(entries) != 2 || entries[1].Seq != 2 || entries[1].Type != TypeAttendance {
		t.Fatalf("journal: %+v %v", entries, err)
	}
}

// A write the store reports failed may have landed: the broker takes it back,
// so a restart does not show a change nobody was told happened.
func TestFailedJournalWriteIsTakenBack(t *testing.T) {
	shortRecordTimeout(t)
	ctx := context.Background()
	base := tempStore(t)
	j := &landsThenFails{Journal: journal.Journal{Store: base}}
	b := NewMemoryBroker(0)
	b.Journal = j
	h := NewHub(Config{Broker: b, Meetings: meetings{"m1": testMeeting(2)}, Journal: j})
	if _, err := h.CheckIn(ctx, "m1", delegateID(0)); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("check-in: %v", err)
	}
	if entries, _ := j.Entries(ctx, "m1"); len(entries) != 0 {
		t.Fatalf("the journal keeps a change that was refused: %+v", entries)
	}
}

// landsThenFails writes journal entries, then reports failure.
type landsThenFails struct{ journal.Journal }

func (j *landsThenFails) Write(ctx context.Context, mid string, e journal.Entry) error {
	if err := j.Journal.Write(ctx, mid, e); err != nil {
		return err
	}
	return errors.New("timeout after the write")
}

// A tablet that hangs up while its change is being written does not cut the
// write short: the room saw the change, so the journal has it.
func TestCallerHangUpDoesNotLoseTheJournalEntry(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	base := tempStore(t)
	j := &hangUpJournal{Journal: journal.Journal{Store: base}, cancel: cancel}
	b := NewMemoryBroker(0)
	b.Journal = j
	h := NewHub(Config{Broker: b, Meetings: meetings{"m1": testMeeting(2)}, Journal: j})
	seen := watch(t, b)
	seq, err := h.CheckIn(ctx, "m1", delegateID(0))
	if err != nil || seq != 1 {
		t.Fatalf("check-in: seq %d, err %v", seq, err)
	}
	entries, err := j.Entries(context.Background(), "m1")
	if err != nil || len(entries) != 1 || len(seen()) != 1 {
		t.Fatalf("journal %+v (%v), room sent %d events", entries, err, len(seen()))
	}
}

// hangUpJournal cancels the caller's context when the write starts.
type hangUpJournal struct {
	journal.Journal
	cancel func()
}

func (j *hangUpJournal) Write(ctx context.Context, mid string, e journal.Entry) error {
	j.cancel()
	return j.Journal.Write(ctx, mid, e)
}

// With a broker that does not journal (NATS), the event is in the broker, and
// tablets may have seen it, before the journal write: when that write fails
// the subject is set back, so the room ends up showing what the journal holds,
// and the caller is told the change failed.
func TestJournalFailureAfterTheBrokerSetsTheRoomBack(t *testing.T) {
	shortRecordTimeout(t)
	ctx := context.Background()
	base := tempStore(t)
	st := &refusingStore{Store: base}
	j := &journal.Journal{Store: st}
	b := NewMemoryBroker(0) // without Journal: like natsbroker, it keeps events only itself
	h := NewHub(Config{Broker: b, Meetings: meetings{"m1": testMeeting(2)}, Journal: j})
	seen := watch(t, b)
	if _, err := h.CheckIn(ctx, "m1", delegateID(0)); err != nil {
		t.Fatal(err)
	}
	st.refuse.Store(true)
	if _, err := h.CheckIn(ctx, "m1", delegateID(1)); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("check-in: %v", err)
	}
	if _, err := h.RequestToSpeak(ctx, "m1", delegateID(1)); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("request to speak: %v", err)
	}
	st.refuse.Store(false)
	st0, _, err := h.State(ctx, "m1")
	if err != nil || len(st0.Attendance.Present) != 1 || st0.Attendance.Present[0] != delegateID(0) || len(st0.Speakers.Queue) != 0 {
		t.Fatalf("the room keeps changes the journal lacks: %+v %v", st0, err)
	}
	evs := seen()
	if len(evs) != 5 {
		t.Fatalf("room events %d, want 5 (check-in, refused check-in and its undo, refused request and its undo)", len(evs))
	}
	var sp Speakers
	if err := json.Unmarshal(evs[4].Payload, &sp); err != nil || sp.Current != nil || sp.Queue == nil || len(sp.Queue) != 0 {
		t.Fatalf("speakers set back to %s", evs[4].Payload)
	}
	entries, _ := j.Entries(ctx, "m1")
	if len(entries) != 1 {
		t.Fatalf("journal holds %d entries, want the one acknowledged check-in", len(entries))
	}
}

func TestBrokerDown(t *testing.T) {
	e := newEnv(t)
	e.hub.cfg.Broker = downBroker{e.broker}
	if _, err := e.hub.Present(context.Background(), "m1", chair, Presentation{"i1", "doc1", 1}); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("present: %v", err)
	}
	if _, _, err := e.hub.State(context.Background(), "m1"); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("state: %v", err)
	}
	c, _, err := websocket.DefaultDialer.Dial(e.url+"?user="+chairID, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if code := closeCode(t, c); code != CloseUnavailable {
		t.Fatalf("close code %d", code)
	}
	// The failed room was not kept: with the broker back, clients connect.
	e.hub.cfg.Broker = e.broker
	readType(t, e.dial(chairID, ""), "snapshot")
}

// failNthAppend fails the n-th Append (from 1) with err, as when another
// change was built on an event before it could be set back (ErrConflict), or
// NATS failed too; with land the append is made first and its answer lost.
type failNthAppend struct {
	Broker
	n     int64
	err   error
	land  bool
	calls atomic.Int64
}

func (b *failNthAppend) Append(ctx context.Context, mid string, ev Event, expect int64) (uint64, error) {
	if b.calls.Add(1) == b.n {
		if b.land {
			if _, err := b.Broker.Append(ctx, mid, ev, expect); err != nil {
				return 0, err
			}
		}
		return 0, b.err
	}
	return b.Broker.Append(ctx, mid, ev, expect)
}

// When the journal write fails and setting the subject back fails too, the
// change stands in the room (tablets have it, later changes build on it):
// its journal entry is written once the store takes it, at its seq, so the
// minutes do not lack a check-in the room showed. Before, the entry was
// dropped, and the delegate's retried check-in found them present and
// changed nothing: the journal never got it. A set-back whose answer was
// lost but which landed leaves the room as the journal has it: nothing is
// written then.
func TestEventNotSetBackIsJournaledLater(t *testing.T) {
	shortRecordTimeout(t)
	lost := errors.New("nats: timeout")
	for _, tc := range []struct {
		name    string
		err     error
		land    bool
		present int // in the room, and in the journal once the store is back
	}{
		{"refused", ErrConflict, false, 2},
		{"unanswered", lost, false, 2},
		{"landed, answer lost", lost, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			base := tempStore(t)
			st := &refusingStore{Store: base}
			j := &journal.Journal{Store: st}
			// The third append is the set-back.
			b := &failNthAppend{Broker: NewMemoryBroker(0), n: 3, err: tc.err, land: tc.land}
			h := NewHub(Config{Broker: b, Meetings: meetings{"m1": testMeeting(2)}, Journal: j})
			if _, err := h.CheckIn(ctx, "m1", delegateID(0)); err != nil {
				t.Fatal(err)
			}
			st.refuse.Store(true)
			if _, err := h.CheckIn(ctx, "m1", delegateID(1)); phonghop.ErrorCode(err) != phonghop.EUnavailable {
				t.Fatalf("check-in: %v", err)
			}
			if n := h.Stats().Unjournaled; !tc.land && n != 1 { // a landed set-back is found at once
				t.Fatalf("unjournaled %d, want 1", n)
			}
			st0, _, err := h.State(ctx, "m1")
			if err != nil || len(st0.Attendance.Present) != tc.present {
				t.Fatalf("the room: %+v, %v", st0.Attendance, err)
			}
			st.refuse.Store(false)
			waitUntil(t, 10*time.Second, "the background write to end", func() bool { return h.Stats().Unjournaled == 0 })
			entries, err := j.Entries(ctx, "m1")
			if err != nil || len(entries) != tc.present || entries[len(entries)-1].Seq != uint64(tc.present) {
				t.Fatalf("journal %+v (%v), want %d entries", entries, err, tc.present)
			}
			// The room's state rebuilt from the journal is what the room showed.
			latest, _, err := RestoreFromJournal(j)(ctx, "m1")
			if err != nil {
				t.Fatal(err)
			}
			var a Attendance
			for _, ev := range latest {
				if ev.Subject == SubjectAttendance {
					json.Unmarshal(ev.Payload, &a)
				}
			}
			if len(a.Present) != tc.present {
				t.Fatalf("attendance restored from the journal: %+v", a)
			}
		})
	}
}

func waitUntil(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// landingStore is a real store whose writes land but are answered with a
// failure while fail is set, as S3 answering 500 after the write.
type landingStore struct {
	storage.Store
	fail atomic.Bool
}

func (s *landingStore) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	in, err := s.Store.Put(ctx, key, r, size, o)
	if s.fail.Load() {
		return storage.Info{}, fmt.Errorf("answer lost: %w", storage.ErrUnavailable)
	}
	return in, err
}

// A journal write that landed but was answered with failures for as long as
// it was retried: the room sets the change back, and the journal, which holds
// the change, gets the setting back too, so both show the change undone (the
// minutes and a room restored from the journal do not show a check-in the
// room took back).
func TestSetBackIsJournaledWhenTheChangeLanded(t *testing.T) {
	shortRecordTimeout(t)
	ctx := context.Background()
	base := tempStore(t)
	st := &landingStore{Store: base}
	j := &journal.Journal{Store: st}
	b := NewMemoryBroker(0) // without Journal, like natsbroker
	h := NewHub(Config{Broker: b, Meetings: meetings{"m1": testMeeting(2)}, Journal: j})
	if _, err := h.CheckIn(ctx, "m1", delegateID(0)); err != nil {
		t.Fatal(err)
	}
	st.fail.Store(true)
	if _, err := h.CheckIn(ctx, "m1", delegateID(1)); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("check-in: %v", err)
	}
	st.fail.Store(false)
	waitUntil(t, 10*time.Second, "the background write to end", func() bool { return h.Stats().Unjournaled == 0 })
	entries, err := j.Entries(ctx, "m1")
	if err != nil || len(entries) != 3 || entries[2].Seq != 3 {
		t.Fatalf("journal %+v (%v), want the check-in, the refused one and its setting back", entries, err)
	}
	latest, _, err := RestoreFromJournal(j)(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range latest {
		var a Attendance
		if ev.Subject == SubjectAttendance && (json.Unmarshal(ev.Payload, &a) != nil || len(a.Present) != 1) {
			t.Fatalf("attendance restored from the journal: %s", ev.Payload)
		}
	}
}

// blindBroker is a broker whose reads of past events (Since) fail while blind
// is set, as NATS not answering once a publish's answer was lost.
type blindBroker struct {
	*failNthAppend
	blind atomic.Bool
}

func (b *blindBroker) Since(ctx context.Context, mid string, after uint64) ([]Event, bool, error) {
	if b.blind.Load() {
		return nil, false, errDown
	}
	return b.failNthAppend.Since(ctx, mid, after)
}

// An append whose answer was lost (ErrUnanswered) may have landed and reached
// the tablets. Found at once, the change is done: journaled, answered with
// its seq. Not found (the broker does not answer, or the event may still be
// on its way), the caller is told it failed and the hub looks again in the
// background: one that landed is
// journaled at its seq, one that never landed leaves the journal alone.
// Before, a landed one stood in the room and was never journaled.
func TestUnansweredAppendIsLookedFor(t *testing.T) {
	shortRecordTimeout(t)
	lost := fmt.Errorf("%w: nats: timeout", ErrUnanswered)
	for _, tc := range []struct {
		name        string
		land, blind bool
		present     int // in the room and the journal
	}{
		{"landed, found at once", true, false, 2},
		{"landed, found later", true, true, 2},
		{"never landed", false, true, 1},
		{"never landed, not found at once", false, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := tempStore(t)
			j := &journal.Journal{Store: st}
			b := &blindBroker{failNthAppend: &failNthAppend{Broker: NewMemoryBroker(0), n: 2, err: lost, land: tc.land}}
			h := NewHub(Config{Broker: b, Meetings: meetings{"m1": testMeeting(2)}, Journal: j})
			if _, err := h.CheckIn(ctx, "m1", delegateID(0)); err != nil {
				t.Fatal(err)
			}
			b.blind.Store(tc.blind)
			seq, err := h.CheckIn(ctx, "m1", delegateID(1))
			if found := tc.land && !tc.blind; found && (err != nil || seq != 2) || !found && phonghop.ErrorCode(err) != phonghop.EUnavailable {
				t.Fatalf("check-in: %d, %v", seq, err)
			}
			// Not found at once, it may still be on its way: looked for again.
			if n := h.Stats().Unjournaled; n != 0 != (!tc.land || tc.blind) {
				t.Fatalf("unjournaled %d", n)
			}
			b.blind.Store(false)
			waitUntil(t, 10*time.Second, "the background look to end", func() bool { return h.Stats().Unjournaled == 0 })
			st0, _, err := h.State(ctx, "m1")
			if err != nil || len(st0.Attendance.Present) != tc.present {
				t.Fatalf("the room: %+v, %v", st0.Attendance, err)
			}
			entries, err := j.Entries(ctx, "m1")
			if err != nil || len(entries) != tc.present || entries[len(entries)-1].Seq != uint64(tc.present) {
				t.Fatalf("journal %+v (%v), want %d entries", entries, err, tc.present)
			}
		})
	}
}

// A set-up change whose append went unanswered but landed reached the
// tablets: it is found, journaled and answered as done (before: the caller
// was told it failed and the journal never got it).
func TestSetUpChangeWhoseAnswerWasLostIsJournaled(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	j := &journal.Journal{Store: st}
	b := &failNthAppend{Broker: NewMemoryBroker(0), n: 2, err: fmt.Errorf("%w: nats: timeout", ErrUnanswered), land: true}
	h := NewHub(Config{Broker: b, Meetings: meetings{"m1": testMeeting(2)}, Journal: j})
	if _, err := h.CheckIn(ctx, "m1", delegateID(0)); err != nil {
		t.Fatal(err)
	}
	if err := h.RecordChange(ctx, "m1", "u", phonghop.Change{Revision: 1, Action: "agenda.updated", ItemID: "i1"}); err != nil {
		t.Fatalf("set-up change: %v", err)
	}
	entries, err := j.Entries(ctx, "m1")
	if err != nil || len(entries) != 2 || entries[1].Seq != 2 {
		t.Fatalf("journal %+v (%v), want the check-in and the set-up change", entries, err)
	}
}

// tempStore is a data directory of the test's own.
func tempStore(t *testing.T) *fsstore.Store {
	t.Helper()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}
