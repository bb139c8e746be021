package phonghop_test

import (
	"testing"

	"github.com/phonghop/phonghop"
)

// What draws nothing or turns the text around it (issue #11's list: the
// bidirectional embeddings, overrides and isolates, zero-width characters and
// marks, the BOM, C0 and C1 controls), and what is ordinary Vietnamese text.
func TestInvisibleCharacters(t *testing.T) {
	for _, r := range []rune{0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069,
		0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0xFEFF, 0x061C, 0x2060, 0x00AD, 0x2028, 0x2029,
		0x00, 0x07, 0x09, 0x0A, 0x0D, 0x1B, 0x7F, 0x80, 0x85, 0x9F, 0x3164, 0x115F, 0x2800, 0xE0041} {
		s := "Nguyễn" + string(r) + "Văn A"
		err := phonghop.CheckVisible("displayName", s)
		if phonghop.ErrorCode(err) != phonghop.EInvalid || err.(*phonghop.Error).Params["char"] != phonghop.RuneName(r) {
			t.Errorf("%U: %v", r, err)
		}
		if got := phonghop.CleanLine(" " + s + " "); got != "NguyễnVăn A" && got != "Nguyễn Văn A" {
			t.Errorf("CleanLine with %U: %q", r, got)
		}
		if got := phonghop.CleanText(s); got != "NguyễnVăn A" && got != "Nguyễn\nVăn A" && got != "Nguyễn\tVăn A" {
			t.Errorf("CleanText with %U: %q", r, got)
		}
	}
	for _, s := range []string{"Nguyễn Văn A", "Đặng Thị Hương (UBND xã Mỹ An)", "Tờ trình số 12/TTr-UBND", "“Quyết định” – 50% · №5 ✓ 😀", "Chủ tịch HĐND"} {
		if err := phonghop.CheckVisible("title", s); err != nil {
			t.Errorf("%q refused: %v", s, err)
		}
		if phonghop.CleanText(s) != s || phonghop.CleanLine(s) != s {
			t.Errorf("%q changed", s)
		}
	}
	if got := phonghop.CleanText("Dòng 1\r\nDòng 2\rDòng 3\u2028Dòng\t4\u202e"); got != "Dòng 1\nDòng 2\nDòng 3\nDòng\t4" {
		t.Errorf("CleanText kept lines as %q", got)
	}
	if err := phonghop.CheckTextLines("organization", "UBND HUYỆN THÁP MƯỜI\r\nVĂN PHÒNG", false, 300); err != nil {
		t.Errorf("a body's name on two lines: %v", err)
	}
	if err := phonghop.CheckTextLines("organization", "UBND\u202e HUYỆN", false, 300); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Errorf("a body's name with U+202E: %v", err)
	}
	if v, err := phonghop.FreeText("text", "  \u200b ", true, 10); err == nil {
		t.Errorf("nothing but invisible is required text: %q", v)
	}
	if _, err := phonghop.FreeText("text", "\xff", false, 10); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Errorf("invalid UTF-8: %v", err)
	}
}
