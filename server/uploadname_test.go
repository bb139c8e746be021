package server_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// The upload: an MZ executable with "%PDF-" inside, named
// Quyet-dinh.exe (and a name with U+202E), was accepted, and archive.zip held
// documents/Quyet-dinh.exe. Now it is refused, a real PDF so named is kept as
// .pdf, and every name that leaves the server (the document's
// Content-Disposition, the archive's entries) is cleaned.
func TestExecutableUploadRefusedAndNamesCleaned(t *testing.T) {
	forEachStore(t, func(t *testing.T, base storage.Store) {
		h := newHarness(t, base)
		f := h.meeting(1)
		exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00 This program cannot be run in DOS mode.\n%PDF-1.7\n"), bytes.Repeat([]byte{0x90}, 4000)...)
		for _, name := range []string{"Quyet-dinh.exe", "Quyet-dinh\u202Efdp.exe", "Quyet-dinh.pdf"} {
			if r := h.upload(f.id, "thuky", name, exe); r.status != 415 {
				t.Errorf("executable as %q: %d %s", name, r.status, r.body)
			}
		}
		r := h.upload(f.id, "thuky", "Quyet-dinh\u202Efdp.exe", testPDF(2))
		var doc phonghop.Document
		if r.status != 201 || json.Unmarshal(r.body, &doc) != nil || doc.Name != "Quyet-dinhfdp.pdf" {
			t.Fatalf("a PDF named with U+202E: %d %s", r.status, r.body)
		}
		got := h.do("GET", "/api/v1/meetings/"+f.id+"/documents/"+doc.ID+"/content", "daibieu01", nil).header.Get("Content-Disposition")
		if want := `inline; filename="Quyet-dinhfdp.pdf"; filename*=UTF-8''Quyet-dinhfdp.pdf`; got != want {
			t.Errorf("Content-Disposition %q, want %q", got, want)
		}
		h.mustDo("PATCH", "/api/v1/meetings/"+f.id+"/documents/"+doc.ID, "thuky", map[string]string{"name": "Tờ trình\u2067.exe"}, 200, &doc)
		if doc.Name != "Tờ trình.pdf" {
			t.Errorf("renamed to %q", doc.Name)
		}
		got = h.do("GET", "/api/v1/meetings/"+f.id+"/documents/"+doc.ID+"/content", "daibieu01", nil).header.Get("Content-Disposition")
		if want := `inline; filename="To-trinh.pdf"; filename*=UTF-8''T%E1%BB%9D%20tr%C3%ACnh.pdf`; got != want {
			t.Errorf("Content-Disposition %q, want %q", got, want)
		}
		r = h.do("GET", "/api/v1/meetings/"+f.id+"/archive.zip", "thuky", nil)
		zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
		if err != nil {
			t.Fatalf("archive: %d %v", r.status, err)
		}
		var names []string
		for _, zf := range zr.File {
			names = append(names, zf.Name)
			if strings.HasPrefix(zf.Name, "documents/") && !strings.HasSuffix(zf.Name, ".pdf") || strings.ContainsAny(zf.Name, "\u202E\u2067") {
				t.Errorf("archive entry %q", zf.Name)
			}
		}
		if !strings.Contains(strings.Join(names, "|"), "documents/Tờ trình.pdf") {
			t.Errorf("archive entries %q", names)
		}
		if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="meeting-`+f.id+`.zip"; filename*=UTF-8''meeting-`+f.id+`.zip` {
			t.Errorf("archive's Content-Disposition %q", cd)
		}
	})
}
