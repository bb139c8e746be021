package meetings_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/internal/pdftest"
	"github.com/phonghop/phonghop/meetings"
)

// The upload: an MZ executable with "%PDF-" inside, named
// Quyet-dinh.exe, was accepted. A PDF is taken only when its structure reads
// as one, and is kept under a cleaned name ending in .pdf.
func TestUploadMustReadAsPDF(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m, _ := f.mtg.Create(ctx, meetings.NewMeeting{Title: "x"})
	by := f.users["thuky"]
	real := pdftest.Scanned(2, 2000, false, "")
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00 This program cannot be run in DOS mode.\n%PDF-1.7\n"), bytes.Repeat([]byte{0x90}, 8000)...)
	refused := map[string][]byte{
		"an executable with %PDF- inside":     exe,
		"a PDF appended to an executable":     append([]byte("MZ\x90\x00 stub\n"), real...),
		"an ELF with %PDF- inside":            append([]byte("\x7fELF\x02\x01\x01 %PDF-1.4 "), bytes.Repeat([]byte{0}, 4000)...),
		"junk then %PDF-, no structure":       append([]byte("junk %PDF-1.4\n"), bytes.Repeat([]byte("x"), 4000)...),
		"a header and nothing of a PDF after": append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 4000)...),
	}
	for what, data := range refused {
		if _, err := f.mtg.AddDocument(ctx, m.ID, "Quyet-dinh.exe", bytes.NewReader(data), by); phonghop.ErrorCode(err) != phonghop.EUnsupportedType {
			t.Errorf("%s: %v, want unsupported type", what, err)
		}
	}
	for name, want := range map[string]string{
		"Quyet-dinh.exe":                "Quyet-dinh.pdf",
		"Quyet-dinh\u202Efdp.exe":       "Quyet-dinhfdp.pdf",
		"Tờ trình\u2067 số 12.2024":     "Tờ trình số 12.2024.pdf",
		"Báo cáo.PDF":                   "Báo cáo.pdf",
		"..\\..\\\u200fBáo cáo\x07.pdf": "Báo cáo.pdf",
	} {
		doc, err := f.mtg.AddDocument(ctx, m.ID, name, bytes.NewReader(real), by)
		if err != nil {
			t.Fatalf("a real PDF named %q: %v", name, err)
		}
		if doc.Name != want || doc.Pages != 2 {
			t.Errorf("uploaded as %q: kept as %q (%d pages), want %q", name, doc.Name, doc.Pages, want)
		}
		renamed, err := f.mtg.RenameDocument(ctx, m.ID, doc.ID, "Ghi chú\u202Egnp.scr")
		if err != nil || renamed.Name != "Ghi chúgnp.pdf" {
			t.Errorf("renamed: %q %v", renamed.Name, err)
		}
	}
	// A file readers rebuild by scanning (no cross-reference table) still
	// passes: the header is at the start and page objects were seen.
	if doc, err := f.mtg.AddDocument(ctx, m.ID, "scan.pdf", bytes.NewReader(pdftest.NoXref(3, 100)), by); err != nil || doc.Pages != 3 {
		t.Errorf("a PDF without cross-references: %+v %v", doc, err)
	}
}
