package minutes

import (
	"strings"
	"time"

	"github.com/phonghop/phonghop"
)

// Report is a paper of the meeting other than its minutes (a compiled
// report, a record) drawn in the minutes' Decree 30 form by the same PDF and
// Word writers: the meeting's issuing body and the national title, the
// number, place and date, the kind and subject, the body, the signatures and
// the recipients. Other packages (consult/) build one; the form stays here.
type Report struct {
	Kind    string    // "BÁO CÁO"
	Subject string    // what it is about, under the kind
	Symbol  string    // the number's symbol after the blank: "BC" gives "Số: ....../BC-HĐND"
	At      time.Time // the date in the heading and the file's metadata
	Blocks  []ReportBlock
	Signers []ReportSigner // two a row
	// Recipients are the "Nơi nhận" lines after its heading; nil: the archive only.
	Recipients []string
}

// ReportBlock is one paragraph (a bold label and text) or a table.
type ReportBlock struct {
	Label   string
	Text    string
	Style   string // "" regular, "B" bold, "I" italic
	Heading bool   // kept with what follows
	Table   *ReportTable
}

// ReportTable is a table with a header row repeated on every page; Widths
// are fractions of the text width, Align "L" or "C" per column.
type ReportTable struct {
	Widths []float64
	Align  []string
	Head   []string
	Rows   [][]string
}

// ReportSigner is a signature: its heading in capitals and the name under it.
type ReportSigner struct {
	Role string
	Name string
}

// RenderReport writes the report as PDF, in the meeting's language.
func RenderReport(m *phonghop.Meeting, r Report) ([]byte, error) {
	return renderPDF(reportForm(m, r))
}

// RenderReportDocx writes the report as a Word document.
func RenderReportDocx(m *phonghop.Meeting, r Report) ([]byte, error) {
	return writeDocx(reportForm(m, r))
}

func reportForm(m *phonghop.Meeting, r Report) *form {
	isVi := m.Language != "en"
	w := wordsOf(isVi)
	f := &form{vi: isVi, kind: r.Kind, subject: r.Subject, stamp: r.At}
	f.meta = r.Kind + " – " + r.Subject
	f.parent = bodyLines(m.ParentOrganization)
	if f.org = bodyLines(m.Organization); f.org == nil {
		f.org = []string{w.blank}
	}
	num := documentNumber("", m.Organization, isVi)
	if r.Symbol != "" {
		// "....../BB-UBND" → "....../BC-UBND": the same blank and body, the report's symbol.
		if i := strings.Index(num, "/"); i >= 0 {
			rest := num[i+1:]
			if j := strings.Index(rest, "-"); j >= 0 {
				num = num[:i+1] + r.Symbol + rest[j:]
			} else {
				num = num[:i+1] + r.Symbol
			}
		}
	}
	f.number = w.number + num
	if isVi {
		f.country, f.motto = w.country, w.motto
	}
	f.placeDate = orBlank(m.PlaceName, w.blank) + ", " + date(r.At, isVi)
	for _, b := range r.Blocks {
		fb := block{label: b.Label, text: b.Text, style: b.Style, heading: b.Heading}
		if b.Table != nil {
			fb.table = &table{widths: b.Table.Widths, align: b.Table.Align, head: b.Table.Head, rows: b.Table.Rows}
		}
		f.body = append(f.body, fb)
	}
	if n := len(f.body); n > 0 && f.body[n-1].table == nil {
		f.body[n-1].tail = true
	}
	for _, s := range r.Signers {
		f.signers = append(f.signers, signer{role: s.Role, name: s.Name})
	}
	f.recipients = append([]string{w.recipients}, r.Recipients...)
	f.recipients = append(f.recipients, w.archive)
	return f
}

// ReportDateTime is a time as the form prints it: "09 giờ 30, ngày 05 tháng
// 01 năm 2024" (Vietnam's time), "09:30, 5 January 2024".
func ReportDateTime(tm time.Time, vi bool) string { return dateTime(tm, vi) }
