package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

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
	before, after, err := s.cfg.Accounts.UpdateProfile(c.Request.Context(), c.Param("uid"), req)
	if err != nil {
		writeError(c, err)
		return
	}
	if before != after {
		if err := s.cfg.Meetings.UserChanged(c.Request.Context(), before, after); err != nil {
			writeError(c, err)
			return
		}
	}
	c.JSON(http.StatusOK, after)
}
