package natsbroker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/natsbroker/natstest"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// journaled is a process whose broker restores from, and records seqs in, a
// journal on a real store shared by every process (as S3 is in a cluster).
func journaled(t testing.TB, natsURL string, m *phonghop.Meeting, j *journal.Journal) *process {
	t.Helper()
	return journaledAt(t, natsURL, "", m, j)
}

// journaledAt is journaled on streams named with prefix ("" for the default),
// for a test that wants a cluster whose streams are new, so every meeting
// comes from the journal.
func journaledAt(t testing.TB, natsURL, prefix string, m *phonghop.Meeting, j *journal.Journal) *process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	br, err := New(ctx, Config{URL: natsURL, StreamPrefix: prefix, Timeout: 2 * time.Second, ReconnectWait: 100 * time.Millisecond,
		Restore: live.RestoreFromJournal(j), Reserve: j.Reserve})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.Close() })
	p := &process{broker: br}
	p.hub = live.NewHub(live.Config{Broker: br, Meetings: meetings{m}, Journal: j})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p.hub.ServeWS(w, r, live.Client{MeetingID: m.ID, User: phonghop.User{ID: q.Get("user")}, SessionID: q.Get("session")})
	}))
	p.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.hub.Shutdown(ctx)
		srv.Close()
	})
	return p
}

func testJournal(t testing.TB) *journal.Journal {
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &journal.Journal{Store: st}
}

func always(context.Context, string, []live.Event) (bool, error) { return true, nil }

func streamGone(t testing.TB, p *process, meetingID string) bool {
	t.Helper()
	info, err := p.broker.streamInfo(context.Background(), p.broker.streamName(meetingID))
	if err != nil {
		t.Fatal(err)
	}
	return info == nil
}

// A meeting's stream is removed once the meeting ended and nothing used it for
// the idle time; whoever comes back finds the room as the journal has it, on
// any process, with seqs above every seq the removed stream handed out: a
// tablet reconnecting with a since from before gets a snapshot (never a replay
// with a hole), and changes made afterwards build on the restored state, also
// on a process that last read the removed stream.
func TestRetiredMeetingComesBackFromTheJournal(t *testing.T) {
	url := natstest.URL(t)
	j := testJournal(t)
	m := testMeeting(newMeetingID(), 4)
	a, b := journaled(t, url, m, j), journaled(t, url, m, j)
	sweeper := journaled(t, url, m, j) // a third process, which retires it
	ctx := context.Background()

	tablet := b.dial(t, delegateID(0), "")
	expect(t, tablet, "snapshot", 0)
	if _, err := a.hub.Present(ctx, m.ID, chair, live.Presentation{AgendaItemID: "i1", DocumentID: "doc1", Page: 1}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := b.hub.CheckIn(ctx, m.ID, delegateID(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.hub.RequestToSpeak(ctx, m.ID, delegateID(2)); err != nil {
		t.Fatal(err)
	}
	// Page turns within the document are not journaled: the last one is
	// what the removed stream handed out last.
	last, err := a.hub.Present(ctx, m.ID, chair, live.Presentation{AgendaItemID: "i1", DocumentID: "doc1", Page: 7})
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= last; seq++ {
		readFrame(t, tablet, 5*time.Second)
	}
	before, _, err := a.hub.State(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}

	// In use: a tablet is connected (its room reads the stream).
	if r, err := sweeper.broker.Retire(ctx, m.ID, 0, always); err != nil || r != KeptInUse {
		t.Fatalf("retire with a tablet connected: %v, %v", r, err)
	}
	tablet.Close()
	// Written within the idle time.
	if r, err := sweeper.broker.Retire(ctx, m.ID, time.Hour, always); err != nil || r != KeptInUse {
		t.Fatalf("retire of a meeting written a moment ago: %v, %v", r, err)
	}
	// Not ended.
	notEnded := func(context.Context, string, []live.Event) (bool, error) { return false, nil }
	waitFor(t, 5*time.Second, "the tablet's consumer to go", func() bool {
		r, err := sweeper.broker.Retire(ctx, m.ID, 0, notEnded)
		return err == nil && r == KeptOpen
	})
	if streamGone(t, a, m.ID) {
		t.Fatal("a meeting in use was removed")
	}
	if r, err := sweeper.broker.Retire(ctx, m.ID, 0, always); err != nil || r != Removed {
		t.Fatalf("retire of an ended idle meeting: %v, %v", r, err)
	}
	if !streamGone(t, a, m.ID) {
		t.Fatal("stream still there")
	}

	// The tablet comes back to A with its since: a snapshot above every seq
	// handed out, with the room as the journal has it (the presentation at the
	// page where its document was put on screen).
	back := a.dial(t, delegateID(0), "&since="+itoa(last))
	f := readFrame(t, back, 5*time.Second)
	if f.Type != "snapshot" || f.Seq <= last {
		t.Fatalf("reconnecting with since=%d after the removal: %s seq %d", last, f.Type, f.Seq)
	}
	if len(f.State.Attendance.Present) != 3 || f.State.Presentation == nil || f.State.Presentation.DocumentID != "doc1" ||
		f.State.Presentation.Page != 1 || len(f.State.Speakers.Queue) != 1 {
		t.Fatalf("restored state %+v (before: %+v)", f.State, before)
	}
	// B last read the removed stream: a change it makes builds on the
	// restored attendance, not on an empty one, and reaches A's tablet.
	seq, err := b.hub.CheckIn(ctx, m.ID, delegateID(3))
	if err != nil || seq <= f.Seq {
		t.Fatalf("check-in on B after the removal: seq %d (snapshot %d), %v", seq, f.Seq, err)
	}
	g := expect(t, back, "attendance", seq)
	if len(g.Attendance.Present) != 4 {
		t.Fatalf("attendance after the removal: %v", g.Attendance.Present)
	}
	// And the speakers' queue, changed on A, keeps the restored request.
	if _, err := a.hub.RequestToSpeak(ctx, m.ID, delegateID(0)); err != nil {
		t.Fatal(err)
	}
	st, _, err := b.hub.State(ctx, m.ID)
	if err != nil || len(st.Speakers.Queue) != 2 || len(st.Attendance.Present) != 4 {
		t.Fatalf("state on B: %+v, %v", st, err)
	}
	// A since from the new stream replays exactly.
	late := b.dial(t, delegateID(1), "&since="+itoa(f.Seq))
	expect(t, late, "attendance", seq)
	expect(t, late, "speakers", seq+1)

	// Removed again, it comes back again above both.
	late.Close()
	back.Close()
	waitFor(t, 5*time.Second, "second removal", func() bool {
		r, err := sweeper.broker.Retire(ctx, m.ID, 0, always)
		return err == nil && r == Removed
	})
	st2, seq2, err := a.hub.State(ctx, m.ID)
	if err != nil || seq2 <= seq+1 || len(st2.Speakers.Queue) != 2 || len(st2.Attendance.Present) != 4 {
		t.Fatalf("after the second removal: seq %d, %+v, %v", seq2, st2, err)
	}
}

// Several processes sweep at once: each meeting is removed once, and the
// others pass over it; a sweep leaves alone what is in use.
func TestSweepRacing(t *testing.T) {
	url := natstest.URL(t)
	j := testJournal(t)
	ctx := context.Background()
	var ms []*phonghop.Meeting
	var procs []*process
	for i := 0; i < 6; i++ {
		m := testMeeting(newMeetingID(), 2)
		ms = append(ms, m)
		p := journaled(t, url, m, j)
		procs = append(procs, p)
		if _, err := p.hub.CheckIn(ctx, m.ID, delegateID(0)); err != nil {
			t.Fatal(err)
		}
	}
	// The last meeting has a tablet connected.
	inUse := procs[5].dial(t, delegateID(1), "")
	expect(t, inUse, "snapshot", 1)
	mine := map[string]bool{}
	for _, m := range ms {
		mine[m.ID] = true
	}
	onlyMine := func(_ context.Context, id string, _ []live.Event) (bool, error) { return mine[id], nil }
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := procs[i].broker.Sweep(ctx, 0, onlyMine)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total != 5 {
		t.Fatalf("removed %d streams, want 5", total)
	}
	for i, m := range ms {
		if gone := streamGone(t, procs[0], m.ID); gone != (i < 5) {
			t.Fatalf("meeting %d: gone %v", i, gone)
		}
	}
	// Each comes back with its check-in, above its old seq.
	for i, m := range ms[:5] {
		st, seq, err := procs[i].hub.State(ctx, m.ID)
		if err != nil || seq <= 1 || len(st.Attendance.Present) != 1 {
			t.Fatalf("meeting %d after the sweep: seq %d, %+v, %v", i, seq, st.Attendance, err)
		}
	}
}

// An append that meets a stream being retired (sealed) waits until it is gone
// and lands in the new one, above every seq the old one handed out, built on
// the restored state.
func TestAppendDuringRetirement(t *testing.T) {
	url := natstest.URL(t)
	j := testJournal(t)
	m := testMeeting(newMeetingID(), 3)
	a, b := journaled(t, url, m, j), journaled(t, url, m, j)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := a.hub.CheckIn(ctx, m.ID, delegateID(i)); err != nil {
			t.Fatal(err)
		}
	}
	// Seal it as Retire does, then let the append run into it.
	info, err := a.broker.streamInfo(ctx, a.broker.streamName(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	cfg := info.Config
	cfg.Sealed = true
	if _, err := a.broker.js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	type result struct {
		seq uint64
		err error
	}
	done := make(chan result, 1)
	go func() {
		seq, err := b.hub.CheckIn(ctx, m.ID, delegateID(2))
		done <- result{seq, err}
	}()
	time.Sleep(300 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("the append to a sealed stream returned before it was removed: %+v", r)
	default:
	}
	// A retirement cut short after sealing is finished by the next one,
	// whether or not the meeting has ended.
	never := func(context.Context, string, []live.Event) (bool, error) { return false, nil }
	if r, err := a.broker.Retire(ctx, m.ID, time.Hour, never); err != nil || r != Removed {
		t.Fatalf("finishing a sealed stream's retirement: %v, %v", r, err)
	}
	r := <-done
	if r.err != nil || r.seq <= 2 {
		t.Fatalf("check-in during the retirement: seq %d, %v", r.seq, r.err)
	}
	at, err := a.hub.Attendance(ctx, m.ID)
	if err != nil || len(at.Present) != 3 {
		t.Fatalf("attendance: %+v, %v", at, err)
	}
}

// A process that died between creating a stream again and putting the
// restored state in leaves it taking only the base subject: the next process
// to use it finishes it, and no change lands on a room without its state.
func TestStreamLeftOpeningIsFinished(t *testing.T) {
	url := natstest.URL(t)
	j := testJournal(t)
	m := testMeeting(newMeetingID(), 3)
	a, b := journaled(t, url, m, j), journaled(t, url, m, j)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := a.hub.CheckIn(ctx, m.ID, delegateID(i)); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := a.broker.Retire(ctx, m.ID, 0, always); err != nil || r != Removed {
		t.Fatalf("retire: %v, %v", r, err)
	}
	// The creator's first step only.
	cfg := a.broker.streamConfig(m.ID)
	cfg.FirstSeq = 4
	cfg.Subjects = []string{a.broker.subjectOf(m.ID, baseSubject)}
	if _, err := a.broker.js.CreateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	// B knew the old stream; its check-in must not build on an empty room.
	if _, err := b.hub.CheckIn(ctx, m.ID, delegateID(2)); err != nil {
		t.Fatal(err)
	}
	at, err := a.hub.Attendance(ctx, m.ID)
	if err != nil || len(at.Present) != 3 {
		t.Fatalf("attendance: %+v, %v", at, err)
	}
	s, err := a.broker.js.Stream(ctx, a.broker.streamName(m.ID))
	if err != nil || len(s.CachedInfo().Config.Subjects) != 1 || s.CachedInfo().Config.Subjects[0] != a.broker.subjects(m.ID) {
		t.Fatalf("stream not opened: %v", err)
	}
}

// Retire refuses to run without a journal to restore from.
func TestRetireNeedsTheJournal(t *testing.T) {
	b := open(t, natstest.URL(t))
	if _, err := b.Retire(context.Background(), "m1", 0, always); err == nil {
		t.Fatal("retire without Restore and Reserve")
	}
	if _, err := b.Append(context.Background(), "m1", live.Event{Subject: baseSubject, Type: "x", Payload: []byte("{}")}, -1); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Fatalf("append on the base subject: %v", err)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
