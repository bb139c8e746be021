package vote_test

import (
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/vote"
)

// TestRollFrozenAtOpen: a delegate added while the poll is open cannot vote
// (403 vote_not_on_roll) and eligible stays who could vote at open. Before
// the fix the newcomer's ballot was taken: cast 3, eligible 2.
func TestRollFrozenAtOpen(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		for _, secret := range []bool{false, true} {
			f := newFixture(t, st, 2)
			ctx := ctxT(t)
			p := f.openPoll(t, vote.CreateRequest{Secret: secret})
			late := delegate(2)
			m := f.meet[mid]
			m.Participants = append(m.Participants, phonghop.Participant{UserID: late.ID, Role: phonghop.RoleDelegate})
			for i := 0; i < 2; i++ {
				if _, err := f.svc.Cast(ctx, mid, p.ID, delegate(i), 0); err != nil {
					t.Fatal(err)
				}
			}
			// Through this process (the roll is cached) and a fresh one.
			for _, svc := range []*vote.Service{f.svc, f.service()} {
				_, err := svc.Cast(ctx, mid, p.ID, late, 0)
				if e := phonghop.Public(err); e == nil || e.Code != phonghop.EForbidden || e.Reason != "vote_not_on_roll" {
					t.Fatalf("secret=%v: late delegate's ballot: %v", secret, err)
				}
			}
			closed, err := f.svc.Close(ctx, mid, p.ID, chair)
			if err != nil {
				t.Fatal(err)
			}
			if r := closed.Results; r.Cast != 2 || r.Eligible != 2 || closed.Eligible != 2 {
				t.Fatalf("secret=%v: cast %d, eligible %d/%d", secret, r.Cast, r.Eligible, closed.Eligible)
			}
			// The next poll's roll has the newcomer.
			p = f.openPoll(t, vote.CreateRequest{Secret: secret})
			if p.Eligible != 3 {
				t.Fatalf("next poll: eligible %d", p.Eligible)
			}
			if _, err := f.svc.Cast(ctx, mid, p.ID, late, 1); err != nil {
				t.Fatalf("next poll: %v", err)
			}
		}
	})
}

// TestClosingIsPublished: the live room hears of a close as soon as it begins
// ("closing", no ballot offered any more), then gets the result. Before, only
// the result was sent, so a close cut short left every tablet showing "open".
func TestClosingIsPublished(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 1)
		ctx := ctxT(t)
		p := f.openPoll(t, vote.CreateRequest{Secret: true})
		if _, err := f.svc.Close(ctx, mid, p.ID, chair); err != nil {
			t.Fatal(err)
		}
		var states []string
		for _, pp := range f.pub.all() {
			if pp.ID == p.ID {
				states = append(states, pp.State)
			}
		}
		want := []string{phonghop.PollOpen, phonghop.PollClosing, phonghop.PollClosed}
		if len(states) != len(want) || states[0] != want[0] || states[1] != want[1] || states[2] != want[2] {
			t.Fatalf("published %v, want %v", states, want)
		}
	})
}
