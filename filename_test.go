package phonghop

import "testing"

func TestFileNames(t *testing.T) {
	for _, c := range []struct{ in, name, pdf string }{
		{"Quyet-dinh.exe", "Quyet-dinh.exe", "Quyet-dinh.pdf"},
		{"Quyet-dinh\u202Efdp.exe", "Quyet-dinhfdp.exe", "Quyet-dinhfdp.pdf"},
		{"a\u2066b\u2069c\u200f.PDF", "abc.PDF", "abc.pdf"},
		{`C:\tài liệu\Báo cáo.docx`, "Báo cáo.docx", "Báo cáo.pdf"},
		{"Nghị quyết số 12.2024", "Nghị quyết số 12.2024", "Nghị quyết số 12.2024.pdf"},
		{"../../etc/passwd", "passwd", "passwd.pdf"},
		{"a\r\nContent-Type: x\x00\"b\".pdf", "aContent-Type: xb.pdf", "aContent-Type: xb.pdf"},
		{"line\u2028break.pdf", "linebreak.pdf", "linebreak.pdf"},
		{"\u202E", "tai-lieu", "tai-lieu.pdf"},
		{"..", "tai-lieu", "tai-lieu.pdf"},
		{".exe", ".exe", ".exe.pdf"},
		{"bad\xffutf8.pdf", "badutf8.pdf", "badutf8.pdf"},
	} {
		if got := FileName(c.in, "tai-lieu"); got != c.name {
			t.Errorf("FileName(%q) = %q, want %q", c.in, got, c.name)
		}
		if got := PDFFileName(c.in, "tai-lieu"); got != c.pdf {
			t.Errorf("PDFFileName(%q) = %q, want %q", c.in, got, c.pdf)
		}
	}
}
