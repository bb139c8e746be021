package pagetree

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/phonghop/phonghop/internal/pdftest"
	"github.com/phonghop/phonghop/internal/testtool"
)

func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := testtool.Find(name, "pdf")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func build(t *testing.T, pdf []byte) Result {
	t.Helper()
	res, err := Build(bytes.NewReader(pdf), int64(len(pdf)))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// checkRebuilt asserts what the update promises, reading the result with
// qpdf and poppler, not only with this package: the file is sound, has the
// same pages in the same order with the same rotation, and its page tree
// (every node and page) sits in the update, balanced.
func checkRebuilt(t *testing.T, orig []byte, res Result, pages int, rotates bool) {
	t.Helper()
	if res.Update == nil {
		t.Fatalf("no update: %s", res.Reason)
	}
	if res.Pages != pages {
		t.Fatalf("Pages = %d, want %d", res.Pages, pages)
	}
	out := append(append([]byte(nil), orig...), res.Update...)
	path := writeTemp(t, "out.pdf", out)
	if got := run(t, "qpdf", "--check", path); !strings.Contains(got, "No syntax or stream encoding errors") {
		t.Fatalf("qpdf --check:\n%s", got)
	}
	if got := run(t, "pdfinfo", path); !strings.Contains(got, fmt.Sprintf("Pages:           %d\n", pages)) {
		t.Fatalf("pdfinfo:\n%s", got)
	}
	text := run(t, "pdftotext", "-layout", path, "-")
	for i, chunk := range strings.Split(strings.TrimRight(text, "\f\n"), "\f") {
		if want := fmt.Sprintf("Trang %d", i+1); strings.TrimSpace(chunk) != want {
			t.Fatalf("page %d reads %q, want %q", i+1, strings.TrimSpace(chunk), want)
		}
	}
	if rotates {
		// The nested fixture's pages inherit rotations 0, 90 and 180 by thirds.
		info := run(t, "pdfinfo", "-f", "1", "-l", fmt.Sprint(pages), path)
		rots := regexp.MustCompile(`Page +(\d+) rot: +(\d+)`).FindAllStringSubmatch(info, -1)
		if len(rots) != pages {
			t.Fatalf("pdfinfo lists %d rotations, want %d:\n%s", len(rots), pages, info)
		}
		for i, m := range rots {
			if want := fmt.Sprint(90 * (i * 3 / pages)); m[1] != fmt.Sprint(i+1) || m[2] != want {
				t.Fatalf("page %s rotated %s, want %s", m[1], m[2], want)
			}
		}
	}

	f, tr := mustTree(t, out)
	for _, r := range append(append([]ref(nil), tr.nodes...), tr.leaves...) {
		if e := f.entries[r.num]; e.typ != 1 || e.off < int64(len(orig)) {
			t.Fatalf("object %d of the page tree is not in the update", r.num)
		}
	}
	for _, r := range tr.nodes {
		o, _ := f.get(r.num)
		d := o.(*dict)
		k := d.get("Kids").(array)
		if len(k) > fanout {
			t.Fatalf("node %d has %d kids", r.num, len(k))
		}
		// Every kid points back at its node, and the node counts its pages.
		pages := 0
		for _, kid := range k {
			ko, _ := f.get(kid.(ref).num)
			kd := ko.(*dict)
			if p, _ := kd.get("Parent").(ref); p != r {
				t.Fatalf("object %d's /Parent is %v, want %v", kid.(ref).num, kd.get("Parent"), r)
			}
			if n, ok := integer(kd.get("Count")); ok {
				pages += int(n)
			} else {
				pages++
			}
		}
		if n, _ := integer(d.get("Count")); int(n) != pages {
			t.Fatalf("node %d counts %d pages, its kids hold %d", r.num, n, pages)
		}
	}
	if !bytes.HasPrefix(out, orig) {
		t.Fatal("the original bytes changed")
	}
}

func TestScatteredFlatTree(t *testing.T) {
	pdf := pdftest.Scanned(100, 4000, false, "")
	checkRebuilt(t, pdf, build(t, pdf), 100, false)
}

// A signed file gets its index too: the update is for the viewing copy, and
// the signed bytes stay an unchanged prefix of it.
func TestSignedFileIsIndexed(t *testing.T) {
	pdf := pdftest.Scanned(40, 8000, false, "/AcroForm << /SigFlags 3 /Fields [] >> ")
	checkRebuilt(t, pdf, build(t, pdf), 40, false)
}

// 1,100 pages need three levels: root, 2 nodes, 35 nodes, then the pages.
func TestThreeLevels(t *testing.T) {
	pdf := pdftest.Scanned(1100, 300, false, "")
	res := build(t, pdf)
	checkRebuilt(t, pdf, res, 1100, false)
	_, tr := mustTree(t, append(append([]byte(nil), pdf...), res.Update...))
	if len(tr.nodes) != 1+2+35 {
		t.Fatalf("%d nodes, want 38", len(tr.nodes))
	}
}

func TestNestedTreeKeepsInheritedAttributes(t *testing.T) {
	pdf := pdftest.Scanned(70, 5000, true, "")
	res := build(t, pdf)
	checkRebuilt(t, pdf, res, 70, true)
	if !bytes.Contains(res.Update, []byte("/MediaBox [0 0 595 842]")) || !bytes.Contains(res.Update, []byte("/Rotate 180")) {
		t.Fatal("inherited attributes not carried by the pages")
	}
	if !bytes.Contains(res.Update, []byte(`/Custom (a \) string)`)) {
		t.Fatal("a string was not written back as it was")
	}
}

// qpdf rewrites the fixture with object streams and a cross-reference stream
// (PDF 1.5 style: page dictionaries compressed inside object streams), or
// linearized; both must come out rebuilt, with a cross-reference stream.
func TestObjectStreamsAndLinearized(t *testing.T) {
	// qpdf gathers the page dictionaries into one object stream, which is
	// compact already; rebuild anyway to read them from there.
	defer func(s int64) { compactSpan = s }(compactSpan)
	compactSpan = -1
	src := writeTemp(t, "in.pdf", pdftest.Scanned(60, 5000, true, ""))
	for _, args := range [][]string{
		{"--object-streams=generate"},
		{"--object-streams=generate", "--linearize"},
		{"--object-streams=generate", "--compress-streams=y", "--recompress-flate"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "out.pdf")
			run(t, "qpdf", append(args, src, dst)...)
			pdf, err := os.ReadFile(dst)
			if err != nil {
				t.Fatal(err)
			}
			f, tr := mustTree(t, pdf)
			// (A linearized file keeps page dictionaries out of object streams.)
			if e := f.entries[tr.leaves[len(tr.leaves)-1].num]; e.typ != 2 && !slices.Contains(args, "--linearize") {
				t.Fatalf("qpdf left the last page outside an object stream (entry %+v)", e)
			}
			res := build(t, pdf)
			checkRebuilt(t, pdf, res, 60, true)
			if !bytes.Contains(res.Update, []byte("/Type /XRef")) {
				t.Fatal("the update should keep to a cross-reference stream")
			}
			// Applying it twice stacks two updates; both must read.
			twice := append(append([]byte(nil), pdf...), res.Update...)
			res2 := build(t, twice)
			if res2.Update != nil {
				checkRebuilt(t, twice, res2, 60, true)
			}
		})
	}
}

func TestLeftAlone(t *testing.T) {
	src := writeTemp(t, "in.pdf", pdftest.Scanned(40, 8000, false, ""))
	enc := filepath.Join(t.TempDir(), "enc.pdf")
	run(t, "qpdf", "--encrypt", "user", "owner", "256", "--", src, enc)
	encrypted, _ := os.ReadFile(enc)

	for _, c := range []struct {
		name   string
		pdf    []byte
		reason string
		pages  int
	}{
		{"encrypted", encrypted, "encrypted", 40},
		{"small", pdftest.Scanned(10, 100, false, ""), "page tree already compact", 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := build(t, c.pdf)
			if res.Update != nil || res.Reason != c.reason || res.Pages != c.pages {
				t.Fatalf("got update %d bytes, reason %q, %d pages; want none, %q, %d", len(res.Update), res.Reason, res.Pages, c.reason, c.pages)
			}
		})
	}
}

// A hostile upload cannot make the reader inflate or list without bound: a
// cross-reference stream that inflates to 40 MiB, and a table claiming two
// million objects, are refused (the file is then stored as it came).
func TestHostileFilesAreBounded(t *testing.T) {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	zero := make([]byte, 1<<20)
	for range 40 {
		zw.Write(zero)
	}
	zw.Close()
	var bomb bytes.Buffer
	bomb.WriteString("%PDF-1.5\n")
	at := bomb.Len()
	fmt.Fprintf(&bomb, "1 0 obj\n<< /Type /XRef /W [1 1 1] /Size 2 /Filter /FlateDecode /Length %d >>\nstream\n", z.Len())
	bomb.Write(z.Bytes())
	fmt.Fprintf(&bomb, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", at)

	var list bytes.Buffer
	list.WriteString("%PDF-1.4\n")
	at2 := list.Len()
	list.WriteString("xref\n0 2000000\n")
	for range 1000 {
		list.WriteString("0000000009 00000 n \n")
	}
	fmt.Fprintf(&list, "trailer\n<< /Size 2000000 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", at2)

	for _, c := range []struct {
		name, err string
		pdf       []byte
	}{
		{"inflates to 40 MiB", "too many stream bytes", bomb.Bytes()},
		{"two million objects", "subsection too large", list.Bytes()},
	} {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Build(bytes.NewReader(c.pdf), int64(len(c.pdf)))
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("got %v, want an error with %q", err, c.err)
			}
			t.Logf("refused (%v), allocated %d MiB", err, (after.TotalAlloc-before.TotalAlloc)>>20)
		})
	}
}
