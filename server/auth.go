package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
)

func asMaxBytes(err error, target **http.MaxBytesError) bool { return errors.As(err, target) }

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			return "field " + te.Field + " must be " + te.Type.String()
		}
		return "value must be " + te.Type.String()
	case errors.As(err, &se):
		return "syntax error"
	}
	return "cannot decode"
}

func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:])
		}
		return ""
	}
	if ck, err := r.Cookie(cookieName); err == nil {
		return ck.Value
	}
	return ""
}

// authenticate admits requests with a valid bearer token or session cookie.
func (s *Server) authenticate(c *gin.Context) {
	sess, u, err := s.cfg.Accounts.Authenticate(c.Request.Context(), bearer(c.Request))
	if err != nil {
		writeError(c, err)
		return
	}
	if u.MustChangePassword && !passwordChangeAllowed[c.Request.Method+" "+c.FullPath()] {
		// An admin's reset: the person picks their own password first.
		writeError(c, phonghop.Fail(phonghop.EForbidden, "password_change_required"))
		return
	}
	c.Set(ctxUser, u)
	c.Set(ctxSession, sess)
	// Services record who made a change from the request's context.
	c.Request = c.Request.WithContext(phonghop.WithActor(c.Request.Context(), u))
	logWith(c, "userId", u.ID)
	c.Next()
}

func userOf(c *gin.Context) phonghop.User {
	u, _ := c.Get(ctxUser)
	return u.(phonghop.User)
}

func sessionOf(c *gin.Context) accounts.Session {
	s, _ := c.Get(ctxSession)
	return s.(accounts.Session)
}

func (s *Server) requireAdmin(c *gin.Context) {
	if !userOf(c).Admin {
		writeError(c, phonghop.Fail(phonghop.EForbidden, "admin_only"))
		return
	}
	c.Next()
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token string        `json:"token"`
	User  phonghop.User `json:"user"`
}

func (s *Server) login(c *gin.Context) {
	var req loginRequest
	if err := bindJSON(c, &req, 16<<10); err != nil {
		writeError(c, err)
		return
	}
	if s.cfg.LocalLoginDisabled {
		writeError(c, phonghop.Fail(phonghop.EForbidden, "local_login_disabled"))
		return
	}
	c.Set(ctxAuditUsername, req.Username)
	// Reserved before the password is checked, so simultaneous guesses cannot
	// all pass (see signInThrottle).
	done, ok := s.throttle(c, req.Username)
	if !ok {
		return
	}
	token, sess, u, err := s.cfg.Accounts.Login(c.Request.Context(), req.Username, req.Password)
	done(err)
	if err != nil {
		if errors.Is(err, accounts.ErrUnknownAccount) {
			c.Set(ctxAuditUsername, "") // no account: keep no typed text, it may be a password
		}
		writeError(c, err)
		return
	}
	c.Set(ctxUser, u) // for the audit trail: who signed in
	s.rememberDevice(c, u.Username)
	s.startSession(c, token, sess, u)
}

// startSession answers a sign-in (or a password change): the token, the user,
// the session cookie.
func (s *Server) startSession(c *gin.Context, token string, sess accounts.Session, u phonghop.User) {
	sessionExpires(c, sess)
	s.setSessionCookie(c, token, sess)
	c.JSON(http.StatusOK, loginResponse{Token: token, User: u})
}

func (s *Server) logout(c *gin.Context) {
	sess := sessionOf(c)
	if err := s.cfg.Accounts.Logout(c.Request.Context(), sess.ID); err != nil {
		writeError(c, err)
		return
	}
	s.cfg.Live.CloseSession(sess.ID)
	http.SetCookie(c.Writer, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	// A session opened through the province's identity provider also ends
	// there, or the next person at this tablet would be signed in as this
	// one without typing anything.
	if to := s.endProviderSession(c, sess); to != "" {
		c.JSON(http.StatusOK, gin.H{"logoutUrl": to})
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) me(c *gin.Context) {
	sessionExpires(c, sessionOf(c))
	c.JSON(http.StatusOK, userOf(c))
}

// sessionExpires tells the web app's service worker until when the session it
// just saw proved may be trusted offline (see frontend/public/sw.js).
func sessionExpires(c *gin.Context, sess accounts.Session) {
	c.Header("X-Phonghop-Session-Expires", sess.ExpiresAt.UTC().Format(time.RFC3339))
}

func (s *Server) createUser(c *gin.Context) {
	var req accounts.NewUser
	if err := bindJSON(c, &req, 16<<10); err != nil {
		writeError(c, err)
		return
	}
	u, err := s.cfg.Accounts.Create(c.Request.Context(), req)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, u)
}

func (s *Server) listUsers(c *gin.Context) {
	us, err := s.cfg.Accounts.List(c.Request.Context())
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, us)
}

func clientIP(c *gin.Context) string { return c.ClientIP() }

// setSessionCookie hands the browser its session, however it signed in.
func (s *Server) setSessionCookie(c *gin.Context, token string, sess accounts.Session) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: cookieName, Value: token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}
