package minutes

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
)

// flat joins the words of pdftotext's output, so checks do not depend on where
// lines were broken.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestRenderVietnamese(t *testing.T) {
	pdf, err := Render(demoDraft())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "minutes-vi.txt", pdfText(t, pdf, "-layout"))
	f := flat(pdfText(t, pdf))
	table := flat(pdfText(t, pdf, "-layout"))
	for _, want := range []string{
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
		"Độc lập - Tự do - Hạnh phúc",
		"Số: ....../BB-UBND",
		"BIÊN BẢN",
		"Chủ trì (chủ tọa): Nguyễn Văn Hùng – Chủ tịch Ủy ban nhân dân huyện.",
		"Thời gian bắt đầu: 08 giờ 00, ngày 15 tháng 01 năm 2024.",
		"Đại biểu vắng mặt: 1. Hoàng Minh Đức – Chủ tịch UBND xã Tân Lập.",
		"Số đại biểu dự họp có quyền biểu quyết: 3/4; cuộc họp đủ số lượng đại biểu",
		"Ý kiến phát biểu: Đỗ Quốc Việt (09 giờ 01); Phạm Thị Hương (09 giờ 06).",
		"Kết quả: THÔNG QUA.",
		"86,9% ở cấp xã",
		"“Một cửa không treo – hồ sơ không đọng”",
		"Cuộc họp kết thúc vào 10 giờ 05 cùng ngày./.",
		"THƯ KÝ CHỦ TỌA",
		"Lê Thị Thu Hà Nguyễn Văn Hùng",
		"Nơi nhận: - Lưu: VT, hồ sơ.",
	} {
		if !strings.Contains(f, want) {
			t.Errorf("the PDF text lacks %q", want)
		}
	}
	for _, want := range []string{"Phương án Số phiếu Tỷ lệ", "Đồng ý 3 75,00%", "Không đồng ý 0 0,00%", "Không ý kiến 1 25,00%"} {
		if !strings.Contains(table, want) {
			t.Errorf("the results table lacks the row %q", want)
		}
	}
}

// TestRenderTemplateParts: the body follows the parts of Decree 30's minutes
// template (Appendix III, form 1.9) in its order, with its words.
func TestRenderTemplateParts(t *testing.T) {
	d := demoDraft()
	d.Guests = "Nguyễn Thị Khách – Phó Giám đốc Sở Nội vụ tỉnh"
	pdf, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	f := flat(pdfText(t, pdf))
	parts := []string{"BIÊN BẢN", d.Title, "Thời gian bắt đầu:", "Địa điểm: Hội trường UBND huyện.", "Thành phần tham dự:",
		"Đại biểu có mặt:", "Đại biểu vắng mặt:", "Khách mời: 1. Nguyễn Thị Khách – Phó Giám đốc Sở Nội vụ tỉnh.",
		"Chủ trì (chủ tọa):", "Thư ký (người ghi biên bản):", "Nội dung (theo diễn biến cuộc họp):", "1. Khai mạc hội nghị",
		"5. Kết luận của Chủ tịch UBND huyện", SummaryLabelVi + ":", "Cuộc họp kết thúc vào", "THƯ KÝ CHỦ TỌA", "Nơi nhận:", "- Lưu: VT, hồ sơ."}
	at := 0
	for _, p := range parts {
		i := strings.Index(f[at:], p)
		if i < 0 {
			t.Fatalf("after %q the PDF lacks %q:\n%s", f[max(0, at-80):at], p, f)
		}
		at += i + len(p)
	}
	// The editor's "Tóm tắt" printed as "IV. KẾT LUẬN CỦA CHỦ TRÌ": the
	// summary is printed under the label the editor gives it, and the chair,
	// secretary and delegates are not mixed in one list.
	if strings.Contains(f, "KẾT LUẬN CỦA CHỦ TRÌ") || strings.Contains(f, "Tóm tắt") {
		t.Error("the summary is printed under another label than the editor's")
	}
	if strings.Contains(f, "Đại biểu có mặt: 1. Nguyễn Văn Hùng") {
		t.Error("the chair is listed among the delegates present")
	}
}

// TestRenderGuestsAndObservers: an observer who checked in and the
// secretary's guests are listed as guests (the minutes named neither).
func TestRenderGuestsAndObservers(t *testing.T) {
	entries := append(demoJournal(), entry(17, "attendance", 126, map[string]any{"present": []string{"u-chair", "u-sec", "u-noiv", "u-tp", "u-obs"}, "expected": 4, "quorum": true}))
	e := demoEdits()
	e.Guests = "Trần Văn Khách – Phó Giám đốc Sở Nội vụ tỉnh\n\n   Lò Thị Mai – Phóng viên Báo Đồng Tháp  \n"
	d := Assemble(demoMeeting(), entries, []phonghop.Poll{demoPoll()}, e)
	pdf, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	f := flat(pdfText(t, pdf))
	want := "Khách mời: 1. Vũ Ngọc Ánh; 2. Trần Văn Khách – Phó Giám đốc Sở Nội vụ tỉnh; 3. Lò Thị Mai – Phóng viên Báo Đồng Tháp."
	if !strings.Contains(f, want) {
		t.Errorf("the PDF lacks %q:\n%s", want, f)
	}
	if strings.Contains(f, "Đại biểu có mặt: 1. Nguyễn Văn Hùng") || strings.Contains(f, "Vũ Ngọc Ánh; 4.") {
		t.Error("the observer or the chair is listed among the delegates")
	}
	d.Language = "en"
	pdf, _ = Render(d)
	if f := flat(pdfText(t, pdf)); !strings.Contains(f, "Guests and observers: 1. Vũ Ngọc Ánh; 2. Trần Văn Khách") {
		t.Errorf("the English minutes lack the guests:\n%s", f)
	}
}

func TestRenderEnglish(t *testing.T) {
	d := demoDraft()
	d.Language = "en"
	d.Items[3].Polls[0].QuorumOverride = true
	d.Items[3].Polls[0].Passed = false
	pdf, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "minutes-en.txt", pdfText(t, pdf, "-layout"))
	f := flat(pdfText(t, pdf))
	for _, want := range []string{"MINUTES", "Started at: 08:00, 15 January 2024.", "Venue: Hội trường UBND huyện.",
		"Chair: Nguyễn Văn Hùng – Chủ tịch Ủy ban nhân dân huyện.", "Result: NOT PASSED.", SummaryLabelEn + ":",
		"Note: the chair opened this vote without a quorum.", "SECRETARY CHAIR", "The meeting closed at 10:05 the same day."} {
		if !strings.Contains(f, want) {
			t.Errorf("the PDF text lacks %q", want)
		}
	}
	if strings.Contains(f, "CỘNG HÒA") {
		t.Error("English minutes carry the Vietnamese national title")
	}
}

func TestRenderDeterministic(t *testing.T) {
	a, err := Render(demoDraft())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(demoDraft())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two renderings of the same draft differ")
	}
	d := demoDraft()
	d.Summary += " Thêm."
	c, _ := Render(d)
	if bytes.Equal(a, c) {
		t.Fatal("a different draft rendered the same bytes")
	}
}

func TestRenderHostileText(t *testing.T) {
	d := demoDraft()
	d.Items[0].Notes = "Emoji 👍🏽 and 👨‍👩‍👧 end. עברית שלום and العربية مرحبا \u202Eevil\u202C. Tab\there. Decomposed: Chu\u0309 ti\u0323ch."
	d.Items[0].Conclusion = "\x00\x01\x1b[31mred\xff"
	pdf, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	f := flat(pdfText(t, pdf))
	for _, want := range []string{"Emoji ? and ??? end.", "????? ???? and ??????? ?????", "evil.", "Tab here.", "Decomposed: Chủ tịch.", "[31mred?"} {
		if !strings.Contains(f, want) {
			t.Errorf("the PDF text lacks %q:\n%s", want, f)
		}
	}
}

func TestRenderLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large renderings in -short mode")
	}
	// 1 MB of notes in one item: long, but bounded and fine.
	d := demoDraft()
	word := "Ủy ban nhân dân huyện "
	d.Items[1].Notes = strings.Repeat(word, MaxTextSize/len(word))
	start := time.Now()
	pdf, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	pages := pdfPages(t, pdf)
	t.Logf("1 MB of notes: %d pages, %d bytes, %v", pages, len(pdf), time.Since(start))
	if pages < 100 {
		t.Errorf("1 MB of notes fit on %d pages", pages)
	}
	if n := pageNumber(t, pdf, pages); n != pages {
		t.Errorf("the last page is numbered %d, want %d", n, pages)
	}
}

func TestRenderSizes(t *testing.T) {
	for _, c := range []struct {
		people, items, polls, options int
	}{{0, 0, 0, 0}, {300, 200, 50, 3}, {5, 1, 1, 30}} {
		t.Run(fmt.Sprintf("%dpeople-%ditems-%dpolls-%doptions", c.people, c.items, c.polls, c.options), func(t *testing.T) {
			d := bigDraft(c.people, c.items, c.polls, c.options)
			pdf, err := Render(d)
			if err != nil {
				t.Fatal(err)
			}
			f := flat(pdfText(t, pdf))
			layout := flat(pdfText(t, pdf, "-layout"))
			pages := pdfPages(t, pdf)
			t.Logf("%d pages, %d bytes", pages, len(pdf))
			if pages > 1 && pageNumber(t, pdf, pages) != pages {
				t.Errorf("no page number on the last page")
			}
			if c.people == 0 && !strings.Contains(f, "Đại biểu có mặt: không có.") {
				t.Errorf("an empty meeting does not say nobody was present")
			}
			// every tenth delegate is absent: the 300th is the 30th absent one
			if c.people == 300 && (!strings.Contains(f, "Đại biểu số 299 –") || !strings.Contains(f, "30. Đại biểu số 300 –")) {
				t.Errorf("the last participants are missing")
			}
			if c.items > 0 && !strings.Contains(f, fmt.Sprintf("%d. Nội dung số %d", c.items, c.items)) {
				t.Errorf("the last item is missing")
			}
			if c.options == 30 {
				// the table breaks across pages with its header repeated
				if n := strings.Count(layout, "Phương án Số phiếu Tỷ lệ"); n < 2 {
					t.Errorf("the 30-option table header appears %d times, want it repeated on the next page", n)
				}
				if !strings.Contains(layout, "Phương án 30 29 ") {
					t.Errorf("the 30th option is missing")
				}
			}
		})
	}
}

// bigDraft makes minutes of the given size, like a long session of a council.
func bigDraft(people, items, polls, options int) Draft {
	m := &phonghop.Meeting{ID: "big", Title: "Kỳ họp thường lệ", StartsAt: t0.UTC(), Location: "Hội trường",
		Language: "vi", Organization: "UBND huyện Thanh Sơn"}
	m.Participants = append(m.Participants,
		phonghop.Participant{UserID: "chair", DisplayName: "Nguyễn Văn Hùng", Role: phonghop.RoleChair},
		phonghop.Participant{UserID: "sec", DisplayName: "Lê Thị Thu Hà", Role: phonghop.RoleSecretary})
	var present []string
	for i := 1; i <= people; i++ {
		id := fmt.Sprintf("u%d", i)
		m.Participants = append(m.Participants, phonghop.Participant{UserID: id,
			DisplayName: fmt.Sprintf("Đại biểu số %d", i), Title: "Trưởng phòng Tài chính – Kế hoạch", Role: phonghop.RoleDelegate})
		if i%10 != 0 {
			present = append(present, id)
		}
	}
	if present == nil {
		present = []string{}
	}
	entries := []journalEntry{entry(1, "attendance", 0, map[string]any{"present": present, "expected": people, "quorum": people > 0})}
	var ps []phonghop.Poll
	for i := 1; i <= items; i++ {
		id := fmt.Sprintf("i%d", i)
		m.Agenda = append(m.Agenda, phonghop.AgendaItem{ID: id, Title: fmt.Sprintf("Nội dung số %d: xem xét, cho ý kiến về dự thảo văn bản", i)})
		entries = append(entries,
			entry(uint64(len(entries)+1), "presentation", i, map[string]any{"agendaItemId": id}),
			entry(uint64(len(entries)+2), "speakers", i, speakers(fmt.Sprintf("u%d", i%max(people, 1)+1))))
	}
	for i := 0; i < polls && items > 0; i++ {
		opts := make([]string, options)
		counts := make([]int, options)
		for j := range opts {
			opts[j] = fmt.Sprintf("Phương án %d", j+1)
			counts[j] = j
		}
		ps = append(ps, phonghop.Poll{ID: fmt.Sprintf("p%03d", i), AgendaItemID: fmt.Sprintf("i%d", i%items+1),
			Title: fmt.Sprintf("Biểu quyết số %d", i+1), Options: opts, Majority: phonghop.MajoritySimple,
			State: phonghop.PollClosed, ClosedAt: ptr(at(i)),
			Results: &phonghop.PollResults{Counts: counts, Cast: people, Eligible: people, Passed: i%2 == 0}})
	}
	edits := Edits{Summary: "Kết luận chung của chủ trì."}
	return Assemble(m, entries, ps, edits)
}
