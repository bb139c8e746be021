package minutes

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/phonghop/phonghop/convert"
)

// docxParts reads the parts of a .docx.
func docxParts(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		parts[f.Name] = string(b)
	}
	return parts
}

// docxText is the text of document.xml, a paragraph a line, a table row's
// cells joined by spaces.
func docxText(t *testing.T, doc string) string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	var b strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("document.xml is not well-formed: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Local == "br" {
				b.WriteString("\n")
			}
		case xml.EndElement:
			if e.Name.Local == "p" {
				b.WriteString("\n")
			}
		case xml.CharData:
			b.Write(e)
		}
	}
	return b.String()
}

func inOrder(t *testing.T, text string, parts []string) {
	t.Helper()
	at := 0
	for _, p := range parts {
		i := strings.Index(text[at:], p)
		if i < 0 {
			t.Fatalf("after %q the text lacks %q:\n%s", text[max(0, at-80):at], p, text)
		}
		at += i + len(p)
	}
}

// The parts of the template, as both the PDF and the Word file say them.
func templateParts(d Draft) []string {
	return []string{"ỦY BAN NHÂN DÂN", "HUYỆN THÁP MƯỜI", "Số: 05/BB-UBND", "Tháp Mười, ngày 12 tháng 01 năm 2024",
		"BIÊN BẢN", d.Title, "Thời gian bắt đầu:", "Địa điểm: Hội trường UBND huyện.", "Thành phần tham dự:",
		"Đại biểu có mặt:", "Đại biểu vắng mặt:", "Khách mời: 1. Nguyễn Thị Khách – Phó Giám đốc Sở Nội vụ tỉnh.",
		"Chủ trì (chủ tọa):", "Thư ký (người ghi biên bản):", "Nội dung (theo diễn biến cuộc họp):", "1. Khai mạc hội nghị",
		"Đồng ý", "75,00%", "Kết quả: THÔNG QUA.", "5. Kết luận của Chủ tịch UBND huyện", SummaryLabelVi + ":",
		"Cuộc họp kết thúc vào", "CHỦ TỌA", "Nơi nhận:", "- Lưu: VT, hồ sơ."}
}

// TestDocx: the minutes as Word: the same parts in the same order as the
// PDF, A4 with the Decree's margins, Times New Roman 13 pt, page numbers in
// the header from the second page, the closing lines kept with the
// signatures; a valid .docx by the server's own check; the same bytes twice.
func TestDocx(t *testing.T) {
	d := tmDraft()
	d.Guests = "Nguyễn Thị Khách – Phó Giám đốc Sở Nội vụ tỉnh"
	d.Items[1].Notes = "Dòng một & <hai>\nDòng \x00ba \"bốn\""
	data, err := RenderDocx(d)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := RenderDocx(d); !bytes.Equal(data, again) {
		t.Error("two renderings of the same draft differ")
	}
	f, _ := convert.ByExt(".docx")
	if err := convert.Check(bytes.NewReader(data), int64(len(data)), f); err != nil {
		t.Fatalf("not a .docx by the server's check: %v", err)
	}
	parts := docxParts(t, data)
	text := docxText(t, parts["word/document.xml"])
	inOrder(t, text, templateParts(d))
	if !strings.Contains(text, "Diễn biến: Dòng một & <hai>\nDòng ba \"bốn\"") {
		t.Errorf("notes with markup characters and line breaks:\n%s", text)
	}
	doc := parts["word/document.xml"]
	for _, want := range []string{`<w:pgSz w:w="11906" w:h="16838"/>`, `w:top="1134" w:right="850" w:bottom="1134" w:left="1701"`, `<w:titlePg/>`} {
		if !strings.Contains(doc, want) {
			t.Errorf("document.xml lacks %s", want)
		}
	}
	if st := parts["word/styles.xml"]; !strings.Contains(st, `w:ascii="Times New Roman"`) || !strings.Contains(st, `<w:sz w:val="26"/>`) {
		t.Errorf("styles: not Times New Roman 13 pt:\n%s", st)
	}
	if h := parts["word/header1.xml"]; !strings.Contains(h, " PAGE ") || !strings.Contains(h, `<w:jc w:val="center"/>`) {
		t.Errorf("no page number in the header: %s", h)
	}
	if h := parts["word/header2.xml"]; strings.Contains(h, "PAGE") || strings.Contains(h, "DỰ THẢO") {
		t.Errorf("the first page of an approved version is numbered or marked: %s", h)
	}
	closing := strings.Index(doc, "Cuộc họp kết thúc vào")
	if p := strings.LastIndex(doc[:closing], "<w:p>"); p < 0 || !strings.Contains(doc[p:closing], "<w:keepNext/>") {
		t.Error("the closing line is not kept with the signatures")
	}
	d.Approved = nil
	data, _ = RenderDocx(d)
	if h := docxParts(t, data)["word/header2.xml"]; !strings.Contains(h, "DỰ THẢO") {
		t.Errorf("a draft's first page has no mark: %s", h)
	}
}

// TestDocxInLibreOffice opens the .docx with LibreOffice (real, headless, via
// the server's converter) and reads the PDF it makes: the same parts, the
// heading laid out as the Decree's, A4, pages numbered from the second.
func TestDocxInLibreOffice(t *testing.T) {
	c := &convert.Converter{}
	if _, err := c.Program(); err != nil {
		t.Fatalf("LibreOffice is missing (bash scripts/tools.sh office): %v", err)
	}
	d := tmDraft()
	d.Guests = "Nguyễn Thị Khách – Phó Giám đốc Sở Nội vụ tỉnh"
	d.Items[1].Notes = strings.Repeat("Ý kiến thảo luận về kết quả cải cách hành chính. ", 40)
	data, err := RenderDocx(d)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := convert.ByExt(".docx")
	res, err := c.Convert(context.Background(), bytes.NewReader(data), f)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	pdf, err := io.ReadAll(res.File)
	if err != nil {
		t.Fatal(err)
	}
	pages := layoutLines(t, pdf)
	if len(pages) < 2 {
		t.Fatalf("%d pages", len(pages))
	}
	var all []string
	for _, p := range pages {
		all = append(all, p...)
	}
	inOrder(t, flat(strings.Join(all, "\n")), templateParts(d))
	first := pages[0]
	for i, want := range [][]string{
		{"ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"},
		{"HUYỆN THÁP MƯỜI", "Độc lập - Tự do - Hạnh phúc"},
		{"Số: 05/BB-UBND", "Tháp Mười, ngày 12 tháng 01 năm 2024"},
	} {
		if line := strings.Join(strings.Fields(first[i]), " "); line != strings.Join(want, " ") {
			t.Errorf("line %d is %q, want %q", i+1, line, want)
		}
	}
	for i, p := range pages[1:] {
		if strings.TrimSpace(p[0]) != fmt.Sprint(i+2) {
			t.Errorf("page %d starts with %q, want its number", i+2, p[0])
		}
	}
	last := strings.Join(pages[len(pages)-1], "\n")
	if !strings.Contains(last, "Cuộc họp kết thúc vào") || !strings.Contains(last, "THƯ KÝ") {
		t.Errorf("the signatures are not with the closing line:\n%s", last)
	}
	ws, pw, ph := pageWords(t, pdf, "-f", "1", "-l", "1")
	if pw < 595 || pw > 595.5 || ph < 841.5 || ph > 842.2 {
		t.Errorf("page is %.1f × %.1f pt, want A4", pw, ph)
	}
	for _, w := range ws[0] {
		if w.XMin < marginLeft*mm-1 {
			t.Errorf("%q at %.1f pt is in the left margin", w.Text, w.XMin)
		}
	}
}
