package server_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every unsafe route, read from routes.go so a route added later is covered
// too, refuses a request a page of another origin makes with the session's
// credentials (a multipart upload from a form on another port included):
// 403 cross_origin_refused before any handler runs, and the meeting is
// unchanged.
func TestEveryUnsafeRouteRefusesAnotherOrigin(t *testing.T) {
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, nil)
	f := h.meeting(1)
	prefix := map[string]string{"api": "/api/v1", "a": "/api/v1", "m": "/api/v1/meetings/" + f.id, "e": ""}
	params := strings.NewReplacer(":mid", f.id, ":did", f.doc, ":iid", f.item, ":uid", h.users["daibieu01"].ID)
	before := h.mustDo("GET", prefix["m"], "admin", nil, 200, nil).body
	ct, body := multipartBody("file", "Quyet-dinh.pdf", testPDF(1))
	routes := regexp.MustCompile(`(?m)^\s*(\w+)\.(POST|PUT|PATCH|DELETE)\("([^"]*)"`).FindAllStringSubmatch(string(src), -1)
	if len(routes) < 50 {
		t.Fatalf("read %d unsafe routes from routes.go", len(routes))
	}
	for _, r := range routes {
		p, ok := prefix[r[1]]
		if !ok {
			t.Fatalf("route group %q unknown to this test", r[1])
		}
		path := params.Replace(p + r[3])
		for _, attack := range [][]string{
			{"Sec-Fetch-Site", "same-site", "Origin", "http://127.0.0.1:18999"}, // another port
			{"Origin", "https://evil.example"},                                  // a browser without Sec-Fetch-Site
			{"Sec-Fetch-Site", "cross-site", "Content-Type", "text/plain"},      // a form's text/plain body
		} {
			hdr := append([]string{"Content-Type", ct}, attack...)
			res := h.do(r[2], path, "admin", body, hdr...)
			if res.status != 403 || reasonOf(res) != "cross_origin_refused" {
				t.Errorf("%s %s with %v: %d %s", r[2], path, attack, res.status, res.body)
			}
		}
	}
	if after := h.mustDo("GET", prefix["m"], "admin", nil, 200, nil).body; string(after) != string(before) {
		t.Errorf("the meeting changed:\n%s\n%s", before, after)
	}
}
