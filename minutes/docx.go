package minutes

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gomutex/godocx"
	"github.com/gomutex/godocx/docx"
	"github.com/gomutex/godocx/packager"
	"github.com/gomutex/godocx/wml/ctypes"
	"github.com/gomutex/godocx/wml/stypes"
	"golang.org/x/text/unicode/norm"
)

// RenderDocx writes the minutes as a Word document (.docx) with the same
// parts and form as the PDF: the same form (form.go), A4, the Decree's
// margins, Times New Roman 13 pt (Word's own; LibreOffice sets it in the
// metric-compatible Liberation Serif), the heading in a borderless two-column
// table, justified paragraphs with the first-line indent, page numbers centred
// in the top margin from the second page, and the closing lines kept with the
// signatures (keep-with-next). Secretaries finish the minutes in Word, so the
// text is Word's to reflow; the same draft gives the same bytes.
//
// The document is built with github.com/gomutex/godocx (MIT): its document
// model (wml/ctypes) for paragraphs, tables and the section, its package for
// the parts, relationships and content types. docs/architecture.md says what
// it could not express.
func RenderDocx(d Draft) ([]byte, error) { return writeDocx(layout(d)) }

// Sizes in twentieths of a point (twips) and half points, as Word counts them.
const (
	twipsPerMM = 1440 / 25.4
	docxWidth  = 9355 // the text width: 210 − 30 − 15 mm
)

func twips(mm float64) int { return int(mm*twipsPerMM + 0.5) }

func ptr[T any](v T) *T { return &v }

// on is a switched-on property (<w:b/>, <w:keepNext/>…).
func on() *ctypes.OnOff { return &ctypes.OnOff{} }

// cleanText makes s fit to be a document's text: valid UTF-8 in NFC, without
// the characters XML 1.0 forbids (which the XML encoder would turn into
// U+FFFD); the encoder escapes the rest.
func cleanText(s string) string {
	s = norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD"))
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t' && r != '\n') || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s)
}

// run is a piece of text in one style: b bold, i italic, size in points.
type run struct {
	text   string
	b, i   bool
	size   float64
	border bool // a box around the text (the draft mark)
}

func halfPoints(size float64) uint64 { return uint64(size*2 + 0.5) }

func (r run) ct() *ctypes.Run {
	rp := &ctypes.RunProperty{}
	if r.b {
		rp.Bold, rp.BoldCS = on(), on()
	}
	if r.i {
		rp.Italic, rp.ItalicCS = on(), on()
	}
	if r.border {
		rp.Border = &ctypes.Border{Val: stypes.BorderStyleSingle, Size: ptr(8), Space: ptr("2"), Color: ptr("000000")}
	}
	if r.size > 0 {
		rp.Size, rp.SizeCs = ctypes.NewFontSize(halfPoints(r.size)), ctypes.NewFontSizeCS(halfPoints(r.size))
	}
	cr := &ctypes.Run{Property: rp}
	text := strings.ReplaceAll(r.text, "\r", "")
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			cr.Children = append(cr.Children, ctypes.RunChild{Break: &ctypes.Break{}})
		}
		cr.Children = append(cr.Children, ctypes.RunChild{Text: ctypes.TextFromString(cleanText(line))})
	}
	return cr
}

// para is a paragraph's properties.
type para struct {
	align      stypes.Justification
	firstLine  bool // the Decree's first-line indent
	indL, indR int  // twips
	before     int  // spacing before, twips
	after      int  // spacing after, twips (-1: 0)
	keepNext   bool
	rule       bool // an empty paragraph drawn as a short rule (its top border)
	singleLine bool // line spacing 1.0 (the heading's lines)
	frame      *ctypes.FrameProp
}

// fill makes p the paragraph of properties pp and text runs.
func (pp para) fill(p *ctypes.Paragraph, runs ...run) {
	prop := &ctypes.ParagraphProp{FrameProp: pp.frame}
	if pp.keepNext {
		prop.KeepNext, prop.KeepLines = on(), on()
	}
	if pp.rule {
		prop.Border = &ctypes.ParaBorder{Top: &ctypes.Border{Val: stypes.BorderStyleSingle, Size: ptr(6), Space: ptr("0"), Color: ptr("000000")}}
	}
	sp := &ctypes.Spacing{Before: ptr(uint64(max(0, pp.before))), After: ptr(uint64(max(0, pp.after)))}
	switch {
	case pp.rule:
		sp.Before, sp.After, sp.Line, sp.LineRule = ptr(uint64(40)), ptr(uint64(0)), ptr(120), ptr(stypes.LineSpacingRuleExact)
	case pp.singleLine:
		sp.Line, sp.LineRule = ptr(240), ptr(stypes.LineSpacingRuleAuto)
	default:
		sp.Line, sp.LineRule = ptr(312), ptr(stypes.LineSpacingRuleAuto)
	}
	prop.Spacing = sp
	if pp.firstLine || pp.indL > 0 || pp.indR > 0 {
		prop.Indent = &ctypes.Indent{Left: ptr(pp.indL), Right: ptr(pp.indR)}
		if pp.firstLine {
			prop.Indent.FirstLine = ptr(uint64(twips(firstIndent)))
		}
	}
	if pp.align != "" {
		prop.Justification = ctypes.NewGenSingleStrVal(pp.align)
	}
	p.Property = prop
	for _, r := range runs {
		p.Children = append(p.Children, ctypes.ParagraphChild{Run: r.ct()})
	}
}

// docxWriter builds the document's body.
type docxWriter struct{ rd *docx.RootDoc }

func (w *docxWriter) para(p para, runs ...run) {
	p.fill(w.rd.AddEmptyParagraph().GetCT(), runs...)
}

// rule is a centred rule of the given length (mm) in a column of width (mm).
func rule(column, length float64) para {
	side := twips(max(0, (column-length)/2))
	return para{rule: true, indL: side, indR: side}
}

func border(style stypes.BorderStyle) *ctypes.Border {
	if style == stypes.BorderStyleNil {
		return &ctypes.Border{Val: style}
	}
	return &ctypes.Border{Val: style, Size: ptr(4), Color: ptr("000000")}
}

// table adds a table of the given column widths (twips), borders or not.
func (w *docxWriter) table(widths []int, borders bool) *ctypes.Table {
	t := w.rd.AddTable().GetCT()
	t.TableProp.Width = ctypes.NewTableWidth(sum(widths), stypes.TableWidthDxa)
	t.TableProp.Layout = ctypes.NewTableLayout(stypes.TableLayoutFixed)
	style := stypes.BorderStyleNil
	if borders {
		style = stypes.BorderStyleSingle
	}
	t.TableProp.Borders = &ctypes.TableBorders{Top: border(style), Left: border(style), Bottom: border(style),
		Right: border(style), InsideH: border(style), InsideV: border(style)}
	t.TableProp.CellMargin = &ctypes.CellMargins{Left: ctypes.NewTableWidth(57, stypes.TableWidthDxa), Right: ctypes.NewTableWidth(57, stypes.TableWidthDxa)}
	for _, c := range widths {
		t.Grid.Col = append(t.Grid.Col, ctypes.Column{Width: ptr(uint64(c))})
	}
	return t
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// row adds a row that never splits across pages; a header row is repeated on
// every page the table spans.
func row(t *ctypes.Table, header bool) *ctypes.Row {
	r := &ctypes.Row{Property: &ctypes.RowProperty{CantSplit: on()}}
	if header {
		r.Property.Header = on()
	}
	t.RowContents = append(t.RowContents, ctypes.RowContent{Row: r})
	return r
}

// cell adds a cell of the given width (twips), shaded or not, holding the
// paragraphs.
func cell(r *ctypes.Row, width int, shade bool, paras ...*ctypes.Paragraph) {
	c := &ctypes.Cell{Property: &ctypes.CellProperty{Width: ctypes.NewTableWidth(width, stypes.TableWidthDxa)}}
	if shade {
		c.Property.Shading = &ctypes.Shading{Val: stypes.ShdClear, Color: ptr("auto"), Fill: ptr("EBEBEB")}
	}
	for _, p := range paras {
		c.Contents = append(c.Contents, ctypes.TCBlockContent{Paragraph: p})
	}
	r.Contents = append(r.Contents, ctypes.TRCellContent{Cell: c})
}

// p is a paragraph for a cell.
func p(pp para, runs ...run) *ctypes.Paragraph {
	out := &ctypes.Paragraph{}
	pp.fill(out, runs...)
	return out
}

func writeDocx(f *form) ([]byte, error) {
	tpl, err := docxTemplate()
	if err != nil {
		return nil, fmt.Errorf("minutes: docx template: %w", err)
	}
	rd, err := packager.Unpack(&tpl)
	if err != nil {
		return nil, fmt.Errorf("minutes: docx: %w", err)
	}
	w := &docxWriter{rd: rd}
	lang := "vi-VN"
	if !f.vi {
		lang = "en-GB"
	}
	setDefaults(rd, lang)

	leftMM, rightMM := 165.0-95, 95.0
	cols := []int{twips(leftMM), docxWidth - twips(leftMM)}
	headLine := para{align: stypes.JustificationCenter, after: -1, singleLine: true}

	// The heading: two rows of a borderless table, so the number stands level
	// with the place and date.
	t := w.table(cols, false)
	r := row(t, false)
	var left, right []*ctypes.Paragraph
	for _, l := range f.parent {
		left = append(left, p(headLine, run{text: l, size: headSize}))
	}
	for _, l := range f.org {
		left = append(left, p(headLine, run{text: l, b: true, size: headSize}))
	}
	left = append(left, p(rule(leftMM, 25)))
	if f.country != "" {
		right = append(right, p(headLine, run{text: f.country, b: true, size: headSize}),
			p(headLine, run{text: f.motto, b: true, size: mottoSize}), p(rule(rightMM, 62)))
	} else {
		right = append(right, p(para{after: -1}))
	}
	cell(r, cols[0], false, left...)
	cell(r, cols[1], false, right...)
	r = row(t, false)
	numberLine := para{align: stypes.JustificationCenter, before: 120, after: -1}
	cell(r, cols[0], false, p(numberLine, run{text: f.number, size: mottoSize}))
	cell(r, cols[1], false, p(numberLine, run{text: f.placeDate, i: true, size: mottoSize}))

	// The first page's mark of a draft, in the top margin where the PDF has it:
	// a frame anchored to the page (the one header part is the page number's),
	// after the heading's table (LibreOffice drops a frame before a table that
	// opens the document).
	if f.draft {
		w.para(para{align: stypes.JustificationLeft, singleLine: true, frame: &ctypes.FrameProp{
			HAnchor: ptr(stypes.AnchorMargin), VAnchor: ptr(stypes.AnchorPage), AbsHPos: ptr(0), AbsVPos: ptr(twips(8)),
			Wrap: ptr(stypes.WrapAround)}},
			run{text: " " + f.draftMark + " ", b: true, border: true, size: headSize})
	}

	// The kind of document and what it is about.
	w.para(para{align: stypes.JustificationCenter, before: 360, after: -1, keepNext: true}, run{text: f.kind, b: true, size: titleSize})
	w.para(para{align: stypes.JustificationCenter, after: -1, keepNext: true}, run{text: f.subject, b: true, size: titleSize})
	w.para(rule(165, 55))
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
	sw := []int{half, docxWidth - half}
	t = w.table(sw, false)
	for i, s := range f.signers {
		if i%2 == 0 {
			r = row(t, false)
		}
		cell(r, sw[i%2], false,
			p(para{align: stypes.JustificationCenter, before: 240, after: -1, keepNext: true}, run{text: s.role, b: true, size: bodySize}),
			p(para{align: stypes.JustificationCenter, before: twips(signSpace), after: -1, keepNext: true}, run{text: s.name, b: true, size: bodySize}))
	}
	for i, l := range f.recipients {
		if i == 0 {
			w.para(para{before: 240, after: -1, singleLine: true, keepNext: len(f.recipients) > 1}, run{text: l, b: true, i: true, size: 12})
		} else {
			w.para(para{after: -1, singleLine: true, keepNext: i < len(f.recipients)-1}, run{text: l, size: 11})
		}
	}

	// The page number, centred in the top margin from the second page: the
	// default header, the first page (titlePg) having none.
	header, err := pageNumberHeader()
	if err != nil {
		return nil, err
	}
	rid := addPart(rd, "word/header1.xml", "header", "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml", header)
	rd.Document.Body.SectPr = &ctypes.SectionProp{
		HeaderReference: &ctypes.HeaderReference{Type: stypes.HdrFtrDefault, ID: rid},
		PageSize:        &ctypes.PageSize{Width: ptr(uint64(11906)), Height: ptr(uint64(16838))}, // A4
		PageMargin: &ctypes.PageMargin{Top: ptr(twips(marginTop)), Right: ptr(twips(marginRight)), Bottom: ptr(twips(marginBottom)),
			Left: ptr(twips(marginLeft)), Header: ptr(510), Footer: ptr(567), Gutter: ptr(0)},
		TitlePg: ctypes.NewGenSingleStrVal(stypes.OnOffOn),
	}
	if err := setCore(rd, f, lang); err != nil {
		return nil, err
	}

	var out bytes.Buffer
	if err := rd.Write(&out); err != nil {
		return nil, fmt.Errorf("minutes: docx: %w", err)
	}
	return out.Bytes(), nil
}

// docxTemplate is godocx's own template made lighter, once: only its default
// styles (Word brings its built-in ones back when a secretary applies them),
// without its thumbnail, its application's properties and its Word 2010 style
// copy. Reading the template's 165 styles was 95% of the time of a .docx
// (100 ms); from this one a document takes a few.
var docxTemplate = sync.OnceValues(func() ([]byte, error) {
	rd, err := godocx.NewDocument()
	if err != nil {
		return nil, err
	}
	var kept []ctypes.Style
	for _, st := range rd.DocStyles.StyleList {
		if st.Default != nil && (*st.Default == stypes.OnOffOne || *st.Default == stypes.OnOffTrue || *st.Default == stypes.OnOffOn) {
			kept = append(kept, st)
		}
	}
	rd.DocStyles.StyleList = kept
	for _, name := range []string{"docProps/thumbnail.jpeg", "docProps/app.xml", "word/stylesWithEffects.xml"} {
		dropPart(rd, name)
	}
	var b bytes.Buffer
	if err := rd.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
})

// setDefaults sets the document's defaults: Times New Roman, the body's size,
// the language, widow control, 6 pt after a paragraph, 1.3 lines.
func setDefaults(rd *docx.RootDoc, lang string) {
	const font = "Times New Roman"
	rd.DocStyles.DocDefaults = &ctypes.DocDefault{
		RunProp: &ctypes.RunPropDefault{RunProp: &ctypes.RunProperty{
			Fonts: &ctypes.RunFonts{Ascii: font, HAnsi: font, EastAsia: font, CS: font},
			Size:  ctypes.NewFontSize(halfPoints(bodySize)), SizeCs: ctypes.NewFontSizeCS(halfPoints(bodySize)),
			Lang: &ctypes.Lang{Val: ptr(lang), EastAsia: ptr(lang), Bidi: ptr("ar-SA")},
		}},
		ParaProp: &ctypes.ParaPropDefault{ParaProp: &ctypes.ParagraphProp{
			WindowControl: on(),
			Spacing:       &ctypes.Spacing{After: ptr(uint64(120)), Line: ptr(312), LineRule: ptr(stypes.LineSpacingRuleAuto)},
		}},
	}
}

const (
	relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	wNS           = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
)

// pageNumberHeader is the header part: one centred paragraph holding the
// PAGE field. godocx has types for the paragraph and the run but none for a
// field (w:fldSimple, w:fldChar; its w:pgNum LibreOffice ignores), so the
// field is pageField below and the part's root is written here.
func pageNumberHeader() ([]byte, error) {
	prop := p(para{align: stypes.JustificationCenter, after: -1, singleLine: true}).Property
	number := run{text: "2", size: mottoSize}.ct() // what the field shows until a reader updates it
	var b bytes.Buffer
	b.WriteString(xml.Header)
	e := xml.NewEncoder(&b)
	hdr := xml.StartElement{Name: xml.Name{Local: "w:hdr"}, Attr: []xml.Attr{
		{Name: xml.Name{Local: "xmlns:w"}, Value: wNS},
		{Name: xml.Name{Local: "xmlns:r"}, Value: strings.TrimSuffix(relationships, "/")}}}
	para := xml.StartElement{Name: xml.Name{Local: "w:p"}}
	err := e.EncodeToken(hdr)
	if err == nil {
		err = e.EncodeToken(para)
	}
	if err == nil {
		err = prop.MarshalXML(e, xml.StartElement{})
	}
	if err == nil {
		err = e.Encode(pageField{number})
	}
	if err == nil {
		err = e.EncodeToken(para.End())
	}
	if err == nil {
		err = e.EncodeToken(hdr.End())
	}
	if err == nil {
		err = e.Flush()
	}
	if err != nil {
		return nil, fmt.Errorf("minutes: docx header: %w", err)
	}
	return b.Bytes(), nil
}

// pageField is the simple field " PAGE " around the run showing its value.
type pageField struct{ run *ctypes.Run }

func (f pageField) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	start := xml.StartElement{Name: xml.Name{Local: "w:fldSimple"}, Attr: []xml.Attr{{Name: xml.Name{Local: "w:instr"}, Value: " PAGE "}}}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if err := f.run.MarshalXML(e, xml.StartElement{}); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

// addPart adds a part of the main document (a header) and returns its
// relationship's id.
func addPart(rd *docx.RootDoc, name, kind, contentType string, data []byte) string {
	rd.FileMap.Store(name, data)
	rels := &rd.Document.DocRels
	id := "rIdPhonghop" + strings.TrimSuffix(strings.TrimPrefix(name, "word/"), ".xml") // unlike the template's rIdN
	rels.Relationships = append(rels.Relationships, &docx.Relationship{ID: id, Type: relationships + kind, Target: strings.TrimPrefix(name, "word/")})
	_ = rd.ContentType.AddOverride("/"+name, contentType)
	return id
}

// dropPart removes a part the template carries and the minutes have no use
// for: its file, the relationships to it and its content type.
func dropPart(rd *docx.RootDoc, name string) {
	rd.FileMap.Delete(name)
	keep := func(rels []*docx.Relationship, target string) []*docx.Relationship {
		var out []*docx.Relationship
		for _, r := range rels {
			if r.Target != target {
				out = append(out, r)
			}
		}
		return out
	}
	rd.RootRels.Relationships = keep(rd.RootRels.Relationships, name)
	rd.Document.DocRels.Relationships = keep(rd.Document.DocRels.Relationships, strings.TrimPrefix(name, "word/"))
	var ov []docx.Override
	for _, o := range rd.ContentType.Override {
		if o.PartName != "/"+name {
			ov = append(ov, o)
		}
	}
	rd.ContentType.Override = ov
}

// coreProperties is docProps/core.xml: the title, the creator, the language
// and the date (godocx reads these but does not write them).
type coreProperties struct {
	XMLName  xml.Name `xml:"cp:coreProperties"`
	CP       string   `xml:"xmlns:cp,attr"`
	DC       string   `xml:"xmlns:dc,attr"`
	DCTerms  string   `xml:"xmlns:dcterms,attr"`
	XSI      string   `xml:"xmlns:xsi,attr"`
	Title    string   `xml:"dc:title"`
	Creator  string   `xml:"dc:creator"`
	Language string   `xml:"dc:language"`
	Created  w3cDate  `xml:"dcterms:created"`
	Modified w3cDate  `xml:"dcterms:modified"`
}

type w3cDate struct {
	Type  string `xml:"xsi:type,attr"`
	Value string `xml:",chardata"`
}

// setCore writes the document's properties.
func setCore(rd *docx.RootDoc, f *form, lang string) error {
	at := w3cDate{Type: "dcterms:W3CDTF", Value: f.stamp.UTC().Format(time.RFC3339)}
	data, err := xml.Marshal(coreProperties{
		CP: "http://schemas.openxmlformats.org/package/2006/metadata/core-properties", DC: "http://purl.org/dc/elements/1.1/",
		DCTerms: "http://purl.org/dc/terms/", XSI: "http://www.w3.org/2001/XMLSchema-instance",
		Title: cleanText(f.meta), Creator: "phonghop", Language: lang, Created: at, Modified: at,
	})
	if err != nil {
		return fmt.Errorf("minutes: docx properties: %w", err)
	}
	rd.FileMap.Store("docProps/core.xml", append([]byte(xml.Header), data...))
	return nil
}

// block writes a body paragraph: the bold lead-in and the text, each line of
// the text ("\n") a paragraph of its own, as in the PDF.
func (w *docxWriter) block(b block) {
	lines := strings.Split(strings.ReplaceAll(b.text, "\r\n", "\n"), "\n")
	var kept []string
	for i, l := range lines {
		if strings.TrimSpace(l) != "" || i == 0 {
			kept = append(kept, strings.TrimSpace(l))
		}
	}
	for i, l := range kept {
		pp := para{align: stypes.JustificationBoth, firstLine: true, keepNext: b.heading || b.tail}
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
		w.para(pp, runs...)
	}
}

// resultsTable writes a results table: its header row repeated on every page,
// rows never split.
func (w *docxWriter) resultsTable(tb *table) {
	widths := make([]int, len(tb.widths))
	for i, f := range tb.widths {
		widths[i] = int(f * docxWidth)
	}
	widths[0] += docxWidth - sum(widths)
	align := func(i int) stypes.Justification {
		if i < len(tb.align) && tb.align[i] == "C" {
			return stypes.JustificationCenter
		}
		return stypes.JustificationLeft
	}
	t := w.table(widths, true)
	r := row(t, true)
	for i, h := range tb.head {
		cell(r, widths[i], true, p(para{align: stypes.JustificationCenter, after: -1, singleLine: true}, run{text: h, b: true, size: tableSize}))
	}
	for _, cells := range tb.rows {
		r := row(t, false)
		for i := range widths {
			text := ""
			if i < len(cells) {
				text = cells[i]
			}
			cell(r, widths[i], false, p(para{align: align(i), after: -1, singleLine: true}, run{text: text, size: tableSize}))
		}
	}
	w.para(para{after: -1, singleLine: true}) // Word needs a paragraph between tables
}
