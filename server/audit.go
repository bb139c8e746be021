package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/storage"
)

// Auditor keeps the audit trail; *audit.Service satisfies it.
type Auditor interface {
	Record(ctx context.Context, log string, e audit.Entry)
	// Search and VerifyLog serve the admin's audit screen and exports.
	Search(ctx context.Context, log string, f audit.Filter, before uint64, limit int) (audit.Page, error)
	Entries(ctx context.Context, log string) ([]audit.Entry, error)
	VerifyLog(ctx context.Context, log string) (audit.Report, error)
}

const (
	// ctxAuditUsername holds the username a sign-in tried.
	ctxAuditUsername = "phonghop.audit.username"
	// ctxAuditMeeting names the meeting a request without one in its path
	// acted on (the meeting it created).
	ctxAuditMeeting = "phonghop.audit.meeting"
	// ctxErrorReason holds the reason a request was refused with.
	ctxErrorReason = "phonghop.errorReason"
	// ctxAuditAction names the request's action when its route does several
	// (the session and speakers routes).
	ctxAuditAction = "phonghop.audit.action"
)

// auditAction names what a route does in the trail. Every unsafe request
// answered with success is recorded (under its method and route when it is
// not named here, so a new route is never left out), except those in
// notAudited; of the reads, only those named here.
var auditAction = map[string]string{
	"POST /auth/login":                                "signin",
	"GET /auth/oidc/callback":                         "signin.oidc",
	"POST /auth/logout":                               "signout",
	"POST /users":                                     "user.created",
	"PATCH /users/:uid":                               "user.updated",
	"DELETE /users/:uid":                              "user.deleted",
	"POST /users/import":                              "users.imported",
	"POST /me/password":                               "password.changed",
	"POST /users/:uid/password":                       "password.reset",
	"DELETE /users/:uid/external":                     "user.unbound",
	"POST /meetings":                                  "meeting.created",
	"PATCH /meetings/:mid":                            "meeting.updated",
	"POST /meetings/:mid/cancel":                      "meeting.cancelled",
	"POST /meetings/:mid/reinstate":                   "meeting.reinstated",
	"POST /meetings/:mid/copy":                        "meeting.copied",
	"PUT /meetings/:mid/participants":                 "participants.set",
	"POST /meetings/:mid/participants/import":         "participants.imported",
	"GET /meetings/:mid/participants.xlsx":            "participants.exported",
	"POST /meetings/:mid/agenda":                      "agenda.added",
	"PUT /meetings/:mid/agenda/:iid":                  "agenda.updated",
	"PATCH /meetings/:mid/agenda/:iid":                "agenda.updated",
	"DELETE /meetings/:mid/agenda/:iid":               "agenda.deleted",
	"POST /meetings/:mid/agenda/:iid/move":            "agenda.moved",
	"POST /meetings/:mid/documents":                   "document.uploaded",
	"PATCH /meetings/:mid/documents/:did":             "document.renamed",
	"DELETE /meetings/:mid/documents/:did":            "document.deleted",
	"POST /meetings/:mid/documents/:did/versions":     "document.replaced",
	"PUT /meetings/:mid/documents/:did/items":         "document.items.set",
	"PUT /meetings/:mid/documents/:did/access":        "document.access.set",
	"GET /meetings/:mid/documents/:did/content":       "document.opened",
	"GET /meetings/:mid/documents/:did/original":      "document.original.downloaded",
	"POST /meetings/:mid/attendance":                  "attendance.checkin",
	"DELETE /meetings/:mid/attendance":                "attendance.checkout",
	"PUT /meetings/:mid/attendance/:uid":              "attendance.marked",
	"POST /meetings/:mid/speakers":                    "speakers",
	"POST /meetings/:mid/session":                     "session",
	"POST /meetings/:mid/polls":                       "poll.created",
	"PATCH /meetings/:mid/polls/:pid":                 "poll.updated",
	"DELETE /meetings/:mid/polls/:pid":                "poll.deleted",
	"POST /meetings/:mid/polls/:pid/open":             "poll.opened",
	"POST /meetings/:mid/polls/:pid/close":            "poll.closed",
	"PUT /meetings/:mid/polls/:pid/committee":         "poll.committee.set",
	"GET /meetings/:mid/polls/:pid/results.csv":       "poll.results.exported",
	"GET /meetings/:mid/polls/:pid/counting.pdf":      "poll.counting.downloaded",
	"POST /meetings/:mid/photos":                      "photo.uploaded",
	"PUT /meetings/:mid/minutes":                      "minutes.edited",
	"POST /meetings/:mid/minutes/pdf":                 "minutes.rendered",
	"POST /meetings/:mid/minutes/versions/:n/approve": "minutes.approved",
	"GET /meetings/:mid/minutes.pdf":                  "minutes.downloaded",
	"GET /meetings/:mid/minutes.docx":                 "minutes.docx.downloaded",
	"GET /meetings/:mid/archive.zip":                  "archive.downloaded",
	"GET /audit.csv":                                  "audit.exported",
	"POST /meetings/:mid/notice":                      "notice.sent",
	"DELETE /meetings/:mid/notice":                    "notice.withdrawn",
	"GET /audit.xlsx":                                 "audit.exported",
}

// notAudited are unsafe requests the trail leaves out: ballots (nothing may
// join a voter to a secret ballot, not even the time it was cast: who voted is
// one entry at the close), page turns (the journal has the presentation),
// private notes and previews (nothing is kept).
var notAudited = map[string]bool{
	"POST /meetings/:mid/polls/:pid/ballots":        true,
	"PUT /meetings/:mid/presentation":               true,
	"PUT /meetings/:mid/documents/:did/notes/:page": true,
	"POST /meetings/:mid/minutes/preview":           true,
}

// auditTargets names the path parameters an entry keeps.
var auditTargets = map[string]string{
	"did": "documentId", "pid": "pollId", "iid": "itemId", "uid": "userId", "n": "version", "phid": "photoId",
	"cid": "consultationId", "oid": "opinionId",
}

// auditTrail records the request in the audit trail once it is answered:
// what changed (with the set-up changes the services reported while it ran),
// the reads that matter, every sign-in and failed sign-in. One place, so
// handlers record nothing themselves.
func (s *Server) auditTrail(c *gin.Context) {
	if s.cfg.Audit == nil {
		c.Next()
		return
	}
	c.Request = c.Request.WithContext(audit.Collect(c.Request.Context()))
	c.Next()
	route := strings.TrimPrefix(c.FullPath(), "/api/v1")
	key := c.Request.Method + " " + route
	action, named := auditAction[key]
	if a := c.GetString(ctxAuditAction); a != "" {
		action = a
	}
	status := c.Writer.Status()
	unsafe := c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead
	signIn := action == "signin" || action == "signin.oidc"
	switch {
	case route == "" || notAudited[key]:
		return
	case signIn:
		if _, ok := c.Get(ctxUser); !ok || status >= 400 {
			action = "signin.failed"
		}
	case status >= 400:
		return
	case !named && !unsafe:
		return
	case !named:
		action = key
	case action == "document.opened" && !s.opening(c):
		return
	}
	e := audit.Entry{Action: action, Status: status, Address: c.ClientIP(), Device: audit.Clip(c.Request.UserAgent(), 300)}
	if v, ok := c.Get(ctxUser); ok {
		u := v.(phonghop.User)
		e.Actor, e.Username = u.ID, u.Username
	} else if name := c.GetString(ctxAuditUsername); name != "" {
		e.Username = audit.Clip(name, 200)
	}
	if reason := c.GetString(ctxErrorReason); reason != "" && action == "signin.failed" {
		e.Details = map[string]string{"reason": reason}
		if typed, asked := c.Get(ctxAuditUsername); asked && typed == "" {
			e.Details["account"] = "unknown" // the name typed is not kept (see login)
		}
	}
	if action == "audit.exported" { // what was taken away: the log and the filter
		e.Details = map[string]string{"query": audit.Clip(c.Request.URL.RawQuery, 500)}
	}
	for _, p := range c.Params {
		if name, ok := auditTargets[p.Key]; ok {
			if e.Target == nil {
				e.Target = map[string]string{}
			}
			e.Target[name] = audit.Clip(p.Value, 100)
		}
	}
	e.Changes = audit.Collected(c.Request.Context())
	log := audit.Accounts
	if mid := c.Param("mid"); mid != "" && storage.CheckKey(mid) == nil && !strings.Contains(mid, "/") {
		e.Meeting, log = mid, audit.MeetingLog(mid)
	} else if mid := c.GetString(ctxAuditMeeting); mid != "" {
		e.Meeting, log = mid, audit.MeetingLog(mid)
	} else if len(e.Changes) > 0 && e.Changes[0].Meeting != "" {
		e.Meeting, log = e.Changes[0].Meeting, audit.MeetingLog(e.Changes[0].Meeting)
	}
	s.cfg.Audit.Record(c.Request.Context(), log, e)
}

// opening tells whether a request for a document's bytes opens it: a reader
// loads a document by ranges, and only its first request counts (one without
// a range or with one from byte 0, not seen for this session and document in
// the last minutes on this process). HEAD requests never do.
func (s *Server) opening(c *gin.Context) bool {
	switch c.Writer.Status() {
	case http.StatusOK, http.StatusPartialContent, http.StatusNotModified:
	default:
		return false
	}
	if r := c.GetHeader("Range"); r != "" && !strings.HasPrefix(strings.TrimSpace(r), "bytes=0-") {
		return false
	}
	sess := ""
	if v, ok := c.Get(ctxSession); ok {
		sess = v.(accounts.Session).ID
	}
	return s.openings.First(sess+"/"+c.Param("mid")+"/"+c.Param("did"), time.Now())
}
