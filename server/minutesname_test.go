package server_test

import (
	"mime"
	"net/url"
	"strings"
	"testing"
)

// The walk's finding: the minutes downloaded as "bien-ban-<id>-v1.pdf", a name
// the secretary had to retype before filing. The PDF and the .docx are named
// for the meeting and its date, in UTF-8 (filename*, RFC 6266/5987) and
// folded to ASCII (filename), whatever the title holds: quotes, slashes, a
// line break, Vietnamese letters.
func TestMinutesDownloadNamedForTheMeeting(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(1)
	base := "/api/v1/meetings/" + f.id
	// A line break in a title is refused at input now (issue #11,
	// text_invisible_char); the name is cleaned whatever was stored before.
	if r := h.do("PATCH", base, "admin", map[string]any{"title": "Kỳ họp\r\nHĐND"}); r.status != 400 || reasonOf(r) != "text_invisible_char" {
		t.Fatalf("title with a line break: %d %s", r.status, r.body)
	}
	title := "Kỳ họp \"bất thường\" số 3/2024 HĐND huyện\\Tháp Mười: <Đợt 1>"
	if r := h.do("PATCH", base, "admin", map[string]any{"title": title, "startsAt": "2024-01-12T23:30:00Z"}); r.status != 200 {
		t.Fatalf("title with quotes and slashes: %d %s", r.status, r.body)
	}
	h.mustDo("POST", base+"/minutes/pdf", "thuky", nil, 201, nil)
	// 23:30 UTC on the 12th is the 13th in Việt Nam, the meeting's date.
	const utf8Name = "Biên bản Kỳ họp bất thường số 3 2024 HĐND huyện Tháp Mười Đợt 1 2024-01-13 v1"
	const asciiName = "Bien-ban-Ky-hop-bat-thuong-so-3-2024-HDND-huyen-Thap-Muoi-Dot-1-2024-01-13-v1"
	for _, ext := range []string{".pdf", ".docx"} {
		r := h.do("GET", base+"/minutes"+ext, "daibieu01", nil)
		if r.status != 200 {
			t.Fatalf("minutes%s: %d %s", ext, r.status, r.body)
		}
		cd := r.header.Get("Content-Disposition")
		want := `attachment; filename="` + asciiName + ext + `"; filename*=UTF-8''` + url.PathEscape(utf8Name+ext)
		if cd != want {
			t.Errorf("minutes%s: Content-Disposition\n %q, want\n %q", ext, cd, want)
		}
		// As a client reads it: filename* wins, and it is the UTF-8 name.
		kind, params, err := mime.ParseMediaType(cd)
		if err != nil || kind != "attachment" || params["filename"] != utf8Name+ext {
			t.Errorf("minutes%s: parsed %q %q %v", ext, kind, params, err)
		}
		if strings.ContainsAny(cd, "\r\n") {
			t.Errorf("minutes%s: a line break in %q", ext, cd)
		}
	}
	// An English meeting's minutes are "Minutes"; a title of nothing a file
	// name can hold leaves the date and version.
	h.mustDo("PATCH", base, "admin", map[string]any{"title": `"/"`, "language": "en"}, 200, nil)
	h.mustDo("POST", base+"/minutes/pdf", "thuky", nil, 201, nil)
	cd := h.do("GET", base+"/minutes.pdf?version=2", "daibieu01", nil).header.Get("Content-Disposition")
	if want := `attachment; filename="Minutes-2024-01-13-v2.pdf"; filename*=UTF-8''Minutes%202024-01-13%20v2.pdf`; cd != want {
		t.Errorf("an English meeting, a title of quotes and a slash: %q, want %q", cd, want)
	}
}
