package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/meetings"
)

// meetingFor loads the meeting named in the path for the caller. A caller who
// takes no part gets 404, so a meeting's existence is not revealed. With roles,
// the caller must hold one of them; admin passes when admin is true.
func (s *Server) meetingFor(c *gin.Context, admin bool, roles ...phonghop.Role) (*phonghop.Meeting, bool) {
	u := userOf(c)
	m, err := s.cfg.Meetings.Meeting(c.Request.Context(), c.Param("mid"))
	if err != nil {
		writeError(c, err)
		return nil, false
	}
	p, member := m.Participant(u.ID)
	if !member && !u.Admin {
		writeError(c, phonghop.Fail(phonghop.ENotFound, "meeting_not_found"))
		return nil, false
	}
	if len(roles) == 0 || (admin && u.Admin) {
		return m, true
	}
	for _, r := range roles {
		if member && p.Role == r {
			return m, true
		}
	}
	writeError(c, phonghop.Fail(phonghop.EForbidden, "role_forbidden"))
	return nil, false
}

func (s *Server) createMeeting(c *gin.Context) {
	var req meetings.NewMeeting
	if err := bindJSON(c, &req, maxJSON); err != nil {
		writeError(c, err)
		return
	}
	m, err := s.cfg.Meetings.Create(c.Request.Context(), req)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Set(ctxAuditMeeting, m.ID) // the new meeting's trail starts with its creation
	c.JSON(http.StatusCreated, m)
}

func (s *Server) updateMeeting(c *gin.Context) {
	m, ok := s.meetingFor(c, true)
	if !ok {
		return
	}
	if !userOf(c).Admin {
		writeError(c, phonghop.Fail(phonghop.EForbidden, "admin_only"))
		return
	}
	// A PATCH: fields left out of the body keep their values.
	req := meetings.Fields(m)
	if err := bindJSON(c, &req, maxJSON); err != nil {
		writeError(c, err)
		return
	}
	m, err := s.cfg.Meetings.Update(c.Request.Context(), c.Param("mid"), req)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

func (s *Server) listMeetings(c *gin.Context) {
	u := userOf(c)
	f := meetings.Filter{Query: c.Query("q"), Status: c.Query("status")}
	if err := meetings.CheckStatus(f.Status); err != nil {
		writeError(c, err)
		return
	}
	ms, err := s.cfg.Meetings.List(c.Request.Context(), u.ID, u.Admin)
	if err != nil {
		writeError(c, err)
		return
	}
	for i, m := range ms {
		ms[i] = m.For(u)
	}
	c.JSON(http.StatusOK, f.Apply(ms, time.Now()))
}

func (s *Server) getMeeting(c *gin.Context) {
	m, ok := s.meetingFor(c, true)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, m.For(userOf(c)))
}

func (s *Server) setParticipants(c *gin.Context) {
	if _, ok := s.meetingFor(c, true, phonghop.RoleChair); !ok {
		return
	}
	var req []meetings.ParticipantChange
	if err := bindJSON(c, &req, 4<<20); err != nil {
		writeError(c, err)
		return
	}
	m, removed, err := s.cfg.Meetings.SetParticipants(c.Request.Context(), c.Param("mid"), req)
	// Removed users lose the room even when the answer is an error: the
	// change itself may be in force (participants_saved_lists_pending).
	for _, uid := range removed {
		s.cfg.Live.CloseUser(c.Param("mid"), uid)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

func (s *Server) addItem(c *gin.Context) {
	if _, ok := s.meetingFor(c, true, phonghop.RoleChair, phonghop.RoleSecretary); !ok {
		return
	}
	var req meetings.NewItem
	if err := bindJSON(c, &req, maxJSON); err != nil {
		writeError(c, err)
		return
	}
	it, err := s.cfg.Meetings.AddItem(c.Request.Context(), c.Param("mid"), req)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, it)
}

func (s *Server) updateItem(c *gin.Context) {
	if _, ok := s.meetingFor(c, true, phonghop.RoleChair, phonghop.RoleSecretary); !ok {
		return
	}
	var req meetings.NewItem
	if err := bindJSON(c, &req, maxJSON); err != nil {
		writeError(c, err)
		return
	}
	it, err := s.cfg.Meetings.UpdateItem(c.Request.Context(), c.Param("mid"), c.Param("iid"), req)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, it)
}
