package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

type noticeRequest struct {
	Text string `json:"text"`
}

// sendNotice puts a notice on every tablet of the meeting (chair or
// secretary); the live room checks the rights and the text, as for the same
// message over the socket.
func (s *Server) sendNotice(c *gin.Context) {
	m, ok := s.meetingFor(c, false)
	if !ok {
		return
	}
	var req noticeRequest
	if err := bindJSON(c, &req, 16<<10); err != nil {
		writeError(c, err)
		return
	}
	seq, err := s.cfg.Live.SendNotice(c.Request.Context(), m.ID, userOf(c), req.Text)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, seqResponse{Seq: seq})
}

// withdrawNotice takes the current notice off every tablet (chair or
// secretary).
func (s *Server) withdrawNotice(c *gin.Context) {
	m, ok := s.meetingFor(c, false)
	if !ok {
		return
	}
	seq, err := s.cfg.Live.WithdrawNotice(c.Request.Context(), m.ID, userOf(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, seqResponse{Seq: seq})
}
