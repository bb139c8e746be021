package server_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/phonghop/phonghop"
)

// The fields before an upload's file are bounded together: thousands of
// "readers" fields (or any other name) were each read up to 64 KiB and kept,
// or read and dropped, before the file; now past 64 KiB together the upload
// is refused (413 upload_fields_too_large) and nothing is stored. A document
// replaced and a list imported take the same path.
func TestUploadFieldsBounded(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(1)
	docs := func() int {
		var m phonghop.Meeting
		h.mustDo("GET", "/api/v1/meetings/"+f.id, "thuky", nil, 200, &m)
		return len(m.Documents)
	}
	before := docs()
	big := func(name string) (string, []byte) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		for range 40 {
			w.WriteField(name, strings.Repeat("x", 2000))
		}
		fw, _ := w.CreateFormFile("file", "Tờ trình.pdf")
		fw.Write(testPDF(1))
		w.Close()
		return w.FormDataContentType(), b.Bytes()
	}
	for _, c := range []struct{ what, path, field string }{
		{"upload, readers", "/api/v1/meetings/" + f.id + "/documents", "readers"},
		{"upload, another field", "/api/v1/meetings/" + f.id + "/documents", "note"},
		{"replace", "/api/v1/meetings/" + f.id + "/documents/" + f.doc + "/versions", "note"},
		{"import", "/api/v1/users/import", "note"},
	} {
		ct, body := big(c.field)
		as := "thuky"
		if c.what == "import" {
			as = "admin"
		}
		r := h.do("POST", c.path, as, body, "Content-Type", ct)
		var e struct{ Error phonghop.Error }
		if r.status != 413 || json.Unmarshal(r.body, &e) != nil || e.Error.Reason != "upload_fields_too_large" {
			t.Errorf("%s: %d %s, want 413 upload_fields_too_large", c.what, r.status, r.body)
		}
	}
	if n := docs(); n != before {
		t.Fatalf("%d documents, want %d", n, before)
	}
	// A few fields, as the web app sends them, still pass.
	r := h.uploadWith(f.id, "thuky", "Phụ lục.pdf", testPDF(1), map[string]string{"confidential": "false", "watermark": "false"})
	if r.status != 201 {
		t.Fatalf("upload with its fields: %d %s", r.status, r.body)
	}
}
