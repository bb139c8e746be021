// Package officetest makes office files for tests: Word documents written
// from scratch (a .docx is a zip of a few XML parts), so tests need no sample
// files and can say exactly what text a conversion must keep.
package officetest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html"
	"strings"
)

// Block is one paragraph, heading, table or page break of a document.
type Block struct {
	Heading   string     // a bold, larger paragraph
	Text      string     // a paragraph
	Table     [][]string // rows of cells
	PageBreak bool
}

// Docx returns a Word document holding the blocks, set in Times New Roman
// 13 pt on A4 with the margins of Decree 30 (Vietnamese papers' form).
func Docx(blocks []Block) []byte {
	var body strings.Builder
	for _, b := range blocks {
		switch {
		case b.PageBreak:
			body.WriteString(`<w:p><w:r><w:br w:type="page"/></w:r></w:p>`)
		case b.Heading != "":
			fmt.Fprintf(&body, `<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:b/><w:sz w:val="28"/></w:rPr><w:t xml:space="preserve">%s</w:t></w:r></w:p>`, esc(b.Heading))
		case b.Table != nil:
			body.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/><w:tblBorders>`)
			for _, side := range []string{"top", "left", "bottom", "right", "insideH", "insideV"} {
				fmt.Fprintf(&body, `<w:%s w:val="single" w:sz="4" w:space="0" w:color="000000"/>`, side)
			}
			body.WriteString(`</w:tblBorders></w:tblPr>`)
			for _, row := range b.Table {
				body.WriteString(`<w:tr>`)
				for _, cell := range row {
					fmt.Fprintf(&body, `<w:tc><w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p></w:tc>`, esc(cell))
				}
				body.WriteString(`</w:tr>`)
			}
			body.WriteString(`</w:tbl><w:p/>`)
		default:
			fmt.Fprintf(&body, `<w:p><w:pPr><w:jc w:val="both"/></w:pPr><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>`, esc(b.Text))
		}
	}
	document := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() +
		`<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1701" w:header="720" w:footer="720" w:gutter="0"/></w:sectPr></w:body></w:document>`
	styles := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:cs="Times New Roman" w:eastAsia="Times New Roman"/><w:sz w:val="26"/><w:lang w:val="vi-VN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="288" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults></w:styles>`
	return zipOf([][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/_rels/document.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`},
		{"word/document.xml", document},
		{"word/styles.xml", styles},
	})
}

func esc(s string) string { return html.EscapeString(s) }

func zipOf(files [][2]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f[0])
		if err != nil {
			panic(err)
		}
		w.Write([]byte(f[1]))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Vietnamese is a short paper with diacritics in every line and a table:
// what a conversion must keep, word for word.
func Vietnamese() []Block {
	return []Block{
		{Heading: "BÁO CÁO TỔNG KẾT CÔNG TÁC CẢI CÁCH HÀNH CHÍNH NĂM 2023"},
		{Text: "Ủy ban nhân dân huyện Tháp Mười báo cáo kết quả thực hiện nhiệm vụ cải cách hành chính."},
		{Table: [][]string{
			{"Chỉ tiêu", "Kết quả"},
			{"Nhiệm vụ hoàn thành", "26/26"},
			{"Hồ sơ giải quyết đúng hạn", "trên 99%"},
			{"Số hóa kết quả cấp xã", "86,9%"},
		}},
		{Text: "Mô hình “Một cửa không treo – hồ sơ không đọng” được nhân rộng."},
	}
}

// Report is a long paper of about pages A4 pages: headings, paragraphs and a
// table on each page, a page break between them.
func Report(pages int) []Block {
	var out []Block
	para := "Trong năm 2023, Ủy ban nhân dân huyện đã tập trung chỉ đạo quyết liệt công tác cải cách hành chính, " +
		"gắn với chuyển đổi số, nâng cao chất lượng phục vụ người dân và doanh nghiệp; kết quả giải quyết hồ sơ " +
		"đúng hạn đạt trên 99%, tỷ lệ số hóa hồ sơ, kết quả giải quyết thủ tục hành chính đạt 86,9% ở cấp xã."
	for p := 1; p <= pages; p++ {
		out = append(out, Block{Heading: fmt.Sprintf("Phần %d. Kết quả thực hiện nhiệm vụ", p)})
		for range 4 {
			out = append(out, Block{Text: para})
		}
		out = append(out, Block{Table: [][]string{
			{"Đơn vị", "Hồ sơ tiếp nhận", "Đúng hạn", "Tỷ lệ"},
			{"Xã Mỹ An", "1.204", "1.198", "99,5%"},
			{"Xã Thạnh Lợi", "987", "981", "99,4%"},
			{"Thị trấn Mỹ An", "2.310", "2.301", "99,6%"},
		}})
		if p < pages {
			out = append(out, Block{PageBreak: true})
		}
	}
	return out
}
