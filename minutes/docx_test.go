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
	if a := xmlAttrs(t, doc, "pgSz"); a["w"] != "11906" || a["h"] != "16838" {
		t.Errorf("page size %v, want A4 (11906 × 16838 twips)", a)
	}
	if a := xmlAttrs(t, doc, "pgMar"); a["top"] != "1134" || a["right"] != "850" || a["bottom"] != "1134" || a["left"] != "1701" {
		t.Errorf("margins %v, want the Decree's 20, 15, 20, 30 mm", a)
	}
	if xmlAttrs(t, doc, "titlePg") == nil {
		t.Error("the first page is numbered")
	}
	// The heading is a table: the issuing body and the national title in its
	// first row, the number and the place and date in its second.
	tbl := doc[strings.Index(doc, "<w:tbl>"):strings.Index(doc, "</w:tbl>")]
	rows := strings.Split(tbl, "</w:tr>")
	if len(rows) != 3 || !strings.Contains(rows[0], "ỦY BAN NHÂN DÂN") || !strings.Contains(rows[0], "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") ||
		!strings.Contains(rows[1], "Số: 05/BB-UBND") || !strings.Contains(rows[1], "Tháp Mười, ngày 12 tháng 01 năm 2024") {
		t.Errorf("the heading is not a two-row table:\n%s", tbl)
	}
	styles := parts["word/styles.xml"]
	defaults := styles[strings.Index(styles, "<w:docDefaults>"):strings.Index(styles, "</w:docDefaults>")]
	if a := xmlAttrs(t, defaults+"</w:docDefaults>", "rFonts"); a["ascii"] != "Times New Roman" || a["hAnsi"] != "Times New Roman" {
		t.Errorf("the default font is %v, not Times New Roman", a)
	}
	if a := xmlAttrs(t, defaults+"</w:docDefaults>", "sz"); a["val"] != "26" {
		t.Errorf("the default size is %v half points, not 13 pt", a)
	}
	if strings.Contains(doc, "rFonts") {
		t.Error("a run sets its own font")
	}
	if h := parts["word/header1.xml"]; !strings.Contains(h, `w:instr=" PAGE "`) || xmlAttrs(t, h, "jc")["val"] != "center" {
		t.Errorf("no page number centred in the header: %s", h)
	}
	if strings.Contains(doc, "DỰ THẢO") {
		t.Error("an approved version is marked as a draft")
	}
	closing := strings.Index(doc, "Cuộc họp kết thúc vào")
	if p := strings.LastIndex(doc[:closing], "<w:p>"); p < 0 || !strings.Contains(doc[p:closing], "<w:keepNext>") {
		t.Error("the closing line is not kept with the signatures")
	}
	if c := parts["docProps/core.xml"]; !strings.Contains(c, "<dc:title>BIÊN BẢN – "+d.Title+"</dc:title>") || !strings.Contains(c, "<dc:creator>phonghop</dc:creator>") {
		t.Errorf("properties: %s", c)
	}
	for _, name := range []string{"docProps/thumbnail.jpeg", "docProps/app.xml"} {
		if _, ok := parts[name]; ok {
			t.Errorf("the library's template part %s is kept", name)
		}
	}
	d.Approved = nil
	data, _ = RenderDocx(d)
	doc = docxParts(t, data)["word/document.xml"]
	if i := strings.Index(doc, "DỰ THẢO"); i < 0 || !strings.Contains(doc[strings.LastIndex(doc[:i], "<w:p>"):i], "<w:framePr") {
		t.Errorf("a draft has no mark in a frame")
	}
}

// xmlAttrs is the attributes (by local name) of the first element named
// local in doc; nil when there is none.
func xmlAttrs(t *testing.T, doc, local string) map[string]string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		if e, ok := tok.(xml.StartElement); ok && e.Name.Local == local {
			a := map[string]string{}
			for _, at := range e.Attr {
				a[at.Name.Local] = at.Value
			}
			return a
		}
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
	d.Approved = nil // a draft: its mark in the first page's top margin
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
	if strings.TrimSpace(first[0]) != "DỰ THẢO" {
		t.Errorf("a draft's first line is %q, not its mark", first[0])
	}
	first = first[1:]
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
	if !bytes.Contains(pdf, []byte("LiberationSerif")) || bytes.Contains(pdf, []byte("DejaVu")) {
		t.Error("LibreOffice did not set Times New Roman in its metric twin Liberation Serif")
	}
	ws, pw, ph := pageWords(t, pdf, "-f", "1", "-l", "1")
	if pw < 595 || pw > 595.5 || ph < 841.5 || ph > 842.2 {
		t.Errorf("page is %.1f × %.1f pt, want A4", pw, ph)
	}
	for _, w := range ws[0] {
		if w.Text == "THẢO" && (w.YMax > marginTop*mm || w.YMin < 6*mm) {
			t.Errorf("the draft mark is at %.1f–%.1f pt, not in the top margin", w.YMin, w.YMax)
		}
		if w.XMin < marginLeft*mm-1 {
			t.Errorf("%q at %.1f pt is in the left margin", w.Text, w.XMin)
		}
	}
}
