package minutes

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/phonghop/phonghop"
)

// form is the minutes laid out in the parts of the minutes template of Decree
// 30/2020/NĐ-CP (Appendix III, form 1.9), before a writer draws them: the PDF
// (render.go) and the Word file (docx.go) both write a form, so the two can
// never say different things. docs/api.md ("The form") names the parts.
type form struct {
	vi    bool
	draft bool // marked "DỰ THẢO": not (yet) approved by the chair

	// The heading: the issuing body (left) and the national title (right), then
	// the number (left) level with the place and date (right).
	parent    []string // the superior body, one entry per printed line; nil when none
	org       []string // the issuing body, one entry per printed line
	number    string   // "Số: 05/BB-UBND"
	country   string   // the national title and motto ("" in English)
	motto     string
	placeDate string // "Tân Phú, ngày 12 tháng 01 năm 2024"

	kind    string // "BIÊN BẢN"
	subject string // what the minutes are of: the meeting's title

	body []block

	signers    []signer // two a row: the secretary (left) and the chair (right)
	recipients []string // "Nơi nhận:" and its lines
	draftMark  string

	meta  string    // the document's title metadata
	stamp time.Time // the document's creation date metadata
}

// block is one paragraph of the body: an optional bold lead-in and text, or a
// table. Every paragraph has the Decree's first-line indent and is justified.
type block struct {
	label   string // bold, followed by ":" (and the text, if any)
	text    string
	style   string // "" regular, "B" bold, "I" italic: the whole text
	heading bool   // never the last thing on a page: kept with what follows
	tail    bool   // the closing lines: their last two lines stay with the signatures
	table   *table
}

// table is a results table: a header row repeated on every page it spans and
// rows never split across pages.
type table struct {
	widths []float64 // fractions of the text width
	align  []string  // "L" or "C" per column
	head   []string
	rows   [][]string
}

type signer struct {
	role string // upper case: "THƯ KÝ", "CHỦ TỌA"
	name string
}

// words are the fixed words of the minutes in each language. The Vietnamese
// ones follow the template's own wording.
type words struct {
	kind, number, start, place, attendance, present, absent, guests, none,
	quorumYes, quorumNo, chair, secretary, content, presenter, startedAt,
	documents, speakers, notes, poll, secret, open, majority, option, votes,
	ratio, cast, passed, notPassed, override, conclusion, summary, closing,
	closingOpen, sameDay, signChair, signSecretary, recipients, archive, other,
	country, motto, draft, blank, reason string
	majorities map[string]string
}

var vi = words{
	kind: "BIÊN BẢN", number: "Số: ", start: "Thời gian bắt đầu", place: "Địa điểm",
	attendance: "Thành phần tham dự", present: "Đại biểu có mặt", absent: "Đại biểu vắng mặt",
	guests: "Khách mời", none: "không có",
	quorumYes: "Số đại biểu dự họp có quyền biểu quyết: %d/%d; cuộc họp đủ số lượng đại biểu theo quy định.",
	quorumNo:  "Số đại biểu dự họp có quyền biểu quyết: %d/%d; cuộc họp không đủ số lượng đại biểu theo quy định.",
	chair:     "Chủ trì (chủ tọa)", secretary: "Thư ký (người ghi biên bản)",
	content: "Nội dung (theo diễn biến cuộc họp)", presenter: "Người trình bày", startedAt: "Bắt đầu lúc",
	documents: "Tài liệu", speakers: "Ý kiến phát biểu", notes: "Diễn biến",
	poll: "Biểu quyết", secret: "bỏ phiếu kín", open: "biểu quyết công khai",
	majority: "điều kiện thông qua", option: "Phương án", votes: "Số phiếu", ratio: "Tỷ lệ",
	cast: "Số đại biểu đã biểu quyết: %d/%d.", passed: "Kết quả: THÔNG QUA.",
	notPassed:  "Kết quả: KHÔNG THÔNG QUA.",
	override:   "Ghi chú: biểu quyết được mở khi chưa đủ số lượng đại biểu, theo quyết định của chủ trì.",
	conclusion: "Kết luận", summary: SummaryLabelVi,
	closing: "Cuộc họp kết thúc vào %s./.", closingOpen: "Cuộc họp kết thúc vào ...... giờ ......, ngày ...... tháng ...... năm ....../.",
	sameDay: " cùng ngày", signChair: "CHỦ TỌA", signSecretary: "THƯ KÝ",
	recipients: "Nơi nhận:", archive: "- Lưu: VT, hồ sơ.", other: "Các nội dung khác",
	country: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", motto: "Độc lập - Tự do - Hạnh phúc",
	draft: "DỰ THẢO", blank: "......", reason: " (lý do: %s)",
	majorities: map[string]string{
		phonghop.MajoritySimple:    "quá nửa số phiếu biểu quyết",
		phonghop.MajorityAbsolute:  "quá nửa tổng số đại biểu",
		phonghop.MajorityTwoThirds: "từ hai phần ba tổng số đại biểu",
	},
}

var en = words{
	kind: "MINUTES", number: "No. ", start: "Started at", place: "Venue",
	attendance: "Attendance", present: "Members present", absent: "Members absent",
	guests: "Guests and observers", none: "none",
	quorumYes: "Voting members present: %d of %d; the meeting had a quorum.",
	quorumNo:  "Voting members present: %d of %d; the meeting did not have a quorum.",
	chair:     "Chair", secretary: "Secretary (minute-taker)",
	content: "Proceedings", presenter: "Presented by", startedAt: "Started at",
	documents: "Documents", speakers: "Speakers", notes: "Discussion", poll: "Vote",
	secret: "secret ballot", open: "open vote", majority: "required majority",
	option: "Option", votes: "Votes", ratio: "Share", cast: "Voted: %d of %d.",
	passed: "Result: PASSED.", notPassed: "Result: NOT PASSED.",
	override:   "Note: the chair opened this vote without a quorum.",
	conclusion: "Conclusion", summary: SummaryLabelEn,
	closing: "The meeting closed at %s.", closingOpen: "The meeting closed at ...... on .......",
	sameDay: " the same day", signChair: "CHAIR", signSecretary: "SECRETARY",
	recipients: "Distribution:", archive: "- File: records office, meeting file.", other: "Other business",
	draft: "DRAFT", blank: "......", reason: " (reason: %s)",
	majorities: map[string]string{
		phonghop.MajoritySimple:    "more than half of the votes cast",
		phonghop.MajorityAbsolute:  "more than half of all members",
		phonghop.MajorityTwoThirds: "two thirds of all members",
	},
}

// SummaryLabelVi and SummaryLabelEn head the draft's summary in the minutes;
// the editor labels the field with the same words.
const (
	SummaryLabelVi = "Kết luận của chủ trì"
	SummaryLabelEn = "Conclusions of the chair"
)

// layout puts the draft into the template's parts.
func layout(d Draft) *form {
	w := vi
	if d.Language == "en" {
		w = en
	}
	f := &form{vi: d.Language != "en", kind: w.kind, subject: d.Title, draftMark: w.draft, draft: d.Approved == nil}
	f.meta = w.kind + " – " + d.Title
	f.stamp = d.StartsAt
	if d.UpdatedAt != nil {
		f.stamp = *d.UpdatedAt
	}

	// The heading.
	f.parent = bodyLines(d.ParentOrganization)
	if f.org = bodyLines(d.Organization); f.org == nil {
		f.org = []string{w.blank}
	}
	f.number = w.number + documentNumber(d.DocumentNumber, d.Organization, f.vi)
	if f.vi {
		f.country, f.motto = w.country, w.motto
	}
	place := strings.TrimSpace(d.PlaceName)
	if place == "" {
		place = w.blank
	}
	f.placeDate = place + ", " + date(d.StartsAt, f.vi)

	// The body, in the template's order. The meeting started when the chair
	// opened it (khai mạc), else at its scheduled time; it ended when the chair
	// closed it (bế mạc), else with the last thing recorded.
	add := func(b block) { f.body = append(f.body, b) }
	start, end := d.StartsAt, d.EndedAt
	if d.OpenedAt != nil {
		start = *d.OpenedAt
	}
	if d.ClosedAt != nil {
		end = d.ClosedAt
	}
	add(block{label: w.start, text: dateTime(start, f.vi) + "."})
	add(block{label: w.place, text: orBlank(d.Location, w.blank) + "."})

	var delegates, guests []Person
	for _, p := range d.Attendance.Present {
		switch phonghop.Role(p.Role) {
		case phonghop.RoleChair, phonghop.RoleSecretary:
		case phonghop.RoleObserver:
			guests = append(guests, p)
		default:
			delegates = append(delegates, p)
		}
	}
	for _, line := range strings.Split(d.Guests, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			guests = append(guests, Person{DisplayName: line})
		}
	}
	add(block{label: w.attendance, heading: true})
	add(block{label: w.present, text: peopleLine(delegates, w)})
	add(block{label: w.absent, text: peopleLine(d.Attendance.Absent, w)})
	if len(guests) > 0 {
		add(block{label: w.guests, text: peopleLine(guests, w)})
	}
	voting := 0
	for _, p := range d.Attendance.Present {
		if p.Role == string(phonghop.RoleDelegate) {
			voting++
		}
	}
	q := w.quorumNo
	if d.Attendance.Quorum {
		q = w.quorumYes
	}
	add(block{text: fmt.Sprintf(q, voting, d.Attendance.Expected)})
	add(block{label: w.chair, text: personLine(d.Chair, w.blank) + "."})
	add(block{label: w.secretary, text: personLine(d.Secretary, w.blank) + "."})

	add(block{label: w.content, heading: true})
	for i, it := range d.Items {
		title := it.Title
		if it.AgendaItemID == OtherItemID && title == "" {
			title = w.other
		}
		add(block{text: fmt.Sprintf("%d. %s", i+1, title), style: "B", heading: true})
		if it.Presenter != "" {
			add(block{label: w.presenter, text: it.Presenter + "."})
		}
		if it.StartedAt != nil {
			add(block{label: w.startedAt, text: clock(*it.StartedAt, f.vi) + "."})
		}
		if len(it.Documents) > 0 {
			add(block{label: w.documents, text: strings.Join(it.Documents, "; ") + "."})
		}
		if len(it.Speakers) > 0 {
			var b strings.Builder
			for i, s := range it.Speakers {
				if i > 0 {
					b.WriteString("; ")
				}
				fmt.Fprintf(&b, "%s (%s)", s.DisplayName, clock(s.At, f.vi))
			}
			add(block{label: w.speakers, text: b.String() + "."})
		}
		if strings.TrimSpace(it.Notes) != "" {
			add(block{label: w.notes, text: it.Notes})
		}
		for _, p := range it.Polls {
			for _, b := range pollBlocks(p, w, f.vi) {
				add(b)
			}
		}
		if strings.TrimSpace(it.Conclusion) != "" {
			add(block{label: w.conclusion, text: it.Conclusion})
		}
	}

	summary := strings.TrimSpace(d.Summary)
	if summary == "" {
		summary = w.blank
	}
	add(block{label: w.summary, text: summary, tail: true})
	closing := w.closingOpen
	if end != nil {
		at := clock(*end, f.vi)
		if sameDay(*end, start) {
			at += w.sameDay
		} else {
			at = dateTime(*end, f.vi)
		}
		closing = fmt.Sprintf(w.closing, at)
	}
	add(block{text: closing, tail: true})

	f.signers = []signer{{w.signSecretary, orBlank(d.Secretary.DisplayName, w.blank)}, {w.signChair, orBlank(d.Chair.DisplayName, w.blank)}}
	f.recipients = []string{w.recipients, w.archive}
	return f
}

// pollBlocks are a vote: what it was about, a results table and the outcome.
func pollBlocks(p PollSummary, w words, vi bool) []block {
	kind := w.open
	if p.Secret {
		kind = w.secret
	}
	rule := w.majorities[p.Majority]
	if rule == "" {
		rule = p.Majority
	}
	if p.Kind != "" {
		// An election, confidence vote or approval: the count as the
		// counting record gives it.
		bw := ballotWordsOf(vi)
		out := []block{{label: w.poll, text: fmt.Sprintf("%s (%s; %s).", p.Title, bw.kinds[p.Kind], kind), heading: true}}
		out = append(out, ballotBlocks(p, bw, vi, false)...)
		if p.QuorumOverride {
			out = append(out, block{text: w.override, style: "I"})
		}
		return out
	}
	tb := &table{widths: []float64{95.0 / 165, 35.0 / 165, 35.0 / 165}, align: []string{"L", "C", "C"},
		head: []string{w.option, w.votes, w.ratio}}
	for i, opt := range p.Options {
		count := 0
		if i < len(p.Counts) {
			count = p.Counts[i]
		}
		share := "–"
		if p.Eligible > 0 {
			share = percent(float64(count)*100/float64(p.Eligible), vi)
		}
		tb.rows = append(tb.rows, []string{opt, fmt.Sprint(count), share})
	}
	result := w.notPassed
	if p.Passed {
		result = w.passed
	}
	out := []block{
		{label: w.poll, text: fmt.Sprintf("%s (%s; %s: %s).", p.Title, kind, w.majority, rule), heading: true},
		{table: tb},
		{text: fmt.Sprintf(w.cast, p.Cast, p.Eligible)},
		{text: result, style: "B"},
	}
	if p.QuorumOverride {
		out = append(out, block{text: w.override, style: "I"})
	}
	return out
}

// adminLevel finds where the template breaks an issuing body's name: after the
// kind of body ("ỦY BAN NHÂN DÂN", "HĐND"), before its administrative unit
// ("HUYỆN THÁP MƯỜI"), so "ỦY BAN NHÂN DÂN" / "HUYỆN THÁP MƯỜI", never
// "ỦY BAN NHÂN DÂN HUYỆN" / "THÁP MƯỜI".
var adminLevel = regexp.MustCompile(`^(.*?(?:NHÂN DÂN|UBND|HĐND))\s+((?:TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ|XÃ|PHƯỜNG|THỊ TRẤN|ĐẶC KHU)(?:\s.*)?)$`)

// bodyLines is a body's name in capitals, one entry per printed line: the
// lines the user broke it into, else the template's break (adminLevel), else
// one line (the writer wraps it if it is wider than the column). nil when empty.
func bodyLines(name string) []string {
	var lines []string
	for _, l := range strings.Split(name, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, strings.ToUpper(l))
		}
	}
	if len(lines) == 1 {
		if m := adminLevel.FindStringSubmatch(lines[0]); m != nil {
			lines = []string{m[1], m[2]}
		}
	}
	return lines
}

// documentNumber is the minutes' number and symbol as given ("05/BB-UBND"), or
// a blank for the records office to fill, with the symbol of a People's
// Committee or Council when the issuing body is one.
func documentNumber(given, org string, vi bool) string {
	given = strings.TrimSpace(given)
	for _, p := range []string{"Số:", "số:", "No.", "no."} {
		given = strings.TrimSpace(strings.TrimPrefix(given, p))
	}
	if given != "" {
		return given
	}
	if !vi {
		return "....../MIN"
	}
	up := strings.ToUpper(org)
	switch {
	case strings.Contains(up, "ỦY BAN NHÂN DÂN") || strings.Contains(up, "UỶ BAN NHÂN DÂN") || strings.Contains(up, "UBND"):
		return "....../BB-UBND"
	case strings.Contains(up, "HỘI ĐỒNG NHÂN DÂN") || strings.Contains(up, "HĐND"):
		return "....../BB-HĐND"
	}
	return "....../BB"
}

func orBlank(s, blank string) string {
	if strings.TrimSpace(s) == "" {
		return blank
	}
	return strings.TrimSpace(s)
}

func personLine(p Person, blank string) string {
	if strings.TrimSpace(p.DisplayName) == "" {
		return blank
	}
	office := p.Title
	if office == "" {
		office = p.Unit
	}
	if office != "" {
		return p.DisplayName + " – " + office
	}
	return p.DisplayName
}

// peopleLine numbers the people, each with the reason given when someone
// checked them in or out on their behalf.
func peopleLine(ps []Person, w words) string {
	if len(ps) == 0 {
		return w.none + "."
	}
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%d. %s", i+1, personLine(p, "..."))
		if r := strings.TrimSpace(p.Reason); r != "" {
			fmt.Fprintf(&b, w.reason, r)
		}
	}
	b.WriteString(".")
	return b.String()
}

func sameDay(a, b time.Time) bool {
	a, b = a.In(phonghop.Zone), b.In(phonghop.Zone)
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

func clock(tm time.Time, vi bool) string {
	tm = tm.In(phonghop.Zone)
	if vi {
		return fmt.Sprintf("%02d giờ %02d", tm.Hour(), tm.Minute())
	}
	return tm.Format("15:04")
}

// date is the Decree's date: "ngày 05 tháng 01 năm 2024", "ngày 15 tháng 3
// năm 2024" (a day below 10 and the months 1 and 2 take a leading zero, so the
// date cannot be altered by adding a digit).
func date(tm time.Time, vi bool) string {
	tm = tm.In(phonghop.Zone)
	if vi {
		month := fmt.Sprint(int(tm.Month()))
		if tm.Month() <= time.February {
			month = "0" + month
		}
		return fmt.Sprintf("ngày %02d tháng %s năm %d", tm.Day(), month, tm.Year())
	}
	return tm.Format("2 January 2006")
}

func dateTime(tm time.Time, vi bool) string {
	return clock(tm, vi) + ", " + date(tm, vi)
}

// percent prints a share with two decimals, with the decimal comma in
// Vietnamese.
func percent(v float64, vi bool) string {
	s := fmt.Sprintf("%.2f%%", v)
	if vi {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}
