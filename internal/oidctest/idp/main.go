// Command idp serves the OpenID provider the browser tests sign in through
// (package oidctest). Tests only; scripts/e2e.sh builds and starts it.
//
//	PORT=9998 USERS_FILE=users.json REDIRECT_URI=http://127.0.0.1:8080/api/v1/auth/oidc/callback \
//	  POST_LOGOUT_REDIRECT_URI=http://127.0.0.1:8080/ idp
//
// The issuer is http://localhost:PORT/; the client is oidctest.ClientID
// with oidctest.ClientSecret. USERS_FILE is oidctest.Config's UsersFile.
package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/zitadel/oidc/v3/example/server/config"

	"github.com/phonghop/phonghop/internal/oidctest"
)

func main() {
	cfg := config.FromEnvVars(&config.Config{Port: "9998"})
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var postLogout []string
	if u := os.Getenv("POST_LOGOUT_REDIRECT_URI"); u != "" {
		postLogout = strings.Split(u, ",")
	}
	issuer := fmt.Sprintf("http://localhost:%s/", cfg.Port)
	h, err := oidctest.New(oidctest.Config{Issuer: issuer, UsersFile: cfg.UsersFile, RedirectURIs: cfg.RedirectURI,
		PostLogoutRedirectURIs: postLogout, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, "idp:", err)
		os.Exit(2)
	}
	log.Info("listening", "issuer", issuer)
	if err := http.ListenAndServe("127.0.0.1:"+cfg.Port, h); err != nil {
		fmt.Fprintln(os.Stderr, "idp:", err)
		os.Exit(1)
	}
}
