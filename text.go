package phonghop

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text a person typed reaches other people's tablets, the wall, the minutes
// and the archive. Characters that draw nothing or turn the text around them
// let one person make their words read differently there: U+202E turns
// "Nguyễn Văn A" into "A năV nễyugN" on every screen, an isolate or
// embedding left open pulls the names after it into its direction, a
// zero-width space or a filler makes two names that look the same differ (or
// a name that looks blank). These are decided here, once, for every way text
// comes in (REST, the live room, imports, the identity provider):
//
//   - a one-line text (a name, position, unit, title, option, candidate, a
//     document's name) with such a character is refused (CheckVisible,
//     CheckText), naming the field and the character, so the person can
//     retype it;
//   - free text (opinions, notes, notices, reasons) is legitimately pasted
//     from other documents, which carry zero-width spaces and direction
//     marks nobody sees: it is kept without them (FreeText, CleanText),
//     line breaks and tabs kept;
//   - what the identity provider sends is cleaned as free text is on one line
//     (CleanLine): the person cannot retype it here.

// invisible reports whether r draws nothing or changes the direction of the
// text around it: C0 and C1 controls and DEL, format characters (Cf: the
// bidirectional embeddings, overrides, isolates and marks, zero-width
// spaces and joiners, the byte order mark, soft hyphen, tags), line and
// paragraph separators, and the fillers that stand for a letter but draw
// nothing (Hangul fillers, the braille blank).
func invisible(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	case r == 0x115f, r == 0x1160, r == 0x3164, r == 0xffa0, r == 0x2800:
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// RuneName is how an error names a character: U+202E.
func RuneName(r rune) string { return fmt.Sprintf("U+%04X", r) }

// CheckVisible refuses a one-line text holding a character that draws
// nothing or turns the text around it (400 text_invisible_char, naming the
// field and the character).
func CheckVisible(field, v string) error { return checkVisible(field, v, false) }

// checkVisible is CheckVisible, with line breaks (LF, CRLF) allowed if lines.
func checkVisible(field, v string, lines bool) error {
	for _, r := range v {
		if lines && (r == '\n' || r == '\r') {
			continue
		}
		if invisible(r) {
			return Fail(EInvalid, "text_invisible_char", "field", field, "char", RuneName(r))
		}
	}
	return nil
}

// CheckText validates a required or optional one-line text of at most max
// characters: valid UTF-8, nothing invisible or direction-changing in it.
// The caller trims it first.
func CheckText(field, v string, required bool, max int) error {
	return checkText(field, v, required, max, false)
}

// CheckTextLines is CheckText for a name set on a few lines (an issuing body's
// name in the minutes' heading, whose lines are its own): line breaks are
// allowed, nothing else invisible.
func CheckTextLines(field, v string, required bool, max int) error {
	return checkText(field, v, required, max, true)
}

func checkText(field, v string, required bool, max int, lines bool) error {
	if required && strings.TrimSpace(v) == "" {
		return Fail(EInvalid, "text_required", "field", field)
	}
	if !utf8.ValidString(v) {
		return Fail(EInvalid, "text_not_utf8", "field", field)
	}
	if err := checkVisible(field, v, lines); err != nil {
		return err
	}
	if utf8.RuneCountInString(v) > max {
		return Fail(EInvalid, "text_too_long", "field", field, "max", max)
	}
	return nil
}

// CleanText is free text without the characters CheckVisible refuses, but
// for line breaks and tabs: CR LF, CR and the Unicode line and paragraph
// separators become LF. Invalid UTF-8 is left as it is, for the caller to
// refuse (strings.Map would make it U+FFFD).
func CleanText(s string) string {
	if !utf8.ValidString(s) || !strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && r != '\t' && invisible(r) }) {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r', r == 0x2028, r == 0x2029:
			return '\n'
		case r == '\n', r == '\t':
			return r
		case invisible(r):
			return -1
		}
		return r
	}, s)
}

// CleanLine is a one-line text without anything CheckVisible refuses (line
// breaks and tabs become spaces), trimmed: for text a person cannot retype
// here, such as the identity provider's claims.
func CleanLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\n', r == '\r', r == '\t', r == 0x2028, r == 0x2029:
			return ' '
		case invisible(r):
			return -1
		}
		return r
	}, s))
}

// FreeText cleans free text (CleanText) and checks it: valid UTF-8, required
// (something but spaces) or not, at most max characters. It is not trimmed.
func FreeText(field, v string, required bool, max int) (string, error) {
	if !utf8.ValidString(v) {
		return "", Fail(EInvalid, "text_not_utf8", "field", field)
	}
	v = CleanText(v)
	if required && strings.TrimSpace(v) == "" {
		return "", Fail(EInvalid, "text_required", "field", field)
	}
	if utf8.RuneCountInString(v) > max {
		return "", Fail(EInvalid, "text_too_long", "field", field, "max", max)
	}
	return v, nil
}
