package minutes

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
)

func TestBodyLines(t *testing.T) {
	for in, want := range map[string][]string{
		"ỦY BAN NHÂN DÂN HUYỆN TÂN PHÚ":                 {"ỦY BAN NHÂN DÂN", "HUYỆN TÂN PHÚ"},
		"Ủy ban nhân dân huyện Tháp Mười":               {"ỦY BAN NHÂN DÂN", "HUYỆN THÁP MƯỜI"},
		"  Hội đồng nhân dân   xã Tân Lập ":             {"HỘI ĐỒNG NHÂN DÂN", "XÃ TÂN LẬP"},
		"UBND thành phố Hồ Chí Minh":                    {"UBND", "THÀNH PHỐ HỒ CHÍ MINH"},
		"Ủy ban nhân dân thị xã Sơn Tây":                {"ỦY BAN NHÂN DÂN", "THỊ XÃ SƠN TÂY"},
		"Ủy ban nhân dân đặc khu Phú Quốc":              {"ỦY BAN NHÂN DÂN", "ĐẶC KHU PHÚ QUỐC"},
		"Sở Lao động - Thương binh và Xã hội":           {"SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI"},
		"Văn phòng HĐND và UBND":                        {"VĂN PHÒNG HĐND VÀ UBND"},
		"Văn phòng Đoàn ĐBQH và HĐND\ntỉnh Đồng Tháp\n": {"VĂN PHÒNG ĐOÀN ĐBQH VÀ HĐND", "TỈNH ĐỒNG THÁP"},
		" \n ": nil,
	} {
		if got := bodyLines(in); !reflect.DeepEqual(got, want) {
			t.Errorf("bodyLines(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecreeDates(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2024, 1, 5, 9, 0, 0, 0, phonghop.Zone), "ngày 05 tháng 01 năm 2024"},
		{time.Date(2024, 2, 15, 9, 0, 0, 0, phonghop.Zone), "ngày 15 tháng 02 năm 2024"},
		{time.Date(2024, 3, 9, 9, 0, 0, 0, phonghop.Zone), "ngày 09 tháng 3 năm 2024"},
		{time.Date(2024, 12, 31, 23, 0, 0, 0, phonghop.Zone), "ngày 31 tháng 12 năm 2024"},
	} {
		if got := date(c.at, true); got != c.want {
			t.Errorf("date(%v) = %q, want %q", c.at, got, c.want)
		}
	}
}

// tmDraft is the meeting: Tháp Mười district's committee, in its hall.
func tmDraft() Draft {
	d := demoDraft()
	d.Organization = "Ủy ban nhân dân huyện Tháp Mười"
	d.PlaceName = "Tháp Mười"
	d.Location = "Hội trường UBND huyện"
	d.DocumentNumber = "05/BB-UBND"
	d.StartsAt = time.Date(2024, 1, 12, 8, 0, 0, 0, phonghop.Zone)
	d.Approved = &Approval{By: "u-chair", At: d.StartsAt.Add(3 * time.Hour)}
	return d
}

// TestDraftMark: a version the chair has not approved says so in the top
// margin of its first page; the approved one does not.
func TestDraftMark(t *testing.T) {
	d := tmDraft()
	d.Approved = nil
	pdf, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	pages, _, _ := pageWords(t, pdf)
	if w := pages[0]; len(w) < 2 || w[0].Text != "DỰ" || w[1].Text != "THẢO" || w[0].YMax > marginTop*mm || w[0].XMin < marginLeft*mm {
		t.Fatalf("a draft's first page starts with %+v, want the mark DỰ THẢO in the top margin", pages[0][:2])
	}
	for _, p := range pages[1:] {
		if strings.Contains(fmt.Sprint(p), "THẢO") {
			t.Error("the mark is repeated on a later page")
		}
	}
	d.Approved = &Approval{By: "u-chair", At: d.StartsAt}
	pdf, _ = Render(d)
	if f := pdfText(t, pdf); strings.Contains(f, "DỰ THẢO") {
		t.Error("an approved version carries the draft mark")
	}
}

// layoutLines is pdftotext -layout's text, by page and line.
func layoutLines(t *testing.T, pdf []byte) [][]string {
	t.Helper()
	var pages [][]string
	for _, p := range strings.Split(pdfText(t, pdf, "-layout"), "\f") {
		var ls []string
		for _, l := range strings.Split(p, "\n") {
			if strings.TrimSpace(l) != "" {
				ls = append(ls, l)
			}
		}
		if ls != nil {
			pages = append(pages, ls)
		}
	}
	return pages
}

// TestHeadingLayout: the heading as the Decree lays it out, checked on the
// text layout: the issuing body broken where the form breaks it, opposite the
// national title; the number level with the place name and date, which names
// the place (địa danh), not the venue ("Hội trường UBND huyện, ngày 12 tháng
// 01 năm 2024" before).
func TestHeadingLayout(t *testing.T) {
	pdf, err := Render(tmDraft())
	if err != nil {
		t.Fatal(err)
	}
	ls := layoutLines(t, pdf)[0]
	for i, want := range [][]string{
		{"ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"},
		{"HUYỆN THÁP MƯỜI", "Độc lập - Tự do - Hạnh phúc"},
		{"Số: 05/BB-UBND", "Tháp Mười, ngày 12 tháng 01 năm 2024"},
		{"BIÊN BẢN"},
	} {
		fields := strings.Fields(ls[i])
		line := strings.Join(fields, " ")
		at := 0
		for _, w := range want {
			j := strings.Index(line[at:], w)
			if j < 0 {
				t.Fatalf("line %d is %q, want %q in this order:\n%s", i+1, line, want, strings.Join(ls[:6], "\n"))
			}
			at += j + len(w)
		}
		if line != strings.Join(want, " ") {
			t.Errorf("line %d is %q, want only %q", i+1, line, want)
		}
	}
	if f := flat(pdfText(t, pdf)); strings.Contains(f, "Hội trường UBND huyện, ngày") || !strings.Contains(f, "Địa điểm: Hội trường UBND huyện.") {
		t.Errorf("the venue is not where it belongs:\n%s", f)
	}

	// A body under a superior one: the superior above, the issuing body below.
	d := tmDraft()
	d.ParentOrganization, d.Organization = "Ủy ban nhân dân huyện Tháp Mười", "Văn phòng HĐND và UBND"
	pdf, _ = Render(d)
	ls = layoutLines(t, pdf)[0]
	for i, want := range []string{"ỦY BAN NHÂN DÂN", "HUYỆN THÁP MƯỜI", "VĂN PHÒNG HĐND VÀ UBND"} {
		if !strings.HasPrefix(strings.TrimSpace(ls[i]), want) {
			t.Errorf("line %d is %q, want it to start with %q", i+1, ls[i], want)
		}
	}

	// Nothing given: blanks for the records office, never the venue.
	d = tmDraft()
	d.PlaceName, d.DocumentNumber = "", ""
	pdf, _ = Render(d)
	if f := flat(pdfText(t, pdf)); !strings.Contains(f, "Số: ....../BB-UBND") || !strings.Contains(f, "......, ngày 12 tháng 01 năm 2024") {
		t.Errorf("a heading left empty:\n%s", f)
	}
}

type bboxWord struct {
	XMin, YMin, XMax, YMax float64
	Text                   string
}

// pageWords is pdftotext -bbox's words (of the pages args choose, default all),
// by page, in points from the top left.
func pageWords(t *testing.T, pdf []byte, args ...string) (pages [][]bboxWord, width, height float64) {
	t.Helper()
	var doc struct {
		Pages []struct {
			Width  float64 `xml:"width,attr"`
			Height float64 `xml:"height,attr"`
			Words  []struct {
				XMin float64 `xml:"xMin,attr"`
				YMin float64 `xml:"yMin,attr"`
				XMax float64 `xml:"xMax,attr"`
				YMax float64 `xml:"yMax,attr"`
				Text string  `xml:",chardata"`
			} `xml:"word"`
		} `xml:"body>doc>page"`
	}
	dec := xml.NewDecoder(strings.NewReader(pdfText(t, pdf, append([]string{"-bbox"}, args...)...)))
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range doc.Pages {
		width, height = p.Width, p.Height
		var ws []bboxWord
		for _, w := range p.Words {
			ws = append(ws, bboxWord{w.XMin, w.YMin, w.XMax, w.YMax, w.Text})
		}
		pages = append(pages, ws)
	}
	return pages, width, height
}

const mm = 72 / 25.4 // points

// size is a word's type size: poppler's word box is the font's ascent to
// descent, 1.107 em in Liberation Serif.
func (w bboxWord) size() float64 { return (w.YMax - w.YMin) / 1.107 }

// pageNumber is the number printed at the top of page n (0 if none).
func pageNumber(t *testing.T, pdf []byte, n int) int {
	t.Helper()
	pages, _, _ := pageWords(t, pdf, "-f", strconv.Itoa(n), "-l", strconv.Itoa(n))
	if len(pages) != 1 || len(pages[0]) == 0 {
		return 0
	}
	w := pages[0][0]
	if w.YMax > marginTop*mm {
		return 0
	}
	v, _ := strconv.Atoi(w.Text)
	return v
}

// TestPageGeometry: A4, the Decree's margins, its type sizes, page numbers
// centred in the top margin from the second page, the embedded Times New
// Roman–metric face.
func TestPageGeometry(t *testing.T) {
	d := tmDraft()
	d.Items[1].Notes = strings.Repeat("Tỷ lệ số hóa kết quả giải quyết thủ tục hành chính đạt trên 60%. ", 60)
	pdf, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	pages, pw, ph := pageWords(t, pdf)
	if len(pages) < 3 {
		t.Fatalf("%d pages, want at least 3", len(pages))
	}
	if pw < 595 || pw > 595.5 || ph < 841.5 || ph > 842.2 {
		t.Fatalf("page is %.1f × %.1f pt, want A4 (595.3 × 841.9)", pw, ph)
	}
	left, right := marginLeft*mm, pw-marginRight*mm
	top, bottom := marginTop*mm, ph-marginBottom*mm
	for i, ws := range pages {
		for j, w := range ws {
			if j == 0 && i > 0 {
				// the page number: in the top margin, centred, 13 pt
				if w.Text != strconv.Itoa(i+1) || w.YMax > top || w.YMin < 8*mm ||
					abs((w.XMin+w.XMax)/2-(left+right)/2) > 1 || abs(w.size()-13) > 0.2 {
					t.Errorf("page %d starts with %+v, want its number centred in the top margin", i+1, w)
				}
				continue
			}
			if w.XMin < left-0.5 || w.XMax > right+0.5 || w.YMin < top-0.5 || w.YMax > bottom+0.5 {
				t.Errorf("page %d: %q at %+v is outside the margins", i+1, w.Text, w)
			}
		}
	}
	if first := pages[0][0]; first.Text == "1" {
		t.Error("the first page is numbered")
	}
	sizes := map[string]float64{"CỘNG": 12, "ỦY": 12, "Độc": 13, "Số:": 13, "Tháp": 13, "BIÊN": 14, "Thời": 13, "Diễn": 13, "THƯ": 13}
	for _, w := range pages[0] {
		if want, ok := sizes[w.Text]; ok {
			if abs(w.size()-want) > 0.2 {
				t.Errorf("%q is set in %.1f pt, want %v", w.Text, w.size(), want)
			}
			delete(sizes, w.Text)
		}
	}
	for _, w := range pages[len(pages)-1] {
		if want, ok := sizes[w.Text]; ok && abs(w.size()-want) > 0.2 {
			t.Errorf("%q is set in %.1f pt, want %v", w.Text, w.size(), want)
		}
		delete(sizes, w.Text)
	}
	if len(sizes) > 0 {
		t.Errorf("words not found to measure: %v", sizes)
	}

	bin, err := exec.LookPath("pdffonts")
	if err != nil {
		t.Fatal("pdffonts is missing: install it with `bash scripts/tools.sh pdf` (poppler-utils)")
	}
	cmd := exec.Command(bin, "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(out), "\n")[2:] {
		if f := strings.Fields(l); len(f) > 5 && (!strings.Contains(strings.ToLower(f[0]), "liberationserif") || f[len(f)-5] != "yes") {
			t.Errorf("a font other than the embedded Liberation Serif: %s", l)
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// TestSignaturesKeepTheLastLines: whatever the length of the text, the
// signatures share their page with the closing line and the end of the
// chair's conclusions (they stood alone on page 3).
func TestSignaturesKeepTheLastLines(t *testing.T) {
	base := demoDraft()
	sentence := " Năm 2024 tiếp tục nhân rộng các mô hình “6 trong 1”, “Một cửa không treo – hồ sơ không đọng”."
	moved := 0
	// Each step pushes the end down by a line, so the page break falls on every
	// line of the closing part in turn.
	for n := 0; n < 20; n++ {
		d := base
		d.Summary = "Chủ trì kết luận." + strings.Repeat(sentence, 3)
		d.Items = append([]Item(nil), base.Items...)
		d.Items[1].Notes = strings.Repeat("Ý kiến thảo luận. ", 1+4*n)
		pdf, err := Render(d)
		if err != nil {
			t.Fatal(err)
		}
		pages := layoutLines(t, pdf)
		last := pages[len(pages)-1]
		sig := -1
		for i, l := range last {
			if strings.Contains(l, "THƯ KÝ") && strings.Contains(l, "CHỦ TỌA") {
				sig = i
			}
		}
		if sig < 0 {
			t.Fatalf("n=%d: the signatures are not on the last page:\n%s", n, strings.Join(last, "\n"))
		}
		before := strings.Join(last[:sig], "\n")
		if !strings.Contains(before, "Cuộc họp kết thúc vào") || sig < 2 {
			t.Fatalf("n=%d: the signatures' page holds too little of the text before them:\n%s", n, strings.Join(last, "\n"))
		}
		if !strings.Contains(before, SummaryLabelVi) {
			moved++
		}
	}
	if moved == 0 {
		t.Error("no length made the conclusions break across pages: the test checks nothing")
	}
}

// TestEditorLabelsMatchThePDF: the editor labels each field with the words the
// minutes print it under (its "Tóm tắt" was printed as "IV. KẾT LUẬN CỦA CHỦ
// TRÌ"). The web app's strings are read from its source.
func TestEditorLabelsMatchThePDF(t *testing.T) {
	src, err := os.ReadFile("../frontend/src/lib/i18n.ts")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	enAt := strings.Index(text, "const en")
	if enAt < 0 {
		t.Fatal("i18n.ts has no `const en`")
	}
	for _, c := range []struct {
		key    string
		vi, en string
	}{{"summary", vi.summary, en.summary}, {"notes", vi.notes, en.notes}, {"conclusion", vi.conclusion, en.conclusion}} {
		for _, l := range []struct {
			part, want string
		}{{text[:enAt], c.vi}, {text[enAt:], c.en}} {
			m := regexp.MustCompile(`(?m)^\s*` + c.key + `: '([^']*)'`).FindStringSubmatch(l.part)
			if m == nil || m[1] != l.want {
				t.Errorf("the editor labels %q as %q, the minutes print %q", c.key, m, l.want)
			}
		}
	}
}

// TestRenderSessionAndReasons: the opening and closing times the chair
// recorded are the minutes' start and end, and the reasons given when someone
// was checked in or out on their behalf are printed with their names.
func TestRenderSessionAndReasons(t *testing.T) {
	mark := func(present bool, reason string) map[string]any {
		return map[string]any{"present": present, "reason": reason, "by": "u-sec"}
	}
	entries := append(demoJournal(),
		entry(17, "session", -2, map[string]any{"openedAt": at(-2)}),
		entry(18, "attendance", 100, map[string]any{"present": []string{"u-chair", "u-sec", "u-noiv", "u-tp"}, "expected": 4, "quorum": true,
			"marks": map[string]any{"u-tp": mark(true, "Không có máy tính bảng"), "u-xa": mark(false, "Đi công tác")}}),
		entry(19, "session", 130, map[string]any{"openedAt": at(-2), "closedAt": at(128)}))
	d := Assemble(demoMeeting(), entries, []phonghop.Poll{demoPoll()}, demoEdits())
	pdf, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	f := flat(pdfText(t, pdf))
	for _, want := range []string{
		"Thời gian bắt đầu: 07 giờ 58, ngày 15 tháng 01 năm 2024.",
		"Phạm Thị Hương – Trưởng phòng Tư pháp (lý do: Không có máy tính bảng)",
		"Đại biểu vắng mặt: 1. Hoàng Minh Đức – Chủ tịch UBND xã Tân Lập (lý do: Đi công tác).",
		"Cuộc họp kết thúc vào 10 giờ 08 cùng ngày./.",
	} {
		if !strings.Contains(f, want) {
			t.Errorf("the PDF lacks %q:\n%s", want, f)
		}
	}
}
