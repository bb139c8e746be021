package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
)

// deltaFrameOf reads an attendance frame sent as a delta.
func readDelta(t *testing.T, c *websocket.Conn) (uint64, AttendanceDelta) {
	t.Helper()
	f := readType(t, c, "attendance")
	var d struct {
		Attendance map[string]json.RawMessage `json:"attendance"`
	}
	if err := json.Unmarshal(f.raw, &d); err != nil {
		t.Fatal(err)
	}
	if _, full := d.Attendance["present"]; full {
		t.Fatalf("a full event to a socket that asked for deltas: %s", f.raw)
	}
	var out struct {
		Attendance AttendanceDelta `json:"attendance"`
	}
	if err := json.Unmarshal(f.raw, &out); err != nil || out.Attendance.In == nil || out.Attendance.Out == nil {
		t.Fatalf("delta %s: %v", f.raw, err)
	}
	return f.Seq, out.Attendance
}

// Issue #16: a socket that asks for deltas (?features=attendanceDelta) gets
// each attendance change as who came in and went out, the marks made or
// cleared and the counts (the quorum display needs nothing more); applied in
// order to its snapshot they give exactly the full event's attendance. A
// socket that did not ask gets today's full event, byte for byte.
func TestAttendanceDeltas(t *testing.T) {
	e := newEnv(t, func(c *Config, o *envOpts) { o.delegates = 5 }) // 6 voters: 4 make a quorum
	ctx := context.Background()
	old := e.dial(observerID, "")
	neu := e.dial(secretaryID, "&features=other,"+FeatureAttendanceDelta)
	readType(t, old, "snapshot")
	snap := readType(t, neu, "snapshot")
	fold := attendanceFold{a: snap.State.Attendance}
	lastAttendance := snap.State.Attendance.Seq
	if lastAttendance != 0 {
		t.Fatalf("snapshot's attendance seq %d before any", lastAttendance)
	}

	sec := phonghop.User{ID: secretaryID}
	steps := []struct {
		do              func() (uint64, error)
		in, out, unmark []string
		marked          string
		quorum          bool
	}{
		{do: func() (uint64, error) { return e.hub.CheckIn(ctx, "m1", delegateID(0)) }, in: []string{delegateID(0)}},
		{do: func() (uint64, error) { return e.hub.CheckIn(ctx, "m1", delegateID(1)) }, in: []string{delegateID(1)}},
		{do: func() (uint64, error) { return e.hub.CheckIn(ctx, "m1", chairID) }, in: []string{chairID}}, // not a voter
		{do: func() (uint64, error) { return e.hub.CheckIn(ctx, "m1", presenterID) }, in: []string{presenterID}},
		// The fourth voter: the quorum flips.
		{do: func() (uint64, error) { return e.hub.CheckIn(ctx, "m1", delegateID(2)) }, in: []string{delegateID(2)}, quorum: true},
		// Marked absent on their behalf: a mark, nobody in or out.
		{do: func() (uint64, error) {
			return e.hub.MarkAttendance(ctx, "m1", sec, delegateID(3), false, "Đi công tác")
		}, marked: delegateID(3), quorum: true},
		// Their own check-in clears the mark.
		{do: func() (uint64, error) { return e.hub.CheckIn(ctx, "m1", delegateID(3)) }, in: []string{delegateID(3)}, unmark: []string{delegateID(3)}, quorum: true},
		{do: func() (uint64, error) { return e.hub.CheckOut(ctx, "m1", delegateID(0)) }, out: []string{delegateID(0)}, quorum: true},
		// Down to three voters: the quorum is lost.
		{do: func() (uint64, error) { return e.hub.CheckOut(ctx, "m1", delegateID(1)) }, out: []string{delegateID(1)}},
	}
	for i, s := range steps {
		seq, err := s.do()
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		// The old socket: the full event, as before deltas existed.
		a, err := e.hub.Attendance(ctx, "m1")
		if err != nil {
			t.Fatal(err)
		}
		a.Seq = 0
		payload, _ := json.Marshal(a)
		want := fmt.Sprintf(`{"type":"attendance","seq":%d,"attendance":%s}`, seq, payload)
		if f := readType(t, old, "attendance"); string(f.raw) != want {
			t.Fatalf("step %d: the full event changed:\n got %s\nwant %s", i, f.raw, want)
		}
		// The new one: the delta.
		dseq, d := readDelta(t, neu)
		if dseq != seq || d.Prev != lastAttendance {
			t.Fatalf("step %d: seq %d prev %d, want %d after %d", i, dseq, d.Prev, seq, lastAttendance)
		}
		lastAttendance = seq
		if fmt.Sprint(d.In) != fmt.Sprint(orEmpty(s.in)) || fmt.Sprint(d.Out) != fmt.Sprint(orEmpty(s.out)) || fmt.Sprint(d.Unmarked) != fmt.Sprint(orEmpty(s.unmark)) {
			t.Fatalf("step %d: in %v out %v unmarked %v", i, d.In, d.Out, d.Unmarked)
		}
		if s.marked != "" {
			if mk, ok := d.Marks[s.marked]; !ok || mk.Present || mk.Reason != "Đi công tác" || mk.By != secretaryID || len(d.Marks) != 1 {
				t.Fatalf("step %d: marks %+v", i, d.Marks)
			}
		} else if len(d.Marks) != 0 {
			t.Fatalf("step %d: marks %+v", i, d.Marks)
		}
		if d.Quorum != s.quorum || d.Count != len(a.Present) || d.Expected != 6 || d.QuorumNeeded != 4 || d.PresentDelegates != a.PresentDelegates {
			t.Fatalf("step %d: %+v against %+v", i, d, a)
		}
		fold.apply(d)
		got := fold.attendance()
		got.Seq = 0
		if !reflect.DeepEqual(got, a) {
			t.Fatalf("step %d: deltas applied give %+v, want %+v", i, got, a)
		}
	}
	// A check-in that changes nothing sends nothing.
	if _, err := e.hub.CheckIn(ctx, "m1", delegateID(2)); err != nil {
		t.Fatal(err)
	}
	quiet(t, neu)

	// The journal holds deltas, not the list again: each entry names one
	// participant.
	var entries []journal.Entry
	for _, en := range e.rec.list() {
		if en.Type == TypeAttendance {
			entries = append(entries, en)
			if strings.Contains(string(en.Data), `"present":[`) || len(en.Data) > 400 {
				t.Fatalf("journal entry %d holds the whole list: %s", en.Seq, en.Data)
			}
		}
	}
	if len(entries) != len(steps) {
		t.Fatalf("%d journaled, want %d", len(entries), len(steps))
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Replay with since gives a delta socket the deltas it missed, in order, each
// naming the one before it; a full socket gets the full events. A snapshot
// names the attendance event it holds, the base of the next delta.
func TestAttendanceDeltasReplay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		if _, err := e.hub.CheckIn(ctx, "m1", delegateID(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.hub.RequestToSpeak(ctx, "m1", delegateID(0)); err != nil { // seq 5, not attendance
		t.Fatal(err)
	}
	if _, err := e.hub.CheckOut(ctx, "m1", delegateID(1)); err != nil { // seq 6
		t.Fatal(err)
	}
	d := e.dial(delegateID(4), "&since=1&features="+FeatureAttendanceDelta)
	prev := uint64(1)
	for _, want := range []struct {
		seq     uint64
		in, out string
	}{{2, delegateID(1), ""}, {3, delegateID(2), ""}, {4, delegateID(3), ""}} {
		seq, dl := readDelta(t, d)
		if seq != want.seq || dl.Prev != prev || fmt.Sprint(dl.In) != "["+want.in+"]" || len(dl.Out) != 0 {
			t.Fatalf("replayed %d %+v, want %+v after %d", seq, dl, want, prev)
		}
		prev = seq
	}
	readType(t, d, "speakers")
	if seq, dl := readDelta(t, d); seq != 6 || dl.Prev != 4 || fmt.Sprint(dl.Out) != "["+delegateID(1)+"]" || dl.Count != 3 {
		t.Fatalf("replayed %d %+v", seq, dl)
	}
	quiet(t, d)

	full := e.dial(delegateID(4), "&since=4")
	readType(t, full, "speakers")
	if f := readType(t, full, "attendance"); f.Seq != 6 || fmt.Sprint(f.Attendance.Present) != fmt.Sprint([]string{delegateID(0), delegateID(2), delegateID(3)}) {
		t.Fatalf("full replay %s", f.raw)
	}

	// The snapshot's attendance names seq 6: a delta client checks the next
	// delta's prev against it.
	snap := readType(t, e.dial(delegateID(4), "&features="+FeatureAttendanceDelta), "snapshot")
	if snap.State.Attendance.Seq != 6 || len(snap.State.Attendance.Present) != 3 {
		t.Fatalf("snapshot attendance %+v", snap.State.Attendance)
	}
	if !strings.Contains(string(readType(t, e.dial(delegateID(4), ""), "snapshot").raw), `"seq":6`) {
		t.Fatal("a snapshot without the attendance seq")
	}
}

// A room restored from a journal that holds whole lists (written before
// deltas) followed by deltas is the room as it was; the next delta builds on
// the restored attendance event.
func TestRestoreFromMixedJournal(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	j := &journal.Journal{Store: st}
	meeting := testMeeting(5)
	// An older server's journal: whole lists, a mark among them.
	old := func(seq uint64, a Attendance) {
		data, _ := json.Marshal(a)
		if err := j.Append(ctx, "m1", journal.Entry{Seq: seq, Type: TypeAttendance, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	old(1, attendanceOf(meeting, []string{delegateID(0)}, nil))
	old(2, attendanceOf(meeting, []string{delegateID(0), delegateID(1)}, map[string]AttendanceMark{delegateID(4): {Present: false, Reason: "Ốm", By: secretaryID}}))
	if err := j.Reserve(ctx, "m1", 2); err != nil {
		t.Fatal(err)
	}

	restart := func() *Hub {
		b := NewMemoryBroker(8)
		b.Restore, b.Journal = RestoreFromJournal(j), j
		h := NewHub(Config{Broker: b, Meetings: meetings{"m1": meeting}})
		t.Cleanup(func() { h.Shutdown(ctx) })
		return h
	}
	h := restart()
	if a, err := h.Attendance(ctx, "m1"); err != nil || fmt.Sprint(a.Present) != "[d00 d01]" || a.Marks[delegateID(4)].Reason != "Ốm" {
		t.Fatalf("restored from whole lists: %+v %v", a, err)
	}
	// This server writes deltas.
	if _, err := h.CheckIn(ctx, "m1", delegateID(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.CheckOut(ctx, "m1", delegateID(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.MarkAttendance(ctx, "m1", phonghop.User{ID: chairID}, delegateID(3), true, "Không có máy tính bảng"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.CheckIn(ctx, "m1", delegateID(4)); err != nil { // clears the mark made for them
		t.Fatal(err)
	}
	want, err := h.Attendance(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := j.Entries(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	forms := ""
	for _, en := range entries {
		if strings.Contains(string(en.Data), `"present":[`) {
			forms += "L"
		} else if strings.Contains(string(en.Data), `"in":[`) {
			forms += "D"
		}
	}
	if forms != "LLDDDD" {
		t.Fatalf("journal forms %s", forms)
	}

	h = restart()
	got, seq, err := h.State(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Attendance.Present, want.Present) || !reflect.DeepEqual(got.Attendance.Marks, marksAt(want.Marks)) ||
		got.Attendance.Quorum != want.Quorum || got.Attendance.Seq != 6 || seq < 6 {
		t.Fatalf("restored %+v at %d, want %+v", got.Attendance, seq, want)
	}
	if fmt.Sprint(got.Attendance.Present) != "[d01 d02 d03 d04]" || len(got.Attendance.Marks) != 1 {
		t.Fatalf("restored %+v", got.Attendance)
	}
	// The next change is a delta after the restored event.
	if _, err := h.CheckOut(ctx, "m1", delegateID(1)); err != nil {
		t.Fatal(err)
	}
	entries, _ = j.Entries(ctx, "m1")
	var d AttendanceDelta
	if err := json.Unmarshal(entries[len(entries)-1].Data, &d); err != nil || d.Prev != 6 || fmt.Sprint(d.Out) != "[d01]" || d.Count != 3 {
		t.Fatalf("after the restart: %+v %v", d, err)
	}
}

// marksAt drops the monotonic clock reading, as a round trip through JSON does.
func marksAt(m map[string]AttendanceMark) map[string]AttendanceMark {
	out := map[string]AttendanceMark{}
	for id, mk := range m {
		mk.At = mk.At.Round(0)
		out[id] = mk
	}
	return out
}

// countingBroker counts the read-modify-write rounds (Last) and the
// conflicts.
type countingBroker struct {
	Broker
	lasts, conflicts atomic.Int64
}

func (b *countingBroker) Last(ctx context.Context, meetingID string) ([]Event, uint64, error) {
	b.lasts.Add(1)
	return b.Broker.Last(ctx, meetingID)
}

func (b *countingBroker) Append(ctx context.Context, meetingID string, ev Event, expect int64) (uint64, error) {
	seq, err := b.Broker.Append(ctx, meetingID, ev, expect)
	if errors.Is(err, ErrConflict) {
		b.conflicts.Add(1)
	}
	return seq, err
}

// Issue #16: a check-in wave on one process. Check-ins racing for the
// attendance subject used to lose to each other and start again (reading,
// decoding and encoding the whole list each time) until room_busy; now they
// take turns, and those that wait together are made as one event: at most
// one round each, no conflict, every one answered with the seq of an event
// that holds its check-in.
func TestCheckInWaveTakesTurns(t *testing.T) {
	const n = 300
	mb := NewMemoryBroker(0)
	b := &countingBroker{Broker: mb}
	h := NewHub(Config{Broker: b, Meetings: meetings{"m1": testMeeting(n)}})
	defer h.Shutdown(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, n)
	seqs := make([]uint64, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			seq, err := h.CheckIn(context.Background(), "m1", delegateID(i))
			if err != nil {
				errs <- err
				return
			}
			seqs[i] = seq
		}(i)
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("check-in refused: %v", err)
	}
	if l, c := b.lasts.Load(), b.conflicts.Load(); l > n || c != 0 {
		t.Fatalf("%d check-ins took %d rounds with %d conflicts", n, l, c)
	}
	evs, complete, err := mb.Since(context.Background(), "m1", 0)
	if err != nil || !complete || len(evs) > n {
		t.Fatalf("%d events for %d check-ins, complete %v, %v", len(evs), n, complete, err)
	}
	in := map[uint64][]string{}
	for _, ev := range evs {
		var d AttendanceDelta
		if err := json.Unmarshal(ev.Delta, &d); err != nil {
			t.Fatal(err)
		}
		in[ev.Seq] = d.In
	}
	for i, seq := range seqs {
		if !slices.Contains(in[seq], delegateID(i)) {
			t.Fatalf("check-in %d answered with seq %d, whose event holds %v", i, seq, in[seq])
		}
	}
	t.Logf("%d check-ins: %d events, %d rounds", n, len(evs), b.lasts.Load())
	if a, _ := h.Attendance(context.Background(), "m1"); len(a.Present) != n {
		t.Fatalf("%d present", len(a.Present))
	}
}
