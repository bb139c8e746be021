package vote_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/vote"
)

// kinds are the ballot shapes the ordering tests run with: a motion (one
// option per ballot) and a confidence vote (every answer on one ballot).
var kinds = []string{phonghop.PollMotion, phonghop.PollConfidence}

// officeHolders is one question listing n people.
func officeHolders(n int) []phonghop.Question {
	cs := make([]phonghop.Candidate, n)
	for j := range cs {
		cs[j] = phonghop.Candidate{Name: fmt.Sprintf("Nguyễn Văn %c", 'A'+j%26), Position: fmt.Sprintf("Phó Chủ tịch HĐND (%d)", j+1)}
	}
	return []phonghop.Question{{Candidates: cs}}
}

// requestFor is a poll of the kind: a motion, or a vote with questions on five
// people.
func requestFor(kind string, secret bool) vote.CreateRequest {
	if kind == phonghop.PollMotion {
		return vote.CreateRequest{Secret: secret}
	}
	return vote.CreateRequest{Kind: kind, Secret: secret, SecretSet: true, Questions: officeHolders(5)}
}

// marks is delegate i's ballot on a poll with questions; every seventh is
// blank, the others mark (or leave unmarked) each person differently.
func marks(p phonghop.Poll, i int) [][]int {
	out := make([][]int, len(p.Questions))
	for q, qq := range p.Questions {
		out[q] = []int{}
		if i%7 == 6 {
			continue
		}
		n := len(qq.Candidates)
		switch p.Kind {
		case phonghop.PollElection:
			for k := 0; k < qq.Seats && k <= i%3; k++ {
				out[q] = append(out[q], (i+k*2)%n)
			}
			slices.Sort(out[q])
			out[q] = slices.Compact(out[q])
		default:
			for j := 0; j < n; j++ {
				out[q] = append(out[q], (i+j)%(len(qq.Levels)+1)-1) // -1: unmarked
			}
		}
	}
	return out
}

// castFor casts delegate i's ballot: option i%2 on a motion, marks(p, i) on
// a poll with questions.
func castFor(ctx context.Context, svc *vote.Service, p phonghop.Poll, i int) (vote.Receipt, error) {
	if p.IsMotion() {
		return svc.Cast(ctx, mid, p.ID, delegate(i), i%2)
	}
	return svc.CastAnswers(ctx, mid, p.ID, delegate(i), marks(p, i))
}

// checkCounts checks the results count exactly the ballots of the delegates
// listed (by index), each whole: per option, or per person and level with
// the blank and unmarked counts.
func checkCounts(t testing.TB, p phonghop.Poll, res *phonghop.PollResults, voters []int) {
	t.Helper()
	if res.Cast != len(voters) {
		t.Fatalf("cast %d, want %d", res.Cast, len(voters))
	}
	if p.IsMotion() {
		want := make([]int, len(p.Options))
		for _, i := range voters {
			want[i%2]++
		}
		if !slices.Equal(res.Counts, want) {
			t.Fatalf("counts %v, want %v", res.Counts, want)
		}
		return
	}
	blank := 0
	for _, i := range voters {
		if i%7 == 6 {
			blank++
		}
	}
	if res.Blank != blank || res.Valid != len(voters)-blank || res.Missing != res.Eligible-len(voters) {
		t.Fatalf("valid %d blank %d missing %d; want %d %d %d", res.Valid, res.Blank, res.Missing, len(voters)-blank, blank, res.Eligible-len(voters))
	}
	for q, qq := range p.Questions {
		got := res.Questions[q]
		if got.Blank != blank {
			t.Fatalf("question %d: blank %d, want %d", q, got.Blank, blank)
		}
		for j := range qq.Candidates {
			levels := max(len(qq.Levels), 1)
			want := make([]int, levels)
			unmarked := 0
			for _, i := range voters {
				a := marks(p, i)[q]
				switch {
				case p.Kind == phonghop.PollElection:
					if slices.Contains(a, j) {
						want[0]++
					}
				case len(a) == 0 || a[j] == vote.NoMark:
					unmarked++
				default:
					want[a[j]]++
				}
			}
			c := got.Candidates[j]
			if !slices.Equal(c.Counts, want) || (p.Kind != phonghop.PollElection && c.Unmarked != unmarked) {
				t.Fatalf("question %d, person %d: counts %v unmarked %d; want %v %d", q, j, c.Counts, c.Unmarked, want, unmarked)
			}
		}
	}
}

// delegateIndex is the index of a delegate's user id.
func delegateIndex(t testing.TB, id string) int {
	var i int
	if _, err := fmt.Sscanf(id, "delegate-%d", &i); err != nil {
		t.Fatalf("%q: %v", id, err)
	}
	return i
}
