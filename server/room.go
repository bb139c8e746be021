package server

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/live"
)

// liveSocket authenticates before the upgrade (no credentials → 401 JSON), checks
// the caller takes part, then hands the connection to the live room, which
// checks the Origin and runs it.
func (s *Server) liveSocket(c *gin.Context) {
	m, ok := s.meetingFor(c, false)
	if !ok {
		return
	}
	if _, member := m.Participant(userOf(c).ID); !member {
		// Admins see every meeting's set-up but the room is for participants.
		writeError(c, phonghop.Fail(phonghop.EForbidden, "live_participants_only"))
		return
	}
	s.cfg.Live.ServeWS(c.Writer, c.Request, live.Client{MeetingID: m.ID, User: userOf(c), SessionID: sessionOf(c).ID, Epoch: sessionOf(c).Epoch,
		Address: c.ClientIP(), Device: c.Request.UserAgent()})
}

type stateResponse struct {
	live.State
	Seq uint64 `json:"seq"`
	// Time is the server's clock, so a tablet times a speech from the
	// server's start time whatever its own clock says.
	Time time.Time `json:"time"`
}

func (s *Server) state(c *gin.Context) {
	m, ok := s.meetingFor(c, true)
	if !ok {
		return
	}
	st, seq, err := s.cfg.Live.State(c.Request.Context(), m.ID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, stateResponse{State: st, Seq: seq, Time: time.Now().UTC()})
}

type seqResponse struct {
	Seq uint64 `json:"seq"`
}

func (s *Server) present(c *gin.Context) {
	m, ok := s.meetingFor(c, false)
	if !ok {
		return
	}
	var p live.Presentation
	if err := bindJSON(c, &p, 16<<10); err != nil {
		writeError(c, err)
		return
	}
	seq, err := s.cfg.Live.Present(c.Request.Context(), m.ID, userOf(c), p)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, seqResponse{Seq: seq})
}

func (s *Server) checkIn(c *gin.Context)  { s.attendance(c, s.cfg.Live.CheckIn) }
func (s *Server) checkOut(c *gin.Context) { s.attendance(c, s.cfg.Live.CheckOut) }

func (s *Server) attendance(c *gin.Context, op func(ctx context.Context, mid, uid string) (uint64, error)) {
	m, ok := s.meetingFor(c, false)
	if !ok {
		return
	}
	if _, member := m.Participant(userOf(c).ID); !member {
		writeError(c, phonghop.Fail(phonghop.EForbidden, "checkin_participants_only"))
		return
	}
	seq, err := op(c.Request.Context(), m.ID, userOf(c).ID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, seqResponse{Seq: seq})
}

type speakersRequest struct {
	Action string `json:"action"` // request | withdraw | next | floor | end
	UserID string `json:"userId"`
}

// speakerMessages are the live messages the speakers request's actions do.
var speakerMessages = map[string]string{"request": "requestToSpeak", "withdraw": "withdraw", "next": "nextSpeaker",
	"floor": "giveFloor", "end": "endSpeech"}

func (s *Server) speakers(c *gin.Context) {
	m, ok := s.meetingFor(c, false)
	if !ok {
		return
	}
	var req speakersRequest
	if err := bindJSON(c, &req, 16<<10); err != nil {
		writeError(c, err)
		return
	}
	u := userOf(c)
	var seq uint64
	var err error
	c.Set(ctxAuditAction, audit.RoomActions[speakerMessages[req.Action]])
	switch req.Action {
	case "request":
		seq, err = s.cfg.Live.RequestToSpeak(c.Request.Context(), m.ID, u.ID)
	case "withdraw":
		seq, err = s.cfg.Live.Withdraw(c.Request.Context(), m.ID, u.ID)
	case "next":
		seq, err = s.cfg.Live.NextSpeaker(c.Request.Context(), m.ID, u)
	case "floor":
		seq, err = s.cfg.Live.GiveFloor(c.Request.Context(), m.ID, u, req.UserID)
	case "end":
		seq, err = s.cfg.Live.EndSpeech(c.Request.Context(), m.ID, u)
	default:
		err = phonghop.Fail(phonghop.EInvalid, "speaker_action_invalid")
	}
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, seqResponse{Seq: seq})
}
