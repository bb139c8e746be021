package server_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/phonghop/phonghop/server"
)

// sessionCookie signs username in and returns their session cookie's header.
func (h *harness) sessionCookie(username, password string) string {
	h.t.Helper()
	resp, err := http.Post(h.srv.URL+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"username":"`+username+`","password":"`+password+`"}`))
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "phonghop_session" {
			return c.Name + "=" + c.Value
		}
	}
	h.t.Fatalf("no session cookie: %d", resp.StatusCode)
	return ""
}

// browser sends what a browser sends for a page at origin (site: the
// Sec-Fetch-Site it computes; "" for a browser without it), with the cookie.
func (h *harness) browser(method, path, cookie, contentType, body, origin, site string) response {
	h.t.Helper()
	hdr := []string{"Cookie", cookie, "Content-Type", contentType}
	if origin != "" {
		hdr = append(hdr, "Origin", origin)
	}
	if site != "" {
		hdr = append(hdr, "Sec-Fetch-Site", site)
	}
	// as "" and a string body: no bearer token, the body as given.
	r := h.do(method, path, "", body, hdr...)
	return r
}

// TestForgedRequests replays the attacks: a page on another port of the
// same host (same-site for the browser, so the SameSite=Lax cookie goes along)
// posts to the API with the victim's cookie. Before the fix, a no-cors fetch
// made an admin (201) and a text/plain form cast a ballot (201).
func TestForgedRequests(t *testing.T) {
	h := newHarness(t, nil, withAllowedOrigins("https://phong-hop.example"))
	f := h.meeting(2)
	for _, d := range f.delegates {
		h.mustDo("POST", "/api/v1/meetings/"+f.id+"/attendance", d, nil, 200, nil)
	}
	var p struct{ ID string }
	h.mustDo("POST", "/api/v1/meetings/"+f.id+"/polls", "chutich", map[string]any{"agendaItemId": f.item, "title": "Khen thưởng 05 tập thể"}, 201, &p)
	h.mustDo("POST", "/api/v1/meetings/"+f.id+"/polls/"+p.ID+"/open", "chutich", nil, 200, nil)
	admin := h.sessionCookie("admin", adminPassword)
	delegate := h.sessionCookie("daibieu01", userPassword)
	self := h.srv.URL
	evil := "http://127.0.0.1:18999"
	newAdmin := `{"username":"x","password":"pwned123","admin":true}`
	ballotURL := "/api/v1/meetings/" + f.id + "/polls/" + p.ID + "/ballots"

	for _, c := range []struct {
		name                 string
		method, path, cookie string
		ct, body             string
		origin, site         string
		status               int
		reason               string
	}{
		// fetch(..., {mode:"no-cors", credentials:"include", body}) from another port.
		{"no-cors fetch makes an admin", "POST", "/api/v1/users", admin, "text/plain;charset=UTF-8", newAdmin, evil, "same-site", 403, "cross_origin_refused"},
		{"from another site", "POST", "/api/v1/users", admin, "text/plain;charset=UTF-8", newAdmin, "https://evil.example", "cross-site", 403, "cross_origin_refused"},
		{"older browser, Origin only", "POST", "/api/v1/users", admin, "text/plain", newAdmin, evil, "", 403, "cross_origin_refused"},
		// <form enctype="text/plain" method="post"> with a name that makes JSON.
		{"text/plain form casts a ballot", "POST", ballotURL, delegate, "text/plain", `{"option":0, "x":"="}`, evil, "same-site", 403, "cross_origin_refused"},
		{"urlencoded form", "POST", ballotURL, delegate, "application/x-www-form-urlencoded", "option=0", "null", "cross-site", 403, "cross_origin_refused"},
		{"check-out with no body", "DELETE", "/api/v1/meetings/" + f.id + "/attendance", delegate, "", "", evil, "same-site", 403, "cross_origin_refused"},
		{"sign-in forced on the victim", "POST", "/api/v1/auth/login", "", "text/plain", `{"username":"x","password":"y"}`, evil, "cross-site", 403, "cross_origin_refused"},
		// The app's own pages, and a body that does not say it is JSON.
		{"same origin, text/plain", "POST", ballotURL, delegate, "text/plain", `{"option":0}`, self, "same-origin", 415, "json_content_type_required"},
		{"no type at all", "POST", "/api/v1/users", admin, "", newAdmin, "", "", 415, "json_content_type_required"},
	} {
		r := h.browser(c.method, c.path, c.cookie, c.ct, c.body, c.origin, c.site)
		var e struct{ Error struct{ Code, Reason string } }
		_ = json.Unmarshal(r.body, &e)
		if r.status != c.status || e.Error.Reason != c.reason {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.status, r.body, c.status, c.reason)
		}
	}
	// Nothing happened: no user x, no ballot, the delegate still checked in.
	if strings.Contains(string(h.do("GET", "/api/v1/users", "admin", nil).body), `"username":"x"`) {
		t.Fatal("a forged request created a user")
	}
	var poll struct{ Cast int }
	h.mustDo("POST", "/api/v1/meetings/"+f.id+"/polls/"+p.ID+"/close", "chutich", nil, 200, &poll)
	if poll.Cast != 0 {
		t.Fatalf("forged ballots counted: %d", poll.Cast)
	}

	// What passes: the app's own page, a trusted origin, and clients that are
	// no browser (no Origin, no Sec-Fetch-Site).
	for _, c := range []struct{ name, origin, site, user string }{
		{"same origin", self, "same-origin", "y1"},
		{"allowed origin", "https://phong-hop.example", "cross-site", "y2"},
		{"script with a cookie", "", "", "y3"},
	} {
		r := h.browser("POST", "/api/v1/users", admin, "application/json; charset=utf-8",
			`{"username":"`+c.user+`","password":"mat-khau-dai-du","displayName":"Y"}`, c.origin, c.site)
		if r.status != 201 {
			t.Errorf("%s: %d %s", c.name, r.status, r.body)
		}
	}
	// Reads stay open to any origin (the cookie's SameSite and CORS govern
	// what a page can read); the live socket keeps its own Origin check.
	if r := h.browser("GET", "/api/v1/me", delegate, "", "", evil, "same-site"); r.status != 200 {
		t.Errorf("GET from another origin: %d", r.status)
	}
}

// TestSecurityHeaders: the web app's answers carry a Content-Security-Policy
// and the other headers a browser enforces; API answers forbid running or
// framing anything. Before the fix neither had a CSP.
func TestSecurityHeaders(t *testing.T) {
	app := fstest.MapFS{
		"index.html":                         {Data: []byte("<!doctype html><title>phonghop</title>")},
		"assets/index-1.js":                  {Data: []byte("console.log(1)")},
		"sw.js":                              {Data: []byte("self.x=1")},
		"pdfjs/wasm/x.wasm":                  {Data: []byte{0, 'a', 's', 'm'}},
		"pdfjs/standard_fonts/FoxitSans.pfb": {Data: []byte("font")},
	}
	srv := httptest.NewServer(server.New(server.Config{Frontend: app, Logger: slog.New(slog.DiscardHandler), SecureCookies: true}))
	defer srv.Close()
	for _, path := range []string{"/", "/m/abc", "/assets/index-1.js", "/sw.js", "/pdfjs/wasm/x.wasm"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self' blob:",
			"object-src 'none'", "base-uri 'none'", "frame-ancestors 'self'", "connect-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "'unsafe-eval'") && !strings.Contains(csp, "'wasm-unsafe-eval'") {
			t.Errorf("%s: CSP allows eval", path)
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
			"Cross-Origin-Opener-Policy": "same-origin", "Strict-Transport-Security": "max-age=31536000"} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s: %s %q, want %q", path, h, got, want)
			}
		}
		if resp.Header.Get("Permissions-Policy") == "" {
			t.Errorf("%s: no Permissions-Policy", path)
		}
	}
	h := newHarness(t, nil)
	r := h.do("GET", "/api/v1/me", "admin", nil)
	if got := r.header.Get("Content-Security-Policy"); got != "default-src 'none'; frame-ancestors 'none'" {
		t.Errorf("API CSP %q", got)
	}
	if r.header.Get("Cross-Origin-Resource-Policy") != "same-origin" || r.header.Get("Strict-Transport-Security") != "" {
		t.Errorf("API headers %v (no HSTS without SecureCookies)", r.header)
	}
	// The service worker trusts a proved session offline until its end.
	if end, err := time.Parse(time.RFC3339, r.header.Get("X-Phonghop-Session-Expires")); err != nil || time.Until(end) < 11*time.Hour {
		t.Errorf("session end %q: %v", r.header.Get("X-Phonghop-Session-Expires"), err)
	}
}

// TestInvalidUTF8Refused: a display name with bytes that are not UTF-8 is a
// 400, not stored with U+FFFD in their place (encoding/json replaces them
// silently; before the fix the user was created, 201).
func TestInvalidUTF8Refused(t *testing.T) {
	h := newHarness(t, nil)
	body := []byte("{\"username\":\"daibieu09\",\"password\":\"mat-khau-thu-nghiem\",\"displayName\":\"L\xea V\xe3n C\"}")
	r := h.do("POST", "/api/v1/users", "admin", body)
	var e struct{ Error struct{ Code, Reason string } }
	_ = json.Unmarshal(r.body, &e)
	if r.status != 400 || e.Error.Reason != "json_not_utf8" {
		t.Fatalf("invalid UTF-8 display name: %d %s", r.status, r.body)
	}
	if strings.Contains(string(h.do("GET", "/api/v1/users", "admin", nil).body), "daibieu09") {
		t.Fatal("the user was created anyway")
	}
}
