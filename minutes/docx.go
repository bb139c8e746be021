package minutes

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// RenderDocx writes the minutes as a Word document (.docx, WordprocessingML)
// with the same parts and form as the PDF: the same form (form.go), A4, the
// Decree's margins, Times New Roman 13 pt (Word's own; LibreOffice sets it in
// the metric-compatible Liberation Serif), the heading in a borderless
// two-column table, justified paragraphs with the first-line indent, page
// numbers centred in the top margin from the second page, and the closing
// lines kept with the signatures (keep-with-next). Secretaries finish the
// minutes in Word, so the text is Word's to reflow; the same draft gives the
// same bytes.
//
// The format is written here rather than with a library: the Go libraries for
// it are young and lack header parts (the Decree's page numbers), and the dozen
// elements needed are stable parts of ECMA-376.
func RenderDocx(d Draft) ([]byte, error) { return writeDocx(layout(d)) }

// Sizes in twentieths of a point (twips) and half points, as Word counts them.
const (
	twipsPerMM = 1440 / 25.4
	docxWidth  = 9355 // the text width: 210 − 30 − 15 mm
)

func twips(mm float64) int { return int(mm*twipsPerMM + 0.5) }

// docx accumulates document.xml's body.
type docx struct{ b strings.Builder }

// xmlText makes s safe to write as XML text: valid UTF-8 in NFC, without the
// characters XML 1.0 forbids (control characters but tab and line breaks).
func xmlText(s string) string {
	s = norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD"))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n':
			b.WriteRune(r)
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF:
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// run is a piece of text in one style: b bold, i italic, size in points.
type run struct {
	text   string
	b, i   bool
	size   float64
	border bool // a box around the text (the draft mark)
}

func (w *docx) run(r run) {
	w.b.WriteString("<w:r><w:rPr>")
	if r.b {
		w.b.WriteString("<w:b/><w:bCs/>")
	}
	if r.i {
		w.b.WriteString("<w:i/><w:iCs/>")
	}
	if r.border {
		w.b.WriteString(`<w:bdr w:val="single" w:sz="8" w:space="2" w:color="000000"/>`)
	}
	if r.size > 0 {
		fmt.Fprintf(&w.b, `<w:sz w:val="%d"/><w:szCs w:val="%d"/>`, int(r.size*2), int(r.size*2))
	}
	w.b.WriteString("</w:rPr>")
	text := strings.ReplaceAll(r.text, "\r", "")
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			w.b.WriteString("<w:br/>")
		}
		fmt.Fprintf(&w.b, `<w:t xml:space="preserve">%s</w:t>`, xmlText(line))
	}
	w.b.WriteString("</w:r>")
}

// para is a paragraph's properties.
type para struct {
	align      string // "left", "center", "both"
	firstLine  bool   // the Decree's first-line indent
	indL, indR int    // twips
	before     int    // spacing before, twips
	after      int    // spacing after, twips (-1: 0)
	keepNext   bool
	rule       bool // an empty paragraph drawn as a short rule (its top border)
	singleLine bool // line spacing 1.0 (the heading's lines)
}

func (w *docx) para(p para, runs ...run) {
	w.b.WriteString("<w:p><w:pPr>")
	if p.keepNext {
		w.b.WriteString("<w:keepNext/><w:keepLines/>")
	}
	if p.rule {
		w.b.WriteString(`<w:pBdr><w:top w:val="single" w:sz="6" w:space="0" w:color="000000"/></w:pBdr>`)
	}
	after := p.after
	if after < 0 {
		after = 0
	}
	switch {
	case p.rule:
		w.b.WriteString(`<w:spacing w:before="40" w:after="0" w:line="120" w:lineRule="exact"/>`)
	case p.singleLine:
		fmt.Fprintf(&w.b, `<w:spacing w:before="%d" w:after="%d" w:line="240" w:lineRule="auto"/>`, p.before, after)
	default:
		fmt.Fprintf(&w.b, `<w:spacing w:before="%d" w:after="%d" w:line="312" w:lineRule="auto"/>`, p.before, after)
	}
	if p.firstLine || p.indL > 0 || p.indR > 0 {
		fmt.Fprintf(&w.b, `<w:ind w:left="%d" w:right="%d"`, p.indL, p.indR)
		if p.firstLine {
			fmt.Fprintf(&w.b, ` w:firstLine="%d"`, twips(firstIndent))
		}
		w.b.WriteString("/>")
	}
	if p.align != "" {
		fmt.Fprintf(&w.b, `<w:jc w:val="%s"/>`, p.align)
	}
	w.b.WriteString("</w:pPr>")
	for _, r := range runs {
		w.run(r)
	}
	w.b.WriteString("</w:p>")
}

// rule is a centred rule of the given length (mm) in a column of width (mm).
func (w *docx) rule(column, length float64) {
	side := twips(max(0, (column-length)/2))
	w.para(para{rule: true, indL: side, indR: side})
}

// table opens a table of the given column widths (twips); borders or not.
func (w *docx) table(widths []int, borders bool) {
	w.b.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="` + fmt.Sprint(sum(widths)) + `" w:type="dxa"/><w:tblLayout w:type="fixed"/>`)
	if borders {
		w.b.WriteString(`<w:tblBorders><w:top w:val="single" w:sz="4" w:color="000000"/><w:left w:val="single" w:sz="4" w:color="000000"/>` +
			`<w:bottom w:val="single" w:sz="4" w:color="000000"/><w:right w:val="single" w:sz="4" w:color="000000"/>` +
			`<w:insideH w:val="single" w:sz="4" w:color="000000"/><w:insideV w:val="single" w:sz="4" w:color="000000"/></w:tblBorders>`)
	} else {
		w.b.WriteString(`<w:tblBorders><w:top w:val="nil"/><w:left w:val="nil"/><w:bottom w:val="nil"/><w:right w:val="nil"/><w:insideH w:val="nil"/><w:insideV w:val="nil"/></w:tblBorders>`)
	}
	w.b.WriteString(`<w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>`)
	for _, c := range widths {
		fmt.Fprintf(&w.b, `<w:gridCol w:w="%d"/>`, c)
	}
	w.b.WriteString("</w:tblGrid>")
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func (w *docx) row(header, cantSplit bool) {
	w.b.WriteString("<w:tr><w:trPr>")
	if cantSplit {
		w.b.WriteString("<w:cantSplit/>")
	}
	if header {
		w.b.WriteString("<w:tblHeader/>")
	}
	w.b.WriteString("</w:trPr>")
}

func (w *docx) cell(width int, shade bool, body func()) {
	fmt.Fprintf(&w.b, `<w:tc><w:tcPr><w:tcW w:w="%d" w:type="dxa"/>`, width)
	if shade {
		w.b.WriteString(`<w:shd w:val="clear" w:color="auto" w:fill="EBEBEB"/>`)
	}
	w.b.WriteString("</w:tcPr>")
	body()
	w.b.WriteString("</w:tc>")
}

func writeDocx(f *form) ([]byte, error) {
	w := &docx{}
	leftMM, rightMM := 165.0-95, 95.0
	cols := []int{twips(leftMM), docxWidth - twips(leftMM)}

	// The heading: two rows of a borderless table, so the number stands level
	// with the place and date.
	w.table(cols, false)
	w.row(false, true)
	w.cell(cols[0], false, func() {
		for _, l := range f.parent {
			w.para(para{align: "center", after: -1, singleLine: true}, run{text: l, size: headSize})
		}
		for _, l := range f.org {
			w.para(para{align: "center", after: -1, singleLine: true}, run{text: l, b: true, size: headSize})
		}
		w.rule(leftMM, 25)
	})
	w.cell(cols[1], false, func() {
		if f.country != "" {
			w.para(para{align: "center", after: -1, singleLine: true}, run{text: f.country, b: true, size: headSize})
			w.para(para{align: "center", after: -1, singleLine: true}, run{text: f.motto, b: true, size: mottoSize})
			w.rule(rightMM, 62)
		} else {
			w.para(para{after: -1})
		}
	})
	w.b.WriteString("</w:tr>")
	w.row(false, true)
	w.cell(cols[0], false, func() {
		w.para(para{align: "center", before: 120, after: -1}, run{text: f.number, size: mottoSize})
	})
	w.cell(cols[1], false, func() {
		w.para(para{align: "center", before: 120, after: -1}, run{text: f.placeDate, i: true, size: mottoSize})
	})
	w.b.WriteString("</w:tr></w:tbl>")

	// The kind of document and what it is about.
	w.para(para{align: "center", before: 360, after: -1, keepNext: true}, run{text: f.kind, b: true, size: titleSize})
	w.para(para{align: "center", after: -1, keepNext: true}, run{text: f.subject, b: true, size: titleSize})
	w.rule(165, 55)
	w.para(para{after: -1, singleLine: true})

	for _, b := range f.body {
		if b.table != nil {
			w.resultsTable(b.table)
			continue
		}
		w.block(b)
	}

	// The signatures, kept on one page with the closing lines (which keep with
	// them) and with the recipients.
	half := docxWidth / 2
	w.table([]int{half, docxWidth - half}, false)
	w.row(false, true)
	for i, s := range f.signers {
		w.cell([]int{half, docxWidth - half}[i], false, func() {
			w.para(para{align: "center", before: 240, after: -1, keepNext: true}, run{text: s.role, b: true, size: bodySize})
			w.para(para{align: "center", before: twips(signSpace), after: -1, keepNext: true}, run{text: s.name, b: true, size: bodySize})
		})
	}
	w.b.WriteString("</w:tr></w:tbl>")
	for i, r := range f.recipients {
		if i == 0 {
			w.para(para{before: 240, after: -1, singleLine: true, keepNext: len(f.recipients) > 1}, run{text: r, b: true, i: true, size: 12})
		} else {
			w.para(para{after: -1, singleLine: true, keepNext: i < len(f.recipients)-1}, run{text: r, size: 11})
		}
	}

	// The first page's header holds the draft mark, if any; the others the number.
	var first strings.Builder
	if f.draft {
		first.WriteString(`<w:p><w:pPr><w:jc w:val="left"/></w:pPr><w:r><w:rPr><w:b/><w:bdr w:val="single" w:sz="8" w:space="2" w:color="000000"/><w:sz w:val="24"/></w:rPr><w:t xml:space="preserve">` +
			xmlText(" "+f.draftMark+" ") + `</w:t></w:r></w:p>`)
	} else {
		first.WriteString("<w:p/>")
	}
	pageNumber := fmt.Sprintf(`<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:sz w:val="%d"/></w:rPr><w:fldChar w:fldCharType="begin"/></w:r>`+
		`<w:r><w:rPr><w:sz w:val="%d"/></w:rPr><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r><w:rPr><w:sz w:val="%d"/></w:rPr><w:fldChar w:fldCharType="separate"/></w:r>`+
		`<w:r><w:rPr><w:sz w:val="%d"/></w:rPr><w:t>2</w:t></w:r><w:r><w:rPr><w:sz w:val="%d"/></w:rPr><w:fldChar w:fldCharType="end"/></w:r></w:p>`,
		int(mottoSize*2), int(mottoSize*2), int(mottoSize*2), int(mottoSize*2), int(mottoSize*2))

	lang := "vi-VN"
	if !f.vi {
		lang = "en-GB"
	}
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>` +
			`<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>` +
			`<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>` +
			`<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>` +
			`<Override PartName="/word/header2.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>` +
			`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`},
		{"_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`},
		{"docProps/core.xml", `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
			`<dc:title>` + xmlText(f.meta) + `</dc:title><dc:creator>phonghop</dc:creator><dc:language>` + lang + `</dc:language>` +
			`<dcterms:created xsi:type="dcterms:W3CDTF">` + f.stamp.UTC().Format(time.RFC3339) + `</dcterms:created></cp:coreProperties>`},
		{"word/_rels/document.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>` +
			`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>` +
			`<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header2.xml"/></Relationships>`},
		{"word/styles.xml", `<w:styles xmlns:w="` + wNS + `"><w:docDefaults><w:rPrDefault><w:rPr>` +
			`<w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="Times New Roman" w:cs="Times New Roman"/>` +
			fmt.Sprintf(`<w:sz w:val="%d"/><w:szCs w:val="%d"/>`, int(bodySize*2), int(bodySize*2)) +
			`<w:lang w:val="` + lang + `" w:eastAsia="` + lang + `" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>` +
			`<w:pPrDefault><w:pPr><w:widowControl/><w:spacing w:after="120" w:line="312" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>` +
			`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>` +
			`<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/>` +
			`<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="57" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style></w:styles>`},
		{"word/settings.xml", `<w:settings xmlns:w="` + wNS + `"><w:defaultTabStop w:val="720"/><w:characterSpacingControl w:val="doNotCompress"/><w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat></w:settings>`},
		{"word/header1.xml", `<w:hdr xmlns:w="` + wNS + `">` + pageNumber + `</w:hdr>`},
		{"word/header2.xml", `<w:hdr xmlns:w="` + wNS + `">` + first.String() + `</w:hdr>`},
		{"word/document.xml", `<w:document xmlns:w="` + wNS + `" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>` +
			w.b.String() +
			`<w:sectPr><w:headerReference w:type="default" r:id="rId3"/><w:headerReference w:type="first" r:id="rId4"/>` +
			`<w:pgSz w:w="11906" w:h="16838"/>` +
			fmt.Sprintf(`<w:pgMar w:top="%d" w:right="%d" w:bottom="%d" w:left="%d" w:header="510" w:footer="567" w:gutter="0"/>`,
				twips(marginTop), twips(marginRight), twips(marginBottom), twips(marginLeft)) +
			`<w:titlePg/></w:sectPr></w:body></w:document>`},
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, p := range parts {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Deflate, Modified: f.stamp.UTC()})
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write([]byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + p.body)); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("minutes: docx: %w", err)
	}
	return out.Bytes(), nil
}

const wNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

// block writes a body paragraph: the bold lead-in and the text, each line of
// the text ("\n") a paragraph of its own, as in the PDF.
func (w *docx) block(b block) {
	lines := strings.Split(strings.ReplaceAll(b.text, "\r\n", "\n"), "\n")
	var kept []string
	for i, l := range lines {
		if strings.TrimSpace(l) != "" || i == 0 {
			kept = append(kept, strings.TrimSpace(l))
		}
	}
	for i, l := range kept {
		p := para{align: "both", firstLine: true, keepNext: b.heading || b.tail}
		var runs []run
		if i == 0 && b.label != "" {
			runs = append(runs, run{text: b.label + ":", b: true})
			if l != "" {
				runs = append(runs, run{text: " "})
			}
		}
		if l != "" {
			runs = append(runs, run{text: l, b: b.style == "B", i: b.style == "I"})
		}
		w.para(p, runs...)
	}
}

// resultsTable writes a results table: its header row repeated on every page,
// rows never split.
func (w *docx) resultsTable(tb *table) {
	widths := make([]int, len(tb.widths))
	for i, f := range tb.widths {
		widths[i] = int(f * docxWidth)
	}
	widths[0] += docxWidth - sum(widths)
	align := func(i int) string {
		if tb.align[i] == "C" {
			return "center"
		}
		return "left"
	}
	w.table(widths, true)
	w.row(true, true)
	for i, h := range tb.head {
		w.cell(widths[i], true, func() {
			w.para(para{align: "center", after: -1, singleLine: true}, run{text: h, b: true, size: tableSize})
		})
	}
	w.b.WriteString("</w:tr>")
	for _, r := range tb.rows {
		w.row(false, true)
		for i := range widths {
			text := ""
			if i < len(r) {
				text = r[i]
			}
			w.cell(widths[i], false, func() {
				w.para(para{align: align(i), after: -1, singleLine: true}, run{text: text, size: tableSize})
			})
		}
		w.b.WriteString("</w:tr>")
	}
	w.b.WriteString("</w:tbl>")
	w.para(para{after: -1, singleLine: true}) // Word needs a paragraph between tables
}
