package phonghop

import "time"

// Poll states.
const (
	PollDraft = "draft"
	PollOpen  = "open"
	// PollClosing lasts from the chair's close until the tally is written:
	// no ballot is taken, the result is not known yet.
	PollClosing = "closing"
	PollClosed  = "closed"
)

// Majority rules.
const (
	MajoritySimple    = "simple"     // more yes than no among ballots cast
	MajorityAbsolute  = "absolute"   // yes by more than half of all voting members
	MajorityTwoThirds = "two_thirds" // yes by at least two thirds of all voting members
)

// Poll kinds. A motion (the default, "" on older polls) asks one question with
// options; the others put several candidates, in one or more questions, on one
// ballot that is counted whole (see vote/doc.go, "Ballots with questions").
const (
	PollMotion     = "motion"     // one choice among the options
	PollElection   = "election"   // bầu cử: choose up to Seats of the candidates of each question
	PollConfidence = "confidence" // lấy phiếu tín nhiệm: one level of a scale per candidate
	PollApproval   = "approval"   // yes / no / abstain per candidate (a list of nominees)
)

// Poll is a vote on an agenda item. Results is set only once the poll is closed.
type Poll struct {
	ID           string       `json:"id"`
	MeetingID    string       `json:"meetingId"`
	AgendaItemID string       `json:"agendaItemId"`
	Title        string       `json:"title"`
	Options      []string     `json:"options"`
	Secret       bool         `json:"secret"`
	Majority     string       `json:"majority"`
	State        string       `json:"state"`
	Cast         int          `json:"cast"`
	Eligible     int          `json:"eligible"`
	Results      *PollResults `json:"results,omitempty"`
	CreatedAt    time.Time    `json:"createdAt"`
	OpenedAt     *time.Time   `json:"openedAt,omitempty"`
	ClosedAt     *time.Time   `json:"closedAt,omitempty"`
	// QuorumOverride is true when the chair opened the poll without quorum.
	QuorumOverride bool `json:"quorumOverride,omitempty"`
	// Kind is one of the Poll kinds; empty for a motion.
	Kind string `json:"kind,omitempty"`
	// Questions are the ballot's questions (every kind but a motion, whose
	// question is Title with Options).
	Questions []Question `json:"questions,omitempty"`
}

// IsMotion reports whether the poll is a motion: one choice among Options.
func (p Poll) IsMotion() bool { return p.Kind == "" || p.Kind == PollMotion }

// Question is one part of a ballot: its candidates and how they are marked.
type Question struct {
	// Title is optional when the poll's title says it all ("Bầu Chủ tịch HĐND").
	Title      string      `json:"title,omitempty"`
	Candidates []Candidate `json:"candidates"`
	// Seats (elections) is how many candidates a ballot may choose at most, and
	// how many can be elected.
	Seats int `json:"seats,omitempty"`
	// Levels (confidence and approval votes) is the scale each candidate is
	// marked on, the highest first: "Tín nhiệm cao", "Tín nhiệm", "Tín nhiệm
	// thấp"; "Đồng ý", "Không đồng ý", "Không ý kiến".
	Levels []string `json:"levels,omitempty"`
}

// Candidate is a person on a ballot.
type Candidate struct {
	Name     string `json:"name"`
	Position string `json:"position,omitempty"` // chức vụ
	// UserID names the candidate's account, when they have one (optional).
	UserID string `json:"userId,omitempty"`
	// Photo is the id of a photo uploaded to the meeting (optional).
	Photo string `json:"photo,omitempty"`
}

// PollResults is the outcome of a closed poll.
type PollResults struct {
	Counts   []int `json:"counts"`
	Cast     int   `json:"cast"`
	Eligible int   `json:"eligible"`
	Passed   bool  `json:"passed"`
	// Needed is how many ballots for option 0 the majority rule asked for:
	// of the eligible for the absolute and two-thirds rules, one more than the
	// strongest other option (or than "no") for the simple rule.
	Needed int `json:"needed,omitempty"`
	// Ballots names each voter's choice; only for polls that are not secret.
	Ballots []BallotRecord `json:"ballots,omitempty"`
	// Receipts lists the receipt of every counted ballot, sorted, so each voter
	// can check theirs is among them. Left out of live events and snapshots.
	Receipts []string `json:"receipts,omitempty"`
	// The ballots of a poll with questions: Valid carry at least one mark,
	// Blank none; Missing were not cast (Eligible - Cast). Valid+Blank = Cast.
	Valid   int `json:"valid,omitempty"`
	Blank   int `json:"blank,omitempty"`
	Missing int `json:"missing,omitempty"`
	// Questions holds each question's results, in the poll's order.
	Questions []QuestionResult `json:"questions,omitempty"`
}

// QuestionResult is the count of one question of a ballot.
type QuestionResult struct {
	// Blank counts the ballots with no mark on this question.
	Blank int `json:"blank"`
	// Needed is how many votes (elections) or "yes" marks (approval) a
	// candidate needed under the poll's rule; 0 for confidence votes.
	Needed     int               `json:"needed,omitempty"`
	Candidates []CandidateResult `json:"candidates"`
}

// Candidate outcomes.
const (
	OutcomeElected     = "elected"
	OutcomeNotElected  = "not_elected"
	OutcomeTie         = "tie" // tied for the last seats: the rule cannot choose
	OutcomeApproved    = "approved"
	OutcomeNotApproved = "not_approved"
	// Confidence votes: the lowest level from more than half, or from at least
	// two thirds, of all delegates (Resolution 96/2023/QH15's thresholds).
	OutcomeLowOverHalf  = "low_over_half"
	OutcomeLowTwoThirds = "low_two_thirds"
)

// CandidateResult is one candidate's count.
type CandidateResult struct {
	// Counts: elections [votes]; confidence and approval one count per level.
	Counts []int `json:"counts"`
	// Shares are Counts over the delegates on the roll (Eligible), 0 to 1,
	// rounded to four places (two of a percentage).
	Shares []float64 `json:"shares"`
	// Unmarked (confidence, approval) counts ballots with no mark for this candidate.
	Unmarked int    `json:"unmarked,omitempty"`
	Outcome  string `json:"outcome,omitempty"`
}

// BallotRecord is one named ballot in the results.
type BallotRecord struct {
	UserID string `json:"userId"`
	Option int    `json:"option"`
	// Answers is the ballot of a poll with questions (see vote/doc.go).
	Answers [][]int `json:"answers,omitempty"`
}

// Roles in the vote-counting committee (ban kiểm phiếu).
const (
	CountingHead      = "head"      // trưởng ban
	CountingSecretary = "secretary" // thư ký
	CountingMember    = "member"    // ủy viên
)

// Counter is a member of a poll's vote-counting committee (ban kiểm phiếu),
// named in and signing its record (biên bản kiểm phiếu).
type Counter struct {
	Name     string `json:"name"`
	Position string `json:"position,omitempty"`
	Role     string `json:"role"` // CountingHead, CountingSecretary or CountingMember
}
