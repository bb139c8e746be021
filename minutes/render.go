package minutes

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"github.com/phonghop/phonghop/fonts"
)

// Page geometry in mm, type sizes in points: A4 with the margins, sizes and
// spacing of Decree 30/2020/NĐ-CP (Appendix I).
const (
	marginLeft   = 30.0 // 30–35
	marginRight  = 15.0 // 15–20
	marginTop    = 20.0 // 20–25
	marginBottom = 20.0 // 20–25
	bodySize     = 13.0 // the text: 13–14 pt
	headSize     = 12.0 // the bodies' names and the national title: 12–13 pt
	mottoSize    = 13.0 // the motto, the number, the place and date: 13 pt (13–14)
	titleSize    = 14.0 // the kind of document and what it is about: 13–14 pt
	lineHeight   = 6.0  // 1.3 lines of 13 pt: single to 1.5 lines
	paraSpace    = 2.1  // 6 pt between paragraphs, the least allowed
	firstIndent  = 10.0 // a paragraph's first line: 1–1.27 cm
	signSpace    = 26.0 // room for a signature and a seal
	tableSize    = 12.0
	tableLine    = 5.5
)

// cellMargin is fpdf's default padding inside a cell (a tenth of its 10 mm
// default margin).
const cellMargin = 1.0

func t(s string) string { return fonts.Clean(s) }

// Render draws the minutes as an A4 PDF in the form of Decree 30's minutes
// template. The same draft always gives the same bytes: the document dates come
// from the draft and fpdf's catalog is sorted. Text the fonts cannot draw is
// replaced as fonts.Clean describes; it never fails on content, only if fpdf
// reports an error.
func Render(d Draft) ([]byte, error) { return renderPDF(layout(d)) }

// pdfWriter draws a form. Every string passes through t (fonts.Clean), so
// nothing the font cannot draw reaches fpdf. It breaks pages itself (fpdf's
// automatic break is off), so headings keep with what follows and the closing
// lines with the signatures.
type pdfWriter struct {
	pdf    *fpdf.Fpdf
	width  float64 // printable width
	bottom float64 // lowest y text may reach
	top    bool    // nothing drawn yet on this page
	style  string  // the font set last (fpdf's SetFont is not free)
	size   float64
}

// font sets the family's style and size unless they are set already.
func (w *pdfWriter) font(style string, size float64) {
	if style != w.style || size != w.size {
		w.pdf.SetFont(fonts.Family, style, size)
		w.style, w.size = style, size
	}
}

func renderPDF(f *form) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	fonts.Register(pdf)
	pdf.SetCompression(false) // compressStreams deflates the pages afterwards, cheaper
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(f.stamp)
	pdf.SetModificationDate(f.stamp)
	pdf.SetTitle(t(f.meta), true)
	pdf.SetCreator("phonghop", false)
	pdf.SetProducer("phonghop", false)
	pdf.SetMargins(marginLeft, marginTop, marginRight)
	pdf.SetAutoPageBreak(false, marginBottom)
	pw, ph := pdf.GetPageSize()
	w := &pdfWriter{pdf: pdf, width: pw - marginLeft - marginRight, bottom: ph - marginBottom}
	pdf.SetHeaderFunc(func() {
		// The Decree numbers pages in the top margin, centred, from the second.
		if n := pdf.PageNo(); n > 1 {
			pdf.SetFont(fonts.Family, "", mottoSize)
			pdf.SetXY(marginLeft, 9)
			pdf.CellFormat(w.width, 6, strconv.Itoa(n), "", 0, "C", false, 0, "")
		} else if f.draft {
			pdf.SetFont(fonts.Family, "B", headSize)
			mark := t(f.draftMark)
			pdf.SetXY(marginLeft, 8)
			pdf.CellFormat(pdf.GetStringWidth(mark)+6, 7, mark, "1", 0, "C", false, 0, "")
		}
		pdf.SetXY(marginLeft, marginTop)
		w.top, w.style, w.size = true, "?", 0 // the header set its own font
	})
	pdf.AddPage()
	w.heading(f)
	w.title(f)
	w.body(f)
	w.signatures(f)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("minutes: render: %w", err)
	}
	return compressStreams(buf.Bytes())
}

// centred draws s centred in the column [x, x+width) from y, wrapped, and
// returns the y below it.
func (w *pdfWriter) centred(x, y, width, lh float64, s string) float64 {
	w.pdf.SetXY(x, y)
	w.pdf.MultiCell(width, lh, t(s), "", "C", false)
	return w.pdf.GetY()
}

// rule draws a short horizontal line centred on cx.
func (w *pdfWriter) rule(cx, y, length float64) {
	w.pdf.SetLineWidth(0.3)
	w.pdf.Line(cx-length/2, y, cx+length/2, y)
}

// heading draws the issuing body (left) opposite the national title and motto
// (right), then the number (left) level with the place and date (right).
func (w *pdfWriter) heading(f *form) {
	pdf := w.pdf
	rightW := 95.0
	leftW := w.width - rightW
	rightX := marginLeft + leftW

	y := marginTop
	w.font("", headSize)
	for _, l := range f.parent {
		y = w.centred(marginLeft, y, leftW, 5.5, l)
	}
	w.font("B", headSize)
	widest := 0.0
	for _, l := range f.org {
		y = w.centred(marginLeft, y, leftW, 5.5, l)
		widest = max(widest, min(pdf.GetStringWidth(t(l)), leftW))
	}
	// Under the issuing body, a rule a third to a half of its length.
	w.rule(marginLeft+leftW/2, y+1.2, widest*0.4)
	leftEnd := y + 1.2

	ry := marginTop
	if f.country != "" {
		w.font("B", headSize)
		ry = w.centred(rightX, ry, rightW, 5.5, f.country)
		w.font("B", mottoSize)
		ry = w.centred(rightX, ry, rightW, 6, f.motto)
		// Under the motto, a rule as long as it.
		w.rule(rightX+rightW/2, ry+1, pdf.GetStringWidth(t(f.motto)))
		ry++
	}

	row := max(leftEnd, ry) + 3
	w.font("", mottoSize)
	ly := w.centred(marginLeft, row, leftW, 6, f.number)
	w.font("I", mottoSize)
	ry = w.centred(rightX, row, rightW, 6, f.placeDate)
	pdf.SetY(max(ly, ry))
}

// title draws the kind of document and what it is about, centred, bold, with a
// rule under them a third of their length.
func (w *pdfWriter) title(f *form) {
	pdf := w.pdf
	w.font("B", titleSize)
	y := w.centred(marginLeft, pdf.GetY()+9, w.width, 7, f.kind)
	y = w.centred(marginLeft, y, w.width, 7, f.subject)
	w.rule(marginLeft+w.width/2, y+1, min(pdf.GetStringWidth(t(f.subject)), w.width)/3)
	pdf.SetY(y + 7)
	w.top = false
}

// line is one printed line of a paragraph.
type line struct {
	label   string // the bold lead-in, on a paragraph's first line
	text    string
	indent  bool // a paragraph's first line
	justify bool // every line but a paragraph's last
}

// lines breaks a block's paragraph into printed lines, at most limit of them
// (0: all). Each line of the text ("\n") is a paragraph of its own. fpdf's
// Write would mix the styles on one line but indexes []rune(s) for every
// character (quadratic: a 1 MB note never finishes), so the first line is
// measured here and the rest goes through SplitText, which is linear.
func (w *pdfWriter) lines(b block, limit int) []line {
	pdf := w.pdf
	var out []line
	full := func() bool { return limit > 0 && len(out) >= limit }
	avail := w.width - firstIndent
	label := ""
	if b.label != "" {
		label = t(b.label + ":")
		w.font("B", bodySize)
		avail -= pdf.GetStringWidth(label)
	}
	w.font(b.style, bodySize)
	if label != "" {
		avail -= pdf.GetStringWidth(" ")
	}
	text := t(b.text)
	first := true
	for len(text) > 0 || first {
		seg, rest, _ := strings.Cut(text, "\n")
		text = rest
		seg = strings.TrimSpace(seg)
		if seg == "" && !first {
			continue
		}
		width := w.width - firstIndent
		if first {
			width = avail
		}
		head, tail := w.firstLine(seg, width)
		out = append(out, line{label: label, text: head, indent: true, justify: tail != ""})
		label, first = "", false
		if tail != "" && !full() {
			more := pdf.SplitText(tail, w.width)
			for i, l := range more {
				out = append(out, line{text: l, justify: i < len(more)-1})
				if full() {
					break
				}
			}
		}
		if full() {
			break
		}
	}
	return out
}

// firstLine splits off the words of s that fit in width w. When not even one
// word fits, the whole of s goes to the next line.
func (w *pdfWriter) firstLine(s string, width float64) (head, rest string) {
	most := width - 2*cellMargin
	total, space := 0.0, -1
	for i, c := range s {
		if c == ' ' {
			space = i
		}
		total += w.pdf.GetStringWidth(string(c))
		if total > most {
			if space < 0 {
				return "", s
			}
			return s[:space], strings.TrimLeft(s[space+1:], " ")
		}
	}
	return s, ""
}

// height is what a block takes on the page (a paragraph's first limit lines,
// a table's header and first row when limit > 0).
func (w *pdfWriter) height(b block, limit int) float64 {
	if b.table != nil {
		h := tableLine + 1
		for i, r := range b.table.rows {
			if limit > 0 && i >= 1 {
				break
			}
			h += w.rowHeight(b.table, r)
		}
		return h + paraSpace
	}
	return float64(len(w.lines(b, limit)))*lineHeight + paraSpace
}

func (w *pdfWriter) newPage() {
	w.pdf.AddPage()
}

// body draws the paragraphs and tables. A heading starts a new page unless it
// fits with the start of what follows; the closing blocks (tail) keep their
// last two lines on the page of the signatures, so those never stand alone.
func (w *pdfWriter) body(f *form) {
	sig := w.signaturesHeight(f)
	for i, b := range f.body {
		if b.heading && i+1 < len(f.body) {
			need := w.height(b, 0) + w.height(f.body[i+1], 2)
			if w.pdf.GetY()+need > w.bottom && !w.top {
				w.newPage()
			}
		}
		if b.table != nil {
			w.table(b.table)
			continue
		}
		reserve := 0.0
		if b.tail {
			reserve = sig
			for _, next := range f.body[i+1:] {
				reserve += w.height(next, 0)
			}
		}
		w.paragraph(b, reserve)
	}
}

// paragraph draws a block's lines. With reserve > 0, its last two lines and
// reserve mm after them are kept on one page when they can be.
func (w *pdfWriter) paragraph(b block, reserve float64) {
	pdf := w.pdf
	ls := w.lines(b, 0)
	keep := min(2, len(ls))
	pageBody := w.bottom - marginTop
	for i, l := range ls {
		y := pdf.GetY()
		switch {
		case reserve > 0 && i == len(ls)-keep && y+float64(keep)*lineHeight+reserve > w.bottom &&
			float64(keep)*lineHeight+reserve <= pageBody && !w.top:
			w.newPage()
		case y+lineHeight > w.bottom:
			w.newPage()
		}
		w.drawLine(l, b.style)
	}
	pdf.SetY(pdf.GetY() + paraSpace)
}

func (w *pdfWriter) drawLine(l line, style string) {
	pdf := w.pdf
	x, width := marginLeft, w.width
	if l.indent {
		x, width = x+firstIndent, width-firstIndent
	}
	y := pdf.GetY()
	if l.label != "" {
		w.font("B", bodySize)
		lw := pdf.GetStringWidth(l.label)
		pdf.SetXY(x, y)
		pdf.CellFormat(lw+cellMargin, lineHeight, l.label, "", 0, "L", false, 0, "")
		w.font(style, bodySize)
		lw += pdf.GetStringWidth(" ")
		x, width = x+lw, width-lw
	}
	w.font(style, bodySize)
	align := "L"
	if l.justify {
		align = "J"
	}
	pdf.SetXY(x, y)
	pdf.CellFormat(width, lineHeight, l.text, "", 1, align, false, 0, "")
	w.top = false
}

// rowHeight is a table row's height: its tallest cell, wrapped, cut to what a
// page can hold.
func (w *pdfWriter) rowHeight(tb *table, row []string) float64 {
	return float64(len(w.cells(tb, row)[0])) * tableLine
}

// cells wraps each cell of a row; every cell gets as many lines as the
// tallest (at most what fits on a page, the rest cut with "…").
func (w *pdfWriter) cells(tb *table, row []string) [][]string { return w.cellsIn("", tb, row) }

// cellsIn is cells in the style given ("B" for a header).
func (w *pdfWriter) cellsIn(style string, tb *table, row []string) [][]string {
	pdf := w.pdf
	w.font(style, tableSize)
	most := int((w.bottom - marginTop - tableLine - 1) / tableLine)
	out := make([][]string, len(tb.widths))
	n := 1
	for i := range tb.widths {
		cell := ""
		if i < len(row) {
			cell = t(row[i])
		}
		ls := pdf.SplitText(cell, tb.widths[i]*w.width)
		if len(ls) == 0 {
			ls = []string{""}
		}
		if len(ls) > most {
			ls = append(ls[:most-1], "…")
		}
		out[i] = ls
		n = max(n, len(ls))
	}
	for i := range out {
		for len(out[i]) < n {
			out[i] = append(out[i], "")
		}
	}
	return out
}

// table draws a table: its header repeated on every page it spans, no row
// split across pages.
func (w *pdfWriter) table(tb *table) {
	pdf := w.pdf
	// A header too long for its column wraps (a scale's levels, "Tỷ lệ so
	// với tổng số đại biểu").
	head := w.cellsIn("B", tb, tb.head)
	headH := float64(len(head[0]))*tableLine + 1
	header := func() {
		w.font("B", tableSize)
		pdf.SetFillColor(235, 235, 235)
		x, y := marginLeft, pdf.GetY()
		for i, c := range head {
			cw := tb.widths[i] * w.width
			pdf.Rect(x, y, cw, headH, "FD")
			for j, l := range c {
				pdf.SetXY(x, y+0.5+float64(j)*tableLine)
				pdf.CellFormat(cw, tableLine, l, "", 0, "C", false, 0, "")
			}
			x += cw
		}
		pdf.SetXY(marginLeft, y+headH)
		w.top = false
	}
	if pdf.GetY()+headH+tableLine > w.bottom {
		w.newPage()
	}
	header()
	for _, row := range tb.rows {
		cells := w.cells(tb, row)
		h := float64(len(cells[0])) * tableLine
		if pdf.GetY()+h > w.bottom {
			w.newPage()
			header()
		}
		w.font("", tableSize)
		x, y := marginLeft, pdf.GetY()
		for i, c := range cells {
			cw := tb.widths[i] * w.width
			pdf.Rect(x, y, cw, h, "D")
			for j, l := range c {
				pdf.SetXY(x, y+float64(j)*tableLine)
				pdf.CellFormat(cw, tableLine, l, "", 0, tb.align[i], false, 0, "")
			}
			x += cw
		}
		pdf.SetXY(marginLeft, y+h)
	}
	pdf.SetY(pdf.GetY() + paraSpace)
}

// signaturesHeight is what signatures draws.
func (w *pdfWriter) signaturesHeight(f *form) float64 {
	rows := float64((len(f.signers) + 1) / 2)
	return 4 + rows*(lineHeight+signSpace+lineHeight) + (rows-1)*4 + 6 + 5*float64(len(f.recipients))
}

// signatures draws the signers two a row (the minutes: the secretary left,
// the chair right), then the recipients ("Nơi nhận").
func (w *pdfWriter) signatures(f *form) {
	pdf := w.pdf
	if pdf.GetY()+w.signaturesHeight(f) > w.bottom {
		w.newPage() // only when the closing lines could not keep them (a page's worth)
	}
	y := pdf.GetY() + 4
	half := w.width / 2
	end := y
	for i, s := range f.signers {
		if i > 0 && i%2 == 0 {
			y = end + 4
		}
		x := marginLeft + float64(i%2)*half
		w.font("B", bodySize)
		w.centred(x, y, half, lineHeight, s.role)
		end = max(end, w.centred(x, y+lineHeight+signSpace, half, lineHeight, s.name))
	}
	pdf.SetXY(marginLeft, end+6)
	for i, r := range f.recipients {
		if i == 0 {
			w.font("BI", 12)
		} else {
			w.font("", 11)
		}
		pdf.SetX(marginLeft)
		pdf.CellFormat(w.width/2, 5, t(r), "", 1, "L", false, 0, "")
	}
}
