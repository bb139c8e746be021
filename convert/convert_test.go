package convert_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/convert"
	"github.com/phonghop/phonghop/internal/officetest"
	"github.com/phonghop/phonghop/internal/testtool"
)

// converter returns a Converter on the LibreOffice scripts/tools.sh installs;
// a machine without it fails the test (it is never skipped).
func converter(t *testing.T) *convert.Converter {
	t.Helper()
	p, err := testtool.Find("soffice", "office")
	if err != nil {
		t.Fatal(err)
	}
	return &convert.Converter{Soffice: p, TempDir: tempDir}
}

// tempDir is shared by the package's tests, so LibreOffice's profile
// template is made once.
var tempDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "phonghop-convert-test-*")
	if err != nil {
		panic(err)
	}
	tempDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func reasonOf(err error) string {
	if e, ok := err.(*phonghop.Error); ok {
		return e.Reason
	}
	return ""
}

// TestVietnameseDocx: a Word file with diacritics and a table comes out as a
// PDF whose text (pdftotext) keeps every word, set in the Times New Roman
// metric font (Liberation Serif), not the DejaVu fallback.
func TestVietnameseDocx(t *testing.T) {
	c := converter(t)
	docx := officetest.Docx(officetest.Vietnamese())
	f, _ := convert.ByName("Báo cáo.DOCX")
	if err := convert.Check(bytes.NewReader(docx), int64(len(docx)), f); err != nil {
		t.Fatalf("Check refused a real .docx: %v", err)
	}
	res, err := c.Convert(context.Background(), bytes.NewReader(docx), f)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	text := pdfText(t, res.File.Name())
	for _, want := range []string{"BÁO CÁO TỔNG KẾT CÔNG TÁC CẢI CÁCH HÀNH CHÍNH NĂM 2023",
		"Ủy ban nhân dân huyện Tháp Mười", "Chỉ tiêu", "Kết quả", "Hồ sơ giải quyết đúng hạn",
		"trên 99%", "Số hóa kết quả cấp xã", "86,9%", "Một cửa không treo – hồ sơ không đọng"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext lost %q; got:\n%s", want, text)
		}
	}
	fonts, err := exec.Command("pdffonts", res.File.Name()).CombinedOutput()
	if err != nil {
		t.Fatalf("pdffonts: %v: %s", err, fonts)
	}
	if !strings.Contains(string(fonts), "LiberationSerif") || strings.Contains(string(fonts), "DejaVu") {
		t.Errorf("Times New Roman should be set in Liberation Serif (fonts-liberation2):\n%s", fonts)
	}
	if _, err := os.Stat(filepath.Dir(filepath.Dir(res.File.Name()))); err != nil {
		t.Fatal(err)
	}
	res.Close()
	if _, err := os.Stat(filepath.Dir(filepath.Dir(res.File.Name()))); !os.IsNotExist(err) {
		t.Errorf("the work directory is left after Close: %v", err)
	}
}

func pdfText(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("pdftotext", "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// TestLimits: a conversion over its time is killed with its whole process
// group and says so; one whose PDF would pass the size limit says that; a
// damaged file says it could not be converted. Nothing is left in TempDir.
func TestLimits(t *testing.T) {
	c := converter(t)
	f, _ := convert.ByExt(".docx")
	report := officetest.Docx(officetest.Report(8))

	slow := &convert.Converter{Soffice: c.Soffice, TempDir: c.TempDir, Timeout: 200 * time.Millisecond}
	start := time.Now()
	_, err := slow.Convert(context.Background(), bytes.NewReader(report), f)
	if reasonOf(err) != "conversion_timeout" {
		t.Fatalf("timeout: got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the timed-out conversion took %v to end", d)
	}
	if out, _ := exec.Command("pgrep", "-f", c.TempDir).CombinedOutput(); len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("LibreOffice processes left running: %s", out)
	}

	small := &convert.Converter{Soffice: c.Soffice, TempDir: c.TempDir, MaxOutput: 16 << 10}
	if _, err := small.Convert(context.Background(), bytes.NewReader(report), f); reasonOf(err) != "conversion_too_large" {
		t.Fatalf("size limit: got %v", err)
	}

	// Passes Check (the zip parts are there) but its XML is garbage.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "word/document.xml"} {
		w, _ := zw.Create(name)
		w.Write([]byte("<not xml"))
	}
	zw.Close()
	if err := convert.Check(bytes.NewReader(buf.Bytes()), int64(buf.Len()), f); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Convert(context.Background(), bytes.NewReader(buf.Bytes()), f); reasonOf(err) != "conversion_failed" {
		t.Fatalf("damaged file: got %v", err)
	}

	entries, _ := os.ReadDir(tempDir)
	for _, e := range entries {
		if !strings.Contains(e.Name(), "template") {
			t.Errorf("left in the temporary directory: %s", e.Name())
		}
	}
}

// TestCheck: a file is refused when its structure is not what its name says.
func TestCheck(t *testing.T) {
	docx := officetest.Docx(officetest.Vietnamese())
	odt := func(mime string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("mimetype")
		w.Write([]byte(mime))
		w, _ = zw.Create("content.xml")
		w.Write([]byte("<x/>"))
		zw.Close()
		return buf.Bytes()
	}
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...)
	cases := []struct {
		name string
		body []byte
		ok   bool
	}{
		{"a.docx", docx, true},
		{"a.xlsx", docx, false}, // a Word file named as Excel
		{"a.docx", []byte("%PDF-1.7\n..."), false},
		{"a.odt", odt("application/vnd.oasis.opendocument.text"), true},
		{"a.ods", odt("application/vnd.oasis.opendocument.text"), false},
		{"a.doc", ole, true},
		{"a.xls", ole, true},
		{"a.doc", []byte("MZ\x90\x00 an executable"), false},
		{"a.rtf", []byte(`{\rtf1\ansi Xin chào}`), true},
		{"a.rtf", []byte(`<html>`), false},
		{"a.pptx", []byte("PK\x03\x04 truncated"), false},
	}
	for _, tc := range cases {
		f, ok := convert.ByName(tc.name)
		if !ok {
			t.Fatalf("%s: not a known format", tc.name)
		}
		err := convert.Check(bytes.NewReader(tc.body), int64(len(tc.body)), f)
		if (err == nil) != tc.ok {
			t.Errorf("%s (%q…): got %v, want ok=%v", tc.name, tc.body[:min(8, len(tc.body))], err, tc.ok)
		}
		if err != nil && reasonOf(err) != "office_content_mismatch" {
			t.Errorf("%s: reason %q", tc.name, reasonOf(err))
		}
	}
	for _, name := range []string{"a.pdf", "a.exe", "docx", "a.docx.exe"} {
		if _, ok := convert.ByName(name); ok {
			t.Errorf("%s taken for an office file", name)
		}
	}
	if got := convert.PDFName("Báo cáo.DOCX"); got != "Báo cáo.pdf" {
		t.Errorf("PDFName: %q", got)
	}
}

// BenchmarkConvert measures LibreOffice here: a one-page Vietnamese paper
// (conversions per minute, one at a time and two at once) and a 40-page
// report. Run: go test -run '^$' -bench Convert -benchtime 5x ./convert
func BenchmarkConvert(b *testing.B) {
	p, err := testtool.Find("soffice", "office")
	if err != nil {
		b.Fatal(err)
	}
	c := &convert.Converter{Soffice: p, TempDir: tempDir}
	f, _ := convert.ByExt(".docx")
	run := func(b *testing.B, docx []byte) {
		res, err := c.Convert(context.Background(), bytes.NewReader(docx), f)
		if err != nil {
			b.Fatal(err)
		}
		res.Close()
	}
	short := officetest.Docx(officetest.Vietnamese())
	run(b, short) // the profile template
	b.Run("paper", func(b *testing.B) {
		for b.Loop() {
			run(b, short)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Minutes(), "conversions/min")
	})
	b.Run("paper-2-at-once", func(b *testing.B) {
		b.SetParallelism(1) // GOMAXPROCS goroutines: 2 on this machine
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				run(b, short)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Minutes(), "conversions/min")
	})
	report := officetest.Docx(officetest.Report(40))
	b.Run("report-40-pages", func(b *testing.B) {
		for b.Loop() {
			run(b, report)
		}
	})
}
