package demo

import (
	"bytes"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func poppler(t *testing.T, tool string, pdf []byte, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s is missing: install it with `bash scripts/tools.sh pdf` (poppler-utils)", tool)
	}
	cmd := exec.Command(bin, append(args, "-")...)
	if tool == "pdftotext" {
		cmd = exec.Command(bin, append(append([]string{"-enc", "UTF-8"}, args...), "-", "-")...)
	}
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	return string(out)
}

func TestDocuments(t *testing.T) {
	docs := Documents()
	want := []struct {
		name     string
		minPages int
		maxPages int
		phrases  []string
	}{
		{"Bao-cao-tong-ket-CCHC-2023.pdf", 6, 10, []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "26/26 nhiệm vụ", "63/63 nhiệm vụ", "86,9% ở cấp xã", "Tỷ lệ đúng hạn"}},
		{"Mo-hinh-diem-CCHC.pdf", 4, 6, []string{"\"6 trong 1\"", "\"Một cửa không treo – hồ sơ không đọng\"", "\"Công dân điện tử\""}},
		{"Du-thao-Quyet-dinh-khen-thuong.pdf", 2, 3, []string{"DỰ THẢO", "QUYẾT ĐỊNH", "05 tập thể", "Đoàn Thanh niên xã Tân Lập"}},
	}
	if len(docs) != len(want) {
		t.Fatalf("%d documents, want %d", len(docs), len(want))
	}
	for i, w := range want {
		d := docs[i]
		if d.Name != w.name {
			t.Errorf("document %d is %q, want %q", i, d.Name, w.name)
		}
		if !bytes.HasPrefix(d.Data, []byte("%PDF-")) {
			t.Fatalf("%s is not a PDF", d.Name)
		}
		m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindStringSubmatch(poppler(t, "pdfinfo", d.Data))
		if m == nil {
			t.Fatalf("%s: no page count", d.Name)
		}
		pages, _ := strconv.Atoi(m[1])
		if pages < w.minPages || pages > w.maxPages {
			t.Errorf("%s has %d pages, want %d–%d", d.Name, pages, w.minPages, w.maxPages)
		}
		text := strings.Join(strings.Fields(poppler(t, "pdftotext", d.Data)), " ")
		for _, ph := range w.phrases {
			if !strings.Contains(text, ph) {
				t.Errorf("%s: the text lacks %q", d.Name, ph)
			}
		}
		// every page carries its big number and its footer
		for p := 1; p <= pages; p++ {
			if !strings.Contains(text, "Trang "+strconv.Itoa(p)+"/"+strconv.Itoa(pages)) {
				t.Errorf("%s: page %d has no page number", d.Name, p)
			}
		}
	}
}

func TestDocumentsDeterministic(t *testing.T) {
	for _, f := range []func() demoDoc{reportDoc, modelsDoc, decisionDoc} {
		a, err := f().render()
		if err != nil {
			t.Fatal(err)
		}
		b, err := f().render()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: two renderings differ", f().title)
		}
	}
	// callers get their own slice
	d := Documents()
	d[0].Name = "x"
	if Documents()[0].Name == "x" {
		t.Fatal("Documents shares its slice")
	}
}
