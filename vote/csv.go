package vote

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
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
			cells[i] = cell(c)
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
	row("passed", strconv.FormatBool(res.Passed))
	row()
	row("option", "label", "votes")
	for i, o := range p.Options {
		row(strconv.Itoa(i), o, strconv.Itoa(res.Counts[i]))
	}
	if !p.Secret {
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

// cell defuses spreadsheet formulas: a cell a spreadsheet would evaluate gets a
// leading apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
