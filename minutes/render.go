package minutes

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/fonts"
)

// Zone is the time zone the minutes print times in: Vietnam (UTC+7, no daylight
// saving), fixed so rendering needs no tzdata.
var Zone = time.FixedZone("UTC+7", 7*60*60)

// Page geometry in mm: A4 with the margins of Vietnamese administrative documents
// (Decree 30/2020/NĐ-CP: top and bottom 20, left 30, right 15).
const (
	marginLeft   = 30.0
	marginRight  = 15.0
	marginTop    = 20.0
	marginBottom = 20.0
	bodySize     = 13.0
	lineHeight   = 6.5
)

// labels are the fixed words of the minutes in each language.
type labels struct {
	title, timePlace, start, place, attendance, chair, secretary, present, absent,
	none, quorumYes, quorumNo, content, presenter, startedAt, documents, speakers,
	notes, poll, secret, open, majority, option, votes, ratio, cast, passed,
	notPassed, override, conclusion, summary, closing, sign, page, other,
	country, motto, number string
	majorities map[string]string
}

var vi = labels{
	title: "BIÊN BẢN", timePlace: "I. THỜI GIAN, ĐỊA ĐIỂM", start: "Thời gian bắt đầu",
	place: "Địa điểm", attendance: "II. THÀNH PHẦN THAM DỰ", chair: "Chủ trì",
	secretary: "Thư ký", present: "Đại biểu có mặt", absent: "Đại biểu vắng mặt",
	none: "không có", quorumYes: "Số đại biểu dự họp có quyền biểu quyết: %d/%d; cuộc họp đủ số lượng đại biểu theo quy định.",
	quorumNo: "Số đại biểu dự họp có quyền biểu quyết: %d/%d; cuộc họp không đủ số lượng đại biểu theo quy định.",
	content:  "III. NỘI DUNG CUỘC HỌP", presenter: "Người trình bày", startedAt: "Bắt đầu lúc",
	documents: "Tài liệu", speakers: "Ý kiến phát biểu", notes: "Nội dung",
	poll: "Biểu quyết", secret: "bỏ phiếu kín", open: "biểu quyết công khai",
	majority: "điều kiện thông qua", option: "Phương án", votes: "Số phiếu", ratio: "Tỷ lệ",
	cast: "Số đại biểu đã biểu quyết: %d/%d.", passed: "Kết quả: THÔNG QUA.",
	notPassed:  "Kết quả: KHÔNG THÔNG QUA.",
	override:   "Ghi chú: biểu quyết được mở khi chưa đủ số lượng đại biểu, theo quyết định của chủ trì.",
	conclusion: "Kết luận", summary: "IV. KẾT LUẬN CỦA CHỦ TRÌ",
	closing: "Cuộc họp kết thúc lúc %s. Biên bản được lập thành 02 bản có giá trị như nhau.",
	sign:    "(Ký, ghi rõ họ tên)", page: "Trang %d/%s", other: "Các nội dung khác",
	country: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", motto: "Độc lập - Tự do - Hạnh phúc",
	number: "Số: ....../BB%s",
	majorities: map[string]string{
		phonghop.MajoritySimple:    "quá nửa số phiếu biểu quyết",
		phonghop.MajorityAbsolute:  "quá nửa tổng số đại biểu",
		phonghop.MajorityTwoThirds: "từ hai phần ba tổng số đại biểu",
	},
}

var en = labels{
	title: "MINUTES", timePlace: "I. TIME AND PLACE", start: "Started at", place: "Place",
	attendance: "II. ATTENDANCE", chair: "Chair", secretary: "Secretary", present: "Present",
	absent: "Absent", none: "none",
	quorumYes: "Voting members present: %d of %d; the meeting had a quorum.",
	quorumNo:  "Voting members present: %d of %d; the meeting did not have a quorum.",
	content:   "III. PROCEEDINGS", presenter: "Presented by", startedAt: "Started at",
	documents: "Documents", speakers: "Speakers", notes: "Discussion", poll: "Vote",
	secret: "secret ballot", open: "open vote", majority: "required majority",
	option: "Option", votes: "Votes", ratio: "Share", cast: "Voted: %d of %d.",
	passed: "Result: PASSED.", notPassed: "Result: NOT PASSED.",
	override:   "Note: the chair opened this vote without a quorum.",
	conclusion: "Conclusion", summary: "IV. CONCLUSIONS OF THE CHAIR",
	closing: "The meeting ended at %s. These minutes are made in 2 copies of equal value.",
	sign:    "(Signature and full name)", page: "Page %d/%s", other: "Other business",
	number: "No. ....../MIN",
	majorities: map[string]string{
		phonghop.MajoritySimple:    "more than half of the votes cast",
		phonghop.MajorityAbsolute:  "more than half of all members",
		phonghop.MajorityTwoThirds: "two thirds of all members",
	},
}

// renderer draws one document. Every string passes through t (fonts.Clean), so
// nothing the font cannot draw reaches fpdf.
type renderer struct {
	pdf   *fpdf.Fpdf
	l     labels
	vi    bool
	width float64 // printable width
}

func t(s string) string { return fonts.Clean(s) }

// Render draws the minutes as an A4 PDF. The same draft always gives the same
// bytes: the document dates come from the draft and fpdf's catalog is sorted.
// Text the fonts cannot draw is replaced as fonts.Clean describes; it never
// fails on content, only if fpdf reports an error.
func Render(d Draft) ([]byte, error) {
	r := &renderer{pdf: fpdf.New("P", "mm", "A4", ""), l: vi, vi: d.Language != "en"}
	if !r.vi {
		r.l = en
	}
	pdf := r.pdf
	pdf.AliasNbPages("{nb}") // before the fonts: fpdf sizes their subsets by it
	fonts.Register(pdf)
	pdf.SetCompression(false) // compressStreams deflates the pages afterwards, cheaper
	pdf.SetCatalogSort(true)
	stamp := d.StartsAt
	if d.UpdatedAt != nil {
		stamp = *d.UpdatedAt
	}
	pdf.SetCreationDate(stamp)
	pdf.SetModificationDate(stamp)
	pdf.SetTitle(t(r.l.title+" – "+d.Title), true)
	pdf.SetCreator("phonghop", false)
	pdf.SetProducer("phonghop", false)
	pdf.SetMargins(marginLeft, marginTop, marginRight)
	pdf.SetAutoPageBreak(true, marginBottom)
	pw, _ := pdf.GetPageSize()
	r.width = pw - marginLeft - marginRight
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont(fonts.Family, "", 10)
		pdf.CellFormat(0, 5, fmt.Sprintf(r.l.page, pdf.PageNo(), "{nb}"), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()

	r.header(d)
	r.section(r.l.timePlace)
	r.field(r.l.start, r.dateTime(d.StartsAt))
	r.field(r.l.place, d.Location)

	r.section(r.l.attendance)
	r.field(r.l.chair, personLine(d.Chair))
	r.field(r.l.secretary, personLine(d.Secretary))
	r.field(r.l.present, peopleLine(d.Attendance.Present, r.l.none))
	r.field(r.l.absent, peopleLine(d.Attendance.Absent, r.l.none))
	q := r.l.quorumNo
	if d.Attendance.Quorum {
		q = r.l.quorumYes
	}
	delegates := 0
	for _, p := range d.Attendance.Present {
		if p.Role == string(phonghop.RoleDelegate) {
			delegates++
		}
	}
	r.para("", fmt.Sprintf(q, delegates, d.Attendance.Expected))

	r.section(r.l.content)
	for i, it := range d.Items {
		r.item(i+1, it)
	}

	r.section(r.l.summary)
	if strings.TrimSpace(d.Summary) != "" {
		r.para("", d.Summary)
	} else {
		r.para("", "...")
	}
	end := "..."
	if d.EndedAt != nil {
		end = r.clock(*d.EndedAt)
		if r.vi && !sameDay(*d.EndedAt, d.StartsAt) {
			end = r.dateTime(*d.EndedAt)
		} else if r.vi {
			end += " cùng ngày"
		}
	}
	pdf.Ln(2)
	r.para("", fmt.Sprintf(r.l.closing, end))
	r.signatures(d)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("minutes: render: %w", err)
	}
	return compressStreams(buf.Bytes())
}

func sameDay(a, b time.Time) bool {
	a, b = a.In(Zone), b.In(Zone)
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

func (r *renderer) clock(tm time.Time) string {
	tm = tm.In(Zone)
	if r.vi {
		return fmt.Sprintf("%02d giờ %02d", tm.Hour(), tm.Minute())
	}
	return tm.Format("15:04")
}

func (r *renderer) date(tm time.Time) string {
	tm = tm.In(Zone)
	if r.vi {
		return fmt.Sprintf("ngày %02d tháng %02d năm %d", tm.Day(), int(tm.Month()), tm.Year())
	}
	return tm.Format("2 January 2006")
}

func (r *renderer) dateTime(tm time.Time) string {
	return r.clock(tm) + ", " + r.date(tm)
}

func personLine(p Person) string {
	if p.DisplayName == "" {
		return "..."
	}
	if p.Title != "" {
		return p.DisplayName + " – " + p.Title
	}
	return p.DisplayName
}

func peopleLine(ps []Person, none string) string {
	if len(ps) == 0 {
		return none + "."
	}
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%d. %s", i+1, personLine(p))
	}
	b.WriteString(".")
	return b.String()
}

// header draws the issuing body and number (left) and the national title (right),
// then the place and date, the title and the subject.
func (r *renderer) header(d Draft) {
	pdf := r.pdf
	leftW, rightW := 68.0, r.width-68.0
	y := pdf.GetY()
	org := strings.ToUpper(strings.TrimSpace(d.Organization))
	if org == "" {
		org = "..."
	}
	pdf.SetFont(fonts.Family, "B", 12)
	pdf.SetXY(marginLeft, y)
	pdf.MultiCell(leftW, 5.5, t(org), "", "C", false)
	r.rule(marginLeft+leftW/2, pdf.GetY()+0.5, 20)
	pdf.SetXY(marginLeft, pdf.GetY()+2)
	pdf.SetFont(fonts.Family, "", 12)
	suffix := ""
	if strings.Contains(org, "UBND") || strings.Contains(org, "ỦY BAN NHÂN DÂN") || strings.Contains(org, "UỶ BAN NHÂN DÂN") {
		suffix = "-UBND"
	}
	num := r.l.number
	if r.vi {
		num = fmt.Sprintf(num, suffix)
	}
	pdf.CellFormat(leftW, 5.5, t(num), "", 1, "C", false, 0, "")
	leftBottom := pdf.GetY()

	rightX := marginLeft + leftW
	pdf.SetXY(rightX, y)
	if r.vi {
		pdf.SetFont(fonts.Family, "B", 12)
		pdf.CellFormat(rightW, 5.5, t(r.l.country), "", 2, "C", false, 0, "")
		pdf.SetFont(fonts.Family, "B", 13)
		pdf.CellFormat(rightW, 6, t(r.l.motto), "", 2, "C", false, 0, "")
		w := pdf.GetStringWidth(t(r.l.motto))
		r.rule(rightX+rightW/2, pdf.GetY()+0.3, w)
		pdf.SetXY(rightX, pdf.GetY()+3)
	}
	pdf.SetFont(fonts.Family, "I", 13)
	placeDate := r.date(d.StartsAt)
	if r.vi {
		if d.Location != "" {
			placeDate = d.Location + ", " + placeDate
		}
	} else if d.Location != "" {
		placeDate = d.Location + ", " + placeDate
	}
	pdf.MultiCell(rightW, 6, t(placeDate), "", "C", false)
	if pdf.GetY() < leftBottom {
		pdf.SetY(leftBottom)
	}

	pdf.Ln(8)
	pdf.SetFont(fonts.Family, "B", 15)
	pdf.CellFormat(0, 7, t(r.l.title), "", 1, "C", false, 0, "")
	pdf.SetFont(fonts.Family, "B", 13)
	pdf.MultiCell(0, 6.5, t(d.Title), "", "C", false)
	r.rule(marginLeft+r.width/2, pdf.GetY()+1, 40)
	pdf.Ln(5)
}

// rule draws a short horizontal line centred on cx.
func (r *renderer) rule(cx, y, w float64) {
	r.pdf.SetLineWidth(0.3)
	r.pdf.Line(cx-w/2, y, cx+w/2, y)
}

func (r *renderer) section(title string) {
	r.pdf.Ln(2)
	r.keep(3 * lineHeight)
	r.pdf.SetFont(fonts.Family, "B", bodySize)
	r.pdf.MultiCell(0, lineHeight, t(title), "", "L", false)
}

// keep starts a new page unless h mm fit on this one, so a heading is never the
// last line of a page.
func (r *renderer) keep(h float64) {
	_, ph := r.pdf.GetPageSize()
	if r.pdf.GetY()+h > ph-marginBottom {
		r.pdf.AddPage()
	}
}

// field draws "label: value" with the label bold, wrapped to the page width.
func (r *renderer) field(label, value string) {
	r.para(label, value)
}

// para draws an optional bold lead-in and a paragraph, wrapped to the page
// width. fpdf's Write would mix the styles on one line but indexes []rune(s)
// for every character (quadratic: a 1 MB note never finishes), so the first line
// is measured here and the rest goes through SplitText, which is linear.
func (r *renderer) para(label, text string) {
	pdf := r.pdf
	text = t(text)
	pdf.SetX(marginLeft)
	lw := 0.0
	if label != "" {
		label = t(label + ":")
		pdf.SetFont(fonts.Family, "B", bodySize)
		lw = pdf.GetStringWidth(label) + cellMargin + 0.6
		pdf.CellFormat(lw, lineHeight, label, "", 0, "L", false, 0, "")
	}
	pdf.SetFont(fonts.Family, "", bodySize)
	head, rest := r.firstLine(text, r.width-lw)
	pdf.CellFormat(r.width-lw, lineHeight, head, "", 1, "L", false, 0, "")
	if rest == "" {
		return
	}
	for _, line := range pdf.SplitText(rest, r.width) {
		pdf.CellFormat(r.width, lineHeight, line, "", 1, "L", false, 0, "")
	}
}

// cellMargin is fpdf's default padding inside a cell (a tenth of its 10 mm
// default margin).
const cellMargin = 1.0

// firstLine splits off the words of s that fit in width w (up to the first line
// break). When not even one word fits, the whole of s goes to the next line.
func (r *renderer) firstLine(s string, w float64) (head, rest string) {
	max := w - 2*cellMargin
	width, space := 0.0, -1
	for i, c := range s {
		switch c {
		case '\n':
			return s[:i], s[i+1:]
		case ' ':
			space = i
		}
		width += r.pdf.GetStringWidth(string(c))
		if width > max {
			if space < 0 {
				return "", s
			}
			return s[:space], s[space+1:]
		}
	}
	return s, ""
}

func (r *renderer) item(n int, it Item) {
	pdf := r.pdf
	title := it.Title
	if it.AgendaItemID == OtherItemID && title == "" {
		title = r.l.other
	}
	pdf.Ln(1.5)
	r.keep(3 * lineHeight)
	pdf.SetFont(fonts.Family, "B", bodySize)
	pdf.MultiCell(0, lineHeight, t(fmt.Sprintf("%d. %s", n, title)), "", "L", false)
	if it.Presenter != "" {
		r.field(r.l.presenter, it.Presenter)
	}
	if it.StartedAt != nil {
		r.field(r.l.startedAt, r.clock(*it.StartedAt))
	}
	if len(it.Documents) > 0 {
		r.field(r.l.documents, strings.Join(it.Documents, "; ")+".")
	}
	if len(it.Speakers) > 0 {
		var b strings.Builder
		for i, s := range it.Speakers {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s (%s)", s.DisplayName, r.clock(s.At))
		}
		b.WriteString(".")
		r.field(r.l.speakers, b.String())
	}
	if strings.TrimSpace(it.Notes) != "" {
		r.field(r.l.notes, it.Notes)
	}
	for _, p := range it.Polls {
		r.poll(p)
	}
	if strings.TrimSpace(it.Conclusion) != "" {
		r.field(r.l.conclusion, it.Conclusion)
	}
}

// poll draws a vote: what it was about, a results table (one row per option,
// the header repeated on every page the table spans) and the outcome.
func (r *renderer) poll(p PollSummary) {
	pdf := r.pdf
	kind := r.l.open
	if p.Secret {
		kind = r.l.secret
	}
	rule := r.l.majorities[p.Majority]
	if rule == "" {
		rule = p.Majority
	}
	r.keep(4 * lineHeight)
	r.field(r.l.poll, fmt.Sprintf("%s (%s; %s: %s).", p.Title, kind, r.l.majority, rule))

	cols := []float64{r.width - 70, 35, 35}
	head := []string{r.l.option, r.l.votes, r.l.ratio}
	const lh = 6.0
	drawHeader := func() {
		pdf.SetFont(fonts.Family, "B", 12)
		pdf.SetFillColor(235, 235, 235)
		pdf.SetX(marginLeft)
		for i, h := range head {
			pdf.CellFormat(cols[i], lh+1, t(h), "1", 0, "C", true, 0, "")
		}
		pdf.Ln(lh + 1)
	}
	_, ph := pdf.GetPageSize()
	bottom := ph - marginBottom
	r.keep(2*lh + 1)
	drawHeader()
	pdf.SetFont(fonts.Family, "", 12)
	for i, opt := range p.Options {
		lines := pdf.SplitText(t(opt), cols[0]-2)
		if len(lines) == 0 {
			lines = []string{""}
		}
		// A row never splits across pages; one taller than a page is cut short.
		if max := int((bottom - marginTop - lh - 1) / lh); len(lines) > max {
			lines = append(lines[:max-1], "…")
		}
		h := float64(len(lines)) * lh
		if pdf.GetY()+h > bottom {
			pdf.AddPage()
			drawHeader()
			pdf.SetFont(fonts.Family, "", 12)
		}
		count := 0
		if i < len(p.Counts) {
			count = p.Counts[i]
		}
		share := "–"
		if p.Eligible > 0 {
			share = r.percent(float64(count) * 100 / float64(p.Eligible))
		}
		x, y := marginLeft, pdf.GetY()
		pdf.Rect(x, y, cols[0], h, "D")
		for j, line := range lines {
			pdf.SetXY(x+1, y+float64(j)*lh)
			pdf.CellFormat(cols[0]-2, lh, line, "", 0, "L", false, 0, "")
		}
		pdf.SetXY(x+cols[0], y)
		pdf.CellFormat(cols[1], h, fmt.Sprint(count), "1", 0, "C", false, 0, "")
		pdf.CellFormat(cols[2], h, share, "1", 0, "C", false, 0, "")
		pdf.SetXY(marginLeft, y+h)
	}
	pdf.Ln(1)
	r.para("", fmt.Sprintf(r.l.cast, p.Cast, p.Eligible))
	result := r.l.notPassed
	if p.Passed {
		result = r.l.passed
	}
	pdf.SetFont(fonts.Family, "B", bodySize)
	pdf.MultiCell(0, lineHeight, t(result), "", "L", false)
	if p.QuorumOverride {
		pdf.SetFont(fonts.Family, "I", bodySize)
		pdf.MultiCell(0, lineHeight, t(r.l.override), "", "L", false)
	}
}

// percent prints a share of the eligible members with two decimals, with the
// decimal comma in Vietnamese.
func (r *renderer) percent(v float64) string {
	s := fmt.Sprintf("%.2f%%", v)
	if r.vi {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// signatures draws the secretary (left) and the chair (right) side by side,
// kept together on one page.
func (r *renderer) signatures(d Draft) {
	pdf := r.pdf
	r.keep(50)
	pdf.Ln(6)
	half := r.width / 2
	y := pdf.GetY()
	block := func(x float64, role string, p Person) {
		pdf.SetXY(x, y)
		pdf.SetFont(fonts.Family, "B", bodySize)
		pdf.CellFormat(half, lineHeight, t(strings.ToUpper(role)), "", 2, "C", false, 0, "")
		pdf.SetFont(fonts.Family, "I", 12)
		pdf.CellFormat(half, lineHeight, t(r.l.sign), "", 2, "C", false, 0, "")
		pdf.SetXY(x, y+2*lineHeight+24)
		pdf.SetFont(fonts.Family, "B", bodySize)
		name := p.DisplayName
		if name == "" {
			name = "..."
		}
		pdf.MultiCell(half, lineHeight, t(name), "", "C", false)
	}
	block(marginLeft, r.l.secretary, d.Secretary)
	block(marginLeft+half, r.l.chair, d.Chair)
}
