package pagetree

import (
	"bytes"
	"testing"

	"github.com/phonghop/phonghop/internal/pdftest"
)

// FuzzBuild: whatever the bytes, Build returns (no panic, no endless loop), and
// an update it returns has been read back by verify with the same pages.
func FuzzBuild(f *testing.F) {
	for _, pdf := range [][]byte{pdftest.Scanned(3, 10, false, ""), pdftest.Scanned(5, 10, true, "")} {
		f.Add(pdf)
		f.Add(pdf[:len(pdf)/2])
		f.Add(bytes.Replace(pdf, []byte("/Count"), []byte("/Kids 2 0 R /Count"), 1))
	}
	f.Add([]byte("%PDF-1.7\n1 0 obj << /Type /XRef /W [1 2 1] /Size 3 /Length 8 >>\nstream\n\x01\x00\x09\x00\x02\x00\x01\x00\nendstream\nendobj\nstartxref\n9\n%%EOF"))
	f.Fuzz(func(t *testing.T, pdf []byte) {
		defer func(s int64) { compactSpan = s }(compactSpan)
		compactSpan = -1
		res, err := Build(bytes.NewReader(pdf), int64(len(pdf)))
		if err != nil {
			return
		}
		if res.Update != nil {
			_, tr := mustTree(t, pdf)
			if err := verify(bytes.NewReader(pdf), int64(len(pdf)), res.Update, tr); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// mustTree opens pdf and reads its page tree.
func mustTree(t *testing.T, pdf []byte) (*file, *tree) {
	t.Helper()
	f, err := open(bytes.NewReader(pdf), int64(len(pdf)))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := f.pageTree()
	if err != nil {
		t.Fatal(err)
	}
	return f, tr
}
