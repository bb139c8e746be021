package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/vote"
)

// The set-up handlers beyond creating things: cancel, copy, agenda edits,
// moves and deletions. Ownership is as for creating: meetings are the
// admin's, the agenda the admin's, chair's and secretary's.

// adminMeeting loads the path's meeting for an admin.
func (s *Server) adminMeeting(c *gin.Context) (*phonghop.Meeting, bool) {
	m, ok := s.meetingFor(c, true)
	if !ok {
		return nil, false
	}
	if !userOf(c).Admin {
		writeError(c, phonghop.Fail(phonghop.EForbidden, "admin_only"))
		return nil, false
	}
	return m, true
}

// agendaMeeting loads the path's meeting for those who set up its agenda.
func (s *Server) agendaMeeting(c *gin.Context) (*phonghop.Meeting, bool) {
	return s.meetingFor(c, true, phonghop.RoleChair, phonghop.RoleSecretary)
}

func (s *Server) cancelMeeting(c *gin.Context) {
	if _, ok := s.adminMeeting(c); !ok {
		return
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &req, 16<<10); err != nil {
			writeError(c, err)
			return
		}
	}
	m, err := s.cfg.Meetings.Cancel(c.Request.Context(), c.Param("mid"), req.Reason)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

func (s *Server) reinstateMeeting(c *gin.Context) {
	if _, ok := s.adminMeeting(c); !ok {
		return
	}
	m, err := s.cfg.Meetings.Reinstate(c.Request.Context(), c.Param("mid"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

// copyMeeting makes the next session from this one: the body's fields, the
// source's where left out.
func (s *Server) copyMeeting(c *gin.Context) {
	src, ok := s.adminMeeting(c)
	if !ok {
		return
	}
	req := meetings.Fields(src)
	if err := bindJSON(c, &req, maxJSON); err != nil {
		writeError(c, err)
		return
	}
	m, err := s.cfg.Meetings.Copy(c.Request.Context(), src.ID, req)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, m)
}

func (s *Server) patchItem(c *gin.Context) {
	if _, ok := s.agendaMeeting(c); !ok {
		return
	}
	var req meetings.ItemChange
	if err := bindJSON(c, &req, maxJSON); err != nil {
		writeError(c, err)
		return
	}
	it, err := s.cfg.Meetings.PatchItem(c.Request.Context(), c.Param("mid"), c.Param("iid"), req)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, it)
}

func (s *Server) deleteItem(c *gin.Context) {
	if _, ok := s.agendaMeeting(c); !ok {
		return
	}
	if err := s.cfg.Meetings.DeleteItem(c.Request.Context(), c.Param("mid"), c.Param("iid")); err != nil {
		writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) moveItem(c *gin.Context) {
	if _, ok := s.agendaMeeting(c); !ok {
		return
	}
	var req struct {
		Position *int     `json:"position"`
		Order    []string `json:"order"`
	}
	if err := bindJSON(c, &req, maxJSON); err != nil {
		writeError(c, err)
		return
	}
	if req.Position == nil {
		writeError(c, phonghop.Fail(phonghop.EInvalid, "agenda_position_required"))
		return
	}
	agenda, err := s.cfg.Meetings.MoveItem(c.Request.Context(), c.Param("mid"), c.Param("iid"), *req.Position, req.Order)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, agenda)
}

// updatePoll edits a draft poll: fields left out keep their values.
func (s *Server) updatePoll(c *gin.Context) {
	m, ok := s.meetingFor(c, false, phonghop.RoleChair, phonghop.RoleSecretary)
	if !ok {
		return
	}
	p, err := s.cfg.Votes.Get(c.Request.Context(), m.ID, c.Param("pid"))
	if err != nil {
		writeError(c, err)
		return
	}
	req := vote.CreateRequest{AgendaItemID: p.AgendaItemID, Title: p.Title, Options: p.Options, Secret: p.Secret, Majority: p.Majority,
		Kind: p.Kind, Questions: p.Questions, SecretSet: true}
	// A ballot may list 200 candidates with their positions.
	if err := bindJSON(c, &req, 512<<10); err != nil {
		writeError(c, err)
		return
	}
	p, err = s.cfg.Votes.UpdateDraft(c.Request.Context(), m.ID, p.ID, userOf(c), req)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) deletePoll(c *gin.Context) {
	m, ok := s.meetingFor(c, false, phonghop.RoleChair, phonghop.RoleSecretary)
	if !ok {
		return
	}
	if err := s.cfg.Votes.DeleteDraft(c.Request.Context(), m.ID, c.Param("pid"), userOf(c)); err != nil {
		writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
