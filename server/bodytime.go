package server

import (
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// Defaults of Config.BodyTimeout and Config.UploadMinRate.
const (
	DefaultBodyTimeout   = 30 * time.Second
	DefaultUploadMinRate = 16 << 10 // bytes a second
)

// bodyDeadline bounds how long a request's body may take to arrive, so a
// client sending a byte now and then cannot hold a connection and a handler
// (the server set only ReadHeaderTimeout: 200 sign-ins dripping a byte every
// 10 s were all open after 40 s). A JSON or form body must be whole within
// BodyTimeout; an upload (multipart or any other type) may take longer but
// must keep an average of UploadMinRate after the first BodyTimeout. A body
// too slow fails to read (the handler answers as for a cut upload, 400
// upload_interrupted) and the connection is closed. Once the body has been
// read to its end the deadline is lifted, so a slow handler is not cut off.
func (s *Server) bodyDeadline(c *gin.Context) {
	r := c.Request
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 && len(r.TransferEncoding) == 0 {
		c.Next()
		return
	}
	b := &timedBody{ReadCloser: r.Body, rc: http.NewResponseController(c.Writer), start: time.Now(), grace: s.cfg.BodyTimeout}
	if b.grace <= 0 {
		b.grace = DefaultBodyTimeout
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" && mt != "application/x-www-form-urlencoded" && mt != "text/plain" {
		if b.rate = s.cfg.UploadMinRate; b.rate <= 0 {
			b.rate = DefaultUploadMinRate
		}
	}
	if b.rc.SetReadDeadline(b.start.Add(b.grace)) != nil {
		c.Next() // a connection without deadlines (not a real one)
		return
	}
	r.Body = b
	c.Next()
}

// timedBody moves the connection's read deadline as the body arrives.
type timedBody struct {
	io.ReadCloser
	rc       *http.ResponseController
	start    time.Time
	grace    time.Duration
	rate     int64 // bytes a second an upload keeps on average; 0: a fixed deadline
	read     int64
	deadline time.Time
	done     bool
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	switch {
	case err == io.EOF && !b.done:
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	case err == nil && b.rate > 0:
		d := b.start.Add(b.grace + time.Duration(float64(b.read)/float64(b.rate)*float64(time.Second)))
		if d.Sub(b.deadline) >= time.Second { // not a timer reset per chunk
			b.deadline = d
			_ = b.rc.SetReadDeadline(d)
		}
	}
	return n, err
}
