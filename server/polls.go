package server

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/minutes"
	"github.com/phonghop/phonghop/vote"
)

func (s *Server) createPoll(c *gin.Context) {
	m, ok := s.meetingFor(c, false, phonghop.RoleChair, phonghop.RoleSecretary)
	if !ok {
		return
	}
	var req vote.CreateRequest
	// A ballot may list 200 candidates with their positions.
	if err := bindJSON(c, &req, 512<<10); err != nil {
		writeError(c, err)
		return
	}
	p, err := s.cfg.Votes.Create(c.Request.Context(), m.ID, userOf(c), req)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, p)
}

func (s *Server) listPolls(c *gin.Context) {
	m, ok := s.meetingFor(c, true)
	if !ok {
		return
	}
	ps, err := s.cfg.Votes.List(c.Request.Context(), m.ID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, ps)
}

// pollFor reads the poll in the path for a participant (or admin), or answers
// the error and reports false.
func (s *Server) pollFor(c *gin.Context) (phonghop.Poll, bool) {
	m, ok := s.meetingFor(c, true)
	if !ok {
		return phonghop.Poll{}, false
	}
	p, err := s.cfg.Votes.Get(c.Request.Context(), m.ID, c.Param("pid"))
	if err != nil {
		writeError(c, err)
		return phonghop.Poll{}, false
	}
	return p, true
}

func (s *Server) getPoll(c *gin.Context) {
	if p, ok := s.pollFor(c); ok {
		c.JSON(http.StatusOK, p)
	}
}

// receiptCounted tells a tablet whether its ballot was counted, from the
// SHA-256 of its receipt (the receipt itself never leaves the tablet).
func (s *Server) receiptCounted(c *gin.Context) {
	p, ok := s.pollFor(c)
	if !ok {
		return
	}
	counted, err := vote.ReceiptCounted(p, c.Param("sha256"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"counted": counted})
}

type openRequest struct {
	OverrideQuorum bool `json:"overrideQuorum"`
}

func (s *Server) openPoll(c *gin.Context) {
	m, ok := s.meetingFor(c, false, phonghop.RoleChair)
	if !ok {
		return
	}
	var req openRequest
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &req, 16<<10); err != nil {
			writeError(c, err)
			return
		}
	}
	p, err := s.cfg.Votes.Open(c.Request.Context(), m.ID, c.Param("pid"), userOf(c), req.OverrideQuorum)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) closePoll(c *gin.Context) {
	m, ok := s.meetingFor(c, false, phonghop.RoleChair)
	if !ok {
		return
	}
	p, err := s.cfg.Votes.Close(c.Request.Context(), m.ID, c.Param("pid"), userOf(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// ballotRequest is a motion's {"option": i} or a ballot with questions'
// {"answers": [[...], ...]}, one answer per question (null marks none).
type ballotRequest struct {
	Option  *int     `json:"option"`
	Answers [][]*int `json:"answers"`
}

func (s *Server) castBallot(c *gin.Context) {
	m, ok := s.meetingFor(c, false)
	if !ok {
		return
	}
	var req ballotRequest
	if err := bindJSON(c, &req, 16<<10); err != nil {
		writeError(c, err)
		return
	}
	var r vote.Receipt
	var err error
	switch {
	case req.Answers != nil:
		answers := make([][]int, len(req.Answers))
		for i, a := range req.Answers {
			answers[i] = make([]int, len(a))
			for j, v := range a {
				answers[i][j] = vote.NoMark
				if v != nil {
					answers[i][j] = *v
				}
			}
		}
		r, err = s.cfg.Votes.CastAnswers(c.Request.Context(), m.ID, c.Param("pid"), userOf(c), answers)
	case req.Option != nil:
		r, err = s.cfg.Votes.Cast(c.Request.Context(), m.ID, c.Param("pid"), userOf(c), *req.Option)
	default:
		writeError(c, phonghop.Fail(phonghop.EInvalid, "option_required"))
		return
	}
	if err == nil || statusFor(phonghop.Public(err)) >= 500 {
		// The ballot is stored, or may be (a store failing after the
		// write): no line of this request names the voter.
		unnamed(c)
	}
	if err != nil {
		s.cfg.Observer.Ballot(phonghop.ErrorCode(err))
		writeError(c, err)
		return
	}
	s.cfg.Observer.Ballot("accepted")
	c.JSON(http.StatusCreated, r)
}

func (s *Server) pollCSV(c *gin.Context) {
	m, ok := s.meetingFor(c, true)
	if !ok {
		return
	}
	// Render first so an error still gets the contract's JSON body.
	var buf bytes.Buffer
	if err := s.cfg.Votes.ExportCSV(c.Request.Context(), m.ID, c.Param("pid"), &buf); err != nil {
		writeError(c, err)
		return
	}
	setDisposition(c, "attachment", "poll-"+c.Param("pid")+".csv")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

func (s *Server) pollJSON(c *gin.Context) {
	p, ok := s.pollFor(c)
	if !ok {
		return
	}
	setDisposition(c, "attachment", "poll-"+p.ID+".json")
	c.JSON(http.StatusOK, p)
}

// uploadPhoto takes a candidate's photo: the multipart part "file", a JPEG or
// PNG of at most 1 MiB (the web app scales photos down before sending them).
func (s *Server) uploadPhoto(c *gin.Context) {
	m, ok := s.meetingFor(c, false, phonghop.RoleChair, phonghop.RoleSecretary)
	if !ok {
		return
	}
	if c.Request.ContentLength > vote.MaxPhotoBytes+64<<10 {
		writeError(c, phonghop.Fail(phonghop.ETooLarge, "photo_too_large", "max", vote.MaxPhotoBytes>>10))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, vote.MaxPhotoBytes+64<<10)
	f, _, err := c.Request.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			writeError(c, phonghop.Fail(phonghop.ETooLarge, "photo_too_large", "max", vote.MaxPhotoBytes>>10))
		case errors.Is(err, http.ErrMissingFile):
			writeError(c, phonghop.Fail(phonghop.EInvalid, "upload_no_file"))
		default:
			writeError(c, phonghop.Fail(phonghop.EInvalid, "upload_not_multipart"))
		}
		return
	}
	defer f.Close()
	p, err := s.cfg.Votes.SavePhoto(c.Request.Context(), m.ID, userOf(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, p)
}

// photo serves a candidate's photo to the meeting's participants. A photo's
// id is fresh for every upload, so its bytes never change: tablets keep it.
func (s *Server) photo(c *gin.Context) {
	m, ok := s.meetingFor(c, true)
	if !ok {
		return
	}
	rc, info, err := s.cfg.Votes.OpenPhoto(c.Request.Context(), m.ID, c.Param("phid"))
	if err != nil {
		writeError(c, err)
		return
	}
	defer rc.Close()
	ct := info.ContentType
	if ct != "image/jpeg" && ct != "image/png" {
		ct = "application/octet-stream"
	}
	h := c.Writer.Header()
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	c.DataFromReader(http.StatusOK, info.Size, ct, rc, nil)
}

// getCommittee lists the poll's vote-counting committee (participants).
func (s *Server) getCommittee(c *gin.Context) {
	p, ok := s.pollFor(c)
	if !ok {
		return
	}
	members, err := s.cfg.Votes.Committee(c.Request.Context(), p.MeetingID, p.ID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"members": members})
}

// putCommittee names the poll's vote-counting committee (chair, secretary):
// {"members":[{"name","position","role"}]}, the whole list.
func (s *Server) putCommittee(c *gin.Context) {
	m, ok := s.meetingFor(c, false, phonghop.RoleChair, phonghop.RoleSecretary)
	if !ok {
		return
	}
	var req struct {
		Members []phonghop.Counter `json:"members"`
	}
	if err := bindJSON(c, &req, 64<<10); err != nil {
		writeError(c, err)
		return
	}
	members, err := s.cfg.Votes.SetCommittee(c.Request.Context(), m.ID, c.Param("pid"), userOf(c), req.Members)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"members": members})
}

// countingRecord renders the record of a closed poll's count (biên bản kiểm
// phiếu) as a PDF, for the meeting's participants. It is drawn from the
// closed poll and the committee each time, so it follows the committee's
// last edit.
func (s *Server) countingRecord(c *gin.Context) {
	m, ok := s.meetingFor(c, true)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	p, err := s.cfg.Votes.Get(ctx, m.ID, c.Param("pid"))
	if err != nil {
		writeError(c, err)
		return
	}
	if p.State != phonghop.PollClosed || p.Results == nil {
		writeError(c, phonghop.Fail(phonghop.EConflict, "poll_not_closed"))
		return
	}
	members, err := s.cfg.Votes.Committee(ctx, m.ID, p.ID)
	if err != nil {
		writeError(c, err)
		return
	}
	pdf, err := minutes.CountingRecord(m, p, members)
	if err != nil {
		writeError(c, err)
		return
	}
	setDisposition(c, "attachment", "kiem-phieu-"+p.ID+".pdf")
	c.Data(http.StatusOK, "application/pdf", pdf)
}
