package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/oidcauth"
)

// OIDC is the identity provider's side of a sign-in (oidcauth.RP).
type OIDC interface {
	AuthURL(ctx context.Context, a oidcauth.Attempt) (string, error)
	Exchange(ctx context.Context, code string, a oidcauth.Attempt) (oidcauth.Identity, error)
	// LogoutURL is the provider's end-session URL for a session's ID token,
	// "" when the provider offers none.
	LogoutURL(ctx context.Context, idToken string) (string, error)
}

// oidcCookie holds one sign-in's state, PKCE verifier and nonce while the
// browser is at the provider. SameSite=Lax: the provider's redirect back is a
// top-level GET, which carries it; HttpOnly, on the callback's path only.
const (
	oidcCookie     = "phonghop_oidc"
	oidcCookiePath = "/api/v1/auth/oidc/callback"
	oidcAttemptTTL = 10 * time.Minute
)

// oidcLoginCookie marks a browser that signed out of a session opened
// through the provider: its next sign-in asks the provider for credentials
// again (prompt=login), whatever session the provider may still hold (its
// sign-out not offered, not reached, or the browser closed on the way).
// Removed by the next sign-in through the provider.
const (
	oidcLoginCookie     = "phonghop_oidc_login"
	oidcLoginCookiePath = "/api/v1/auth/oidc/"
	oidcLoginCookieTTL  = 30 * 24 * time.Hour
	// oidcLogoutTimeout bounds asking the provider's discovery document
	// at sign-out (cached after the first sign-in).
	oidcLogoutTimeout = 5 * time.Second
)

// errOIDCFailed is any failure the user cannot act on but to try again.
var errOIDCFailed = phonghop.Fail(phonghop.EUnauthenticated, "oidc_failed")

// authMethods tells the web app which sign-ins to offer.
func (s *Server) authMethods(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"local": !s.cfg.LocalLoginDisabled, "oidc": s.cfg.OIDC != nil})
}

// oidcLogin sends the browser to the provider.
func (s *Server) oidcLogin(c *gin.Context) {
	if s.cfg.OIDC == nil {
		writeError(c, phonghop.Fail(phonghop.ENotFound, "oidc_not_configured"))
		return
	}
	a := oidcauth.NewAttempt()
	if _, err := c.Request.Cookie(oidcLoginCookie); err == nil {
		a.Login = true
	}
	to, err := s.cfg.OIDC.AuthURL(c.Request.Context(), a)
	if err != nil {
		// A navigation, not a fetch: the sign-in screen says why (the
		// provider down), translated, rather than a page of JSON.
		s.oidcFailed(c, err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: oidcCookie, Value: a.State + "." + a.Verifier + "." + a.Nonce,
		Path: oidcCookiePath, MaxAge: int(oidcAttemptTTL / time.Second), HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode})
	c.Redirect(http.StatusFound, to)
}

// oidcCallback is where the provider sends the browser back: the code is
// redeemed, the user matched or created, a session opened, and the browser
// sent to the app. It is a GET (a top-level navigation from the provider), so
// the cross-origin check on unsafe methods does not apply; the state that must
// equal the one in this browser's cookie is what stops another site from
// completing a sign-in in it. Failures go back to the app's sign-in screen
// with the reason, which it shows translated.
func (s *Server) oidcCallback(c *gin.Context) {
	if s.cfg.OIDC == nil {
		writeError(c, phonghop.Fail(phonghop.ENotFound, "oidc_not_configured"))
		return
	}
	// The attempt is used once, whatever happens.
	http.SetCookie(c.Writer, &http.Cookie{Name: oidcCookie, Value: "", Path: oidcCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	q := c.Request.URL.Query()
	if e := q.Get("error"); e != "" {
		s.oidcFailed(c, phonghop.Fail(phonghop.EUnauthenticated, "oidc_refused_by_provider"))
		return
	}
	ck, err := c.Request.Cookie(oidcCookie)
	parts := []string{}
	if err == nil {
		parts = strings.Split(ck.Value, ".")
	}
	if len(parts) != 3 || q.Get("state") == "" || q.Get("state") != parts[0] {
		s.oidcFailed(c, phonghop.Fail(phonghop.EUnauthenticated, "oidc_state_mismatch"))
		return
	}
	id, err := s.cfg.OIDC.Exchange(c.Request.Context(), q.Get("code"), oidcauth.Attempt{State: parts[0], Verifier: parts[1], Nonce: parts[2]})
	if err != nil {
		s.oidcFailed(c, err)
		return
	}
	token, sess, u, err := s.cfg.Accounts.SignInExternal(c.Request.Context(),
		accounts.External{Issuer: id.Issuer, Subject: id.Subject, Username: id.Username, DisplayName: id.DisplayName, Email: id.Email, Admin: id.Admin, Unit: id.Unit, IDToken: id.IDToken})
	if err != nil {
		s.oidcFailed(c, err)
		return
	}
	logWith(c, "userId", u.ID)
	c.Set(ctxUser, u) // for the audit trail: who signed in
	logger(c).Info("signed in through the identity provider", "issuer", id.Issuer)
	s.setSessionCookie(c, token, sess)
	http.SetCookie(c.Writer, &http.Cookie{Name: oidcLoginCookie, Value: "", Path: oidcLoginCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	c.Redirect(http.StatusFound, "/")
}

// oidcFailed sends the browser back to the sign-in screen with the reason a
// sign-in through the provider failed, which it shows translated.
func (s *Server) oidcFailed(c *gin.Context, err error) {
	reason := errOIDCFailed.Reason
	var pe *phonghop.Error
	if errors.As(err, &pe) {
		reason = pe.Reason
	}
	c.Set(ctxErrorReason, reason)
	var refused *accounts.RefusedLinkError
	if errors.As(err, &refused) {
		// The trail names the account a provider's user was refused (an
		// existing account's name; nothing of the token).
		c.Set(ctxAuditUsername, refused.Username)
	}
	logger(c).Warn("sign-in through the identity provider failed", "reason", reason, "err", err)
	c.Redirect(http.StatusFound, "/#/login?error="+url.QueryEscape(reason))
}

// endProviderSession is the provider's side of signing out of a session
// opened through it, after phonghop's own session has ended: the browser is
// marked to be asked for credentials at its next sign-in through the
// provider, and the provider's end-session URL (RP-Initiated Logout) is
// returned for the web app to go to, "" when the provider offers none or is
// unreachable now.
func (s *Server) endProviderSession(c *gin.Context, sess accounts.Session) string {
	// IDToken alone: a session opened before External was recorded.
	if s.cfg.OIDC == nil || (!sess.External && sess.IDToken == "") {
		return ""
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: oidcLoginCookie, Value: "1", Path: oidcLoginCookiePath,
		MaxAge: int(oidcLoginCookieTTL / time.Second), HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	ctx, cancel := context.WithTimeout(c.Request.Context(), oidcLogoutTimeout)
	defer cancel()
	to, err := s.cfg.OIDC.LogoutURL(ctx, sess.IDToken)
	if err != nil {
		// Not the token: err names the issuer at most.
		logger(c).Warn("the identity provider's sign-out is not reachable; the next sign-in through it asks for credentials", "err", err)
		return ""
	}
	return to
}
