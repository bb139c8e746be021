package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/consult"
)

// Consultations on drafts (góp ý dự thảo): the HTTP face of consult/, which
// decides who may do what.

// consultMeeting loads the meeting for a consultation request: 404 for
// anyone taking no part in it (admins see it), 404 when the server has no
// consultations.
func (s *Server) consultMeeting(c *gin.Context) (*phonghop.Meeting, bool) {
	if s.cfg.Consult == nil {
		writeError(c, phonghop.Fail(phonghop.ENotFound, "no_endpoint"))
		return nil, false
	}
	return s.meetingFor(c, true)
}

func (s *Server) createConsultation(c *gin.Context) {
	m, ok := s.consultMeeting(c)
	if !ok {
		return
	}
	var in consult.Input
	if err := bindJSON(c, &in, 16<<10); err != nil {
		writeError(c, err)
		return
	}
	out, err := s.cfg.Consult.Create(c.Request.Context(), m, userOf(c), in)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

func (s *Server) listConsultations(c *gin.Context) {
	m, ok := s.consultMeeting(c)
	if !ok {
		return
	}
	list, err := s.cfg.Consult.List(c.Request.Context(), m, userOf(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"time": s.cfg.Consult.Time(), "consultations": list})
}

func (s *Server) getConsultation(c *gin.Context) {
	m, ok := s.consultMeeting(c)
	if !ok {
		return
	}
	out, err := s.cfg.Consult.Get(c.Request.Context(), m, userOf(c), c.Param("cid"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) patchConsultation(c *gin.Context) {
	m, ok := s.consultMeeting(c)
	if !ok {
		return
	}
	var p consult.Patch
	if err := bindJSON(c, &p, 16<<10); err != nil {
		writeError(c, err)
		return
	}
	out, err := s.cfg.Consult.Update(c.Request.Context(), m, userOf(c), c.Param("cid"), p)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) closeConsultation(c *gin.Context) {
	m, ok := s.consultMeeting(c)
	if !ok {
		return
	}
	out, err := s.cfg.Consult.Close(c.Request.Context(), m, userOf(c), c.Param("cid"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) listOpinions(c *gin.Context) {
	m, ok := s.consultMeeting(c)
	if !ok {
		return
	}
	os, err := s.cfg.Consult.Opinions(c.Request.Context(), m, userOf(c), c.Param("cid"), c.Query("documentId"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"opinions": os})
}

func (s *Server) addOpinion(c *gin.Context) {
	m, ok := s.consultMeeting(c)
	if !ok {
		return
	}
	var in consult.OpinionInput
	if err := bindJSON(c, &in, 32<<10); err != nil {
		writeError(c, err)
		return
	}
	o, err := s.cfg.Consult.AddOpinion(c.Request.Context(), m, userOf(c), c.Param("cid"), in)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, o)
}

func (s *Server) editOpinion(c *gin.Context) {
	m, ok := s.consultMeeting(c)
	if !ok {
		return
	}
	var in consult.OpinionInput
	if err := bindJSON(c, &in, 32<<10); err != nil {
		writeError(c, err)
		return
	}
	o, err := s.cfg.Consult.EditOpinion(c.Request.Context(), m, userOf(c), c.Param("cid"), c.Param("oid"), in)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, o)
}

func (s *Server) withdrawOpinion(c *gin.Context) {
	m, ok := s.consultMeeting(c)
	if !ok {
		return
	}
	if err := s.cfg.Consult.WithdrawOpinion(c.Request.Context(), m, userOf(c), c.Param("cid"), c.Param("oid")); err != nil {
		writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) consultationResponses(c *gin.Context) {
	m, ok := s.consultMeeting(c)
	if !ok {
		return
	}
	r, err := s.cfg.Consult.Responses(c.Request.Context(), m, userOf(c), c.Param("cid"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

func (s *Server) consultationSummary(format, contentType string) gin.HandlerFunc {
	return func(c *gin.Context) {
		m, ok := s.consultMeeting(c)
		if !ok {
			return
		}
		data, err := s.cfg.Consult.Summary(c.Request.Context(), m, userOf(c), c.Param("cid"), format)
		if err != nil {
			writeError(c, err)
			return
		}
		setDisposition(c, "attachment", "tong-hop-y-kien-"+c.Param("cid")+"."+format)
		c.Data(http.StatusOK, contentType, data)
	}
}
