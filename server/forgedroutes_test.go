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
	h := newHarness(t, nil)
	f := h.meeting(1)
	base := "/api/v1/meetings/" + f.id
	before := h.mustDo("GET", base, "admin", nil, 200, nil).body
	ct, body := multipartBody("file", "Quyet-dinh.pdf", testPDF(1))
	for _, r := range unsafeRoutes(t, f.id, ":did", f.doc, ":iid", f.item, ":uid", h.users["daibieu01"].ID) {
		method, path := r.method, r.path
		for _, attack := range [][]string{
			{"Sec-Fetch-Site", "same-site", "Origin", "http://127.0.0.1:18999"}, // another port
			{"Origin", "https://evil.example"},                                  // a browser without Sec-Fetch-Site
			{"Sec-Fetch-Site", "cross-site", "Content-Type", "text/plain"},      // a form's text/plain body
		} {
			hdr := append([]string{"Content-Type", ct}, attack...)
			res := h.do(method, path, "admin", body, hdr...)
			if res.status != 403 || reasonOf(res) != "cross_origin_refused" {
				t.Errorf("%s %s with %v: %d %s", method, path, attack, res.status, res.body)
			}
		}
	}
	if after := h.mustDo("GET", base, "admin", nil, 200, nil).body; string(after) != string(before) {
		t.Errorf("the meeting changed:\n%s\n%s", before, after)
	}
}

type unsafeRoute struct{ method, route, path string }

// unsafeRoutes reads every POST, PUT, PATCH and DELETE route from routes.go,
// so that a route added later is tried too, each with its path in meeting
// mid and the other parameters given in pairs (":did", id, …).
func unsafeRoutes(t *testing.T, mid string, params ...string) []unsafeRoute {
	t.Helper()
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	prefix := map[string]string{"api": "/api/v1", "a": "/api/v1", "m": "/api/v1/meetings/" + mid, "e": ""}
	values := strings.NewReplacer(append([]string{":mid", mid}, params...)...)
	var out []unsafeRoute
	for _, r := range regexp.MustCompile(`(?m)^\s*(\w+)\.(POST|PUT|PATCH|DELETE)\("([^"]*)"`).FindAllStringSubmatch(string(src), -1) {
		p, ok := prefix[r[1]]
		if !ok {
			t.Fatalf("route group %q unknown to this test", r[1])
		}
		out = append(out, unsafeRoute{method: r[2], route: r[3], path: values.Replace(p + r[3])})
	}
	if len(out) < 50 {
		t.Fatalf("read %d unsafe routes from routes.go", len(out))
	}
	return out
}
