// Package oidcauth signs people in through an OpenID Connect provider (a
// province's central sign-in: Keycloak, WSO2, …) with the authorization code
// flow and PKCE, via github.com/coreos/go-oidc and golang.org/x/oauth2. It
// turns the provider's answer into an Identity: who (a configured claim),
// their name and e-mail, and from a configured group claim whether they are an
// administrator and which unit they belong to. Sessions and users stay with
// accounts; the HTTP handlers with server.
package oidcauth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/phonghop/phonghop"
)

// Config names the provider and how its claims map to phonghop users.
type Config struct {
	Issuer, ClientID, ClientSecret string
	// RedirectURL is this server's callback as the provider knows it.
	RedirectURL string
	// UserClaim holds the value users are matched by (default
	// preferred_username); it becomes the username.
	UserClaim string
	// GroupsClaim holds the user's groups (default groups).
	GroupsClaim string
	// AdminGroup, when set, is the group whose members are administrators
	// (membership is re-read at every sign-in).
	AdminGroup string
	// UnitPrefix, when set, marks the group that names the user's unit: the
	// rest of the first group starting with it (e.g. "unit:" and
	// "unit:UBND huyện Tháp Mười").
	UnitPrefix string
	// Scopes beyond openid (default profile, email).
	Scopes []string
	// Prompt, when set ("login", "select_account", "consent"), is sent with
	// every authorization request: "login" makes the provider ask for
	// credentials at every sign-in (kiosks, shared tablets).
	Prompt string
	// PostLogoutRedirectURL is where the provider sends the browser back
	// after its sign-out (RP-Initiated Logout); it must be registered with the
	// provider.
	PostLogoutRedirectURL string
	// Timeout bounds each call of this package to the provider (discovery,
	// the code's redemption with the keys and userinfo, the end-session
	// URL): a provider that does not answer fails the sign-in then, as
	// unavailable, rather than holding the browser (default 15 s).
	Timeout time.Duration
}

// RP is the relying party: this server as the provider's client. The
// provider is discovered at the first sign-in and again after a failed
// discovery, so servers start while the provider is down.
type RP struct {
	cfg Config

	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
}

// New checks the configuration; nothing is fetched yet.
func New(cfg Config) (*RP, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("oidcauth: issuer, client id and redirect URL are required")
	}
	if cfg.UserClaim == "" {
		cfg.UserClaim = "preferred_username"
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	switch cfg.Prompt {
	case "", "login", "select_account", "consent":
	default:
		return nil, fmt.Errorf("oidcauth: prompt %q is none of login, select_account, consent", cfg.Prompt)
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"profile", "email"}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	return &RP{cfg: cfg}, nil
}

// discover reads the provider's /.well-known/openid-configuration once. The
// lock is not held while asking: sign-ins while the provider does not
// answer each wait their own timeout, not one after another's.
func (rp *RP) discover(ctx context.Context) (*oidc.Provider, error) {
	rp.mu.Lock()
	p := rp.provider
	rp.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := oidc.NewProvider(ctx, rp.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidcauth: discovering %s: %w", rp.cfg.Issuer, errors.Join(err, ErrUnavailable))
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.provider == nil {
		rp.provider, rp.verifier = p, p.Verifier(&oidc.Config{ClientID: rp.cfg.ClientID})
		rp.oauth = oauth2.Config{ClientID: rp.cfg.ClientID, ClientSecret: rp.cfg.ClientSecret, RedirectURL: rp.cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, rp.cfg.Scopes...)}
	}
	return rp.provider, nil
}

// ErrUnavailable: the provider did not answer.
var ErrUnavailable = phonghop.Fail(phonghop.EUnavailable, "oidc_unavailable")

// Attempt is what a sign-in remembers between sending the browser to the
// provider and its return: kept in a short-lived cookie, compared at the
// callback.
type Attempt struct {
	State, Verifier, Nonce string
	// Login asks the provider for credentials whatever session it holds
	// (prompt=login): this browser signed out of a provider's session.
	Login bool
}

// NewAttempt makes fresh random values for one sign-in.
func NewAttempt() Attempt {
	return Attempt{State: random(), Verifier: oauth2.GenerateVerifier(), Nonce: random()}
}

func random() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// AuthURL is where the browser goes to sign in: the provider's authorization
// endpoint with the state, the nonce and the PKCE challenge (S256).
func (rp *RP) AuthURL(ctx context.Context, a Attempt) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, rp.cfg.Timeout)
	defer cancel()
	if _, err := rp.discover(ctx); err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{oidc.Nonce(a.Nonce), oauth2.S256ChallengeOption(a.Verifier)}
	if prompt := rp.cfg.Prompt; a.Login || prompt != "" {
		if a.Login {
			prompt = "login"
		}
		opts = append(opts, oauth2.SetAuthURLParam("prompt", prompt))
	}
	return rp.oauth.AuthCodeURL(a.State, opts...), nil
}

// LogoutURL is where the browser goes to end its session at the provider
// (OpenID Connect RP-Initiated Logout 1.0): the provider's
// end_session_endpoint with the ID token of the session as id_token_hint and
// PostLogoutRedirectURL. It is "" when the provider has no such endpoint
// (its discovery document does not name one).
func (rp *RP) LogoutURL(ctx context.Context, idToken string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, rp.cfg.Timeout)
	defer cancel()
	p, err := rp.discover(ctx)
	if err != nil {
		return "", err
	}
	u := endSession(p)
	if u == nil {
		return "", nil
	}
	q := u.Query()
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	} else {
		q.Set("client_id", rp.cfg.ClientID)
	}
	if rp.cfg.PostLogoutRedirectURL != "" {
		q.Set("post_logout_redirect_uri", rp.cfg.PostLogoutRedirectURL)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// endSession is the provider's end_session_endpoint, nil when its discovery
// document names none (or none usable).
func endSession(p *oidc.Provider) *url.URL {
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := p.Claims(&meta); err != nil || meta.EndSession == "" {
		return nil
	}
	u, err := url.Parse(meta.EndSession)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil
	}
	return u
}

// Identity is a verified user as the provider describes them.
type Identity struct {
	Issuer, Subject string
	// Username is the configured claim's value.
	Username    string
	DisplayName string
	Email       string
	// Admin and Unit are nil when the configuration does not take them from
	// groups (then they are left as they are).
	Admin *bool
	Unit  *string
	// IDToken is the raw ID token, for the provider's sign-out (LogoutURL),
	// empty when the provider has no end_session_endpoint (then nothing
	// needs it, and it is not kept); a bearer of who signed in, so never
	// logged nor given to the browser.
	IDToken string
}

// Exchange redeems the code with the PKCE verifier, verifies the ID token
// (signature and its algorithm, issuer, audience and authorized party,
// expiry, nonce, a subject) and reads the claims, from the
// ID token and, for those it lacks, from the userinfo endpoint.
func (rp *RP) Exchange(ctx context.Context, code string, a Attempt) (Identity, error) {
	ctx, cancel := context.WithTimeout(ctx, rp.cfg.Timeout)
	defer cancel()
	if _, err := rp.discover(ctx); err != nil {
		return Identity{}, err
	}
	tok, err := rp.oauth.Exchange(ctx, code, oauth2.VerifierOption(a.Verifier))
	var answered *oauth2.RetrieveError
	if err != nil && !errors.As(err, &answered) {
		// Not a refusal: the token endpoint did not answer (in time).
		return Identity{}, fmt.Errorf("oidcauth: redeeming the code: %w", errors.Join(err, ErrUnavailable))
	}
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", errRefused, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, fmt.Errorf("%w: no id_token in the token response", errRefused)
	}
	idt, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", errRefused, err)
	}
	if idt.Nonce != a.Nonce {
		return Identity{}, fmt.Errorf("%w: nonce mismatch", errRefused)
	}
	claims, err := decodeClaims(idt.Claims)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", errRefused, err)
	}
	// OpenID Connect Core 3.1.3.7 (4, 5): go-oidc checks that the audience
	// includes this client; a token also for others must name this client as
	// the party it was issued to (azp), as must any azp present.
	if azp, _ := claims["azp"].(string); (len(idt.Audience) > 1 || claims["azp"] != nil) && azp != rp.cfg.ClientID {
		return Identity{}, fmt.Errorf("%w: issued to %q, not this client", errRefused, azp)
	}
	if idt.Subject == "" {
		return Identity{}, fmt.Errorf("%w: no subject", errRefused)
	}
	// Many providers put profile claims and groups only in userinfo.
	if claims[rp.cfg.UserClaim] == nil || (rp.groupsWanted() && claims[rp.cfg.GroupsClaim] == nil) || claims["name"] == nil {
		ui, err := rp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err == nil && ui.Subject == idt.Subject {
			if more, err := decodeClaims(ui.Claims); err == nil {
				for k, v := range more {
					if _, has := claims[k]; !has {
						claims[k] = v
					}
				}
			}
		}
	}
	id, err := rp.identity(idt.Issuer, idt.Subject, claims)
	if err != nil {
		return Identity{}, err
	}
	if endSession(rp.provider) != nil {
		id.IDToken = raw
	}
	return id, nil
}

func (rp *RP) groupsWanted() bool { return rp.cfg.AdminGroup != "" || rp.cfg.UnitPrefix != "" }

var errRefused = errors.New("oidcauth: the provider's answer was refused")

func (rp *RP) identity(issuer, subject string, claims map[string]any) (Identity, error) {
	id := Identity{Issuer: issuer, Subject: subject}
	var user string
	switch v := claims[rp.cfg.UserClaim].(type) {
	case string:
		user = v
	case json.Number:
		// A directory's employee number sent as a JSON number: its digits,
		// exactly as sent (decoded as a float, 12345678901234567891 would
		// become …568000 and two people one account).
		if !integerClaim.MatchString(v.String()) {
			return Identity{}, fmt.Errorf("the provider's claim %q is the number %s: %w", rp.cfg.UserClaim, v, phonghop.Fail(phonghop.EUnauthenticated, "oidc_claim_invalid", "claim", rp.cfg.UserClaim))
		}
		user = v.String()
	case nil:
	default:
		return Identity{}, fmt.Errorf("the provider's claim %q is a %T: %w", rp.cfg.UserClaim, v, phonghop.Fail(phonghop.EUnauthenticated, "oidc_claim_invalid", "claim", rp.cfg.UserClaim))
	}
	if strings.TrimSpace(user) == "" {
		return Identity{}, fmt.Errorf("the provider's answer lacks the claim %q: %w", rp.cfg.UserClaim, phonghop.Fail(phonghop.EUnauthenticated, "oidc_claim_missing"))
	}
	if rp.cfg.UserClaim == "email" && (claims["email_verified"] == false || claims["email_verified"] == "false") {
		// Whoever could set this address at the provider without proving
		// it (self-service registration, a profile page) would be known
		// here by it, and take an account made beforehand under it.
		return Identity{}, fmt.Errorf("the provider says the e-mail address is not verified: %w", phonghop.Fail(phonghop.EUnauthenticated, "oidc_email_unverified"))
	}
	id.Username = user
	id.DisplayName, _ = claims["name"].(string)
	id.Email, _ = claims["email"].(string)
	if !rp.groupsWanted() {
		return id, nil
	}
	var groups []string
	switch g := claims[rp.cfg.GroupsClaim].(type) {
	case []any:
		for _, v := range g {
			if s, ok := v.(string); ok {
				groups = append(groups, s)
			}
		}
	case string:
		// One group, or several joined by commas (WSO2 sends a single
		// group as a string): a group's name may hold spaces ("unit:UBND
		// huyện Tháp Mười"), so spaces do not separate.
		for _, v := range strings.Split(g, ",") {
			if v = strings.TrimSpace(v); v != "" {
				groups = append(groups, v)
			}
		}
	}
	if rp.cfg.AdminGroup != "" {
		admin := slices.Contains(groups, rp.cfg.AdminGroup)
		id.Admin = &admin
	}
	if rp.cfg.UnitPrefix != "" {
		for _, g := range groups {
			if unit, ok := strings.CutPrefix(g, rp.cfg.UnitPrefix); ok && strings.TrimSpace(unit) != "" {
				unit = strings.TrimSpace(unit)
				id.Unit = &unit
				break
			}
		}
	}
	return id, nil
}

// IsRefused reports whether err is the provider's answer failing a check (as
// opposed to the provider not answering).
func IsRefused(err error) bool { return errors.Is(err, errRefused) }

// integerClaim is a JSON number that is a whole number as written: no
// fraction, no exponent.
var integerClaim = regexp.MustCompile(`^-?[0-9]+$`)

// decodeClaims reads a token's or userinfo's claims with numbers kept as
// they were written (json.Number), not rounded to a float64.
func decodeClaims(read func(any) error) (map[string]any, error) {
	raw := map[string]json.RawMessage{}
	if err := read(&raw); err != nil {
		return nil, err
	}
	claims := make(map[string]any, len(raw))
	for k, r := range raw {
		d := json.NewDecoder(bytes.NewReader(r))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		claims[k] = v
	}
	return claims, nil
}
