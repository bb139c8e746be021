package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *Server) routes() {
	e := s.engine
	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	if s.cfg.Metrics != nil {
		e.GET("/metrics", gin.WrapH(s.cfg.Metrics))
	}

	api := e.Group("/api/v1", s.securityHeaders, s.auditTrail)
	api.POST("/auth/login", s.login)
	api.GET("/auth/methods", s.authMethods)
	api.GET("/auth/oidc/login", s.oidcLogin)
	api.GET("/auth/oidc/callback", s.oidcCallback)

	a := api.Group("", s.authenticate)
	a.POST("/auth/logout", s.logout)
	a.GET("/me", s.me)
	a.POST("/users", s.requireAdmin, s.createUser)
	a.GET("/users", s.requireAdmin, s.listUsers)
	a.PATCH("/users/:uid", s.requireAdmin, s.updateUser)
	a.DELETE("/users/:uid", s.requireAdmin, s.deleteUser)
	a.POST("/users/import", s.requireAdmin, s.importUsers)
	a.POST("/me/password", s.changePassword)
	a.POST("/users/:uid/password", s.requireAdmin, s.resetPassword)
	a.DELETE("/users/:uid/external", s.requireAdmin, s.unbindUser)

	a.POST("/meetings", s.requireAdmin, s.createMeeting)
	a.GET("/meetings", s.listMeetings)
	m := a.Group("/meetings/:mid")
	m.GET("", s.getMeeting)
	m.PATCH("", s.updateMeeting)
	m.PUT("/participants", s.setParticipants)
	m.POST("/agenda", s.addItem)
	m.PUT("/agenda/:iid", s.updateItem)
	m.POST("/documents", s.uploadDocument)
	m.GET("/documents/:did/content", s.documentContent)
	m.HEAD("/documents/:did/content", s.documentContent)
	m.GET("/documents/:did/notes", s.getNotes)
	m.PUT("/documents/:did/notes/:page", s.putNote)

	m.GET("/live", s.liveSocket)
	m.GET("/state", s.state)
	m.PUT("/presentation", s.present)
	m.POST("/attendance", s.checkIn)
	m.DELETE("/attendance", s.checkOut)
	m.POST("/speakers", s.speakers)
	m.POST("/session", s.session)
	m.PUT("/attendance/:uid", s.markAttendance)

	m.POST("/polls", s.createPoll)
	m.GET("/polls", s.listPolls)
	m.GET("/polls/:pid", s.getPoll)
	m.POST("/polls/:pid/open", s.openPoll)
	m.POST("/polls/:pid/close", s.closePoll)
	m.POST("/polls/:pid/ballots", s.castBallot)
	m.GET("/polls/:pid/results.csv", s.pollCSV)
	m.GET("/polls/:pid/results.json", s.pollJSON)
	m.GET("/polls/:pid/receipts/:sha256", s.receiptCounted)
	m.GET("/polls/:pid/committee", s.getCommittee)
	m.PUT("/polls/:pid/committee", s.putCommittee)
	m.GET("/polls/:pid/counting.pdf", s.countingRecord)
	m.POST("/photos", s.uploadPhoto)
	m.GET("/photos/:phid", s.photo)

	m.POST("/cancel", s.cancelMeeting)
	m.POST("/reinstate", s.reinstateMeeting)
	m.POST("/copy", s.copyMeeting)
	m.PATCH("/agenda/:iid", s.patchItem)
	m.DELETE("/agenda/:iid", s.deleteItem)
	m.POST("/agenda/:iid/move", s.moveItem)
	m.PATCH("/polls/:pid", s.updatePoll)
	m.DELETE("/polls/:pid", s.deletePoll)
	m.POST("/participants/import", s.importParticipants)
	m.GET("/participants.xlsx", s.exportParticipants)
	m.PATCH("/documents/:did", s.renameDocument)
	m.DELETE("/documents/:did", s.deleteDocument)
	m.POST("/documents/:did/versions", s.replaceDocument)
	m.PUT("/documents/:did/items", s.setDocumentItems)

	m.GET("/minutes", s.getMinutes)
	m.PUT("/minutes", s.putMinutes)
	m.POST("/minutes/pdf", s.renderMinutes)
	m.GET("/minutes/versions", s.minutesVersions)
	m.GET("/minutes.pdf", s.minutesPDF)
	m.POST("/minutes/preview", s.previewMinutes)
	m.POST("/minutes/versions/:n/approve", s.approveMinutes)
	m.GET("/minutes.docx", s.minutesDocx)
	m.GET("/archive.zip", s.archive)

	m.GET("/documents/:did/original", s.documentOriginal)
	m.PUT("/documents/:did/access", s.setDocumentAccess)

	m.POST("/notice", s.sendNotice)
	m.DELETE("/notice", s.withdrawNotice)

	a.GET("/audit", s.requireAdmin, s.auditSearch)
	a.GET("/audit/verify", s.requireAdmin, s.auditVerify)
	a.GET("/audit.csv", s.requireAdmin, s.auditExport)
	a.GET("/audit.xlsx", s.requireAdmin, s.auditExport)

	m.POST("/consultations", s.createConsultation)
	m.GET("/consultations", s.listConsultations)
	m.GET("/consultations/:cid", s.getConsultation)
	m.PATCH("/consultations/:cid", s.patchConsultation)
	m.POST("/consultations/:cid/close", s.closeConsultation)
	m.GET("/consultations/:cid/opinions", s.listOpinions)
	m.POST("/consultations/:cid/opinions", s.addOpinion)
	m.PUT("/consultations/:cid/opinions/:oid", s.editOpinion)
	m.DELETE("/consultations/:cid/opinions/:oid", s.withdrawOpinion)
	m.GET("/consultations/:cid/responses", s.consultationResponses)
	m.GET("/consultations/:cid/summary.pdf", s.consultationSummary("pdf", "application/pdf"))
	m.GET("/consultations/:cid/summary.docx", s.consultationSummary("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))

	s.engine.NoRoute(s.noRoute)
}

// securityHeaders are set on every API answer: nothing in it runs as a page
// (a document opened by its URL included), no other site may frame it or load
// it as a subresource.
func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	s.transportSecurity(h)
	c.Next()
}

// webAppCSP is the web app's Content-Security-Policy. Scripts, the pdf.js
// worker and the service worker come only from the server ('wasm-unsafe-eval'
// lets pdf.js compile its image decoders; pdf.js runs with isEvalSupported
// false, so no 'unsafe-eval'); styles may be inline (Svelte sets style
// attributes); pdf.js draws images from data: and blob: URLs and loads fonts as
// data; fetches and the live socket go to the server only. No plugins, no
// <base>, forms post only here, only the app itself may frame a page.
const webAppCSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"

// appHeaders are set on every answer of the web app (HTML, scripts, assets).
func (s *Server) appHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", webAppCSP)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=()")
	s.transportSecurity(h)
}

// transportSecurity asks browsers to keep to HTTPS once they have seen the
// server over it; only when the operator says it is served over HTTPS.
func (s *Server) transportSecurity(h http.Header) {
	if s.cfg.SecureCookies {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

func (s *Server) readyz(c *gin.Context) {
	status := gin.H{}
	ok := true
	for name, p := range s.cfg.Ready {
		if err := p.Ping(c.Request.Context()); err != nil {
			status[name] = "unavailable"
			ok = false
			logger(c).Warn("not ready", "dependency", name, "err", err)
		} else {
			status[name] = "ok"
		}
	}
	if !ok {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "checks": status})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "checks": status})
}
