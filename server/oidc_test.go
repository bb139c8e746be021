package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/oidcauth"
	"github.com/phonghop/phonghop/server"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// fakeIDP stands in for the provider only to check the server's side of the
// redirect; the real flow runs in e2e/oidc.test.js against a real provider.
type fakeIDP struct{}

func (fakeIDP) AuthURL(_ context.Context, a oidcauth.Attempt) (string, error) {
	return "https://idp.example/auth?state=" + a.State, nil
}

func (fakeIDP) Exchange(context.Context, string, oidcauth.Attempt) (oidcauth.Identity, error) {
	return oidcauth.Identity{Issuer: "https://idp.example", Subject: "sub-an", Username: "an.nv"}, nil
}

func (fakeIDP) LogoutURL(context.Context, string) (string, error) { return "", nil }

// adminAccounts is a fresh store and its accounts, with the bootstrap admin.
func adminAccounts(t *testing.T) (*fsstore.Store, *accounts.Service) {
	t.Helper()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	acc := &accounts.Service{Store: st, BcryptCost: bcrypt.MinCost}
	if _, _, err := acc.EnsureAdmin(context.Background(), adminPassword); err != nil {
		t.Fatal(err)
	}
	return st, acc
}

func TestOIDCOnlyRefusesPasswords(t *testing.T) {
	_, acc := adminAccounts(t)
	srv := httptest.NewServer(server.New(server.Config{Accounts: acc, OIDC: fakeIDP{}, LocalLoginDisabled: true}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"`+adminPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("password sign-in with local accounts off: %d", resp.StatusCode)
	}
	resp, err = http.Get(srv.URL + "/api/v1/auth/methods")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"local":false`) || !strings.Contains(string(body), `"oidc":true`) {
		t.Fatalf("methods: %s", body)
	}
	// The sign-in starts with a redirect and a state cookie the callback checks.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = c.Get(srv.URL + "/api/v1/auth/oidc/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var state *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "phonghop_oidc" {
			state = ck
		}
	}
	if resp.StatusCode != http.StatusFound || state == nil || !state.HttpOnly || state.SameSite != http.SameSiteLaxMode ||
		!strings.HasPrefix(resp.Header.Get("Location"), "https://idp.example/auth?state="+strings.Split(state.Value, ".")[0]) {
		t.Fatalf("start: %d %v %q", resp.StatusCode, state, resp.Header.Get("Location"))
	}
	// A callback whose state is not this browser's cookie opens no session.
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/auth/oidc/callback?code=x&state=other", nil)
	req.AddCookie(state)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "error=oidc_state_mismatch") {
		t.Fatalf("forged state went to %q", loc)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "phonghop_session" && ck.Value != "" {
			t.Fatal("a session cookie for a forged callback")
		}
	}
	// With the right state, the session is opened and the browser sent home.
	req, _ = http.NewRequest("GET", srv.URL+"/api/v1/auth/oidc/callback?code=x&state="+strings.Split(state.Value, ".")[0], nil)
	req.AddCookie(state)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	signedIn := false
	for _, ck := range resp.Cookies() {
		signedIn = signedIn || (ck.Name == "phonghop_session" && ck.Value != "" && ck.HttpOnly)
	}
	if resp.Header.Get("Location") != "/" || !signedIn {
		t.Fatalf("callback: %q, session cookie %v", resp.Header.Get("Location"), signedIn)
	}
}

// discoveryIDP is a provider as far as discovery goes (a real oidcauth.RP
// reads its document, so the sign-in and sign-out URLs are the RP's own);
// only the code exchange is stood in for, answering with idToken. The whole
// flow runs against a real provider in e2e/oidc.test.js.
type discoveryIDP struct {
	*oidcauth.RP
	idToken string
}

func (d discoveryIDP) Exchange(context.Context, string, oidcauth.Attempt) (oidcauth.Identity, error) {
	return oidcauth.Identity{Issuer: "https://idp.example", Subject: "sub-an", Username: "an.nv", IDToken: d.idToken}, nil
}

// discoveryServer serves an OpenID provider's discovery document, with
// end_session_endpoint when endSession.
func discoveryServer(t *testing.T, endSession bool) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		doc := map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/authorize",
			"token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/keys", "id_token_signing_alg_values_supported": []string{"RS256"}}
		if endSession {
			doc["end_session_endpoint"] = srv.URL + "/end_session?ui=vi"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// oidcBrowser signs in through the provider as a browser would (state
// cookie, callback) and returns its cookie jar's client, not following
// redirects, and the responses' Set-Cookie headers seen.
type oidcBrowser struct {
	t      *testing.T
	base   string
	c      *http.Client
	setCks []string
}

func newOIDCBrowser(t *testing.T, base string) *oidcBrowser {
	jar, _ := cookiejar.New(nil)
	return &oidcBrowser{t: t, base: base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *oidcBrowser) do(method, path string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.base+path, nil)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.setCks = append(b.setCks, resp.Header.Values("Set-Cookie")...)
	return resp, string(body)
}

// signIn goes through /oidc/login and the callback; it returns the
// authorization URL the browser was sent to.
func (b *oidcBrowser) signIn() *url.URL {
	b.t.Helper()
	resp, _ := b.do("GET", "/api/v1/auth/oidc/login")
	to, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		b.t.Fatalf("start: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = b.do("GET", "/api/v1/auth/oidc/callback?code=x&state="+url.QueryEscape(to.Query().Get("state")))
	if resp.Header.Get("Location") != "/" {
		b.t.Fatalf("callback went to %q", resp.Header.Get("Location"))
	}
	if r, _ := b.do("GET", "/api/v1/me"); r.StatusCode != http.StatusOK {
		b.t.Fatalf("signed in: /me %d", r.StatusCode)
	}
	return to
}

func (b *oidcBrowser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.base + "/api/v1/auth/oidc/login")
	for _, ck := range b.c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// TestOIDCSignOutEndsProviderSession: signing out of a session opened
// through the provider ends phonghop's session, then sends the browser to the
// provider's end_session_endpoint with the session's ID token as
// id_token_hint and the registered post-logout URL (RP-Initiated Logout), and
// the next sign-in from that browser asks for credentials (prompt=login). The
// ID token is in no cookie and no log line. Before, the provider's session
// outlived the sign-out: on a shared tablet the next person was signed in as
// the previous one.
func TestOIDCSignOutEndsProviderSession(t *testing.T) {
	const idToken = "eyJhbGciOiJSUzI1NiJ9.ID-TOKEN-OF-AN.sig"
	for _, tc := range []struct {
		name        string
		endSession  bool
		unreachable bool
	}{{"end_session_endpoint", true, false}, {"no end_session_endpoint", false, false}, {"provider unreachable at sign-out", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			idp := discoveryServer(t, tc.endSession)
			newRP := func() *oidcauth.RP {
				rp, err := oidcauth.New(oidcauth.Config{Issuer: idp.URL, ClientID: "phonghop", RedirectURL: "https://hop.example/api/v1/auth/oidc/callback",
					PostLogoutRedirectURL: "https://hop.example/"})
				if err != nil {
					t.Fatal(err)
				}
				return rp
			}
			// oidcauth keeps the ID token only for a provider's sign-out.
			hint := idToken
			if !tc.endSession {
				hint = ""
			}
			_, acc := adminAccounts(t)
			var logs bytes.Buffer
			var logMu sync.Mutex
			log := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
			srv := httptest.NewServer(server.New(server.Config{Accounts: acc, OIDC: discoveryIDP{newRP(), hint}, Logger: log, Live: noSockets{}}))
			defer srv.Close()
			b := newOIDCBrowser(t, srv.URL)

			first := b.signIn()
			if first.Query().Has("prompt") {
				t.Fatalf("a first sign-in forces a prompt: %s", first)
			}
			session := b.cookie("phonghop_session")
			if tc.unreachable {
				// The provider is down and this process (restarted since
				// the sign-in, say) has not read its discovery document.
				idp.Close()
				srv2 := httptest.NewServer(server.New(server.Config{Accounts: acc, OIDC: discoveryIDP{newRP(), hint}, Logger: log, Live: noSockets{}}))
				defer srv2.Close()
				b.base = srv2.URL // the same host: the same cookies
			}
			resp, body := b.do("POST", "/api/v1/auth/logout")
			switch {
			case tc.endSession && !tc.unreachable:
				var out struct {
					LogoutURL string `json:"logoutUrl"`
				}
				if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil {
					t.Fatalf("sign-out: %d %s", resp.StatusCode, body)
				}
				to, err := url.Parse(out.LogoutURL)
				if err != nil || to.Scheme+"://"+to.Host+to.Path != idp.URL+"/end_session" {
					t.Fatalf("logoutUrl %q", out.LogoutURL)
				}
				q := to.Query()
				if q.Get("id_token_hint") != idToken || q.Get("post_logout_redirect_uri") != "https://hop.example/" || q.Get("ui") != "vi" {
					t.Fatalf("logoutUrl %q", out.LogoutURL)
				}
			default:
				if resp.StatusCode != http.StatusNoContent {
					t.Fatalf("sign-out: %d %s", resp.StatusCode, body)
				}
			}
			// phonghop's own session ended first, whatever the provider does.
			if r, _ := b.do("GET", "/api/v1/me"); r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("after sign-out /me: %d", r.StatusCode)
			}
			req, _ := http.NewRequest("GET", srv.URL+"/api/v1/me", nil)
			req.AddCookie(session)
			if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("the old session cookie still opens /me: %v %v", r, err)
			} else {
				r.Body.Close()
			}
			// Whatever the provider offers, this browser's next sign-in asks
			// for credentials.
			if ck := b.cookie("phonghop_oidc_login"); ck == nil {
				t.Fatal("no prompt=login mark after the sign-out")
			}
			if tc.unreachable {
				return // a sign-in needs the provider
			}
			if next := b.signIn(); next.Query().Get("prompt") != "login" {
				t.Fatalf("the sign-in after a sign-out: %s", next)
			}
			// ...once: the mark went with that sign-in.
			if ck := b.cookie("phonghop_oidc_login"); ck != nil {
				t.Fatal("the prompt=login mark outlived the sign-in")
			}
			if again := b.signIn(); again.Query().Has("prompt") {
				t.Fatalf("a later sign-in: %s", again)
			}
			logMu.Lock()
			defer logMu.Unlock()
			for _, h := range b.setCks {
				if strings.Contains(h, "ID-TOKEN") {
					t.Fatalf("the ID token in a cookie: %s", h)
				}
			}
			if strings.Contains(logs.String(), "ID-TOKEN") {
				t.Fatalf("the ID token in the log:\n%s", logs.String())
			}
		})
	}
}

// noSockets is a live room with nobody in it: sign-out closes no socket.
type noSockets struct{ server.Live }

func (noSockets) CloseSession(string) {}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestOIDCProviderDownAtSignIn: with the provider not answering, the tap on
// "sign in with the province" returns to the sign-in screen with a reason
// it translates (oidc_unavailable), and no attempt cookie. Before, the
// browser was left on a page of JSON, in English.
func TestOIDCProviderDownAtSignIn(t *testing.T) {
	idp := discoveryServer(t, true)
	idp.Close()
	rp, err := oidcauth.New(oidcauth.Config{Issuer: idp.URL, ClientID: "phonghop", RedirectURL: "https://hop.example/api/v1/auth/oidc/callback"})
	if err != nil {
		t.Fatal(err)
	}
	_, acc := adminAccounts(t)
	srv := httptest.NewServer(server.New(server.Config{Accounts: acc, OIDC: rp, Logger: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	b := newOIDCBrowser(t, srv.URL)
	resp, body := b.do("GET", "/api/v1/auth/oidc/login")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/#/login?error=oidc_unavailable" {
		t.Fatalf("provider down: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	for _, h := range b.setCks {
		if strings.HasPrefix(h, "phonghop_oidc=") {
			t.Fatalf("an attempt cookie for a sign-in that did not start: %s", h)
		}
	}
}
