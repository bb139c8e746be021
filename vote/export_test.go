package vote

import "time"

// SetCloseHelp shortens the wait before a caster finishes an abandoned close.
func SetCloseHelp(d time.Duration) (restore func()) {
	old := closeHelp
	closeHelp = d
	return func() { closeHelp = old }
}

// SetMetaTTL shortens how long a process keeps a poll's secret unchecked.
func SetMetaTTL(d time.Duration) (restore func()) {
	old := metaTTL
	metaTTL = d
	return func() { metaTTL = old }
}

// HoldsSecret reports whether s keeps the poll's secret in memory.
func HoldsSecret(s *Service, mid, pid string) bool {
	_, ok := s.metas.Load(pollRef(mid, pid))
	return ok
}
