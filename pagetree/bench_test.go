package pagetree

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/phonghop/phonghop/internal/pdftest"
)

// BenchmarkBuild: the page index of a scan read from a file, as an upload is
// read from its spool file. Report: time and memory per document.
func BenchmarkBuild(b *testing.B) {
	for _, c := range []struct {
		name          string
		pages, filler int
	}{
		{"50MB-200pages", 200, 262656},
		{"40MB-2000pages", 2000, 20000},
	} {
		b.Run(c.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "scan.pdf")
			if err := os.WriteFile(path, pdftest.Scanned(c.pages, c.filler, false, ""), 0o644); err != nil {
				b.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			b.ReportAllocs()
			for b.Loop() {
				res, err := Build(f, st.Size())
				if err != nil || res.Update == nil || res.Pages != c.pages {
					b.Fatalf("%v %q %d", err, res.Reason, res.Pages)
				}
				b.ReportMetric(float64(len(res.Update)), "update-bytes")
			}
		})
	}
}
