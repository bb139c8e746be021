package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/internal/oidctest"
	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/oidcauth"
	"github.com/phonghop/phonghop/server"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// providerSite is phonghop signing in through a real OpenID provider
// (internal/oidctest, zitadel/oidc's example provider, in this process): the
// code flow, the ID token's signature and claims are the provider's own.
type providerSite struct {
	t     *testing.T
	url   string // phonghop's
	acc   *accounts.Service
	st    *fsstore.Store
	auKey ed25519.PrivateKey
}

// newProviderSite starts the provider with users (keyed by subject) and
// phonghop with the user claim userClaim, an audit trail and the bootstrap
// admin.
func newProviderSite(t *testing.T, userClaim string, users map[string]oidctest.User) *providerSite {
	t.Helper()
	site := httptest.NewUnstartedServer(nil)
	idp := httptest.NewUnstartedServer(nil)
	callback := "http://" + site.Listener.Addr().String() + "/api/v1/auth/oidc/callback"
	// localhost for the provider, 127.0.0.1 for phonghop: one browser's
	// cookies for each stay apart, as on two hosts.
	issuer := "http://localhost:" + strings.Split(idp.Listener.Addr().String(), ":")[1] + "/"
	file := filepath.Join(t.TempDir(), "users.json")
	b, _ := json.Marshal(users)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := oidctest.New(oidctest.Config{Issuer: issuer, UsersFile: file, RedirectURIs: []string{callback}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	idp.Config.Handler = h
	idp.Start()
	t.Cleanup(idp.Close)
	rp, err := oidcauth.New(oidcauth.Config{Issuer: issuer, ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret,
		RedirectURL: callback, UserClaim: userClaim})
	if err != nil {
		t.Fatal(err)
	}
	st, acc := adminAccounts(t)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	au := &audit.Service{Key: key, Store: st, Logger: slog.New(slog.DiscardHandler)}
	site.Config.Handler = server.New(server.Config{Accounts: acc, Meetings: &meetings.Service{Store: st, Users: acc}, OIDC: rp, Audit: au, Logger: slog.New(slog.DiscardHandler), Live: noSockets{}})
	site.Start()
	t.Cleanup(site.Close)
	return &providerSite{t: t, url: site.URL, acc: acc, st: st, auKey: key}
}

// signIn is one person, in a browser of their own, signing in through the
// provider's login page: it returns where phonghop's callback sent the
// browser ("/" or "/#/login?error=reason") and the browser.
func (p *providerSite) signIn(username, password string) (string, *oidcBrowser) {
	p.t.Helper()
	b := newOIDCBrowser(p.t, p.url)
	resp, _ := b.do("GET", "/api/v1/auth/oidc/login")
	at, _ := url.Parse(p.url + "/api/v1/auth/oidc/login")
	for range 10 {
		next, err := at.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil {
			p.t.Fatalf("at %s: %d %q", at, resp.StatusCode, resp.Header.Get("Location"))
		}
		at = next
		var req *http.Request
		if at.Path == "/login/username" {
			// The provider's login page: its form, as a person fills it.
			form := url.Values{"id": {at.Query().Get("authRequestID")}, "username": {username}, "password": {password}}
			req, _ = http.NewRequest("POST", at.Scheme+"://"+at.Host+at.Path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req, _ = http.NewRequest("GET", at.String(), nil)
		}
		resp, err = b.c.Do(req)
		if err != nil {
			p.t.Fatal(err)
		}
		resp.Body.Close()
		b.setCks = append(b.setCks, resp.Header.Values("Set-Cookie")...)
		if at.Path == "/api/v1/auth/oidc/callback" {
			return resp.Header.Get("Location"), b
		}
	}
	p.t.Fatalf("never back at phonghop's callback (last %s)", at)
	return "", nil
}

// me is who the browser is signed in as (zero when nobody).
func (p *providerSite) me(b *oidcBrowser) (out struct {
	ID, Username, ExternalIssuer, ExternalSubject string
	Admin, MustChangePassword                     bool
}) {
	p.t.Helper()
	resp, body := b.do("GET", "/api/v1/me")
	if resp.StatusCode == http.StatusOK {
		_ = json.Unmarshal([]byte(body), &out)
	}
	return out
}

// refusals are the trail's failed sign-ins.
func (p *providerSite) refusals() []audit.Entry {
	p.t.Helper()
	es, _ := auditEntries(p.t, p.st, audit.Accounts)
	return withAction(es, "signin.failed")
}

// TestOIDCBindsTheProviderUser: against a real provider, the account a
// provider user first signs in to is bound to their issuer and subject; a
// second person the provider gives the same claim value (an e-mail
// address handed on to someone else) is refused with a translated reason,
// in the trail under the account's name and nothing of the token, while the
// first still signs in. Before, the second person was signed in to the
// first one's account.
func TestOIDCBindsTheProviderUser(t *testing.T) {
	p := newProviderSite(t, "email", map[string]oidctest.User{
		"sub-an":   {ID: "sub-an", Username: "an.nv", Password: "tinh-matkhau-1", FirstName: "Nguyễn Văn", LastName: "An", Email: "chutich@thapmuoi.gov.vn", EmailVerified: true},
		"sub-binh": {ID: "sub-binh", Username: "binh.tt", Password: "tinh-matkhau-2", FirstName: "Trần Thị", LastName: "Bình", Email: "chutich@thapmuoi.gov.vn", EmailVerified: true},
	})
	to, an := p.signIn("an.nv", "tinh-matkhau-1")
	first := p.me(an)
	if to != "/" || first.Username != "chutich-thapmuoi.gov.vn" || first.ExternalSubject != "sub-an" || !strings.HasPrefix(first.ExternalIssuer, "http://localhost:") {
		t.Fatalf("first sign-in: %q %+v", to, first)
	}
	to, binh := p.signIn("binh.tt", "tinh-matkhau-2")
	if to != "/#/login?error=oidc_subject_mismatch" {
		t.Fatalf("another person under the same e-mail went to %q", to)
	}
	if who := p.me(binh); who.ID != "" {
		t.Fatalf("the second person is signed in as %+v", who)
	}
	if ck := binh.cookie("phonghop_session"); ck != nil {
		t.Fatalf("a session cookie for the refused sign-in: %v", ck)
	}
	if to, again := p.signIn("an.nv", "tinh-matkhau-1"); to != "/" || p.me(again).ID != first.ID {
		t.Fatalf("the bound person again: %q", to)
	}
	refused := p.refusals()
	if len(refused) != 1 || refused[0].Username != "chutich-thapmuoi.gov.vn" || refused[0].Actor != "" || refused[0].Details["reason"] != "oidc_subject_mismatch" {
		t.Fatalf("the refusal in the trail: %+v", refused)
	}
	_, raws := auditEntries(t, p.st, audit.Accounts)
	for _, raw := range raws {
		if strings.Contains(raw, "eyJ") || strings.Contains(raw, "tinh-matkhau") || strings.Contains(raw, "code=") {
			t.Fatalf("a token or password in the trail: %s", raw)
		}
	}
	// Only an admin removes the binding; then the account is found by name
	// again (an unused account: the next person of that name takes it).
	unbind := "/api/v1/users/" + first.ID + "/external"
	if resp, _ := an.do("DELETE", unbind); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a non-admin unbinding: %d", resp.StatusCode)
	}
	resp, err := http.Post(p.url+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"`+adminPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	req, _ := http.NewRequest("DELETE", p.url+unbind, nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var after struct{ ExternalSubject *string }
	_ = json.NewDecoder(resp.Body).Decode(&after)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || after.ExternalSubject != nil {
		t.Fatalf("unbind: %d %+v", resp.StatusCode, after)
	}
	if to, b := p.signIn("binh.tt", "tinh-matkhau-2"); to != "/" || p.me(b).ID != first.ID || p.me(b).ExternalSubject != "sub-binh" {
		t.Fatalf("after unbinding, the next sign-in by name: %q", to)
	}
	es, _ := auditEntries(t, p.st, audit.Accounts)
	if u := withAction(es, "user.unbound"); len(u) != 1 || u[0].Username != "admin" || u[0].Target["userId"] != first.ID {
		t.Fatalf("the unbinding in the trail: %+v", u)
	}
}

// TestOIDCLeavesTheAdminAlone: a provider user whose name is "admin" does
// not become the bootstrap admin (refused, translated, in the trail), nor
// the owner of a local account used with its password; an account imported
// beforehand for an official is theirs at their first sign-in. With
// PHONGHOP_OIDC_LINK_LOCAL the operator lets names match. Before, the
// provider's "admin" was phonghop's admin.
func TestOIDCLeavesTheAdminAlone(t *testing.T) {
	p := newProviderSite(t, "", map[string]oidctest.User{
		"sub-admin":   {ID: "sub-admin", Username: "admin", Password: "tinh-matkhau-1", FirstName: "Ai", LastName: "Đó", Email: "ai.do@example.org", EmailVerified: true},
		"sub-thuky":   {ID: "sub-thuky", Username: "thuky", Password: "tinh-matkhau-2", FirstName: "Thư", LastName: "Ký", Email: "thuky@thapmuoi.gov.vn", EmailVerified: true},
		"sub-chutich": {ID: "sub-chutich", Username: "chutich", Password: "tinh-matkhau-3", FirstName: "Chủ", LastName: "Tịch", Email: "chutich@thapmuoi.gov.vn", EmailVerified: true},
	})
	ctx := context.Background()
	if _, err := p.acc.Create(ctx, accounts.NewUser{Username: "thuky", Password: "mat-khau-thu-ky-1", DisplayName: "Thư ký"}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := p.acc.Login(ctx, "thuky", "mat-khau-thu-ky-1"); err != nil {
		t.Fatal(err)
	}
	imported, err := p.acc.Create(ctx, accounts.NewUser{Username: "chutich", Password: "mat-khau-tam-thoi-1", DisplayName: "Chủ tịch", MustChangePassword: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"admin", "thuky"} {
		to, b := p.signIn(who, map[string]string{"admin": "tinh-matkhau-1", "thuky": "tinh-matkhau-2"}[who])
		if to != "/#/login?error=oidc_account_local" || p.me(b).ID != "" {
			t.Fatalf("the provider's %s went to %q", who, to)
		}
	}
	if refused := p.refusals(); len(refused) != 2 || refused[0].Username != "admin" || refused[0].Details["reason"] != "oidc_account_local" {
		t.Fatalf("the refusals in the trail: %+v", refused)
	}
	to, b := p.signIn("chutich", "tinh-matkhau-3")
	if me := p.me(b); to != "/" || me.ID != imported.ID || me.ExternalSubject != "sub-chutich" || me.MustChangePassword {
		t.Fatalf("an account imported beforehand: %q %+v", to, me)
	}
	// Signed in through the provider, the official is not held to the
	// password the import set (which they may never have been given): the
	// app opens. Before, every call but /me answered password_change_required.
	if resp, body := b.do("GET", "/api/v1/meetings"); resp.StatusCode != http.StatusOK {
		t.Fatalf("an imported official through the provider: %d %s", resp.StatusCode, body)
	}
	// By that password, it still must be changed first.
	if tok, _, _, err := p.acc.Login(ctx, "chutich", "mat-khau-tam-thoi-1"); err != nil {
		t.Fatal(err)
	} else if _, u, err := p.acc.Authenticate(ctx, tok); err != nil || !u.MustChangePassword {
		t.Fatalf("a password session of the imported account: %+v %v", u, err)
	}
	p.acc.ExternalLinkLocal = true
	to, b = p.signIn("admin", "tinh-matkhau-1")
	if me := p.me(b); to != "/" || me.Username != "admin" || !me.Admin || me.ExternalSubject != "sub-admin" {
		t.Fatalf("admin with names linked by the operator: %q %+v", to, me)
	}
}

// TestOIDCNumericUserClaim (issue #11): against a real provider whose
// directory sends the configured user claim as a JSON number (an employee
// number, at the userinfo endpoint), the official signs in under its digits,
// exactly, beyond a float64's precision; a claim that is a fraction is
// refused with its translated reason. Before, both were "the provider did not
// say who you are".
func TestOIDCNumericUserClaim(t *testing.T) {
	p := newProviderSite(t, "employee_id", map[string]oidctest.User{
		"sub-an":   {ID: "sub-an", Username: "an.nv", Password: "tinh-matkhau-1", FirstName: "Nguyễn Văn", LastName: "An", Email: "an@thapmuoi.gov.vn", EmailVerified: true, Claims: map[string]json.RawMessage{"employee_id": json.RawMessage(`12345678901234567891`)}},
		"sub-binh": {ID: "sub-binh", Username: "binh.tt", Password: "tinh-matkhau-2", FirstName: "Trần Thị", LastName: "Bình", Email: "binh@thapmuoi.gov.vn", EmailVerified: true, Claims: map[string]json.RawMessage{"employee_id": json.RawMessage(`42.5`)}},
	})
	to, an := p.signIn("an.nv", "tinh-matkhau-1")
	if me := p.me(an); to != "/" || me.Username != "12345678901234567891" || me.ExternalSubject != "sub-an" {
		t.Fatalf("a numeric claim: %q %+v", to, me)
	}
	if to, _ := p.signIn("binh.tt", "tinh-matkhau-2"); to != "/#/login?error=oidc_claim_invalid" {
		t.Fatalf("a fraction: %q", to)
	}
}
