package server

import (
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
)

// setDisposition sends a file's name (cleaned again by phonghop.FileName,
// whoever gave it) in a Content-Disposition header: as RFC 6266's filename*
// in UTF-8, and an ASCII filename for clients that know only that. Every
// download names its file here.
func setDisposition(c *gin.Context, kind, name string) {
	name = phonghop.FileName(name, "tai-lieu")
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == ';' || r == '%' {
			return '_'
		}
		return r
	}, name)
	c.Header("Content-Disposition", kind+`; filename="`+ascii+`"; filename*=UTF-8''`+url.PathEscape(name))
}
