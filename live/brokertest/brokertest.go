// Package brokertest is the conformance suite every live.Broker must pass: the
// memory broker runs it, and so must the NATS one.
package brokertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop/live"
)

// Open returns two handles onto one backing store, standing for two processes
// (the memory broker may return itself twice). The suite closes neither.
type Open func(t *testing.T) (a, b live.Broker)

// Run runs the suite. Every subtest uses fresh meeting ids.
func Run(t *testing.T, open Open) {
	t.Run("SeqPerMeeting", func(t *testing.T) { testSeq(t, open) })
	t.Run("Expectations", func(t *testing.T) { testExpect(t, open) })
	t.Run("LastAndSince", func(t *testing.T) { testLastSince(t, open) })
	t.Run("SubscribeInOrder", func(t *testing.T) { testSubscribe(t, open) })
	t.Run("ConcurrentReadModifyWrite", func(t *testing.T) { testRMW(t, open) })
	t.Run("Ping", func(t *testing.T) {
		a, b := open(t)
		if err := a.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := b.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func meetingID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "m" + hex.EncodeToString(b)
}

func event(subject, typ, payload string) live.Event {
	return live.Event{Subject: subject, Type: typ, Payload: json.RawMessage(payload), Time: time.Now().UTC().Truncate(time.Millisecond), By: "u1"}
}

func mustAppend(t *testing.T, b live.Broker, mid string, ev live.Event, expect int64) uint64 {
	t.Helper()
	s, err := b.Append(context.Background(), mid, ev, expect)
	if err != nil {
		t.Fatalf("append %s: %v", ev.Subject, err)
	}
	return s
}

func testSeq(t *testing.T, open Open) {
	a, b := open(t)
	m1, m2 := meetingID(), meetingID()
	for i, sub := range []string{"presentation", "attendance", "poll.p1", "presentation"} {
		br := a
		if i%2 == 1 {
			br = b
		}
		if s := mustAppend(t, br, m1, event(sub, "x", `{}`), -1); s != uint64(i+1) {
			t.Fatalf("event %d got seq %d", i+1, s)
		}
	}
	if s := mustAppend(t, b, m2, event("presentation", "x", `{}`), -1); s != 1 {
		t.Fatalf("another meeting starts at 1, got %d", s)
	}
}

func testExpect(t *testing.T, open Open) {
	a, b := open(t)
	ctx := context.Background()
	mid := meetingID()
	if s := mustAppend(t, a, mid, event("attendance", "attendance", `{"n":1}`), 0); s != 1 {
		t.Fatalf("seq %d", s)
	}
	// Someone else's append on another subject does not disturb this one.
	mustAppend(t, b, mid, event("speakers", "speakers", `{}`), 0)
	if _, err := b.Append(ctx, mid, event("attendance", "attendance", `{"n":2}`), 0); !errors.Is(err, live.ErrConflict) {
		t.Fatalf("expecting none on a subject that has events: %v", err)
	}
	if _, err := b.Append(ctx, mid, event("attendance", "attendance", `{"n":2}`), 2); !errors.Is(err, live.ErrConflict) {
		t.Fatalf("expecting another subject's seq: %v", err)
	}
	if s := mustAppend(t, b, mid, event("attendance", "attendance", `{"n":2}`), 1); s != 3 {
		t.Fatalf("seq %d", s)
	}
	if _, err := a.Append(ctx, mid, event("attendance", "attendance", `{"n":3}`), 1); !errors.Is(err, live.ErrConflict) {
		t.Fatalf("stale expectation: %v", err)
	}
	if s := mustAppend(t, a, mid, event("attendance", "attendance", `{"n":3}`), -1); s != 4 {
		t.Fatalf("unconditional: seq %d", s)
	}
}

func testLastSince(t *testing.T, open Open) {
	a, b := open(t)
	ctx := context.Background()
	mid := meetingID()
	evs, last, err := b.Last(ctx, mid)
	if err != nil || last != 0 || len(evs) != 0 {
		t.Fatalf("empty meeting: %v %d %v", evs, last, err)
	}
	want := []live.Event{
		event("presentation", "presentation", `{"page":1}`),
		event("poll.p1", "poll", `{"id":"p1"}`),
		event("presentation", "presentation", `{"page":2}`),
		event("speakers", "speakers", `{"queue":[]}`),
	}
	for i := range want {
		want[i].Seq = mustAppend(t, a, mid, want[i], -1)
	}
	evs, last, err = b.Last(ctx, mid)
	if err != nil || last != 4 || len(evs) != 3 {
		t.Fatalf("last: %v %d %v", evs, last, err)
	}
	slices.SortFunc(evs, func(x, y live.Event) int { return int(x.Seq) - int(y.Seq) })
	for i, w := range []live.Event{want[1], want[2], want[3]} {
		same(t, evs[i], w)
	}
	got, complete, err := b.Since(ctx, mid, 1)
	if err != nil || !complete || len(got) != 3 {
		t.Fatalf("since 1: %d events, %v, %v", len(got), complete, err)
	}
	for i := range got {
		same(t, got[i], want[i+1])
	}
	if got, complete, err := b.Since(ctx, mid, 4); err != nil || !complete || len(got) != 0 {
		t.Fatalf("since last: %v %v %v", got, complete, err)
	}
	if got, _, err := b.Since(ctx, mid, 99); err != nil || len(got) != 0 {
		t.Fatalf("since the future: %v %v", got, err)
	}
}

func same(t *testing.T, got, want live.Event) {
	t.Helper()
	if got.Seq != want.Seq || got.Subject != want.Subject || got.Type != want.Type || got.By != want.By ||
		!got.Time.Equal(want.Time) || !jsonEqual(got.Payload, want.Payload) {
		t.Fatalf("got %+v (%s), want %+v (%s)", got, got.Payload, want, want.Payload)
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && fmt.Sprint(x) == fmt.Sprint(y)
}

func testSubscribe(t *testing.T, open Open) {
	a, b := open(t)
	ctx := context.Background()
	mid := meetingID()
	mustAppend(t, a, mid, event("presentation", "presentation", `{}`), -1) // before: not delivered
	var mu sync.Mutex
	var seqs []uint64
	cancel, err := b.Subscribe(ctx, mid, func(ev live.Event) {
		mu.Lock()
		seqs = append(seqs, ev.Seq)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			br := a
			if w%2 == 1 {
				br = b
			}
			for i := 0; i < each; i++ {
				if _, err := br.Append(ctx, mid, event(fmt.Sprintf("poll.p%d", w), "poll", `{}`), -1); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	n := func() int { mu.Lock(); defer mu.Unlock(); return len(seqs) }
	// Generous: a replicated stream on a loaded two-core machine.
	deadline := time.Now().Add(30 * time.Second)
	for n() < writers*each && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	for i, s := range seqs {
		if s != uint64(i+2) {
			mu.Unlock()
			t.Fatalf("delivery %d has seq %d: want every event after subscribing, in order, once", i, s)
		}
	}
	got := len(seqs)
	mu.Unlock()
	if got != writers*each {
		t.Fatalf("delivered %d of %d", got, writers*each)
	}
	cancel()
	mustAppend(t, a, mid, event("presentation", "presentation", `{}`), -1)
	time.Sleep(100 * time.Millisecond)
	if n() != writers*each {
		t.Fatal("delivered after cancel")
	}
}

func testRMW(t *testing.T, open Open) {
	a, b := open(t)
	ctx := context.Background()
	mid := meetingID()
	// A new meeting: the first opens of its stream on both processes, fifty
	// at once, are part of the race (as when a room's tablets arrive
	// together): each process opens it once for all its callers, and a
	// look-up that the cluster drops while the other process creates the
	// stream is asked again (natsbroker's TestConcurrentFirstOpensShareOne,
	// TestUnansweredLookUpIsAskedAgain).
	const users = 50
	var wg sync.WaitGroup
	for u := 0; u < users; u++ {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			br := a
			if u%2 == 1 {
				br = b
			}
			for {
				evs, _, err := br.Last(ctx, mid)
				if err != nil {
					t.Error(err)
					return
				}
				var present []int
				expect := int64(0)
				for _, ev := range evs {
					if ev.Subject == "attendance" {
						json.Unmarshal(ev.Payload, &present)
						expect = int64(ev.Seq)
					}
				}
				p, _ := json.Marshal(append(present, u))
				_, err = br.Append(ctx, mid, live.Event{Subject: "attendance", Type: "attendance", Payload: p}, expect)
				if errors.Is(err, live.ErrConflict) {
					continue
				}
				if err != nil {
					t.Error(err)
				}
				return
			}
		}(u)
	}
	wg.Wait()
	evs, last, err := a.Last(ctx, mid)
	if err != nil || len(evs) != 1 || last != users {
		t.Fatalf("last: %d events, seq %d, %v", len(evs), last, err)
	}
	var present []int
	json.Unmarshal(evs[0].Payload, &present)
	slices.Sort(present)
	for i, u := range present {
		if i != u {
			t.Fatalf("lost updates: %v", present)
		}
	}
	if len(present) != users {
		t.Fatalf("%d present, want %d", len(present), users)
	}
}
