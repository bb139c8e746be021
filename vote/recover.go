package vote

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// A close can be cut anywhere by a crash (kill -9, a lost node). What is left
// is finished without the chair: at the next start (Recover, from the markers
// below), when any process loads the poll (Get and List start a helper), by a
// caster waiting for the result, or by the chair's next Close.

// closingPrefix holds one empty marker per poll whose close began and has not
// been seen through: polls/closing/{mid}/{pid}.json. Written before the swap
// to "closing", removed once the poll is closed and its secret gone.
const closingPrefix = "polls/closing/"

func closingKey(mid, pid string) string { return closingPrefix + mid + "/" + pid + ".json" }

func (s *Service) markClosing(ctx context.Context, mid, pid string) error {
	_, err := storage.PutJSON(ctx, s.Store, closingKey(mid, pid), struct{}{}, storage.PutOptions{})
	return err
}

// unmarkClosing removes the marker; a marker left behind costs one read at the
// next start, so a failure is only logged.
func (s *Service) unmarkClosing(ctx context.Context, mid, pid string) {
	if err := s.Store.Delete(ctx, closingKey(mid, pid)); err != nil {
		s.log().Warn("vote: remove closing marker", "meeting", mid, "poll", pid, "err", err)
	}
}

// closedCleanup removes what a closed poll must not keep: its secret (left by
// an older version that deleted it last) and the closing marker.
func (s *Service) closedCleanup(ctx context.Context, mid, pid string) error {
	if err := s.Store.Delete(ctx, secretKey(mid, pid)); err != nil {
		return err
	}
	s.unmarkClosing(ctx, mid, pid)
	return nil
}

// Recover finishes every close left unfinished by a process that died: polls
// still "closing" are tallied and closed, closed polls lose any secret left.
// Call it at start; it returns how many polls it finished or cleaned. A poll
// whose close never reached "closing" stays open (the chair's close got no
// answer and can be repeated).
func (s *Service) Recover(ctx context.Context) (int, error) {
	infos, err := s.Store.List(ctx, closingPrefix)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, in := range infos {
		mid, rest, ok := strings.Cut(strings.TrimPrefix(in.Key, closingPrefix), "/")
		pid, isJSON := strings.CutSuffix(rest, ".json")
		if !ok || !isJSON || !validID(mid) || !validID(pid) {
			continue
		}
		r, _, err := s.read(ctx, mid, pid)
		switch {
		case phonghop.ErrorCode(err) == phonghop.ENotFound:
			s.unmarkClosing(ctx, mid, pid)
			continue
		case err != nil:
			errs = append(errs, err)
			continue
		}
		switch r.State {
		case StateClosing:
			r, err = s.finish(ctx, mid, pid)
			if err == nil && r.State == phonghop.PollClosed {
				s.log().Info("vote: finished a close left unfinished", "meeting", mid, "poll", pid)
				n++
			}
		case phonghop.PollClosed:
			// Published again: the process may have died before the result
			// went out (the room sends a closed poll once).
			s.publish(mid, r.Poll)
			if err = s.closedCleanup(ctx, mid, pid); err == nil {
				n++
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// helpClose starts, once per poll in this process, a helper that waits for a
// close found in progress and finishes it if its closer has gone quiet (see
// awaitClosed), so a poll no one closes again does not stay "closing".
func (s *Service) helpClose(mid, pid string) {
	ref := pollRef(mid, pid)
	if _, busy := s.helping.LoadOrStore(ref, true); busy {
		return
	}
	go func() {
		defer s.helping.Delete(ref)
		ctx, cancel := context.WithTimeout(context.Background(), closeHelp+time.Minute)
		defer cancel()
		if _, err := s.awaitClosed(ctx, mid, pid); err != nil {
			s.log().Warn("vote: finish an unfinished close", "meeting", mid, "poll", pid, "err", err)
		}
	}()
}

// sweep runs closedCleanup once per closed poll in this process, in the
// background: a close that died after writing "closed" left its marker, and an
// older version deleted the secret after writing "closed".
func (s *Service) sweep(mid, pid string) {
	ref := pollRef(mid, pid)
	if _, done := s.swept.LoadOrStore(ref, true); done {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.closedCleanup(ctx, mid, pid); err != nil {
			s.swept.Delete(ref) // try again next time
		}
	}()
}

// keyHidden is a store error with a ballot key cut out of its text. Ballot
// keys are HMACs of voters; an error may be logged beside the voter's user id
// (the request's log line), and the two together, with the key still stored,
// name the voter's ballot. errors.Is and As still see the store's error.
type keyHidden struct {
	err error
	msg string
}

func (e *keyHidden) Error() string { return e.msg }
func (e *keyHidden) Unwrap() error { return e.err }

func hideKey(err error, k string) error {
	if err == nil || k == "" {
		return err
	}
	return &keyHidden{err: err, msg: strings.ReplaceAll(err.Error(), k, "[ballot]")}
}
