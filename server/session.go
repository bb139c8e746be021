package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/audit"
)

type sessionRequest struct {
	Action             string `json:"action"` // open | close | speechLimit
	SpeechLimitSeconds int    `json:"speechLimitSeconds"`
}

// sessionMessages are the live messages the session request's actions do.
var sessionMessages = map[string]string{"open": "openMeeting", "close": "closeMeeting", "speechLimit": "setSpeechLimit"}

// session opens or closes the meeting, or sets the speaking time (chair); the
// live room checks the rights, as for the same messages over the socket.
func (s *Server) session(c *gin.Context) {
	m, ok := s.meetingFor(c, false)
	if !ok {
		return
	}
	var req sessionRequest
	if err := bindJSON(c, &req, 16<<10); err != nil {
		writeError(c, err)
		return
	}
	ctx, u := c.Request.Context(), userOf(c)
	var seq uint64
	var err error
	c.Set(ctxAuditAction, audit.RoomActions[sessionMessages[req.Action]])
	switch req.Action {
	case "open":
		seq, err = s.cfg.Live.OpenMeeting(ctx, m.ID, u)
	case "close":
		seq, err = s.cfg.Live.CloseMeeting(ctx, m.ID, u)
	case "speechLimit":
		seq, err = s.cfg.Live.SetSpeechLimit(ctx, m.ID, u, req.SpeechLimitSeconds)
	default:
		err = phonghop.Fail(phonghop.EInvalid, "session_action_invalid")
	}
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, seqResponse{Seq: seq})
}

type markRequest struct {
	Present *bool  `json:"present"`
	Reason  string `json:"reason"`
}

// markAttendance checks the participant in the path in or out on their behalf
// (chair or secretary), with a reason.
func (s *Server) markAttendance(c *gin.Context) {
	m, ok := s.meetingFor(c, false)
	if !ok {
		return
	}
	var req markRequest
	if err := bindJSON(c, &req, 16<<10); err != nil {
		writeError(c, err)
		return
	}
	if req.Present == nil {
		writeError(c, phonghop.Fail(phonghop.EInvalid, "present_required"))
		return
	}
	seq, err := s.cfg.Live.MarkAttendance(c.Request.Context(), m.ID, userOf(c), c.Param("uid"), *req.Present, req.Reason)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, seqResponse{Seq: seq})
}
