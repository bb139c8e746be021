package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every download names its file through setDisposition (the name cleaned
// again, an ASCII filename beside filename*): a handler writing its own
// Content-Disposition skipped both (the consultation summary put the URL's
// id between quotes; the audit exports sent no ASCII name).
func TestEveryDownloadNamedInOnePlace(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "filename.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, `"Content-Disposition"`) {
				t.Errorf("%s:%d sets Content-Disposition itself: use setDisposition", f, i+1)
			}
		}
	}
}
