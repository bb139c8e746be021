package minutes

import (
	"bytes"
	"os/exec"
	"regexp"
	"testing"
)

func TestCompressStreams(t *testing.T) {
	pdf, err := Render(demoDraft())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(plainStreamAnywhere.FindAll(pdf, -1)); n != 0 {
		t.Errorf("%d streams left uncompressed", n)
	}
	if !bytes.Contains(pdf, []byte("/Filter /FlateDecode")) {
		t.Error("no compressed stream")
	}
	// poppler reads it without complaint: a wrong xref offset would make it
	// reconstruct the table and print "Syntax Error".
	bin, err := exec.LookPath("pdfinfo")
	if err != nil {
		t.Fatal("pdfinfo is missing: install it with `bash scripts/tools.sh pdf`")
	}
	cmd := exec.Command(bin, "-")
	cmd.Stdin = bytes.NewReader(pdf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("pdfinfo: %v: %s", err, stderr.String())
	}
	// anything but fpdf's layout is refused, not damaged
	for _, bad := range [][]byte{nil, []byte("%PDF-1.3\nstartxref\n5\n%%EOF\n"), pdf[:len(pdf)/2]} {
		if _, err := compressStreams(bad); err == nil {
			t.Errorf("compressStreams accepted %d bytes of junk", len(bad))
		}
	}
	broken := bytes.Replace(pdf, []byte("xref\n0 "), []byte("xref\n1 "), 1)
	if _, err := compressStreams(broken); err == nil {
		t.Error("compressStreams accepted a bad xref header")
	}
}

var plainStreamAnywhere = regexp.MustCompile(`obj\n<</Length \d+>>\nstream\n`)
