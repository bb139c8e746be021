package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
)

// Passwords: the sign-in throttle's glue, known devices, changing one's
// password, an admin's reset. (Disabling is PATCH /users/{uid}, users.go.)

// passwordChangeAllowed are the only calls a session may make while its user
// must change a password an admin reset.
var passwordChangeAllowed = map[string]bool{
	"GET /api/v1/me":           true,
	"POST /api/v1/me/password": true,
	"POST /api/v1/auth/logout": true,
}

// deviceCookie holds the browser's device tokens, one per account that signed
// in on it (the most recent few): see accounts.DeviceToken.
const (
	deviceCookie     = "phonghop_device"
	devicesPerCookie = 8
)

// throttle reserves a sign-in attempt for username from this client, or
// answers 429 with Retry-After. done takes the check's error (nil: success).
func (s *Server) throttle(c *gin.Context, username string) (done func(error), ok bool) {
	account := strings.ToLower(strings.TrimSpace(username))
	client, who := "a:"+clientIP(c), clientIP(c)
	if id, known := s.knownDevice(c, account); known {
		client, who = "d:"+id, "known device of the account at "+clientIP(c)
	}
	release, wait := s.signIn.reserve(account, client, who)
	if release == nil {
		secs := int((wait + time.Second - 1) / time.Second)
		c.Header("Retry-After", strconv.Itoa(secs))
		writeError(c, phonghop.Fail(phonghop.ETooMany, "login_wait", "seconds", secs))
		return nil, false
	}
	return func(err error) {
		switch phonghop.ErrorCode(err) {
		case "", phonghop.EForbidden: // right password (a disabled account says so only then)
			release(signedIn)
		case phonghop.EUnauthenticated, phonghop.EInvalid, phonghop.ENotFound:
			release(wrongSecret)
		default:
			release(notCounted)
		}
	}, true
}

func (s *Server) knownDevice(c *gin.Context, account string) (string, bool) {
	ck, err := c.Request.Cookie(deviceCookie)
	if err != nil {
		return "", false
	}
	for _, tok := range strings.Split(ck.Value, "~") {
		if id, ok := s.cfg.Accounts.KnownDevice(c.Request.Context(), tok, account); ok {
			return id, true
		}
	}
	return "", false
}

// rememberDevice marks this browser as a known-good client of username.
func (s *Server) rememberDevice(c *gin.Context, username string) {
	if _, known := s.knownDevice(c, username); known {
		return
	}
	tok, err := s.cfg.Accounts.DeviceToken(c.Request.Context(), username)
	if err != nil {
		logger(c).Warn("no device token", "err", err) // the sign-in stands; this device is just not known yet
		return
	}
	toks := []string{tok}
	if ck, err := c.Request.Cookie(deviceCookie); err == nil {
		for _, t := range strings.Split(ck.Value, "~") {
			if len(toks) < devicesPerCookie && len(t) == 41 {
				toks = append(toks, t)
			}
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: deviceCookie, Value: strings.Join(toks, "~"), Path: "/api/v1/",
		MaxAge: 400 * 24 * 3600, HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
}

type passwordChange struct {
	OldPassword string `json:"oldPassword"`
	NewPassword string `json:"newPassword"`
}

// changePassword sets the caller's password (the old one required). Every
// other session of theirs ends and its sockets close; this device gets a new
// session (token and cookie), so it stays signed in.
func (s *Server) changePassword(c *gin.Context) {
	var req passwordChange
	if err := bindJSON(c, &req, 16<<10); err != nil {
		writeError(c, err)
		return
	}
	u := userOf(c)
	// Guessing the old password here is guessing a sign-in.
	done, ok := s.throttle(c, u.Username)
	if !ok {
		return
	}
	token, sess, nu, err := s.cfg.Accounts.ChangePassword(c.Request.Context(), u.ID, req.OldPassword, req.NewPassword)
	if phonghop.ErrorCode(err) == phonghop.EForbidden { // the old password was wrong
		done(phonghop.Fail(phonghop.EUnauthenticated, "bad_login"))
	} else {
		done(nil) // the old password was right (or never checked): nothing to count
	}
	if err != nil {
		writeError(c, err)
		return
	}
	s.cfg.Live.CloseAccount(nu.ID, sess.Epoch)
	logger(c).Info("password changed; the user's other sessions ended")
	s.startSession(c, token, sess, nu)
}

type passwordReset struct {
	Password string `json:"password"`
}

// resetPassword (admin) gives a user a password they must change at their
// next sign-in; their sessions end and their sockets close at once.
func (s *Server) resetPassword(c *gin.Context) {
	var req passwordReset
	if err := bindJSON(c, &req, 16<<10); err != nil {
		writeError(c, err)
		return
	}
	u, epoch, err := s.cfg.Accounts.ResetPassword(c.Request.Context(), c.Param("uid"), req.Password)
	if err != nil {
		writeError(c, err)
		return
	}
	s.cfg.Live.CloseAccount(u.ID, epoch)
	logger(c).Info("password reset by an admin; the user's sessions ended", "user", u.ID)
	c.JSON(http.StatusOK, u)
}
