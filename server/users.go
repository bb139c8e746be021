package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
)

// updateUser edits a user's profile (PATCH: fields left out keep their
// values) and carries it into the meetings the user has not yet attended.
func (s *Server) updateUser(c *gin.Context) {
	var req accounts.ProfileChange
	if err := bindJSON(c, &req, 16<<10); err != nil {
		writeError(c, err)
		return
	}
	if req.Disabled != nil && *req.Disabled && c.Param("uid") == userOf(c).ID {
		writeError(c, phonghop.Fail(phonghop.EConflict, "user_disable_self"))
		return
	}
	before, after, err := s.cfg.Accounts.UpdateProfile(c.Request.Context(), c.Param("uid"), req)
	if err != nil {
		writeError(c, err)
		return
	}
	if after.Disabled && !before.Disabled {
		// Their sessions ended with the change; their tablets' sockets close
		// now, on every process.
		epoch, err := s.cfg.Accounts.SessionEpoch(c.Request.Context(), after.ID)
		if err != nil {
			writeError(c, err)
			return
		}
		s.cfg.Live.CloseAccount(after.ID, epoch)
		logger(c).Info("account disabled; the user's sessions ended", "user", after.ID)
	}
	if before != after {
		if err := s.cfg.Meetings.UserChanged(c.Request.Context(), before, after); err != nil {
			writeError(c, err)
			return
		}
	}
	c.JSON(http.StatusOK, after)
}

// deleteUser removes an account that took part in nothing (a mistaken or
// duplicate one); one that did is kept for the record, and the answer says
// which meeting holds it.
func (s *Server) deleteUser(c *gin.Context) {
	ctx := c.Request.Context()
	uid := c.Param("uid")
	if uid == userOf(c).ID {
		writeError(c, phonghop.Fail(phonghop.EConflict, "user_delete_self"))
		return
	}
	if _, err := s.cfg.Accounts.User(ctx, uid); err != nil {
		writeError(c, err)
		return
	}
	m, err := s.cfg.Meetings.TookPart(ctx, uid)
	if err != nil {
		writeError(c, err)
		return
	}
	if m != nil {
		writeError(c, phonghop.Fail(phonghop.EConflict, "user_took_part", "meeting", phonghop.Clip(m.Title)))
		return
	}
	u, err := s.cfg.Accounts.Delete(ctx, uid)
	if err != nil {
		writeError(c, err)
		return
	}
	if err := s.cfg.Meetings.ForgetUser(ctx, uid); err != nil {
		logger(c).Warn("user deleted; listing markers left", "user", uid, "err", err)
	}
	logger(c).Info("user deleted", "user", uid, "username", u.Username)
	c.Status(http.StatusNoContent)
}

// unbindUser (admin) removes the account's binding to the identity
// provider's user (its externalIssuer and externalSubject): the next
// provider user signing in under the account's name takes it (see
// accounts.Unbind). For an official whose account the province's provider
// re-created under a new subject.
func (s *Server) unbindUser(c *gin.Context) {
	_, after, err := s.cfg.Accounts.Unbind(c.Request.Context(), c.Param("uid"))
	if err != nil {
		writeError(c, err)
		return
	}
	logger(c).Info("account unbound from the identity provider's user", "user", after.ID)
	c.JSON(http.StatusOK, after)
}
