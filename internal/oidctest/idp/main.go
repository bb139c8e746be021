// Command idp is the OpenID provider the browser tests sign in through: the
// example provider of github.com/zitadel/oidc (a certified OpenID Connect
// library; its storage, login page and endpoints as they are) with one
// additions real provinces' providers have and the example lacks: a groups
// claim, and a session of its own with the browser (sso.go), so a browser
// that signed in once is signed in again without credentials until it signs
// out at the provider (end_session_endpoint with a registered
// POST_LOGOUT_REDIRECT_URI) or is asked for a fresh login (prompt=login).
// Tests only; scripts/e2e.sh builds and starts it.
//
//	PORT=9998 USERS_FILE=users.json REDIRECT_URI=http://127.0.0.1:8080/api/v1/auth/oidc/callback \
//	  POST_LOGOUT_REDIRECT_URI=http://127.0.0.1:8080/ idp
//
// The issuer is http://localhost:PORT/. USERS_FILE maps ids to users as the
// example reads them (ID, Username, Password, FirstName, LastName, Email,
// EmailVerified), plus Groups, a list of strings.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/zitadel/oidc/v3/example/server/config"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// withGroups adds the groups claim to what the example's storage asserts, in
// the ID token and at the userinfo endpoint.
type withGroups struct {
	*storage.Storage
	groups     map[string][]string
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
}

func main() {
	cfg := config.FromEnvVars(&config.Config{Port: "9998"})
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if cfg.UsersFile == "" || len(cfg.RedirectURI) == 0 {
		fmt.Fprintln(os.Stderr, "idp: USERS_FILE and REDIRECT_URI are required")
		os.Exit(2)
	}
	users, err := storage.StoreFromFile(cfg.UsersFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "idp:", err)
		os.Exit(1)
	}
	b, err := os.ReadFile(cfg.UsersFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "idp:", err)
		os.Exit(1)
	}
	var extra map[string]struct {
		ID     string
		Groups []string
	}
	if err := json.Unmarshal(b, &extra); err != nil {
		fmt.Fprintln(os.Stderr, "idp:", err)
		os.Exit(1)
	}
	groups := map[string][]string{}
	for _, u := range extra {
		groups[u.ID] = u.Groups
	}
	// "web": a confidential client (client_secret_basic), as phonghop is.
	storage.RegisterClients(storage.WebClient("web", "secret", cfg.RedirectURI...))
	issuer := fmt.Sprintf("http://localhost:%s/", cfg.Port)
	var postLogout []string
	if u := os.Getenv("POST_LOGOUT_REDIRECT_URI"); u != "" {
		postLogout = strings.Split(u, ",")
	}
	st := &withGroups{Storage: storage.NewStorage(users), groups: groups, postLogout: postLogout}
	router := exampleop.SetupServer(issuer, st, log, false)
	s := &sso{store: st, users: users, log: log, sessions: map[string]ssoSession{}}
	log.Info("listening", "issuer", issuer)
	if err := http.ListenAndServe("127.0.0.1:"+cfg.Port, s.wrap(router)); err != nil {
		fmt.Fprintln(os.Stderr, "idp:", err)
		os.Exit(1)
	}
}
