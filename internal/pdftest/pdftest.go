// Package pdftest builds PDFs for tests: no fixture files, any size, with the
// layouts that matter to range-loading readers.
package pdftest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Scanned builds a PDF like a scanner's: each page dictionary sits right before
// imageBytes of filler standing in for its scan, so the page objects are spread
// through the file, under one flat /Kids array with a classic xref table. Page
// i's text reads "Trang i". nested puts the pages under three intermediate
// nodes that carry the Resources and Rotate (0, 90, 180 by thirds) the pages
// inherit; catalogExtra is added to the catalog dictionary.
func Scanned(pages, imageBytes int, nested bool, catalogExtra string) []byte {
	var b bytes.Buffer
	offsets := map[int]int{}
	obj := func(n int, body string, stream []byte) {
		offsets[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\n", n, body)
		if stream != nil {
			b.WriteString("stream\n")
			b.Write(stream)
			b.WriteString("\nendstream\n")
		}
		b.WriteString("endobj\n")
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	pageObj := func(i int) int { return 10 + 3*i }
	const groups = 3
	groupObj := func(g int) int { return 4 + g }
	var kids []string
	if nested {
		for g := range groups {
			kids = append(kids, fmt.Sprintf("%d 0 R", groupObj(g)))
		}
	} else {
		for i := range pages {
			kids = append(kids, fmt.Sprintf("%d 0 R", pageObj(i)))
		}
	}
	obj(1, "<< /Type /Catalog /Pages 2 0 R "+catalogExtra+">>", nil)
	obj(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 595 842] >>", strings.Join(kids, " "), pages), nil)
	obj(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", nil)
	group := func(i int) int { return i * groups / pages }
	if nested {
		for g := range groups {
			var gk []string
			for i := range pages {
				if group(i) == g {
					gk = append(gk, fmt.Sprintf("%d 0 R", pageObj(i)))
				}
			}
			obj(groupObj(g), fmt.Sprintf("<< /Type /Pages /Parent 2 0 R /Kids [%s] /Count %d /Rotate %d /Resources << /Font << /F1 3 0 R >> >> >>",
				strings.Join(gk, " "), len(gk), 90*g), nil)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	img := make([]byte, imageBytes)
	for i := range pages {
		n := pageObj(i)
		parent := 2
		res := "/Resources << /Font << /F1 3 0 R >> >>"
		if nested {
			parent, res = groupObj(group(i)), ""
		}
		obj(n, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /Contents [%d 0 R %d 0 R] %s /Annots [] /Custom (a \\) string) >>", parent, n+1, n+2, res), nil)
		text := fmt.Sprintf("BT /F1 24 Tf 72 700 Td (Trang %d) Tj ET", i+1)
		obj(n+1, fmt.Sprintf("<< /Length %d >>", len(text)), []byte(text))
		// Filler standing in for a scan: comment lines of random hex, valid
		// page content that compresses poorly.
		for j := range img {
			img[j] = "0123456789abcdef"[rng.IntN(16)]
			if j%64 == 0 {
				img[j] = '%'
			} else if j%64 == 63 {
				img[j] = '\n'
			}
		}
		obj(n+2, fmt.Sprintf("<< /Length %d >>", len(img)), img)
	}
	last := pageObj(pages-1) + 2
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", last+1)
	for n := 1; n <= last; n++ {
		if off, ok := offsets[n]; ok {
			fmt.Fprintf(&b, "%010d 00000 n \n", off)
		} else {
			b.WriteString("0000000000 65535 f \n")
		}
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /ID [<0102> <0304>] >>\nstartxref\n%d\n%%%%EOF\n", last+1, xref)
	return b.Bytes()
}

// NoXref builds a PDF of n page objects with no cross-reference table: PDF
// readers rebuild one by scanning, pagetree cannot read it, and the server falls
// back to counting the page markers on the way through (filler bytes after
// each page object spread them across read chunks).
func NoXref(pages, filler int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n")
	fmt.Fprintf(&b, "2 0 obj << /Type /Pages /Count %d /Kids [] >> endobj\n", pages)
	for i := 0; i < pages; i++ {
		fmt.Fprintf(&b, "%d 0 obj << /Type /Page /Parent 2 0 R >> endobj\n", i+3)
		b.WriteString(strings.Repeat("x", filler))
	}
	b.WriteString("%%EOF\n")
	return b.Bytes()
}
