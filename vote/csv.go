package vote

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"

	"time"

	"github.com/phonghop/phonghop"
)

// ExportCSV writes a closed poll's results as CSV: the poll, one row per option,
// the named ballots (polls that are not secret) and the receipt hashes.
func (s *Service) ExportCSV(ctx context.Context, meetingID, pollID string, w io.Writer) error {
	p, err := s.Get(ctx, meetingID, pollID)
	if err != nil {
		return err
	}
	if p.State != phonghop.PollClosed || p.Results == nil {
		return phonghop.Fail(phonghop.EConflict, "poll_not_closed")
	}
	names := map[string]string{}
	if !p.Secret {
		m, err := s.meeting(ctx, meetingID)
		if err != nil {
			return err
		}
		for _, pt := range m.Participants {
			names[pt.UserID] = pt.DisplayName
		}
	}
	res := p.Results
	cw := csv.NewWriter(w)
	row := func(cells ...string) {
		for i, c := range cells {
			cells[i] = phonghop.SpreadsheetText(c)
		}
		_ = cw.Write(cells) // errors surface through cw.Error below
	}
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	row("poll", p.ID)
	row("title", p.Title)
	row("agendaItemId", p.AgendaItemID)
	row("secret", strconv.FormatBool(p.Secret))
	row("majority", p.Majority)
	row("openedAt", ts(p.OpenedAt))
	row("closedAt", ts(p.ClosedAt))
	row("quorumOverride", strconv.FormatBool(p.QuorumOverride))
	row("eligible", strconv.Itoa(res.Eligible))
	row("cast", strconv.Itoa(res.Cast))
	if p.IsMotion() {
		row("passed", strconv.FormatBool(res.Passed))
		row()
		row("option", "label", "votes")
		for i, o := range p.Options {
			row(strconv.Itoa(i), o, strconv.Itoa(res.Counts[i]))
		}
	} else {
		questionsCSV(p, row)
	}
	if !p.Secret && !p.IsMotion() {
		row()
		row("userId", "displayName", "answers")
		for _, b := range res.Ballots {
			a, _ := json.Marshal(b.Answers)
			row(b.UserID, names[b.UserID], string(a))
		}
	} else if !p.Secret {
		row()
		row("userId", "displayName", "option", "label")
		for _, b := range res.Ballots {
			label := ""
			if b.Option >= 0 && b.Option < len(p.Options) {
				label = p.Options[b.Option]
			}
			row(b.UserID, names[b.UserID], strconv.Itoa(b.Option), label)
		}
	}
	row()
	row("receiptSha256")
	for _, r := range res.Receipts {
		row(r)
	}
	cw.Flush()
	return cw.Error()
}

// questionsCSV writes the counts of a poll with questions: the ballots, then
// per question one row per candidate with a count (and share of the
// eligible) per level.
func questionsCSV(p phonghop.Poll, row func(...string)) {
	res := p.Results
	row("kind", p.Kind)
	row("valid", strconv.Itoa(res.Valid))
	row("blank", strconv.Itoa(res.Blank))
	row("missing", strconv.Itoa(res.Missing))
	pct := func(f float64) string { return strconv.FormatFloat(f*100, 'f', 2, 64) }
	for i, q := range p.Questions {
		if i >= len(res.Questions) {
			break
		}
		qr := res.Questions[i]
		row()
		row("question", strconv.Itoa(i+1), q.Title)
		if p.Kind == phonghop.PollElection {
			row("seats", strconv.Itoa(q.Seats))
		}
		row("blankAnswers", strconv.Itoa(qr.Blank))
		if qr.Needed > 0 {
			row("needed", strconv.Itoa(qr.Needed))
		}
		head := []string{"candidate", "name", "position"}
		levels := q.Levels
		if p.Kind == phonghop.PollElection {
			levels = []string{"votes"}
		}
		for _, l := range levels {
			head = append(head, l, l+" %")
		}
		if p.Kind != phonghop.PollElection {
			head = append(head, "unmarked")
		}
		row(append(head, "outcome")...)
		for j, c := range q.Candidates {
			if j >= len(qr.Candidates) {
				break
			}
			cr := qr.Candidates[j]
			cells := []string{strconv.Itoa(j), c.Name, c.Position}
			for k, n := range cr.Counts {
				cells = append(cells, strconv.Itoa(n), pct(cr.Shares[k]))
			}
			if p.Kind != phonghop.PollElection {
				cells = append(cells, strconv.Itoa(cr.Unmarked))
			}
			row(append(cells, cr.Outcome)...)
		}
	}
}
