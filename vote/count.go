package vote

import (
	"math"
	"slices"

	"github.com/phonghop/phonghop"
)

// counter tallies the ballots of a poll with questions.
type counter struct {
	p     phonghop.Poll
	blank int // ballots without a single mark
	qs    []questionCount
}

type questionCount struct {
	blank  int     // ballots with no mark on the question
	counts [][]int // per candidate: [votes] (elections) or one count per level
}

func newCounter(p phonghop.Poll) *counter {
	c := &counter{p: p, qs: make([]questionCount, len(p.Questions))}
	for i, q := range p.Questions {
		levels := 1
		if p.Kind != phonghop.PollElection {
			levels = len(q.Levels)
		}
		c.qs[i].counts = make([][]int, len(q.Candidates))
		for j := range c.qs[i].counts {
			c.qs[i].counts[j] = make([]int, levels)
		}
	}
	return c
}

// add counts one ballot, whole, and reports whether it was valid (Cast
// writes no other; a stored ballot that does not fit is never counted).
func (c *counter) add(answers [][]int) bool {
	answers, err := checkAnswers(c.p.Kind, c.p.Questions, answers)
	if err != nil {
		return false
	}
	marked := false
	for i, a := range answers {
		q := &c.qs[i]
		any := false
		for j, v := range a {
			switch {
			case c.p.Kind == phonghop.PollElection:
				q.counts[v][0]++
				any = true
			case v != NoMark:
				q.counts[j][v]++
				any = true
			}
		}
		if !any {
			q.blank++
		}
		marked = marked || any
	}
	if !marked {
		c.blank++
	}
	return true
}

// finish writes the counts and outcomes into res, whose Cast and Eligible
// are set.
func (c *counter) finish(res *phonghop.PollResults) {
	res.Blank = c.blank
	res.Valid = res.Cast - c.blank
	res.Missing = max(res.Eligible-res.Cast, 0)
	res.Questions = make([]phonghop.QuestionResult, len(c.qs))
	for i, q := range c.qs {
		qr := phonghop.QuestionResult{Blank: q.blank, Candidates: make([]phonghop.CandidateResult, len(q.counts))}
		if c.p.Kind != phonghop.PollConfidence {
			qr.Needed = CandidateNeeds(c.p.Majority, res.Eligible, res.Cast)
		}
		votes := make([]int, len(q.counts))
		for j, counts := range q.counts {
			cr := phonghop.CandidateResult{Counts: counts, Shares: make([]float64, len(counts))}
			marked := 0
			for k, n := range counts {
				cr.Shares[k] = share(n, res.Eligible)
				marked += n
			}
			switch c.p.Kind {
			case phonghop.PollConfidence:
				cr.Unmarked = res.Cast - marked
				cr.Outcome = confidenceOutcome(counts[len(counts)-1], res.Eligible)
			case phonghop.PollApproval:
				cr.Unmarked = res.Cast - marked
				cr.Outcome = phonghop.OutcomeNotApproved
				if counts[0] >= qr.Needed {
					cr.Outcome = phonghop.OutcomeApproved
				}
			}
			votes[j] = counts[0]
			qr.Candidates[j] = cr
		}
		if c.p.Kind == phonghop.PollElection {
			for j, o := range Elected(votes, c.p.Questions[i].Seats, qr.Needed) {
				qr.Candidates[j].Outcome = o
			}
		}
		res.Questions[i] = qr
	}
}

// share is n over the eligible, rounded to four places.
func share(n, eligible int) float64 {
	if eligible <= 0 {
		return 0
	}
	return math.Round(float64(n)/float64(eligible)*10000) / 10000
}

// CandidateNeeds is how many votes (an election) or "yes" marks (an approval)
// a candidate needs under the rule: absolute, more than half of the eligible;
// two_thirds, at least two thirds of them; simple, more than half of the
// ballots cast. At least 1.
func CandidateNeeds(majority string, eligible, cast int) int {
	n := 1
	switch majority {
	case phonghop.MajorityAbsolute, "":
		n = eligible/2 + 1
	case phonghop.MajorityTwoThirds:
		n = (eligible*2 + 2) / 3
	case phonghop.MajoritySimple:
		n = cast/2 + 1
	}
	return max(n, 1)
}

// Elected decides a question of an election: the candidates with at least
// needed votes are elected, the most votes first, up to seats. Candidates tied
// for the last seats (more of them than seats left) are a tie: the rule cannot
// choose among them, so none of them is elected (councils vote again among
// them).
func Elected(votes []int, seats, needed int) []string {
	out := make([]string, len(votes))
	var reach []int
	for i, v := range votes {
		out[i] = phonghop.OutcomeNotElected
		if v >= needed {
			reach = append(reach, i)
		}
	}
	if len(reach) <= seats {
		for _, i := range reach {
			out[i] = phonghop.OutcomeElected
		}
		return out
	}
	slices.SortStableFunc(reach, func(a, b int) int { return votes[b] - votes[a] })
	cut := votes[reach[seats-1]] // the votes of the last seat
	above, at := 0, 0
	for _, i := range reach {
		switch {
		case votes[i] > cut:
			above++
		case votes[i] == cut:
			at++
		}
	}
	for _, i := range reach {
		switch {
		case votes[i] > cut:
			out[i] = phonghop.OutcomeElected
		case votes[i] == cut && above+at <= seats:
			out[i] = phonghop.OutcomeElected
		case votes[i] == cut:
			out[i] = phonghop.OutcomeTie
		}
	}
	return out
}

// confidenceOutcome flags a confidence vote's result by the lowest level's
// count against all delegates: at least two thirds, or more than half.
func confidenceOutcome(low, eligible int) string {
	switch {
	case eligible > 0 && low*3 >= eligible*2:
		return phonghop.OutcomeLowTwoThirds
	case low*2 > eligible:
		return phonghop.OutcomeLowOverHalf
	}
	return ""
}
