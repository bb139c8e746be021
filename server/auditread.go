package server

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/meetings"
)

// auditQuery reads the log and filter an audit request names: log=accounts
// or log=meetings/{id} (or meeting={id}); who, action; from and to (RFC 3339).
func (s *Server) auditQuery(c *gin.Context) (string, audit.Filter, bool) {
	if s.cfg.Audit == nil {
		writeError(c, phonghop.Fail(phonghop.EUnavailable, "audit_off"))
		return "", audit.Filter{}, false
	}
	log := c.DefaultQuery("log", audit.Accounts)
	if mid := c.Query("meeting"); mid != "" {
		log = audit.MeetingLog(mid)
	}
	if audit.CheckLog(log) != nil {
		writeError(c, phonghop.Fail(phonghop.EInvalid, "audit_log_invalid", "log", audit.Clip(log, 100)))
		return "", audit.Filter{}, false
	}
	f := audit.Filter{Who: strings.TrimSpace(c.Query("who")), Action: strings.TrimSpace(c.Query("action"))}
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		v := c.Query(p.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(c, phonghop.Fail(phonghop.EInvalid, "audit_param_invalid", "param", p.name))
			return "", audit.Filter{}, false
		}
		*p.to = t
	}
	return log, f, true
}

// auditSearch answers one page of a log, newest first.
func (s *Server) auditSearch(c *gin.Context) {
	log, f, ok := s.auditQuery(c)
	if !ok {
		return
	}
	limit, before := 50, uint64(0)
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			writeError(c, phonghop.Fail(phonghop.EInvalid, "audit_param_invalid", "param", "limit"))
			return
		}
		limit = n
	}
	if v := c.Query("before"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(c, phonghop.Fail(phonghop.EInvalid, "audit_param_invalid", "param", "before"))
			return
		}
		before = n
	}
	p, err := s.cfg.Audit.Search(c.Request.Context(), log, f, before, limit)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// auditVerify checks one log's chain and signed heads.
func (s *Server) auditVerify(c *gin.Context) {
	log, _, ok := s.auditQuery(c)
	if !ok {
		return
	}
	r, err := s.cfg.Audit.VerifyLog(c.Request.Context(), log)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

// auditExport sends every entry of a log passing the filter, oldest first,
// as CSV or .xlsx (by the path's extension), headed in lang (vi or en).
func (s *Server) auditExport(c *gin.Context) {
	log, f, ok := s.auditQuery(c)
	if !ok {
		return
	}
	lang := c.DefaultQuery("lang", "vi")
	if lang != "vi" && lang != "en" {
		writeError(c, phonghop.Fail(phonghop.EInvalid, "language_invalid"))
		return
	}
	all, err := s.cfg.Audit.Entries(c.Request.Context(), log)
	if err != nil {
		writeError(c, err)
		return
	}
	var entries []audit.Entry
	for _, e := range all {
		if f.Match(e) {
			entries = append(entries, e)
		}
	}
	// Render first so an error still gets the contract's JSON body.
	var buf bytes.Buffer
	xlsx := strings.HasSuffix(c.FullPath(), ".xlsx")
	if xlsx {
		err = audit.WriteXLSX(&buf, entries, lang, meetings.Zone)
	} else {
		err = audit.WriteCSV(&buf, entries, lang, meetings.Zone)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	name := "nhat-ky-" + strings.ReplaceAll(log, "/", "-") + time.Now().In(meetings.Zone).Format("-20060102-1504")
	if xlsx {
		setDisposition(c, "attachment", name+".xlsx")
		c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
		return
	}
	setDisposition(c, "attachment", name+".csv")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
