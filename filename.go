package phonghop

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FileName makes a name given with a file safe to store, show, put in a zip or
// send in a Content-Disposition header: the base name only (no folders, no
// ".."), without control characters, bidirectional or other format characters
// (U+202E shows "exe.pdf" for "fdp.exe"), line separators or quotes, at most 200
// characters. fallback is used when nothing is left. Every name a user gave
// passes here before it goes anywhere a file name counts.
func FileName(name, fallback string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(strings.TrimSpace(strings.ToValidUTF8(name, "")))
	var b strings.Builder
	for _, r := range name {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) || r == '"' || r == utf8.RuneError {
			continue
		}
		b.WriteRune(r)
	}
	out := strings.TrimSpace(b.String())
	if utf8.RuneCountInString(out) > 200 {
		out = string([]rune(out)[:200])
	}
	if strings.Trim(out, ". /") == "" {
		return fallback
	}
	return out
}

// PDFFileName is FileName ending in ".pdf", for a file that holds a PDF
// whatever it was called: an extension such as ".exe" or ".docx" is replaced,
// and a dot that ends no extension ("Số 12.2024") is kept with ".pdf" after it.
func PDFFileName(name, fallback string) string {
	name = FileName(name, fallback)
	ext := path.Ext(name)
	switch {
	case strings.EqualFold(ext, ".pdf"):
		return strings.TrimSuffix(name, ext) + ".pdf"
	case isExtension(ext) && len(name) > len(ext):
		name = strings.TrimSuffix(name, ext)
	}
	if utf8.RuneCountInString(name) > 196 {
		name = string([]rune(name)[:196])
	}
	return name + ".pdf"
}

// isExtension: a dot and 1–5 ASCII letters or digits, at least one a letter.
func isExtension(ext string) bool {
	if len(ext) < 2 || len(ext) > 6 {
		return false
	}
	letter := false
	for _, c := range ext[1:] {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return letter
}
