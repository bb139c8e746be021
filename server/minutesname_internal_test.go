package server

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
)

// A title stored before line breaks and format characters were refused at
// input (or brought by a copy of old data) still makes a clean header: the
// download's name is built here whatever the title holds.
func TestMinutesFileNameOfAnyTitle(t *testing.T) {
	m := &phonghop.Meeting{
		Title:    "Kỳ họp \"bất thường\"\r\nsố 3/2024\tHĐND\u2028huyện\\Tháp\u202eMười: <Đợt 1>?*|",
		StartsAt: time.Date(2024, 1, 12, 23, 30, 0, 0, time.UTC),
		Language: "vi",
	}
	name := minutesFileName(m, 4, ".pdf")
	if want := "Biên bản Kỳ họp bất thường số 3 2024 HĐND huyện Tháp Mười Đợt 1 2024-01-13 v4.pdf"; name != want {
		t.Errorf("name %q, want %q", name, want)
	}
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	setDisposition(c, "attachment", name)
	cd := w.Header().Get("Content-Disposition")
	if want := `attachment; filename="Bien-ban-Ky-hop-bat-thuong-so-3-2024-HDND-huyen-Thap-Muoi-Dot-1-2024-01-13-v4.pdf"; filename*=UTF-8''` + url.PathEscape(name); cd != want {
		t.Errorf("Content-Disposition\n %q, want\n %q", cd, want)
	}
	long := &phonghop.Meeting{Title: strings.Repeat("Kỳ họp rất dài ", 20), StartsAt: m.StartsAt}
	if got := minutesFileName(long, 1, ".docx"); len([]rune(got)) > 130 || got[len(got)-len("2024-01-13 v1.docx"):] != "2024-01-13 v1.docx" {
		t.Errorf("a long title: %q", got)
	}
}
