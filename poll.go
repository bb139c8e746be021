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
}

// BallotRecord is one named ballot in the results.
type BallotRecord struct {
	UserID string `json:"userId"`
	Option int    `json:"option"`
}
