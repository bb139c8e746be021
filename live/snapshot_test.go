package live

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/phonghop/phonghop"
)

// stateOfFrame is a snapshot's state, without the clock.
func stateOfFrame(t *testing.T, f frame) string {
	t.Helper()
	if f.Type != "snapshot" {
		t.Fatalf("want a snapshot, got %s", f.raw)
	}
	i := bytes.Index(f.raw, []byte(`"state":`))
	return string(f.raw[i:])
}

// Sockets connecting at one seq share one snapshot; a new event, a changed
// set-up (even at the same seq) and what each viewer may see are never served
// from another's.
func TestSnapshotSharedButNeverStale(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := e.hub.CheckIn(ctx, "m1", delegateID(i)); err != nil {
			t.Fatal(err)
		}
	}
	a := readType(t, e.dial(delegateID(0), ""), "snapshot")
	b := readType(t, e.dial(delegateID(1), ""), "snapshot")
	if a.Seq != 3 || stateOfFrame(t, a) != stateOfFrame(t, b) || len(a.State.Attendance.Present) != 3 {
		t.Fatalf("two sockets at seq 3:\n%s\n%s", a.raw, b.raw)
	}

	// A new event: the next socket gets the new state.
	if _, err := e.hub.CheckIn(ctx, "m1", delegateID(3)); err != nil {
		t.Fatal(err)
	}
	if f := readType(t, e.dial(delegateID(4), ""), "snapshot"); f.Seq != 4 || len(f.State.Attendance.Present) != 4 {
		t.Fatalf("after a check-in: %s", f.raw)
	}

	// The set-up changes with no event (another process's edit, seen through
	// the meeting source): d03 no longer takes part, so is not counted present.
	ms := e.hub.cfg.Meetings.(meetings)
	changed := *ms["m1"]
	changed.Participants = nil
	for _, p := range ms["m1"].Participants {
		if p.UserID != delegateID(3) {
			changed.Participants = append(changed.Participants, p)
		}
	}
	changed.Index()
	ms["m1"] = &changed
	f := readType(t, e.dial(delegateID(4), ""), "snapshot")
	if f.Seq != 4 || len(f.State.Attendance.Present) != 3 || f.State.Attendance.Expected != 5 {
		t.Fatalf("after the set-up changed at the same seq: %s", f.raw)
	}

	// A change for the chair's eyes only (a confidential document's): the
	// chair's snapshot carries it, a delegate's does not, whoever comes first.
	if err := e.hub.RecordChange(ctx, "m1", chairID, phonghop.Change{Revision: 7, Action: "document.replaced", DocumentID: "doc1",
		Audience: []string{chairID}}); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{delegateID(0), chairID, delegateID(1), chairID} {
		f := readType(t, e.dial(user, ""), "snapshot")
		if got, want := f.State.Setup != nil, user == chairID; got != want {
			t.Fatalf("%s: setup in snapshot %v, want %v: %s", user, got, want, f.raw)
		}
	}
	// A change for everyone replaces it.
	if err := e.hub.RecordChange(ctx, "m1", chairID, phonghop.Change{Revision: 8, Action: "meeting.updated"}); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{delegateID(0), chairID} {
		f := readType(t, e.dial(user, ""), "snapshot")
		if f.Seq != 6 || !bytes.Contains(f.State.Setup, []byte(`"revision":8`)) {
			t.Fatalf("%s: %s", user, f.raw)
		}
	}
}

// The cache keeps the newest seq only, and a bounded number of audiences;
// a socket that read an older seq still gets that seq's state.
func TestSnapshotCacheBounds(t *testing.T) {
	m := testMeeting(3)
	m.Index()
	ctx := context.Background()
	var c snapshotCache
	evs := func(seq uint64, audience ...string) []Event {
		return []Event{
			{Seq: 1, Subject: SubjectPresentation, Type: TypePresentation, Payload: []byte(fmt.Sprintf(`{"agendaItemId":"i1","documentId":"doc1","page":%d}`, seq))},
			{Seq: seq, Subject: SubjectSetup, Type: TypeSetup, Payload: []byte(`{"revision":1}`), Audience: audience, Restricted: audience != nil},
		}
	}
	if _, err := c.state(ctx, m, evs(5), 5, chairID); err != nil {
		t.Fatal(err)
	}
	old, err := c.state(ctx, m, evs(4), 4, chairID)
	if err != nil || !bytes.Contains(old, []byte(`"page":4`)) || c.seq != 5 {
		t.Fatalf("older seq: %s %v (cache at %d)", old, err, c.seq)
	}
	for i := 0; i < 3*maxSnapshotVariants; i++ {
		users := make([]string, i+1)
		for j := range users {
			users[j] = fmt.Sprint("u", j)
		}
		// Each user sees a different set of restricted events.
		e := evs(9, users...)
		e = append(e, Event{Seq: 8, Subject: SubjectSpeakers, Type: TypeSpeakers, Payload: []byte(`{"current":null,"queue":[]}`),
			Audience: []string{fmt.Sprint("u", i)}, Restricted: true})
		if _, err := c.state(ctx, m, e, 9, fmt.Sprint("u", i)); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.variants) > maxSnapshotVariants {
		t.Fatalf("%d variants kept", len(c.variants))
	}
}
