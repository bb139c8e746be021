package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/meetings"
)

// Office documents (converted to PDF by convert/) and confidential ones.

// uploadAccess reads one form field sent before the file: "confidential"
// and "watermark" (true/false), "readers" (user ids, comma-separated or one
// field each). Other fields are ignored.
func uploadAccess(name string, value []byte, a *meetings.Access) error {
	if name != "confidential" && name != "watermark" && name != "readers" {
		return nil
	}
	v := strings.TrimSpace(string(value))
	if name == "readers" {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				a.Readers = append(a.Readers, id)
			}
		}
		return nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return phonghop.Fail(phonghop.EInvalid, "document_access_invalid", "field", name)
	}
	if name == "confidential" {
		a.Confidential = on
	} else {
		a.Watermark = on
	}
	return nil
}

// documentReady answers 409 for a document whose PDF is not made yet, or
// could not be, and reports false.
func documentReady(c *gin.Context, doc phonghop.Document) bool {
	switch {
	case doc.Ready():
		return true
	case doc.Conversion.State == phonghop.ConversionFailed:
		writeError(c, phonghop.Fail(phonghop.EConflict, "document_conversion_failed"))
	default:
		writeError(c, phonghop.Fail(phonghop.EConflict, "document_converting"))
	}
	return false
}

// documentOriginal serves the office file a document's PDF was made from.
// A confidential one's original (editable, never watermarked) goes only to
// those who manage the meeting's documents.
func (s *Server) documentOriginal(c *gin.Context) {
	m, doc, ok := s.documentFor(c, true)
	if !ok {
		return
	}
	if doc.Original == nil {
		writeError(c, phonghop.Fail(phonghop.ENotFound, "document_no_original"))
		return
	}
	if doc.Confidential && !m.ManagesDocuments(userOf(c)) {
		writeError(c, phonghop.Fail(phonghop.EForbidden, "document_original_managers_only"))
		return
	}
	etag := `"` + doc.Original.SHA256 + `"`
	c.Header("ETag", etag)
	c.Header("X-Content-Type-Options", "nosniff")
	if etagMatch(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	rc, err := s.cfg.Meetings.OpenOriginal(c.Request.Context(), m.ID, doc)
	if err != nil {
		writeError(c, err)
		return
	}
	defer rc.Close()
	setDisposition(c, "attachment", meetings.CleanName(doc.Original.Name))
	c.DataFromReader(http.StatusOK, doc.Original.Size, doc.Original.ContentType, rc, nil)
}

// setDocumentAccess makes a document confidential to named readers (or
// not) and sets its watermark: {"confidential","readers","watermark"}.
func (s *Server) setDocumentAccess(c *gin.Context) {
	m, _, ok := s.documentFor(c, true)
	if !ok {
		return
	}
	if !m.ManagesDocuments(userOf(c)) {
		writeError(c, phonghop.Fail(phonghop.EForbidden, "role_forbidden"))
		return
	}
	var a meetings.Access
	if err := bindJSON(c, &a, maxJSON); err != nil {
		writeError(c, err)
		return
	}
	doc, err := s.cfg.Meetings.SetAccess(c.Request.Context(), m.ID, c.Param("did"), a)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, doc)
}
