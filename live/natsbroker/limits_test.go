package natsbroker

import (
	"context"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

func ev(subject string) live.Event {
	return live.Event{Subject: subject, Type: "x", Payload: []byte(`{}`), Time: time.Now().UTC()}
}

// A meeting's stream keeps MaxMsgsPerMeeting events: Since reports what was
// discarded as incomplete and replays what is held; seq goes on regardless.
func TestLimitsTrimOldest(t *testing.T) {
	ctx := context.Background()
	b, err := New(ctx, Config{URL: natstest.URL(t), MaxMsgsPerMeeting: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	mid := newMeetingID()
	for i := 1; i <= 12; i++ {
		sub := "presentation"
		if i == 1 {
			sub = "attendance" // only ever in the trimmed part
		}
		if s, err := b.Append(ctx, mid, ev(sub), -1); err != nil || s != uint64(i) {
			t.Fatalf("append %d: seq %d, %v", i, s, err)
		}
	}
	if evs, complete, err := b.Since(ctx, mid, 0); err != nil || complete || evs != nil {
		t.Fatalf("since 0: %d events, complete %v, %v", len(evs), complete, err)
	}
	if _, complete, err := b.Since(ctx, mid, 6); err != nil || complete {
		t.Fatalf("since 6 (seq 7 discarded): complete %v, %v", complete, err)
	}
	evs, complete, err := b.Since(ctx, mid, 7)
	if err != nil || !complete || len(evs) != 5 || evs[0].Seq != 8 || evs[4].Seq != 12 {
		t.Fatalf("since 7: %+v, complete %v, %v", evs, complete, err)
	}
	evs, last, err := b.Last(ctx, mid)
	if err != nil || last != 12 || len(evs) != 1 || evs[0].Subject != "presentation" || evs[0].Seq != 12 {
		t.Fatalf("last: %+v, %d, %v", evs, last, err)
	}
}

// Since pages through more events than one direct get returns.
func TestSinceManyPages(t *testing.T) {
	ctx := context.Background()
	b := open(t, natstest.URL(t))
	mid := newMeetingID()
	const n = 2*sincePage + 7
	for i := 0; i < n; i++ {
		if _, err := b.Append(ctx, mid, ev("presentation"), -1); err != nil {
			t.Fatal(err)
		}
	}
	evs, complete, err := b.Since(ctx, mid, 3)
	if err != nil || !complete || len(evs) != n-3 {
		t.Fatalf("since 3: %d events, complete %v, %v", len(evs), complete, err)
	}
	for i, e := range evs {
		if e.Seq != uint64(i+4) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
}

// A stream deleted behind the broker's back (an operator, a reset) is created
// again by the next Append, above every seq this process knew of it (the
// journal's reservation covers what it did not: TestMeetingStreamDeletedWhileLive).
func TestStreamDeletedIsRecreated(t *testing.T) {
	ctx := context.Background()
	b := open(t, natstest.URL(t))
	mid := newMeetingID()
	if _, err := b.Append(ctx, mid, ev("presentation"), -1); err != nil {
		t.Fatal(err)
	}
	if err := b.js.DeleteStream(ctx, b.streamName(mid)); err != nil {
		t.Fatal(err)
	}
	if s, err := b.Append(ctx, mid, ev("presentation"), 0); err != nil || s != 3 {
		t.Fatalf("append after delete: seq %d, %v", s, err)
	}
	// Deleted again, with no append: a read makes it again and finds it
	// empty, above seq 3.
	if err := b.js.DeleteStream(ctx, b.streamName(mid)); err != nil {
		t.Fatal(err)
	}
	if evs, last, err := b.Last(ctx, mid); err != nil || last != 4 || len(evs) != 0 {
		t.Fatalf("last after delete: %v, %d, %v", evs, last, err)
	}
	// Another process, which never used the stream and has no journal,
	// deletes and re-creates it from 1: this one's reads follow the new
	// stream rather than waiting for the old seq to come back.
	other := open(t, natstest.URL(t))
	for i := 0; i < 5; i++ {
		if _, err := b.Append(ctx, mid, ev("presentation"), -1); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.js.DeleteStream(ctx, b.streamName(mid)); err != nil {
		t.Fatal(err)
	}
	if s, err := other.Append(ctx, mid, ev("speakers"), -1); err != nil || s != 1 {
		t.Fatalf("append on the other process: seq %d, %v", s, err)
	}
	evs, last, err := b.Last(ctx, mid)
	if err != nil || last != 1 || len(evs) != 1 || evs[0].Subject != "speakers" {
		t.Fatalf("last after the other re-created the stream: %+v, %d, %v", evs, last, err)
	}
}

func TestInvalidNames(t *testing.T) {
	ctx := context.Background()
	b := open(t, natstest.URL(t))
	for _, mid := range []string{"", "a.b", "a b", "a*", ">", "x/y"} {
		if _, err := b.Append(ctx, mid, ev("presentation"), -1); phonghop.ErrorCode(err) != phonghop.EInvalid {
			t.Errorf("meeting %q: %v", mid, err)
		}
		if _, _, err := b.Last(ctx, mid); phonghop.ErrorCode(err) != phonghop.EInvalid {
			t.Errorf("last of meeting %q: %v", mid, err)
		}
	}
	for _, sub := range []string{"", "poll.", "poll.*", "a..b", "poll.>", "a b"} {
		if _, err := b.Append(ctx, "m1", ev(sub), -1); phonghop.ErrorCode(err) != phonghop.EInvalid {
			t.Errorf("subject %q: %v", sub, err)
		}
	}
}

// Without a server, New fails as unavailable rather than hanging.
func TestNewUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := New(ctx, Config{URL: "nats://127.0.0.1:1", Timeout: time.Second})
	if phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("new: %v", err)
	}
}

// After Close every call fails as unavailable.
func TestClosed(t *testing.T) {
	ctx := context.Background()
	b, err := New(ctx, Config{URL: natstest.URL(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Append(ctx, "m1", ev("presentation"), -1); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("append: %v", err)
	}
	if err := b.Ping(ctx); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("ping: %v", err)
	}
}
