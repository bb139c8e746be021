package phonghop

import "testing"

func TestSpreadsheetText(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "",
		"Nguyễn Văn An":     "Nguyễn Văn An",
		"=1+1":              "'=1+1",
		"+84 912":           "'+84 912",
		"-2":                "'-2",
		"@SUM(A1)":          "'@SUM(A1)",
		"\t=cmd":            "'\t=cmd",
		"\r=cmd":            "'\r=cmd",
		"a=1":               "a=1",
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
	} {
		if got := SpreadsheetText(in); got != want {
			t.Errorf("SpreadsheetText(%q) = %q, want %q", in, got, want)
		}
	}
}
