package server

import (
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/minutes"
)

func (s *Server) getMinutes(c *gin.Context) {
	m, ok := s.meetingFor(c, true)
	if !ok {
		return
	}
	d, err := s.cfg.Minutes.Get(c.Request.Context(), m.ID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

func (s *Server) putMinutes(c *gin.Context) {
	m, ok := s.meetingFor(c, false, phonghop.RoleSecretary, phonghop.RoleChair)
	if !ok {
		return
	}
	var d minutes.Draft
	// Notes may be long: each is bounded by the minutes service itself.
	if err := bindJSON(c, &d, 64<<20); err != nil {
		writeError(c, err)
		return
	}
	out, err := s.cfg.Minutes.Update(c.Request.Context(), m.ID, userOf(c), d)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) renderMinutes(c *gin.Context) {
	m, ok := s.meetingFor(c, false, phonghop.RoleSecretary, phonghop.RoleChair)
	if !ok {
		return
	}
	v, err := s.cfg.Minutes.RenderAndStore(c.Request.Context(), m.ID, userOf(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, v)
}

// previewMinutes renders the draft in the body (edits not saved) as a PDF the
// app shows before anything is stored.
func (s *Server) previewMinutes(c *gin.Context) {
	m, ok := s.meetingFor(c, true, phonghop.RoleSecretary, phonghop.RoleChair)
	if !ok {
		return
	}
	var d minutes.Draft
	if err := bindJSON(c, &d, 64<<20); err != nil {
		writeError(c, err)
		return
	}
	pdf, err := s.cfg.Minutes.Preview(c.Request.Context(), m.ID, userOf(c), d)
	if err != nil {
		writeError(c, err)
		return
	}
	setDisposition(c, "inline", "bien-ban-xem-truoc.pdf")
	c.Data(http.StatusOK, "application/pdf", pdf)
}

// approveMinutes: the chair approves a version, which makes a final one.
func (s *Server) approveMinutes(c *gin.Context) {
	m, ok := s.meetingFor(c, false, phonghop.RoleChair)
	if !ok {
		return
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 {
		writeError(c, phonghop.Fail(phonghop.EInvalid, "version_invalid"))
		return
	}
	v, err := s.cfg.Minutes.Approve(c.Request.Context(), m.ID, userOf(c), n)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, v)
}

func (s *Server) minutesVersions(c *gin.Context) {
	m, ok := s.meetingFor(c, true)
	if !ok {
		return
	}
	vs, err := s.cfg.Minutes.Versions(c.Request.Context(), m.ID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, vs)
}

// versionParam is ?version=n, 0 when absent.
func versionParam(c *gin.Context) (int, bool) {
	q := c.Query("version")
	if q == "" {
		return 0, true
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 {
		writeError(c, phonghop.Fail(phonghop.EInvalid, "version_invalid"))
		return 0, false
	}
	return n, true
}

// minutesDocx: a version of the minutes as a Word document.
func (s *Server) minutesDocx(c *gin.Context) {
	m, ok := s.meetingFor(c, true)
	if !ok {
		return
	}
	version, ok := versionParam(c)
	if !ok {
		return
	}
	data, v, err := s.cfg.Minutes.Docx(c.Request.Context(), m.ID, version)
	if err != nil {
		writeError(c, err)
		return
	}
	setDisposition(c, "attachment", minutesFileName(m, v.Version, ".docx"))
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", data)
}

func (s *Server) minutesPDF(c *gin.Context) {
	m, ok := s.meetingFor(c, true)
	if !ok {
		return
	}
	version, ok := versionParam(c)
	if !ok {
		return
	}
	rc, v, err := s.cfg.Minutes.Open(c.Request.Context(), m.ID, version)
	if err != nil {
		writeError(c, err)
		return
	}
	defer rc.Close()
	etag := `"` + v.SHA256 + `"`
	c.Header("ETag", etag)
	if etagMatch(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	setDisposition(c, "attachment", minutesFileName(m, v.Version, ".pdf"))
	c.DataFromReader(http.StatusOK, v.Size, "application/pdf", rc, nil)
}

// minutesFileName names a version of the minutes as a secretary files it:
// "Biên bản <title> <date> v<n>.pdf" ("Minutes …" for a meeting held in
// English), the date the meeting's own (phonghop.Zone), so the download needs
// no renaming. The title loses what no file name may hold on the systems it
// is filed on (folders, quotes, line breaks, Windows' reserved characters)
// and is cut so the date and version always stay.
func minutesFileName(m *phonghop.Meeting, version int, ext string) string {
	title := strings.Map(func(r rune) rune {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Zs) || strings.ContainsRune(`/\:*?"<>|`, r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(m.Title, ""))
	words := strings.Fields(title)
	title = strings.Join(words, " ")
	if r := []rune(title); len(r) > 100 {
		title = strings.TrimSpace(string(r[:100]))
	}
	parts := []string{"Biên bản"}
	if m.Language == "en" {
		parts[0] = "Minutes"
	}
	if strings.Trim(title, ". ") != "" {
		parts = append(parts, strings.Trim(title, ". "))
	}
	if !m.StartsAt.IsZero() {
		parts = append(parts, m.StartsAt.In(phonghop.Zone).Format("2006-01-02"))
	}
	parts = append(parts, "v"+strconv.Itoa(version))
	return strings.Join(parts, " ") + ext
}

func (s *Server) archive(c *gin.Context) {
	m, ok := s.meetingFor(c, true, phonghop.RoleSecretary, phonghop.RoleChair)
	if !ok {
		return
	}
	c.Header("Content-Type", "application/zip")
	setDisposition(c, "attachment", "meeting-"+m.ID+".zip")
	c.Status(http.StatusOK)
	// Streamed: once bytes are out an error can only cut the zip short, which
	// the client sees as a broken archive rather than a silent partial one.
	if err := s.cfg.Minutes.WriteArchive(c.Request.Context(), m.ID, c.Writer, s.cfg.Meetings); err != nil {
		if phonghop.ErrorCode(err) == phonghop.ECanceled {
			logger(c).Debug("archive: the client hung up", "err", err)
		} else {
			logger(c).Error("archive failed", "err", err)
		}
		panic(http.ErrAbortHandler)
	}
}
