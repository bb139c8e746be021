package vote

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// ballot is a stored ballot: a motion's Option, or a ballot with questions'
// Answers, every answer in one object. Secret polls leave UserID empty.
type ballot struct {
	Option  int     `json:"option"`
	Answers [][]int `json:"answers,omitempty"`
	// Receipt is hex SHA-256 of the token given to the voter.
	Receipt string `json:"receipt"`
	UserID  string `json:"userId,omitempty"`
}

// pollMeta is what Cast needs from an open poll; it does not change while the
// poll is open, so each process reads it once.
type pollMeta struct {
	secret    bool
	options   int
	kind      string
	questions []phonghop.Question
	key       []byte
	// roll holds the ballot keys of who may vote (frozen at open); nil for a
	// poll opened before rolls were kept.
	roll map[string]bool
}

// How a caster that finds the poll closing waits for the result.
var (
	closePoll = 20 * time.Millisecond
	// closeHelp is how long a close may stay unfinished before a waiting caster
	// finishes it itself (its closer may have died). Long enough that a slow but
	// live closer is not duplicated under load.
	closeHelp = 5 * time.Second
	// metaTTL bounds how long a process keeps a poll's secret without checking
	// that the poll is still open.
	metaTTL = time.Minute
)

func (s *Service) forget(mid, pid string) {
	s.metas.Delete(pollRef(mid, pid))
	s.turnouts.Delete(pollRef(mid, pid))
	s.rereaders.Delete(pollRef(mid, pid))
}

// meta returns the cached pollMeta, loading it (once for all concurrent
// callers) when the poll is open.
func (s *Service) meta(ctx context.Context, mid, pid string) (*pollMeta, error) {
	if v, ok := s.metas.Load(pollRef(mid, pid)); ok {
		return v.(*pollMeta), nil
	}
	if !validID(mid) || !validID(pid) {
		return nil, errPollNotFound()
	}
	return shared(ctx, &s.loads, pollRef(mid, pid), 30*time.Second, func(ctx context.Context) (*pollMeta, error) {
		return s.loadMeta(ctx, mid, pid)
	})
}

func (s *Service) loadMeta(ctx context.Context, mid, pid string) (*pollMeta, error) {
	r, _, err := s.read(ctx, mid, pid)
	if err != nil {
		return nil, err
	}
	if r.State != phonghop.PollOpen {
		return nil, phonghop.Fail(phonghop.EConflict, "poll_not_open")
	}
	var sec secretRecord
	_, err = storage.GetJSON(ctx, s.Store, secretKey(mid, pid), &sec)
	if errors.Is(err, storage.ErrNotFound) {
		// Closed since we read it.
		return nil, phonghop.Fail(phonghop.EConflict, "poll_not_open")
	}
	if err != nil {
		return nil, err
	}
	m := &pollMeta{secret: r.Secret, options: len(r.Options), kind: r.Kind, questions: r.Questions, key: sec.Key}
	if sec.Roll != nil {
		m.roll = make(map[string]bool, len(sec.Roll))
		for _, k := range sec.Roll {
			m.roll[k] = true
		}
	}
	s.metas.Store(pollRef(mid, pid), m)
	// Reloaded after a while, so a process that never sees the close (it takes
	// no more ballots) still lets go of the secret soon after.
	time.AfterFunc(metaTTL, func() { s.metas.CompareAndDelete(pollRef(mid, pid), m) })
	return m, nil
}

// voterKey names a voter's ballot object without naming the voter.
func voterKey(key []byte, userID string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(userID))
	return hex.EncodeToString(h.Sum(nil))
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Cast records a delegate's ballot on a motion. See the package documentation
// for why an acknowledged ballot is always counted.
func (s *Service) Cast(ctx context.Context, meetingID, pollID string, by phonghop.User, option int) (Receipt, error) {
	return s.cast(ctx, meetingID, pollID, by, func(meta *pollMeta) (ballot, error) {
		if !isMotion(meta.kind) {
			return ballot{}, phonghop.Fail(phonghop.EInvalid, "ballot_answers_required")
		}
		if option < 0 || option >= meta.options {
			return ballot{}, phonghop.Fail(phonghop.EInvalid, "option_out_of_range", "max", meta.options-1)
		}
		return ballot{Option: option}, nil
	})
}

// CastAnswers records a delegate's ballot with one answer per question (see
// checkAnswers), all in one object: it is counted whole or not at all. A
// motion takes one answer holding the option: [[option]].
func (s *Service) CastAnswers(ctx context.Context, meetingID, pollID string, by phonghop.User, answers [][]int) (Receipt, error) {
	return s.cast(ctx, meetingID, pollID, by, func(meta *pollMeta) (ballot, error) {
		if isMotion(meta.kind) {
			if len(answers) != 1 || len(answers[0]) != 1 {
				return ballot{}, phonghop.Fail(phonghop.EInvalid, "ballot_answers_count", "want", 1)
			}
			if o := answers[0][0]; o < 0 || o >= meta.options {
				return ballot{}, phonghop.Fail(phonghop.EInvalid, "option_out_of_range", "max", meta.options-1)
			}
			return ballot{Option: answers[0][0]}, nil
		}
		a, err := checkAnswers(meta.kind, meta.questions, answers)
		return ballot{Answers: a}, err
	})
}

// cast writes the ballot mark makes from the poll's definition.
func (s *Service) cast(ctx context.Context, meetingID, pollID string, by phonghop.User, mark func(*pollMeta) (ballot, error)) (Receipt, error) {
	// 2,000 delegates voting at once need the meeting once, not 2,000 times.
	m, err := shared(ctx, &s.meetingLoads, meetingID, 30*time.Second, func(ctx context.Context) (*phonghop.Meeting, error) {
		return s.meeting(ctx, meetingID)
	})
	if err != nil {
		return Receipt{}, err
	}
	if !m.HasRole(by.ID, phonghop.RoleDelegate) {
		return Receipt{}, phonghop.Fail(phonghop.EForbidden, "vote_delegates_only")
	}
	meta, err := s.meta(ctx, meetingID, pollID)
	if err != nil {
		return Receipt{}, err
	}
	b, err := mark(meta)
	if err != nil {
		return Receipt{}, err
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return Receipt{}, err
	}
	token := hex.EncodeToString(tok)
	vk := voterKey(meta.key, by.ID)
	if meta.roll != nil && !meta.roll[vk] {
		// A delegate now, but not when the poll opened.
		return Receipt{}, phonghop.Fail(phonghop.EForbidden, "vote_not_on_roll")
	}
	b.Receipt = sha256Hex(token)
	if !meta.secret {
		b.UserID = by.ID
	}
	key := ballotKey(meetingID, pollID, vk)
	_, err = storage.PutJSON(ctx, s.Store, key, b, storage.PutOptions{IfAbsent: true})
	if errors.Is(err, storage.ErrPrecondition) {
		return Receipt{}, phonghop.Fail(phonghop.EConflict, "already_voted")
	}
	if err != nil {
		// The request's log line names the voter: the error must not name
		// their ballot.
		return Receipt{}, hideKey(err, vk)
	}
	r, err := s.reread(ctx, meetingID, pollID)
	if err != nil {
		return Receipt{}, err
	}
	if r.State == phonghop.PollOpen {
		s.noteBallot(meetingID, pollID)
		return Receipt{Receipt: token}, nil
	}
	s.forget(meetingID, pollID)
	if r.State == StateClosing {
		if r, err = s.awaitClosed(ctx, meetingID, pollID); err != nil {
			return Receipt{}, err
		}
	}
	if r.State != phonghop.PollClosed {
		return Receipt{}, fmt.Errorf("vote: poll %s/%s in state %q after a ballot", meetingID, pollID, r.State)
	}
	if r.Results != nil && containsSorted(r.Results.Receipts, b.Receipt) {
		return Receipt{Receipt: token}, nil
	}
	// Not counted: take the ballot back so the store agrees with the results.
	if err := s.Store.Delete(ctx, key); err != nil {
		s.log().Warn("vote: delete uncounted ballot", "meeting", meetingID, "poll", pollID, "err", hideKey(err, vk))
		// The ballot stays, with its option and the time it was written: the
		// answer is a server error (503), whose request log names no voter
		// (a 409 line named them at that time). The tablet asks again and
		// hears the poll is closed.
		return Receipt{}, hideKey(fmt.Errorf("vote: an uncounted ballot could not be taken back: %w", err), vk)
	}
	return Receipt{}, phonghop.Fail(phonghop.EConflict, "poll_closed_before_ballot")
}

func containsSorted(xs []string, x string) bool {
	_, ok := slices.BinarySearch(xs, x)
	return ok
}

// awaitClosed waits until the close in progress is finished, finishing it when
// it takes too long. The casters of a process share one wait.
func (s *Service) awaitClosed(ctx context.Context, mid, pid string) (record, error) {
	return shared(ctx, &s.flights, pollRef(mid, pid), closeHelp+time.Minute, func(ctx context.Context) (record, error) {
		return s.pollClosed(ctx, mid, pid)
	})
}

func (s *Service) pollClosed(ctx context.Context, mid, pid string) (record, error) {
	t := time.NewTicker(closePoll)
	defer t.Stop()
	help := time.Now().Add(closeHelp)
	for {
		select {
		case <-ctx.Done():
			return record{}, ctx.Err()
		case <-t.C:
		}
		r, _, err := s.read(ctx, mid, pid)
		if err != nil {
			return r, err
		}
		if r.State != StateClosing {
			return r, nil
		}
		if time.Now().After(help) {
			return s.finish(ctx, mid, pid)
		}
	}
}

// finish tallies a closing poll and swaps it to closed. Several may run at once
// (a Close, a retried Close, waiting casters); the first swap wins and the
// others return its result.
func (s *Service) finish(ctx context.Context, mid, pid string) (record, error) {
	r, _, err := s.read(ctx, mid, pid)
	if err != nil || r.State != StateClosing {
		return r, err
	}
	// The secret goes before the result is written: no ballot is taken once
	// the poll is closing (casters that hold the key in memory are ordered by
	// the listing below), and a close that dies after writing "closed" must
	// not leave the key that joins every delegate to their ballot.
	var key []byte
	if s.Voters != nil {
		// Kept in memory only, to name who voted once the result is fixed.
		var sec secretRecord
		if _, err := storage.GetJSON(ctx, s.Store, secretKey(mid, pid), &sec); err == nil {
			key = sec.Key
		} else if !errors.Is(err, storage.ErrNotFound) {
			return r, err
		}
	}
	if err := s.Store.Delete(ctx, secretKey(mid, pid)); err != nil {
		return r, err
	}
	// This listing is the instant of the close: it starts after the swap to
	// "closing", so it holds every ballot whose caster still saw "open".
	infos, err := s.Store.List(ctx, ballotPrefix(mid, pid))
	if err != nil {
		return r, err
	}
	ballots, err := s.readBallots(ctx, infos)
	if err != nil {
		return r, err
	}
	res := tally(r.Poll, ballots)
	won := false
	r, err = s.update(ctx, mid, pid, func(r *record) error {
		if r.State != StateClosing {
			return storage.ErrStop
		}
		r.State = phonghop.PollClosed
		r.Cast = res.Cast
		r.Results = res
		won = true
		return nil
	})
	if err != nil {
		return r, err
	}
	if won {
		s.log().Info("vote: poll closed", "meeting", mid, "poll", pid, "cast", res.Cast, "eligible", res.Eligible, "passed", res.Passed)
		s.publish(mid, r.Poll)
		if s.Voters != nil {
			voters, known := s.voters(ctx, mid, pid, key, infos)
			s.Voters.Voted(ctx, mid, r.Poll, voters, known)
		}
	}
	if r.State == phonghop.PollClosed {
		s.unmarkClosing(ctx, mid, pid)
	}
	return r, nil
}

// voters names, sorted, the meeting's delegates whose ballot key is in the
// close's listing; without the poll's key nobody can be named.
func (s *Service) voters(ctx context.Context, mid, pid string, key []byte, listed []storage.Info) ([]string, bool) {
	if key == nil {
		return nil, false
	}
	m, err := s.meeting(ctx, mid)
	if err != nil {
		s.log().Warn("vote: voters not named", "meeting", mid, "poll", pid, "err", err)
		return nil, false
	}
	keys := make(map[string]bool, len(listed))
	for _, in := range listed {
		keys[in.Key] = true
	}
	var out []string
	for _, v := range m.Voters() {
		if keys[ballotKey(mid, pid, voterKey(key, v))] {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), true
}

// readBallots fetches the listed ballots, a few at a time. A ballot deleted in
// between (its caster was refused by an earlier, winning close) is skipped.
func (s *Service) readBallots(ctx context.Context, infos []storage.Info) ([]ballot, error) {
	const workers = 32
	out := make([]ballot, len(infos))
	ok := make([]bool, len(infos))
	errs := make(chan error, workers)
	next := make(chan int)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := 0; w < workers; w++ {
		go func() {
			for i := range next {
				_, err := storage.GetJSON(ctx, s.Store, infos[i].Key, &out[i])
				if errors.Is(err, storage.ErrNotFound) {
					continue
				}
				if err != nil {
					errs <- hideKey(err, strings.TrimSuffix(path.Base(infos[i].Key), ".json"))
					cancel()
					for range next {
					}
					return
				}
				ok[i] = true
			}
			errs <- nil
		}()
	}
feed:
	for i := range infos {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	var first error
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kept := out[:0]
	for i, b := range out {
		if ok[i] {
			kept = append(kept, b)
		}
	}
	return kept, nil
}

// tally counts the ballots of a poll.
func tally(p phonghop.Poll, ballots []ballot) *phonghop.PollResults {
	res := &phonghop.PollResults{
		Counts:   make([]int, len(p.Options)),
		Eligible: p.Eligible,
		Receipts: []string{},
	}
	var questions *counter
	if !p.IsMotion() {
		questions = newCounter(p)
	}
	for _, b := range ballots {
		switch {
		case questions != nil:
			if !questions.add(b.Answers) {
				continue // cannot be written by Cast; never count it
			}
		case b.Option < 0 || b.Option >= len(p.Options):
			continue
		default:
			res.Counts[b.Option]++
		}
		res.Cast++
		res.Receipts = append(res.Receipts, b.Receipt)
		if !p.Secret && b.UserID != "" {
			res.Ballots = append(res.Ballots, phonghop.BallotRecord{UserID: b.UserID, Option: b.Option, Answers: b.Answers})
		}
	}
	slices.Sort(res.Receipts)
	slices.SortFunc(res.Ballots, func(a, b phonghop.BallotRecord) int {
		switch {
		case a.UserID < b.UserID:
			return -1
		case a.UserID > b.UserID:
			return 1
		}
		return 0
	})
	if questions != nil {
		questions.finish(res)
		return res
	}
	res.Passed = Passed(p.Majority, p.Options, res.Counts, p.Eligible)
	res.Needed = Needed(p.Majority, p.Options, res.Counts, p.Eligible)
	return res
}

// isDefault reports whether the options are the default ones, in either language.
func isDefault(options []string) bool {
	return slices.Equal(options, DefaultOptions) || slices.Equal(options, DefaultOptionsEn)
}

// Needed returns how many ballots for option 0 the rule asked for, given the
// other counts: Passed is true exactly when counts[0] >= Needed (and, for the
// two-thirds rule, someone is eligible). At least 1.
func Needed(majority string, options []string, counts []int, eligible int) int {
	n := 1
	switch majority {
	case phonghop.MajorityAbsolute:
		n = eligible/2 + 1
	case phonghop.MajorityTwoThirds:
		n = (eligible*2 + 2) / 3
	case phonghop.MajoritySimple, "":
		if len(counts) < 2 {
			break
		}
		others := counts[1:]
		if isDefault(options) {
			others = counts[1:2]
		}
		n = slices.Max(others) + 1
	}
	return max(n, 1)
}

// Passed applies a majority rule to the counts; option 0 is the motion. See the
// package documentation for the rules.
func Passed(majority string, options []string, counts []int, eligible int) bool {
	if len(counts) == 0 {
		return false
	}
	yes := counts[0]
	switch majority {
	case phonghop.MajorityAbsolute:
		return yes*2 > eligible
	case phonghop.MajorityTwoThirds:
		return eligible > 0 && yes*3 >= eligible*2
	case phonghop.MajoritySimple, "":
		if isDefault(options) {
			return yes > counts[1]
		}
		for _, c := range counts[1:] {
			if yes <= c {
				return false
			}
		}
		return true
	}
	return false
}
