package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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
	return oidcauth.Identity{Username: "an.nv"}, nil
}

func TestOIDCOnlyRefusesPasswords(t *testing.T) {
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	acc := &accounts.Service{Store: st, BcryptCost: bcrypt.MinCost}
	if _, _, err := acc.EnsureAdmin(context.Background(), adminPassword); err != nil {
		t.Fatal(err)
	}
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
