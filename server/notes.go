package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// A participant's private notes per document page.

type noteRequest struct {
	Text string `json:"text"`
}

func (s *Server) getNotes(c *gin.Context) {
	m, _, ok := s.documentFor(c, false)
	if !ok {
		return
	}
	n, err := s.cfg.Notes.Get(c.Request.Context(), m.ID, userOf(c).ID, c.Param("did"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, n)
}

func (s *Server) putNote(c *gin.Context) {
	m, _, ok := s.documentFor(c, false)
	if !ok {
		return
	}
	var req noteRequest
	if err := bindJSON(c, &req, 128<<10); err != nil {
		writeError(c, err)
		return
	}
	page := 0
	for _, ch := range c.Param("page") {
		if ch < '0' || ch > '9' || page > 1_000_000 {
			page = -1
			break
		}
		page = page*10 + int(ch-'0')
	}
	n, err := s.cfg.Notes.Put(c.Request.Context(), m.ID, userOf(c).ID, c.Param("did"), page, req.Text)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, n)
}
