package vote

import "time"

// SetCloseHelp shortens the wait before a caster finishes an abandoned close.
func SetCloseHelp(d time.Duration) (restore func()) {
	old := closeHelp
	closeHelp = d
	return func() { closeHelp = old }
}
