package server

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
)

// maxFieldBytes bounds the fields sent before the file, all together: a
// handful of short values (a document's access) fit many times over, and a
// body of thousands of fields is refused instead of read into memory.
const maxFieldBytes = 64 << 10

// filePart reads a multipart upload from body up to its part "file", which it
// returns for the caller to stream. The fields before it (at most
// maxFieldBytes together, named or not) go to field, when not nil.
func filePart(c *gin.Context, body io.Reader, field func(name string, value []byte) error) (*multipart.Part, error) {
	ct, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || ct != "multipart/form-data" || params["boundary"] == "" {
		return nil, phonghop.Fail(phonghop.EInvalid, "upload_not_multipart")
	}
	mr := multipart.NewReader(body, params["boundary"])
	left := int64(maxFieldBytes)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, phonghop.Fail(phonghop.EInvalid, "upload_no_file")
		}
		if err != nil {
			return nil, phonghop.Fail(phonghop.EInvalid, "upload_malformed")
		}
		if part.FormName() == "file" {
			return part, nil
		}
		value, err := io.ReadAll(io.LimitReader(part, left+1))
		if err != nil {
			return nil, phonghop.Fail(phonghop.EInvalid, "upload_malformed")
		}
		if left -= int64(len(value)); left < 0 {
			return nil, phonghop.Fail(phonghop.ETooLarge, "upload_fields_too_large", "limit", "64 KiB")
		}
		if field != nil {
			if err := field(part.FormName(), value); err != nil {
				return nil, err
			}
		}
	}
}
