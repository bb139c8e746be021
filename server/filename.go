package server

import (
	"net/url"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/unicode/norm"

	"github.com/phonghop/phonghop"
)

// setDisposition sends a file's name (cleaned again by phonghop.FileName,
// whoever gave it) in a Content-Disposition header: as RFC 6266's filename*
// in UTF-8, and an ASCII filename for clients that know only that. Every
// download names its file here.
func setDisposition(c *gin.Context, kind, name string) {
	name = phonghop.FileName(name, "tai-lieu")
	c.Header("Content-Disposition", kind+`; filename="`+asciiFileName(name)+`"; filename*=UTF-8''`+url.PathEscape(name))
}

// asciiFileName is the name for clients that read only filename: Vietnamese
// letters without their marks ("Biên bản" → "Bien-ban", đ → d), spaces as
// hyphens, and "_" for anything else outside printable ASCII or unsafe in a
// quoted header value.
func asciiFileName(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ':
			r = 'd'
		case r == 'Đ':
			r = 'D'
		case r == ' ':
			r = '-'
		case r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == ';' || r == '%':
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String()
}
