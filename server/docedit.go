package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/meetings"
)

// Changes to a document after its upload (admin, chair, secretary): rename,
// a new version, the items it is on, deletion.

func (s *Server) documentManager(c *gin.Context) (*phonghop.Meeting, bool) {
	m, _, ok := s.documentFor(c, true)
	if !ok {
		return nil, false
	}
	if !m.ManagesDocuments(userOf(c)) {
		writeError(c, phonghop.Fail(phonghop.EForbidden, "role_forbidden"))
		return nil, false
	}
	return m, true
}

func (s *Server) renameDocument(c *gin.Context) {
	m, ok := s.documentManager(c)
	if !ok {
		return
	}
	var req struct {
		Name string `json:"name"`
	}
	if err := bindJSON(c, &req, 16<<10); err != nil {
		writeError(c, err)
		return
	}
	doc, err := s.cfg.Meetings.RenameDocument(c.Request.Context(), m.ID, c.Param("did"), req.Name)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, doc)
}

// replaceDocument takes a new version in the multipart part "file",
// streamed like an upload.
func (s *Server) replaceDocument(c *gin.Context) {
	m, ok := s.documentManager(c)
	if !ok {
		return
	}
	limit := s.cfg.Meetings.Limit()
	if c.Request.ContentLength > limit+64<<10 {
		writeError(c, meetings.ErrTooLarge(limit))
		return
	}
	part, err := filePart(c, c.Request.Body, nil)
	if err != nil {
		writeError(c, err)
		return
	}
	doc, err := s.cfg.Meetings.ReplaceDocument(c.Request.Context(), m.ID, c.Param("did"), part.FileName(), part)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, doc)
}

func (s *Server) setDocumentItems(c *gin.Context) {
	m, ok := s.documentManager(c)
	if !ok {
		return
	}
	var req struct {
		ItemIDs []string `json:"itemIds"`
	}
	if err := bindJSON(c, &req, maxJSON); err != nil {
		writeError(c, err)
		return
	}
	m, err := s.cfg.Meetings.SetDocumentItems(c.Request.Context(), m.ID, c.Param("did"), req.ItemIDs)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, m.Agenda)
}

func (s *Server) deleteDocument(c *gin.Context) {
	m, ok := s.documentManager(c)
	if !ok {
		return
	}
	if err := s.cfg.Meetings.DeleteDocument(c.Request.Context(), m.ID, c.Param("did")); err != nil {
		writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
