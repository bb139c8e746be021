package phonghop

import "strings"

// SpreadsheetText makes a value safe to put in a CSV cell a spreadsheet will
// open: a value it would evaluate as a formula (starting with = + - @, a tab
// or a carriage return) gets a leading apostrophe, so a participant's name
// like "=HYPERLINK(...)" is shown, never run. Every CSV the server writes
// passes its cells here.
func SpreadsheetText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
