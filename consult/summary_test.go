package consult

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/phonghop/phonghop/convert"
	"github.com/phonghop/phonghop/storage/fsstore"
)

func pdfText(t *testing.T, pdf []byte, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is missing: install it with `bash scripts/tools.sh pdf` (poppler-utils)")
	}
	cmd := exec.Command(bin, append(args, "-enc", "UTF-8", "-", "-")...)
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func docxText(t *testing.T, doc []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			text := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(strings.ReplaceAll(string(b), "</w:p>", " "), "")
			return strings.Join(strings.Fields(text), " ")
		}
	}
	t.Fatal("no word/document.xml")
	return ""
}

func inOrder(t *testing.T, what, text string, parts ...string) {
	t.Helper()
	at := 0
	for _, p := range parts {
		i := strings.Index(text[at:], p)
		if i < 0 {
			t.Fatalf("%s: %q missing (or out of order) in:\n%s", what, p, text)
		}
		at += i + len(p)
	}
}

// The summary report in the minutes' form: grouped by document and page,
// each opinion with its author and position, the agreements counted, who
// did not answer; the same in the Word file. Only the secretariat gets it.
func TestSummary(t *testing.T) {
	ctx := context.Background()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m, clk := testMeeting(), newClock(t0)
	s := newService(st, &events{}, m, clk)
	c, err := s.Create(ctx, m, user("sec"), Input{Title: "Dự thảo Nghị quyết đầu tư công 2027", DocumentIDs: []string{"docA", "docB"}, Deadline: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	add := func(who string, in OpinionInput) {
		t.Helper()
		clk.add(time.Second)
		if _, err := s.AddOpinion(ctx, m, user(who), c.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	add("d1", OpinionInput{DocumentID: "docA", Page: 3, Quote: "Tổng vốn 1.250 tỷ đồng", Text: "Đề nghị làm rõ nguồn vốn đối ứng."})
	add("d2", OpinionInput{DocumentID: "docA", Text: "Bố cục hợp lý."})
	add("d2", OpinionInput{DocumentID: "docB", Agree: true})
	add("d1", OpinionInput{DocumentID: "docB", Agree: true})

	if _, err := s.Summary(ctx, m, user("d1"), c.ID, "pdf"); reason(err) != "consultation_managers_only" {
		t.Fatalf("a delegate got the summary: %v", err)
	}
	pdf, err := s.Summary(ctx, m, user("sec"), c.ID, "pdf")
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	parts := []string{"HỘI ĐỒNG NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: ....../BC-HĐND", "Tháp Mười, ngày 30 tháng 11 năm 2026",
		"BÁO CÁO", "Tổng hợp ý kiến góp ý: Dự thảo Nghị quyết đầu tư công 2027",
		"Số đại biểu được lấy ý kiến: 3; đã góp ý: 2; chưa góp ý: 1.", "trước khi hết thời hạn góp ý",
		"1. Dự thảo: Dự thảo Nghị quyết đầu tư công.pdf", "Ý kiến về toàn văn dự thảo", "Phạm Thị Bình: Bố cục hợp lý.",
		"Trang 3", "Nguyễn Văn An (Đại biểu HĐND huyện): Đoạn được đánh dấu: “Tổng vốn 1.250 tỷ đồng”", "Đề nghị làm rõ nguồn vốn đối ứng.",
		"Số ý kiến góp ý: 2.", "Nhất trí với dự thảo, không có ý kiến: không có.",
		"2. Dự thảo: Báo cáo thẩm tra.pdf", "Không có ý kiến góp ý cụ thể.",
		"Nhất trí với dự thảo, không có ý kiến: 2 đại biểu: Phạm Thị Bình; Nguyễn Văn An (Đại biểu HĐND huyện).",
		"Đại biểu chưa gửi ý kiến (1): Hoàng Văn Cường.", "NGƯỜI TỔNG HỢP", "CHỦ TỌA", "Lê Thị Thư", "Trần Văn Chủ", "Nơi nhận:"}
	inOrder(t, "pdf", text, parts...)
	if p := os.Getenv("CONSULT_DUMP"); p != "" {
		os.WriteFile(p, pdf, 0o644)
	}

	doc, err := s.Summary(ctx, m, user("chair"), c.ID, "docx")
	if err != nil {
		t.Fatal(err)
	}
	inOrder(t, "docx", docxText(t, doc), "BÁO CÁO", "Tổng hợp ý kiến góp ý", "Ý kiến về toàn văn dự thảo", "Phạm Thị Bình",
		"Trang 3", "Nguyễn Văn An", "Nhất trí với dự thảo, không có ý kiến: 2 đại biểu", "Hoàng Văn Cường", "NGƯỜI TỔNG HỢP")
	// Opened by LibreOffice (real, headless, via the server's converter), the
	// Word file says what the PDF says, in the same order, diacritics intact.
	conv := &convert.Converter{}
	if _, err := conv.Program(); err != nil {
		t.Fatalf("LibreOffice is missing (bash scripts/tools.sh office): %v", err)
	}
	docxFormat, _ := convert.ByExt(".docx")
	res, err := conv.Convert(ctx, bytes.NewReader(doc), docxFormat)
	if err != nil {
		t.Fatal(err)
	}
	converted, err := io.ReadAll(res.File)
	res.Close()
	if err != nil {
		t.Fatal(err)
	}
	// (In page layout: in its reading order pdftotext takes the signatures'
	// table for columns and reads "Nơi nhận" first.)
	inOrder(t, "docx in LibreOffice", pdfText(t, converted, "-layout"), parts...)

	// After the deadline it no longer says it was compiled before it.
	clk.set(c.Deadline.Add(time.Minute))
	pdf, err = s.Summary(ctx, m, user("sec"), c.ID, "pdf")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(pdfText(t, pdf), "trước khi hết thời hạn") {
		t.Fatal("a closed consultation's report says it was compiled before the deadline")
	}
}
