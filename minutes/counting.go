package minutes

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/phonghop/phonghop"
)

// The vote-counting committee's record (biên bản kiểm phiếu) of a closed poll,
// in the form of the minutes (Decree 30's heading, body, signatures): who
// counted, the ballots issued, received, valid, blank, invalid and not cast,
// the results per candidate (or per option) and the committee's signatures.
// The same table of results goes into the meeting's minutes (pollBlocks).

// ballotWords are the fixed words of a counting record and of a ballot's
// results in the minutes.
type ballotWords struct {
	kind, number, subject, counted, time, place, committee, committeeNone, content,
	how, secret, open, results, eligible, issued, received, valid, blank, invalid,
	missing, question, seats, needed, levels, name, votes, share, unmarked, outcome,
	electedList, tieList, approvedList, lowHalf, lowTwoThirds, nobody, made, recipients,
	recipientChair, archive string
	kinds    map[string]string // poll kind → what was counted
	roles    map[string]string // committee role → its name in the member list
	signs    map[string]string // committee role → its heading over a signature
	outcomes map[string]string
	rules    map[string]string
}

var viBallot = ballotWords{
	kind: "BIÊN BẢN", number: "Số: ....../BB-BKP", subject: "Kiểm phiếu: %s",
	counted: "BAN KIỂM PHIẾU", time: "Thời gian kiểm phiếu", place: "Địa điểm",
	committee: "Ban kiểm phiếu gồm", committeeNone: "......", content: "Nội dung",
	how:    "Kiểm phiếu “%[2]s” (%[1]s; %[3]s, mỗi đại biểu một phiếu điện tử trên hệ thống phòng họp không giấy; phiếu sai quy định bị từ chối khi bỏ, không được thu vào).",
	secret: "bỏ phiếu kín", open: "biểu quyết công khai", results: "Kết quả kiểm phiếu",
	eligible: "Tổng số đại biểu: %d.", issued: "Số phiếu phát ra: %d.", received: "Số phiếu thu vào: %d.",
	valid: "Số phiếu hợp lệ: %d.", blank: "Số phiếu trống (không đánh dấu nội dung nào): %d.",
	invalid: "Số phiếu không hợp lệ: 0.", missing: "Số đại biểu không bỏ phiếu: %d.",
	question: "Mục %d", seats: "bầu %d người", needed: "người trúng cử phải được ít nhất %d phiếu (%s)",
	levels: "Số phiếu và tỷ lệ so với tổng số đại biểu", name: "Họ và tên, chức vụ", votes: "Số phiếu",
	share: "Tỷ lệ so với tổng số đại biểu", unmarked: "Không đánh dấu", outcome: "Kết quả",
	electedList: "Người trúng cử: %s.", tieList: "Bằng phiếu nhau, phải bầu lại: %s.",
	approvedList: "Được phê chuẩn: %s.", lowHalf: "Có trên 1/2 tổng số đại biểu đánh giá “%s”: %s.",
	lowTwoThirds: "Có từ 2/3 tổng số đại biểu trở lên đánh giá “%s”: %s.", nobody: "không có",
	made:       "Biên bản lập xong lúc ...... giờ ......, cùng ngày./.",
	recipients: "Nơi nhận:", recipientChair: "- Chủ tọa;", archive: "- Lưu: VT, hồ sơ.",
	kinds: map[string]string{
		phonghop.PollElection: "bầu cử", phonghop.PollConfidence: "lấy phiếu tín nhiệm",
		phonghop.PollApproval: "phê chuẩn", "": "biểu quyết",
	},
	roles: map[string]string{phonghop.CountingHead: "Trưởng ban", phonghop.CountingSecretary: "Thư ký", phonghop.CountingMember: "Ủy viên"},
	signs: map[string]string{phonghop.CountingHead: "TRƯỞNG BAN KIỂM PHIẾU", phonghop.CountingSecretary: "THƯ KÝ", phonghop.CountingMember: "ỦY VIÊN"},
	outcomes: map[string]string{
		phonghop.OutcomeElected: "Trúng cử", phonghop.OutcomeNotElected: "Không trúng cử", phonghop.OutcomeTie: "Bằng phiếu",
		phonghop.OutcomeApproved: "Được phê chuẩn", phonghop.OutcomeNotApproved: "Không được phê chuẩn",
		phonghop.OutcomeLowOverHalf: "Trên 1/2 tín nhiệm thấp", phonghop.OutcomeLowTwoThirds: "Từ 2/3 tín nhiệm thấp",
	},
	rules: map[string]string{
		phonghop.MajorityAbsolute:  "quá nửa tổng số đại biểu",
		phonghop.MajorityTwoThirds: "từ hai phần ba tổng số đại biểu",
		phonghop.MajoritySimple:    "quá nửa số phiếu thu vào",
	},
}

var enBallot = ballotWords{
	kind: "RECORD OF THE VOTE COUNT", number: "No. ....../VC", subject: "%s",
	counted: "VOTE-COUNTING COMMITTEE", time: "Counted at", place: "Venue",
	committee: "The vote-counting committee", committeeNone: "......", content: "Subject",
	how:    "Count of “%[2]s” (%[1]s; %[3]s, one electronic ballot per delegate in the paperless meeting room; a ballot breaking the rules is refused when cast and never received).",
	secret: "secret ballot", open: "open vote", results: "Results of the count",
	eligible: "Delegates: %d.", issued: "Ballots issued: %d.", received: "Ballots received: %d.",
	valid: "Valid ballots: %d.", blank: "Blank ballots (nothing marked): %d.",
	invalid: "Invalid ballots: 0.", missing: "Delegates who did not vote: %d.",
	question: "Question %d", seats: "%d to elect", needed: "a candidate needs at least %d votes (%s)",
	levels: "Votes and share of all delegates", name: "Name, position", votes: "Votes",
	share: "Share of all delegates", unmarked: "Not marked", outcome: "Result",
	electedList: "Elected: %s.", tieList: "Tied, to vote again: %s.",
	approvedList: "Approved: %s.", lowHalf: "Rated “%s” by more than half of all delegates: %s.",
	lowTwoThirds: "Rated “%s” by at least two thirds of all delegates: %s.", nobody: "none",
	made:       "Record completed at ...... the same day.",
	recipients: "Distribution:", recipientChair: "- The chair;", archive: "- File: records office, meeting file.",
	kinds: map[string]string{
		phonghop.PollElection: "election", phonghop.PollConfidence: "confidence vote",
		phonghop.PollApproval: "approval", "": "vote",
	},
	roles: map[string]string{phonghop.CountingHead: "head", phonghop.CountingSecretary: "secretary", phonghop.CountingMember: "member"},
	signs: map[string]string{phonghop.CountingHead: "HEAD OF THE COMMITTEE", phonghop.CountingSecretary: "SECRETARY", phonghop.CountingMember: "MEMBER"},
	outcomes: map[string]string{
		phonghop.OutcomeElected: "Elected", phonghop.OutcomeNotElected: "Not elected", phonghop.OutcomeTie: "Tie",
		phonghop.OutcomeApproved: "Approved", phonghop.OutcomeNotApproved: "Not approved",
		phonghop.OutcomeLowOverHalf: "Low from over half", phonghop.OutcomeLowTwoThirds: "Low from two thirds",
	},
	rules: map[string]string{
		phonghop.MajorityAbsolute:  "more than half of all delegates",
		phonghop.MajorityTwoThirds: "at least two thirds of all delegates",
		phonghop.MajoritySimple:    "more than half of the ballots cast",
	},
}

// CountingRecord renders the record of the count of a closed poll, in the
// meeting's language, with the committee that counted (blank lines to fill
// by hand when none was named).
func CountingRecord(m *phonghop.Meeting, p phonghop.Poll, committee []phonghop.Counter) ([]byte, error) {
	return renderPDF(countingForm(m, p, committee))
}

func countingForm(m *phonghop.Meeting, p phonghop.Poll, committee []phonghop.Counter) *form {
	vi := m.Language != "en"
	w, words := ballotWordsOf(vi), wordsOf(vi)
	s := summarize(p)
	f := &form{vi: vi, kind: w.kind, subject: fmt.Sprintf(w.subject, p.Title)}
	f.meta = w.kind + " – " + p.Title
	at := p.CreatedAt
	if p.ClosedAt != nil {
		at = *p.ClosedAt
	}
	f.stamp = at

	// The heading: the committee, under the body whose meeting it served.
	f.parent = bodyLines(m.Organization)
	if f.parent == nil {
		f.parent = []string{words.blank}
	}
	f.org = []string{w.counted}
	f.number = w.number
	if vi {
		f.country, f.motto = words.country, words.motto
	}
	f.placeDate = orBlank(m.PlaceName, words.blank) + ", " + date(at, vi)

	add := func(b block) { f.body = append(f.body, b) }
	add(block{label: w.time, text: dateTime(at, vi) + "."})
	add(block{label: w.place, text: orBlank(m.Location, words.blank) + "."})
	if len(committee) == 0 {
		add(block{label: w.committee, text: w.committeeNone})
	} else {
		var b strings.Builder
		for i, c := range committee {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%d. %s", i+1, c.Name)
			if c.Position != "" {
				b.WriteString(", " + c.Position)
			}
			b.WriteString(" – " + w.roles[c.Role])
		}
		add(block{label: w.committee, text: b.String() + "."})
	}
	kind := w.secret
	if !p.Secret {
		kind = w.open
	}
	add(block{label: w.content, text: fmt.Sprintf(w.how, w.kinds[s.Kind], p.Title, kind)})
	add(block{label: w.results, heading: true})
	for _, b := range ballotBlocks(s, w, vi, true) {
		add(b)
	}
	add(block{text: w.made, tail: true})

	// Signatures: the head on the right of the first row, as the form puts
	// the one who signs for the body; the others after, two a row.
	for _, role := range []string{phonghop.CountingHead, phonghop.CountingSecretary, phonghop.CountingMember} {
		for _, c := range committee {
			if c.Role == role {
				f.signers = append(f.signers, signer{w.signs[role], c.Name})
			}
		}
	}
	if len(f.signers) == 0 {
		f.signers = []signer{{w.signs[phonghop.CountingSecretary], words.blank}, {w.signs[phonghop.CountingHead], words.blank}}
	} else if f.signers[0].role == w.signs[phonghop.CountingHead] && len(f.signers) > 1 {
		f.signers[0], f.signers[1] = f.signers[1], f.signers[0]
	}
	f.recipients = []string{w.recipients, w.recipientChair, w.archive}
	return f
}

// wordsOf are the minutes' words in Vietnamese or English.
func wordsOf(isVi bool) words {
	if isVi {
		return vi
	}
	return en
}

// ballotWordsOf are a count's words in Vietnamese or English.
func ballotWordsOf(isVi bool) ballotWords {
	if isVi {
		return viBallot
	}
	return enBallot
}

// ballotBlocks are the count of a poll's ballots and its results: the
// ballots (issued, received, valid, blank, invalid, not cast), then per
// question a table of the people with their counts and shares of all the
// delegates, and who was elected, tied, approved or rated low. record adds
// what only the counting record states (ballots issued, invalid).
func ballotBlocks(p PollSummary, w ballotWords, vi bool, record bool) []block {
	var out []block
	add := func(b block) { out = append(out, b) }
	valid, blank := p.Valid, p.Blank
	if p.Kind == "" {
		valid = p.Cast
	}
	add(block{text: fmt.Sprintf(w.eligible, p.Eligible)})
	if record {
		add(block{text: fmt.Sprintf(w.issued, p.Eligible)})
	}
	add(block{text: fmt.Sprintf(w.received, p.Cast)})
	add(block{text: fmt.Sprintf(w.valid, valid)})
	if p.Kind != "" {
		add(block{text: fmt.Sprintf(w.blank, blank)})
	}
	if record {
		add(block{text: w.invalid})
	}
	add(block{text: fmt.Sprintf(w.missing, max(p.Eligible-p.Cast, 0))})
	pct := func(share float64) string { return percent(share*100, vi) }
	if p.Kind == "" {
		mw := wordsOf(vi)
		tb := &table{widths: []float64{95.0 / 165, 35.0 / 165, 35.0 / 165}, align: []string{"L", "C", "C"},
			head: []string{mw.option, w.votes, w.share}}
		for i, opt := range p.Options {
			n := 0
			if i < len(p.Counts) {
				n = p.Counts[i]
			}
			share := 0.0
			if p.Eligible > 0 {
				share = float64(n) / float64(p.Eligible)
			}
			tb.rows = append(tb.rows, []string{opt, fmt.Sprint(n), pct(share)})
		}
		add(block{table: tb})
		result := mw.notPassed
		if p.Passed {
			result = mw.passed
		}
		add(block{text: result, style: "B"})
		return out
	}
	for i, q := range p.Questions {
		if i >= len(p.QuestionResults) {
			break
		}
		qr := p.QuestionResults[i]
		// "Mục 2: Bầu Phó Chủ tịch (bầu 2 người; ...)." A ballot of one
		// question without a title of its own gets only the notes.
		title := ""
		if q.Title != "" || len(p.Questions) > 1 {
			title = fmt.Sprintf(w.question, i+1)
			if q.Title != "" {
				title += ": " + q.Title
			}
		}
		var notes []string
		if p.Kind == phonghop.PollElection {
			notes = append(notes, fmt.Sprintf(w.seats, q.Seats))
		}
		if p.Kind != phonghop.PollConfidence && qr.Needed > 0 {
			notes = append(notes, fmt.Sprintf(w.needed, qr.Needed, w.rules[p.Majority]))
		}
		switch {
		case title != "" && len(notes) > 0:
			title += " (" + strings.Join(notes, "; ") + ")"
		case len(notes) > 0:
			title = upperFirst(strings.Join(notes, "; "))
		}
		if title != "" {
			add(block{text: title + ".", style: "B", heading: true})
		}
		who := func(c phonghop.Candidate) string {
			if c.Position != "" {
				return c.Name + ", " + c.Position
			}
			return c.Name
		}
		var tb *table
		if p.Kind == phonghop.PollElection {
			tb = &table{widths: []float64{9.0 / 165, 73.0 / 165, 22.0 / 165, 30.0 / 165, 31.0 / 165},
				align: []string{"C", "L", "C", "C", "C"}, head: []string{"TT", w.name, w.votes, w.share, w.outcome}}
		} else {
			// The name, one column per level (count and share), unmarked, and
			// the outcome (approvals; a confidence vote's flags).
			n := len(q.Levels)
			levelW := min(24.0, 72.0/float64(n)) // "12 (33,33%)" on one line up to three levels
			nameW := 165.0 - 9 - 16 - 26 - levelW*float64(n)
			tb = &table{widths: []float64{9.0 / 165, nameW / 165}, align: []string{"C", "L"}, head: []string{"TT", w.name}}
			for _, l := range q.Levels {
				tb.widths = append(tb.widths, levelW/165)
				tb.align = append(tb.align, "C")
				tb.head = append(tb.head, l)
			}
			tb.widths = append(tb.widths, 16.0/165, 26.0/165)
			tb.align = append(tb.align, "C", "C")
			tb.head = append(tb.head, w.unmarked, w.outcome)
		}
		lists := map[string][]string{}
		for j, c := range q.Candidates {
			if j >= len(qr.Candidates) {
				break
			}
			cr := qr.Candidates[j]
			row := []string{fmt.Sprint(j + 1), who(c)}
			if p.Kind == phonghop.PollElection {
				row = append(row, fmt.Sprint(cr.Counts[0]), pct(cr.Shares[0]))
			} else {
				for k, n := range cr.Counts {
					row = append(row, fmt.Sprintf("%d (%s)", n, pct(cr.Shares[k])))
				}
				row = append(row, fmt.Sprint(cr.Unmarked))
			}
			tb.rows = append(tb.rows, append(row, w.outcomes[cr.Outcome]))
			lists[cr.Outcome] = append(lists[cr.Outcome], c.Name)
		}
		add(block{table: tb})
		names := func(o string) string {
			if len(lists[o]) == 0 {
				return w.nobody
			}
			return strings.Join(lists[o], "; ")
		}
		switch p.Kind {
		case phonghop.PollElection:
			add(block{text: fmt.Sprintf(w.electedList, names(phonghop.OutcomeElected)), style: "B"})
			if len(lists[phonghop.OutcomeTie]) > 0 {
				add(block{text: fmt.Sprintf(w.tieList, names(phonghop.OutcomeTie)), style: "B"})
			}
		case phonghop.PollApproval:
			add(block{text: fmt.Sprintf(w.approvedList, names(phonghop.OutcomeApproved)), style: "B"})
		case phonghop.PollConfidence:
			low := ""
			if len(q.Levels) > 0 {
				low = q.Levels[len(q.Levels)-1]
			}
			add(block{text: fmt.Sprintf(w.lowTwoThirds, low, names(phonghop.OutcomeLowTwoThirds))})
			add(block{text: fmt.Sprintf(w.lowHalf, low, names(phonghop.OutcomeLowOverHalf))})
		}
	}
	return out
}

// upperFirst capitalises the first letter.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
