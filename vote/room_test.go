package vote_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/vote"
)

// Needed is the threshold Passed measures against, for every rule and count.
func TestNeededAgreesWithPassed(t *testing.T) {
	sets := [][]string{vote.DefaultOptions, vote.DefaultOptionsEn, {"Tập thể A", "Tập thể B", "Tập thể C"}, {"Có", "Không"}}
	for _, majority := range []string{"simple", "absolute", "two_thirds", ""} {
		for _, opts := range sets {
			for eligible := 1; eligible <= 12; eligible++ {
				// Every split of up to eligible ballots over the options.
				var walk func(counts []int, left int)
				walk = func(counts []int, left int) {
					if len(counts) == len(opts) {
						need := vote.Needed(majority, opts, counts, eligible)
						if got := vote.Passed(majority, opts, counts, eligible); got != (counts[0] >= need) {
							t.Fatalf("%s %v %v of %d: passed %v, needed %d", majority, opts, counts, eligible, got, need)
						}
						return
					}
					for n := 0; n <= left; n++ {
						walk(append(slices.Clone(counts), n), left-n)
					}
				}
				walk(nil, eligible)
			}
		}
	}
	for _, c := range []struct {
		majority string
		counts   []int
		eligible int
		want     int
	}{
		{"absolute", []int{5, 1, 1}, 12, 7}, // "cần ít nhất 7/12"
		{"two_thirds", []int{5, 1, 1}, 12, 8},
		{"two_thirds", []int{0, 0, 0}, 10, 7},
		{"simple", []int{5, 2, 9}, 12, 3}, // more than "Không đồng ý"; abstentions do not count
	} {
		if got := vote.Needed(c.majority, vote.DefaultOptions, c.counts, c.eligible); got != c.want {
			t.Errorf("%s %v of %d: needed %d, want %d", c.majority, c.counts, c.eligible, got, c.want)
		}
	}
}

// Issue #12: options follow the meeting's language. A poll created without
// options in a meeting held in English gets the English defaults, and the
// simple rule treats them as the defaults (abstentions do not count).
func TestDefaultOptionsFollowTheMeetingsLanguage(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 10)
		ctx := ctxT(t)
		p, err := f.svc.Create(ctx, mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: "Biểu quyết"})
		if err != nil || !slices.Equal(p.Options, vote.DefaultOptions) {
			t.Fatalf("vi meeting: %v %v", p.Options, err)
		}
		f.meet[mid].Language = "en"
		p = f.openPoll(t, vote.CreateRequest{})
		if !slices.Equal(p.Options, vote.DefaultOptionsEn) {
			t.Fatalf("en meeting: %v", p.Options)
		}
		for i, o := range []int{0, 0, 0, 1, 2, 2, 2, 2} {
			if _, err := f.svc.Cast(ctx, mid, p.ID, delegate(i), o); err != nil {
				t.Fatal(err)
			}
		}
		p, err = f.svc.Close(ctx, mid, p.ID, chair)
		if err != nil || !p.Results.Passed || p.Results.Needed != 2 {
			t.Fatalf("3 in favour, 1 against, 4 abstaining: %+v %v", p.Results, err)
		}
		if got, _ := f.svc.Get(ctx, mid, p.ID); got.Results.Needed != 2 {
			t.Fatalf("stored needed %d", got.Results.Needed)
		}
	})
}

type room struct{ closed atomic.Bool }

func (r *room) Closed(context.Context, string) (bool, error) { return r.closed.Load(), nil }

// Once the chair closes the meeting no poll is created or opened; a poll
// already open still takes ballots and closes.
func TestClosedMeetingRefusesNewPolls(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 4)
		ctx := ctxT(t)
		r := &room{}
		f.svc.Room = r
		open := f.openPoll(t, vote.CreateRequest{})
		draft, err := f.svc.Create(ctx, mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: "Nháp"})
		if err != nil {
			t.Fatal(err)
		}
		r.closed.Store(true)
		_, err = f.svc.Create(ctx, mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: "Sau bế mạc"})
		if phonghop.Public(err).Reason != "meeting_closed" {
			t.Fatalf("create after the close: %v", err)
		}
		if _, err := f.svc.Open(ctx, mid, draft.ID, chair, false); phonghop.Public(err).Reason != "meeting_closed" {
			t.Fatalf("open after the close: %v", err)
		}
		if _, err := f.svc.Cast(ctx, mid, open.ID, delegate(0), 0); err != nil {
			t.Fatalf("ballot on a poll still open: %v", err)
		}
		if p, err := f.svc.Close(ctx, mid, open.ID, chair); err != nil || p.Results.Cast != 1 {
			t.Fatalf("close of a poll still open: %+v %v", p, err)
		}
	})
}
