package server

import (
	"bytes"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/roster"
)

// importFile reads the people of the multipart part "file" of the request.
func importFile(c *gin.Context) ([]roster.Row, error) {
	if c.Request.ContentLength > roster.MaxFileBytes+64<<10 {
		return nil, phonghop.Fail(phonghop.ETooLarge, "import_too_large", "limit", "10 MiB")
	}
	part, err := filePart(c, http.MaxBytesReader(c.Writer, c.Request.Body, roster.MaxFileBytes+2*maxFieldBytes), nil)
	if err != nil {
		return nil, err
	}
	return roster.Read(part)
}

// answerImport sends an import's result: 200, or 400 import_refused with the
// result beside the error when rows were refused and nothing was written.
func answerImport(c *gin.Context, res roster.Result, err error) {
	if ce := phonghop.Public(err); ce != nil && ce.Reason == "import_refused" {
		c.Set(ctxErrorCode, ce.Code)
		c.AbortWithStatusJSON(statusFor(ce), gin.H{"error": ce, "result": res})
		return
	}
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (s *Server) importUsers(c *gin.Context) {
	rows, err := importFile(c)
	if err != nil {
		writeError(c, err)
		return
	}
	res, err := s.cfg.Roster.ImportUsers(c.Request.Context(), rows, c.Query("dryRun") == "true")
	answerImport(c, res, err)
}

func (s *Server) importParticipants(c *gin.Context) {
	m, ok := s.meetingFor(c, true, phonghop.RoleChair)
	if !ok {
		return
	}
	rows, err := importFile(c)
	if err != nil {
		writeError(c, err)
		return
	}
	res, err := s.cfg.Roster.ImportParticipants(c.Request.Context(), m.ID, rows, userOf(c).Admin, c.Query("dryRun") == "true")
	answerImport(c, res, err)
}

// exportParticipants sends the participants with their attendance as .xlsx.
func (s *Server) exportParticipants(c *gin.Context) {
	m, ok := s.meetingFor(c, true, phonghop.RoleChair, phonghop.RoleSecretary)
	if !ok {
		return
	}
	lang := c.Query("lang")
	if lang != "" && lang != "vi" && lang != "en" {
		writeError(c, phonghop.Fail(phonghop.EInvalid, "language_invalid"))
		return
	}
	var buf bytes.Buffer
	if err := s.cfg.Roster.ExportParticipants(c.Request.Context(), m.ID, lang, &buf); err != nil {
		writeError(c, err)
		return
	}
	name := "thanh-phan-" + m.ID + ".xlsx"
	setDisposition(c, "attachment", name)
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}
