// Package oidctest is the OpenID provider tests sign in through: the example
// provider of github.com/zitadel/oidc (a certified OpenID Connect library;
// its storage, login page and endpoints as they are) with what real
// provinces' providers have and the example lacks: a groups claim, and a
// session of its own with the browser (sso.go), so a browser that signed in
// once is signed in again without credentials until it signs out at the
// provider (end_session_endpoint with a registered post-logout redirect URI)
// or is asked for a fresh login (prompt=login). Tests only: command idp
// serves it for the browser tests (scripts/e2e.sh), server's tests serve it
// in-process.
package oidctest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The provider's one client: confidential (client_secret_basic), as
// phonghop is.
const (
	ClientID     = "web"
	ClientSecret = "secret"
)

// Config is one provider.
type Config struct {
	// Issuer ends with a slash: http://localhost:PORT/.
	Issuer string
	// UsersFile maps ids (each user's subject) to users as the example reads
	// them (ID, Username, Password, FirstName, LastName, Email,
	// EmailVerified), plus Groups, a list of strings, and Claims, more
	// claims as they are written (a number stays a number), at the userinfo
	// endpoint.
	UsersFile string
	// RedirectURIs and PostLogoutRedirectURIs are registered for the client.
	RedirectURIs, PostLogoutRedirectURIs []string
	Logger                               *slog.Logger
}

// User is one entry of the users file.
type User struct {
	ID, Username, Password, FirstName, LastName, Email string
	EmailVerified                                      bool
	Groups                                             []string
	Claims                                             map[string]json.RawMessage `json:",omitempty"`
}

// New makes the provider's handler.
func New(cfg Config) (http.Handler, error) {
	if cfg.UsersFile == "" || len(cfg.RedirectURIs) == 0 {
		return nil, errors.New("oidctest: a users file and a redirect URI are required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	users, err := storage.StoreFromFile(cfg.UsersFile)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(cfg.UsersFile)
	if err != nil {
		return nil, err
	}
	var extra map[string]User
	if err := json.Unmarshal(b, &extra); err != nil {
		return nil, err
	}
	groups := map[string][]string{}
	claims := map[string]map[string]json.RawMessage{}
	for _, u := range extra {
		groups[u.ID] = u.Groups
		claims[u.ID] = u.Claims
	}
	// Clients of this provider only (the example's own are process-wide).
	clients := map[string]*storage.Client{ClientID: storage.WebClient(ClientID, ClientSecret, cfg.RedirectURIs...)}
	st := &withGroups{Storage: storage.NewStorageWithClients(users, clients), groups: groups, claims: claims, postLogout: cfg.PostLogoutRedirectURIs}
	router := exampleop.SetupServer(cfg.Issuer, st, log, false)
	s := &sso{store: st, users: users, log: log, sessions: map[string]ssoSession{}}
	return s.wrap(router), nil
}

// withGroups adds the groups claim to what the example's storage asserts, in
// the ID token and at the userinfo endpoint.
type withGroups struct {
	*storage.Storage
	groups     map[string][]string
	claims     map[string]map[string]json.RawMessage
	postLogout []string
}

// GetClientByClientID registers the post-logout redirect URIs, which the
// example's clients lack.
func (s *withGroups) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return withPostLogout{c, s.postLogout}, nil
}

type withPostLogout struct {
	op.Client
	uris []string
}

func (c withPostLogout) PostLogoutRedirectURIs() []string { return c.uris }

func (s *withGroups) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, token op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, token, scopes); err != nil {
		return err
	}
	s.add(ui, token.GetSubject())
	return nil
}

func (s *withGroups) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, ui, tokenID, subject, origin); err != nil {
		return err
	}
	s.add(ui, ui.Subject)
	return nil
}

func (s *withGroups) add(ui *oidc.UserInfo, subject string) {
	if g, ok := s.groups[subject]; ok {
		ui.AppendClaims("groups", g)
	}
	for k, v := range s.claims[subject] {
		ui.AppendClaims(k, v)
	}
}
