package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/storage"
)

// uploadDocument streams the multipart part "file" into the store; nothing is
// buffered beyond a few KiB, so memory does not grow with the file.
func (s *Server) uploadDocument(c *gin.Context) {
	if _, ok := s.meetingFor(c, true, phonghop.RoleChair, phonghop.RoleSecretary); !ok {
		return
	}
	limit := s.cfg.Meetings.Limit()
	// Room for the multipart envelope around the file.
	if c.Request.ContentLength > limit+64<<10 {
		writeError(c, meetings.ErrTooLarge(limit))
		return
	}
	up := meetings.Upload{By: userOf(c)}
	// Fields before the file say who may see it (see uploadAccess).
	part, err := filePart(c, c.Request.Body, func(name string, value []byte) error {
		return uploadAccess(name, value, &up.Access)
	})
	if err != nil {
		writeError(c, err)
		return
	}
	up.Name = part.FileName()
	doc, err := s.cfg.Meetings.Upload(c.Request.Context(), c.Param("mid"), up, part)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, doc)
}

// documentContent serves a document with a strong ETag (its SHA-256), single
// byte ranges and If-None-Match.
func (s *Server) documentContent(c *gin.Context) {
	m, doc, ok := s.documentFor(c, true)
	if !ok || !documentReady(c, doc) {
		return
	}
	// ?view=1: the bytes tablets load, the document with its page index
	// appended when it has one.
	view := c.Query("view") == "1" && doc.ViewSHA256 != ""
	size, sum := doc.Size, doc.SHA256
	if view {
		size, sum = doc.ViewSize, doc.ViewSHA256
	}
	etag := `"` + sum + `"`
	h := c.Writer.Header()
	h.Set("ETag", etag)
	h.Set("Accept-Ranges", "bytes")
	h.Set("Cache-Control", "private, max-age=0, must-revalidate")
	h.Set("X-Content-Type-Options", "nosniff")
	if inm := c.GetHeader("If-None-Match"); inm != "" && etagMatch(inm, etag) {
		c.Status(http.StatusNotModified)
		return
	}
	rng, status, err := parseRange(c.GetHeader("Range"), c.GetHeader("If-Range"), etag, size)
	if err != nil {
		h.Set("Content-Range", fmt.Sprintf("bytes */%d", size))
		// 416 is the status HTTP clients expect here; the body keeps the contract's shape.
		c.AbortWithStatusJSON(http.StatusRequestedRangeNotSatisfiable,
			errorBody{Error: phonghop.Fail(phonghop.EInvalid, "range_not_satisfiable")})
		return
	}
	var rc io.ReadCloser
	if view {
		rc, err = s.cfg.Meetings.OpenView(c.Request.Context(), m.ID, doc, rng)
	} else {
		rc, _, err = s.cfg.Meetings.OpenDocument(c.Request.Context(), m.ID, doc.BlobID(), rng)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	defer rc.Close()
	length := size
	if rng != nil {
		length = rng.End - rng.Start + 1
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rng.Start, rng.End, size))
	}
	h.Set("Content-Type", doc.ContentType)
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	setDisposition(c, "inline", meetings.PDFName(doc.Name))
	c.Status(status)
	if c.Request.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(c.Writer, rc); err != nil {
		logger(c).Warn("document download cut short", "err", err)
	}
}

// documentFor finds the meeting and the document in the path for a
// participant (admin too when admin is set), or answers the error and reports
// false.
func (s *Server) documentFor(c *gin.Context, admin bool) (*phonghop.Meeting, phonghop.Document, bool) {
	m, ok := s.meetingFor(c, admin)
	if !ok {
		return nil, phonghop.Document{}, false
	}
	doc, found := m.Document(c.Param("did"))
	// A confidential document is not found by those who may not read it.
	if !found || !m.CanRead(doc, userOf(c)) {
		writeError(c, phonghop.Fail(phonghop.ENotFound, "document_not_found"))
		return nil, phonghop.Document{}, false
	}
	return m, doc, true
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

var errRange = errors.New("unsatisfiable range")

// parseRange reads a single "bytes=" range. Several ranges, or an If-Range that
// does not match, serve the whole body (RFC 9110 allows ignoring Range).
func parseRange(header, ifRange, etag string, size int64) (*storage.Range, int, error) {
	if header == "" || (ifRange != "" && ifRange != etag) {
		return nil, http.StatusOK, nil
	}
	spec, ok := strings.CutPrefix(header, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil, http.StatusOK, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return nil, 0, errRange
	}
	var r storage.Range
	switch {
	case first == "":
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n <= 0 {
			return nil, 0, errRange
		}
		r = storage.Range{Start: max(size-n, 0), End: size - 1}
	default:
		a, err := strconv.ParseInt(first, 10, 64)
		if err != nil || a < 0 || a >= size {
			return nil, 0, errRange
		}
		r = storage.Range{Start: a, End: size - 1}
		if last != "" {
			b, err := strconv.ParseInt(last, 10, 64)
			if err != nil || b < a {
				return nil, 0, errRange
			}
			r.End = min(b, size-1)
		}
	}
	return &r, http.StatusPartialContent, nil
}
