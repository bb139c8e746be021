package fonts

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"codeberg.org/go-pdf/fpdf"
)

// vietnamese holds every Vietnamese letter, lower and upper case.
const vietnamese = "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstuùủũúụưừửữứựvxyỳỷỹýỵ" +
	"AÀẢÃÁẠĂẰẲẴẮẶÂẦẨẪẤẬBCDĐEÈẺẼÉẸÊỀỂỄẾỆGHIÌỈĨÍỊKLMNOÒỎÕÓỌÔỒỔỖỐỘƠỜỞỠỚỢPQRSTUÙỦŨÚỤƯỪỬỮỨỰVXYỲỶỸÝỴ"

func TestCoversVietnamese(t *testing.T) {
	for _, r := range vietnamese {
		if !Covered(r) {
			t.Errorf("%q (U+%04X) not covered", r, r)
		}
	}
	for _, r := range "–—‘’“”…₫№×" {
		if !Covered(r) {
			t.Errorf("%q (U+%04X) not covered", r, r)
		}
	}
	for _, r := range "😀עברית العربية中" {
		if r != ' ' && Covered(r) {
			t.Errorf("%q (U+%04X) reported covered", r, r)
		}
	}
}

func TestClean(t *testing.T) {
	decomposed := "Chu\u0309 ti\u0323ch" // "Chủ tịch" with combining marks
	cases := []struct{ in, want string }{
		{decomposed, "Chủ tịch"},
		{"a\r\nb\rc\td", "a\nb\nc d"},
		{"x\u202Eabc\u202Cy\u200F", "xabcy"},
		{"ok 👍🏽!", "ok ?!"},
		{"👨\u200D👩\u200D👧", "???"},
		{"שלום", "????"},
		{"مرحبا", "?????"},
		{"bad\xffbyte", "bad?byte"},
		{"\x00\x07bell", "bell"},
	}
	for _, c := range cases {
		if got := Clean(c.in); got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRenderExtractable(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is missing: install it with `bash scripts/tools.sh pdf`")
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	Register(pdf)
	pdf.AddPage()
	for _, style := range []string{"", "B", "I", "BI"} {
		pdf.SetFont(Family, style, 11)
		pdf.MultiCell(0, 6, Clean(vietnamese), "", "L", false)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pdftotext, "-enc", "UTF-8", "-", "-")
	cmd.Stdin = &buf
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), "")
	if n := strings.Count(text, vietnamese); n != 4 {
		t.Fatalf("found the alphabet %d times in the PDF text, want 4:\n%s", n, out)
	}
}

func BenchmarkRegister(b *testing.B) {
	load()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		pdf := fpdf.New("P", "mm", "A4", "")
		Register(pdf)
		if pdf.Err() {
			b.Fatal(pdf.Error())
		}
	}
}

// TestTimesMetrics: Decree 30 sets documents in Times New Roman, and the
// embedded face must break lines where Times does. fpdf's core Times has the
// standard Times widths; every ASCII letter and digit must match them.
func TestTimesMetrics(t *testing.T) {
	pdf := fpdf.New("P", "mm", "A4", "")
	Register(pdf)
	for _, style := range []string{"", "B", "I", "BI"} {
		for c := rune(0x20); c < 0x7F; c++ {
			s := strings.Repeat(string(c), 10)
			pdf.SetFont("Times", style, 100)
			want := pdf.GetStringWidth(s)
			pdf.SetFont(Family, style, 100)
			got := pdf.GetStringWidth(s)
			if d := got - want; d > want/100 || d < -want/100 {
				t.Errorf("style %q: %q is %.2f mm wide, Times %.2f mm", style, c, got, want)
			}
		}
	}
}
