package oidctest

import (
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/example/server/storage"
)

// sso is the provider's own session with the browser, as Keycloak's or
// WSO2's: after one sign-in on its login page, an authorization request from
// that browser is answered without asking for credentials, unless it says
// prompt=login (or a max_age the session is older than), until the browser
// goes through the end-session endpoint. The example provider asks every
// time, so it could not show a relying party leaving that session behind.
type sso struct {
	store *withGroups
	users storage.UserStore
	log   *slog.Logger

	mu       sync.Mutex
	sessions map[string]ssoSession // by cookie value
}

type ssoSession struct {
	userID string
	at     time.Time
}

const ssoCookie = "idp_session"

func (s *sso) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/login/username":
			if s.resume(w, r) {
				return
			}
		case r.Method == http.MethodPost && r.URL.Path == "/login/username":
			_ = r.ParseForm() // kept in r.Form for the login handler
			username := r.PostFormValue("username")
			w = &onRedirect{ResponseWriter: w, do: func(h http.Header) {
				u := s.users.GetUserByUsername(username)
				if u == nil {
					return
				}
				id := random()
				s.mu.Lock()
				s.sessions[id] = ssoSession{userID: u.ID, at: time.Now()}
				s.mu.Unlock()
				h.Add("Set-Cookie", (&http.Cookie{Name: ssoCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}).String())
				s.log.Info("provider session started", "user", username)
			}}
		case r.URL.Path == "/end_session":
			_ = r.ParseForm()
			hint := r.Form.Get("id_token_hint") != ""
			post := r.Form.Get("post_logout_redirect_uri")
			w = &onRedirect{ResponseWriter: w, do: func(h http.Header) {
				if ck, err := r.Cookie(ssoCookie); err == nil {
					s.mu.Lock()
					delete(s.sessions, ck.Value)
					s.mu.Unlock()
				}
				h.Add("Set-Cookie", (&http.Cookie{Name: ssoCookie, Value: "", Path: "/", MaxAge: -1}).String())
				s.log.Info("provider session ended", "idTokenHint", hint, "postLogoutRedirectURI", post)
			}}
		}
		next.ServeHTTP(w, r)
	})
}

// resume completes an authorization request for the browser's session
// without the login page, when the request allows it: to the callback of
// the authorization endpoint (/auth), as the login page does.
func (s *sso) resume(w http.ResponseWriter, r *http.Request) bool {
	ck, err := r.Cookie(ssoCookie)
	if err != nil {
		return false
	}
	s.mu.Lock()
	sess, ok := s.sessions[ck.Value]
	s.mu.Unlock()
	id := r.URL.Query().Get("authRequestID")
	if !ok || id == "" {
		return false
	}
	ar, err := s.store.AuthRequestByID(r.Context(), id)
	req, isReq := ar.(*storage.AuthRequest)
	if err != nil || !isReq {
		return false
	}
	if slices.Contains(req.Prompt, "login") || (req.MaxAuthAge != nil && time.Since(sess.at) > *req.MaxAuthAge) {
		s.log.Info("provider session held, credentials asked", "prompt", req.Prompt)
		return false
	}
	u := s.users.GetUserByID(sess.userID)
	if u == nil || s.store.CheckUsernamePassword(u.Username, u.Password, id) != nil {
		return false
	}
	s.log.Info("provider session resumed without credentials", "user", u.Username)
	http.Redirect(w, r, "/auth/callback?id="+url.QueryEscape(id), http.StatusFound)
	return true
}

// onRedirect runs do before a redirect (a success of the login form and of
// the end-session endpoint) is written.
type onRedirect struct {
	http.ResponseWriter
	do   func(http.Header)
	done bool
}

func (o *onRedirect) WriteHeader(code int) {
	if code == http.StatusFound && !o.done {
		o.done = true
		o.do(o.Header())
	}
	o.ResponseWriter.WriteHeader(code)
}

func random() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
