package vote

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// StateClosing is the poll state between the chair's close and the tally being
// written; it lasts as long as listing and reading the ballots takes. Clients
// should treat it like "closed" without results.
const StateClosing = phonghop.PollClosing

// DefaultOptions are the options of a poll created without any, in a meeting
// held in Vietnamese; DefaultOptionsEn in one held in English.
var (
	DefaultOptions   = []string{"Đồng ý", "Không đồng ý", "Không ý kiến"}
	DefaultOptionsEn = []string{"In favour", "Against", "Abstain"}
)

// defaultOptions are the default options in the meeting's language.
func defaultOptions(lang string) []string {
	if lang == "en" {
		return DefaultOptionsEn
	}
	return DefaultOptions
}

// Limits of a poll's definition.
const (
	MaxTitleRunes  = 500
	MaxOptionRunes = 200
	MinOptions     = 2
	MaxOptions     = 30
)

// MeetingSource gives the meeting a poll belongs to.
type MeetingSource interface {
	Meeting(ctx context.Context, id string) (*phonghop.Meeting, error)
}

// Attendance gives the userIds checked in to the meeting's live room.
type Attendance interface {
	Present(ctx context.Context, meetingID string) ([]string, error)
}

// Room tells whether the chair has closed the meeting (the live room's session).
type Room interface {
	Closed(ctx context.Context, meetingID string) (bool, error)
}

// Publisher sends a poll to the meeting's live room and returns the event's seq.
type Publisher interface {
	PublishPoll(ctx context.Context, meetingID string, p phonghop.Poll) (uint64, error)
}

// VoterRecorder is told who cast a ballot in a poll just closed: user ids,
// sorted; known is false when the close was finished after a crash had taken
// the poll's secret, without which nothing names the voters.
type VoterRecorder interface {
	Voted(ctx context.Context, meetingID string, p phonghop.Poll, voters []string, known bool)
}

// Service runs polls. Set the fields, then use it from any number of goroutines;
// any number of Services (processes) may share one store. Do not copy it after use.
type Service struct {
	Store      storage.Store
	Meetings   MeetingSource
	Attendance Attendance
	// Publisher may be nil: nothing is published.
	Publisher Publisher
	// Changes journals edits and deletions of drafts; nil records nothing.
	Changes Recorder
	// Voters, when set, is told by the close that fixes a poll's result who
	// cast a ballot (the audit trail's one entry of who voted; never when).
	Voters VoterRecorder
	// Room may be nil: meetings are never closed. Once closed, no poll is
	// created or opened; one still open may take ballots and close.
	Room Room
	// Now defaults to time.Now.
	Now func() time.Time
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Quorum reports whether present delegates out of eligible make a quorum. Nil
	// means more than half (present*2 > eligible); wire the live room's rule.
	Quorum func(present, eligible int) bool
	// TurnoutInterval is the least time between two turnout updates of one poll by
	// this process. Zero means 200ms.
	TurnoutInterval time.Duration

	metas        sync.Map // pollRef → *pollMeta: what Cast needs, cached while open
	turnouts     sync.Map // pollRef → *turnout
	flights      sync.Map // pollRef → *call[record]: casters waiting for a close
	loads        sync.Map // pollRef → *call[*pollMeta]
	meetingLoads sync.Map // meetingID → *call[*phonghop.Meeting]
	rereaders    sync.Map // pollRef → *rereader
	helping      sync.Map // pollRef → true while this process waits to finish a close it found
	swept        sync.Map // pollRef → true once this process removed a closed poll's leftovers
	procOnce     sync.Once
	proc         string // this Service's turnout shard name
	pending      sync.WaitGroup
}

// CreateRequest defines a poll.
type CreateRequest struct {
	AgendaItemID string   `json:"agendaItemId"`
	Title        string   `json:"title"`
	Options      []string `json:"options"`
	Secret       bool     `json:"secret"`
	Majority     string   `json:"majority"`
	// Kind is a motion (default), an election, a confidence vote or an
	// approval; every kind but a motion has Questions and no Options.
	Kind      string              `json:"kind,omitempty"`
	Questions []phonghop.Question `json:"questions,omitempty"`
	// SecretSet says Secret was given: a ballot with questions is secret
	// unless it says otherwise (JSON "secret": false sets it).
	SecretSet bool `json:"-"`
}

// Receipt is what a voter gets back for a ballot: a random token whose SHA-256
// appears in the closed poll's results.receipts once the ballot is counted.
type Receipt struct {
	Receipt string `json:"receipt"`
}

// record is what poll.json holds: the poll and who moved it along.
type record struct {
	phonghop.Poll
	CreatedBy string `json:"createdBy,omitempty"`
	OpenedBy  string `json:"openedBy,omitempty"`
	ClosedBy  string `json:"closedBy,omitempty"`
}

type pollIndex struct {
	IDs []string `json:"ids"`
}

func meetingPrefix(mid string) string     { return "meetings/" + mid + "/polls/" }
func indexKey(mid string) string          { return meetingPrefix(mid) + "index.json" }
func pollPrefix(mid, pid string) string   { return meetingPrefix(mid) + pid + "/" }
func pollKey(mid, pid string) string      { return pollPrefix(mid, pid) + "poll.json" }
func secretKey(mid, pid string) string    { return pollPrefix(mid, pid) + "secret.json" }
func ballotPrefix(mid, pid string) string { return pollPrefix(mid, pid) + "ballots/" }
func ballotKey(mid, pid, k string) string { return ballotPrefix(mid, pid) + k + ".json" }
func validID(id string) bool {
	return id != "index.json" && storage.CheckKey(id) == nil && !strings.Contains(id, "/")
}
func pollRef(mid, pid string) string   { return mid + "/" + pid }
func errPollNotFound() *phonghop.Error { return phonghop.Fail(phonghop.ENotFound, "poll_not_found") }
func errMeetingNotFound() *phonghop.Error {
	return phonghop.Fail(phonghop.ENotFound, "meeting_not_found")
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Service) quorum(present, eligible int) bool {
	if s.Quorum != nil {
		return s.Quorum(present, eligible)
	}
	return present*2 > eligible
}

func newID() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// meeting loads the meeting, mapping a missing one to not_found.
func (s *Service) meeting(ctx context.Context, mid string) (*phonghop.Meeting, error) {
	if !validID(mid) {
		return nil, errMeetingNotFound()
	}
	m, err := s.Meetings.Meeting(ctx, mid)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && m == nil) {
		return nil, errMeetingNotFound()
	}
	return m, err
}

// read loads the poll record, mapping a missing one to not_found.
func (s *Service) read(ctx context.Context, mid, pid string) (record, string, error) {
	var r record
	if !validID(mid) || !validID(pid) {
		return r, "", errPollNotFound()
	}
	etag, err := storage.GetJSON(ctx, s.Store, pollKey(mid, pid), &r)
	if errors.Is(err, storage.ErrNotFound) {
		return r, "", errPollNotFound()
	}
	return r, etag, err
}

// update applies fn to the poll record with compare-and-swap.
func (s *Service) update(ctx context.Context, mid, pid string, fn func(*record) error) (record, error) {
	r, err := storage.UpdateJSON(ctx, s.Store, pollKey(mid, pid), false, fn)
	if errors.Is(err, storage.ErrNotFound) {
		return r, errPollNotFound()
	}
	return r, err
}

func (s *Service) publish(mid string, p phonghop.Poll) {
	if s.Publisher == nil {
		return
	}
	// The poll's state is already stored; a publish that fails only delays the
	// tablets until their next snapshot, so it must not fail the call.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.Publisher.PublishPoll(ctx, mid, forLive(p)); err != nil {
		s.log().Warn("vote: publish poll", "meeting", mid, "poll", p.ID, "state", p.State, "err", err)
	}
}

// forLive is the poll as live events and room snapshots carry it: without the
// receipt list, which grows by 65 bytes per voter and would reach every tablet
// (for 2,000 voters, 130 KB each). Tablets check their own receipt with
// ReceiptCounted (GET .../receipts/{sha256}); GET on the poll still lists all.
func forLive(p phonghop.Poll) phonghop.Poll {
	if p.Results != nil && p.Results.Receipts != nil {
		r := *p.Results
		r.Receipts = nil
		p.Results = &r
	}
	return p
}

// ReceiptCounted says whether the ballot whose receipt has this SHA-256 (hex)
// was counted in the closed poll p.
func ReceiptCounted(p phonghop.Poll, receiptSHA256 string) (bool, error) {
	if len(receiptSHA256) != 64 || strings.Trim(receiptSHA256, "0123456789abcdef") != "" {
		return false, phonghop.Fail(phonghop.EInvalid, "receipt_invalid")
	}
	if p.State != phonghop.PollClosed || p.Results == nil {
		return false, phonghop.Fail(phonghop.EConflict, "poll_not_closed")
	}
	return containsSorted(p.Results.Receipts, receiptSHA256), nil
}

// refuseClosed fails when the chair has closed the meeting.
func (s *Service) refuseClosed(ctx context.Context, meetingID string) error {
	if s.Room == nil {
		return nil
	}
	closed, err := s.Room.Closed(ctx, meetingID)
	if err != nil {
		return err
	}
	if closed {
		return phonghop.Fail(phonghop.EConflict, "meeting_closed")
	}
	return nil
}

func cleanRequest(req CreateRequest, lang string) (CreateRequest, error) {
	req.Title = strings.TrimSpace(req.Title)
	switch n := utf8.RuneCountInString(req.Title); {
	case !utf8.ValidString(req.Title):
		return req, phonghop.Fail(phonghop.EInvalid, "poll_title_not_utf8")
	case n == 0:
		return req, phonghop.Fail(phonghop.EInvalid, "poll_title_required")
	case n > MaxTitleRunes:
		return req, phonghop.Fail(phonghop.EInvalid, "poll_title_too_long", "max", MaxTitleRunes)
	}
	if err := phonghop.CheckVisible("title", req.Title); err != nil {
		return req, err
	}
	if !isMotion(req.Kind) {
		return cleanQuestions(req, lang)
	}
	if len(req.Questions) > 0 {
		return req, phonghop.Fail(phonghop.EInvalid, "poll_questions_not_for_motion")
	}
	req.Kind = ""
	if len(req.Options) == 0 {
		req.Options = append([]string(nil), defaultOptions(lang)...)
	}
	if len(req.Options) < MinOptions || len(req.Options) > MaxOptions {
		return req, phonghop.Fail(phonghop.EInvalid, "poll_options_count", "min", MinOptions, "max", MaxOptions)
	}
	opts := make([]string, len(req.Options))
	for i, o := range req.Options {
		o = strings.TrimSpace(o)
		if o == "" || !utf8.ValidString(o) || utf8.RuneCountInString(o) > MaxOptionRunes {
			return req, phonghop.Fail(phonghop.EInvalid, "poll_option_length", "n", i+1, "max", MaxOptionRunes)
		}
		if err := phonghop.CheckVisible("option", o); err != nil {
			return req, err
		}
		opts[i] = o
	}
	req.Options = opts
	var err error
	req.Majority, err = majorityOr(req.Majority, phonghop.MajoritySimple)
	return req, err
}

// majorityOr checks a majority rule, def when none is given.
func majorityOr(m, def string) (string, error) {
	switch m {
	case "":
		return def, nil
	case phonghop.MajoritySimple, phonghop.MajorityAbsolute, phonghop.MajorityTwoThirds:
		return m, nil
	}
	return m, phonghop.Fail(phonghop.EInvalid, "poll_majority_invalid")
}

// Create drafts a poll on an agenda item (chair or secretary).
func (s *Service) Create(ctx context.Context, meetingID string, by phonghop.User, req CreateRequest) (phonghop.Poll, error) {
	m, err := s.meeting(ctx, meetingID)
	if err != nil {
		return phonghop.Poll{}, err
	}
	if !m.HasRole(by.ID, phonghop.RoleChair, phonghop.RoleSecretary) {
		return phonghop.Poll{}, phonghop.Fail(phonghop.EForbidden, "poll_chair_or_secretary_only")
	}
	req, err = cleanRequest(req, m.Language)
	if err != nil {
		return phonghop.Poll{}, err
	}
	if err := s.refuseClosed(ctx, meetingID); err != nil {
		return phonghop.Poll{}, err
	}
	if _, ok := m.Item(req.AgendaItemID); !ok {
		return phonghop.Poll{}, phonghop.Fail(phonghop.EInvalid, "poll_agenda_item_missing", "id", phonghop.Clip(req.AgendaItemID))
	}
	if err := s.checkPhotos(ctx, meetingID, req.Questions); err != nil {
		return phonghop.Poll{}, err
	}
	id, err := newID()
	if err != nil {
		return phonghop.Poll{}, err
	}
	r := record{
		Poll: phonghop.Poll{
			ID: id, MeetingID: meetingID, AgendaItemID: req.AgendaItemID, Title: req.Title,
			Options: req.Options, Secret: req.Secret, Majority: req.Majority,
			State: phonghop.PollDraft, Eligible: len(m.Voters()), CreatedAt: s.now(),
			Kind: req.Kind, Questions: req.Questions,
		},
		CreatedBy: by.ID,
	}
	if _, err := storage.PutJSON(ctx, s.Store, pollKey(meetingID, id), r, storage.PutOptions{IfAbsent: true}); err != nil {
		return phonghop.Poll{}, err
	}
	// The index is written second: a crash in between leaves an unlisted draft,
	// never a listed id without a poll.
	_, err = storage.UpdateJSON(ctx, s.Store, indexKey(meetingID), true, func(ix *pollIndex) error {
		ix.IDs = append(ix.IDs, id)
		return nil
	})
	if err != nil {
		return phonghop.Poll{}, err
	}
	return r.Poll, nil
}

// Get returns a poll.
func (s *Service) Get(ctx context.Context, meetingID, pollID string) (phonghop.Poll, error) {
	r, _, err := s.read(ctx, meetingID, pollID)
	if err != nil {
		return phonghop.Poll{}, err
	}
	switch r.State {
	case stateDeleted:
		return phonghop.Poll{}, errPollNotFound()
	case phonghop.PollClosed:
		s.forget(meetingID, pollID)
		s.sweep(meetingID, pollID)
	case StateClosing:
		s.helpClose(meetingID, pollID)
	}
	if res := r.Results; res != nil && res.Needed == 0 {
		// Closed before results carried it.
		rc := *res
		rc.Needed = Needed(r.Majority, r.Options, rc.Counts, rc.Eligible)
		r.Results = &rc
	}
	return r.Poll, nil
}

// List returns the meeting's polls in creation order.
func (s *Service) List(ctx context.Context, meetingID string) ([]phonghop.Poll, error) {
	if !validID(meetingID) {
		return nil, errMeetingNotFound()
	}
	var ix pollIndex
	_, err := storage.GetJSON(ctx, s.Store, indexKey(meetingID), &ix)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	out := make([]phonghop.Poll, 0, len(ix.IDs))
	for _, id := range ix.IDs {
		p, err := s.Get(ctx, meetingID, id)
		if phonghop.ErrorCode(err) == phonghop.ENotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// secretRecord is the per-poll HMAC key, kept only while the poll is open,
// with the voter roll frozen at open: the ballot keys (HMACs) of the delegates
// who could vote then, sorted. Only they may cast a ballot, so a delegate added
// while the poll is open cannot make cast exceed eligible. Kept beside the key
// and deleted with it, it names nobody once the poll is closed. A secret written
// before rolls existed has none: the meeting's delegates are checked then.
type secretRecord struct {
	Key  []byte   `json:"key"`
	Roll []string `json:"roll,omitempty"`
}

// rollOf is the voter roll of voters under key.
func rollOf(key []byte, voters []string) []string {
	roll := make([]string, len(voters))
	for i, v := range voters {
		roll[i] = voterKey(key, v)
	}
	slices.Sort(roll)
	return slices.Compact(roll)
}

// Open opens a draft poll for ballots (chair). Opening an open poll returns it.
// Without quorum it is refused unless overrideQuorum, which the poll records.
func (s *Service) Open(ctx context.Context, meetingID, pollID string, by phonghop.User, overrideQuorum bool) (phonghop.Poll, error) {
	m, err := s.meeting(ctx, meetingID)
	if err != nil {
		return phonghop.Poll{}, err
	}
	if !m.HasRole(by.ID, phonghop.RoleChair) {
		return phonghop.Poll{}, phonghop.Fail(phonghop.EForbidden, "poll_chair_only")
	}
	r, _, err := s.read(ctx, meetingID, pollID)
	if err != nil {
		return phonghop.Poll{}, err
	}
	switch r.State {
	case phonghop.PollOpen:
		return r.Poll, nil
	case StateClosing, phonghop.PollClosed:
		return phonghop.Poll{}, phonghop.Fail(phonghop.EConflict, "poll_closed")
	case stateDeleted:
		return phonghop.Poll{}, errPollNotFound()
	}
	if err := s.refuseClosed(ctx, meetingID); err != nil {
		return phonghop.Poll{}, err
	}
	voters := m.Voters()
	if s.Attendance == nil {
		return phonghop.Poll{}, errors.New("vote: no attendance source")
	}
	present, err := s.Attendance.Present(ctx, meetingID)
	if err != nil {
		return phonghop.Poll{}, err
	}
	here := make(map[string]bool, len(present))
	for _, id := range present {
		here[id] = true
	}
	n := 0
	for _, v := range voters {
		if here[v] {
			n++
		}
	}
	quorate := s.quorum(n, len(voters))
	if !quorate && !overrideQuorum {
		return phonghop.Poll{}, phonghop.Fail(phonghop.EConflict, "poll_no_quorum", "present", n, "delegates", len(voters))
	}
	// The secret exists before the poll is open, so every open poll has one.
	// Concurrent opens keep the first secret, and with it its roll: eligible is
	// the size of the roll ballots are checked against.
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return phonghop.Poll{}, err
	}
	sec := secretRecord{Key: key, Roll: rollOf(key, voters)}
	_, err = storage.PutJSON(ctx, s.Store, secretKey(meetingID, pollID), sec, storage.PutOptions{IfAbsent: true})
	if errors.Is(err, storage.ErrPrecondition) {
		_, err = storage.GetJSON(ctx, s.Store, secretKey(meetingID, pollID), &sec)
		if errors.Is(err, storage.ErrNotFound) {
			// Only a close deletes it, and a draft cannot be closed: a close
			// won since we read the poll.
			return phonghop.Poll{}, phonghop.Fail(phonghop.EConflict, "poll_closed")
		}
	}
	if err != nil {
		return phonghop.Poll{}, err
	}
	eligible := len(voters)
	if sec.Roll != nil {
		eligible = len(sec.Roll)
	}
	now := s.now()
	opened := false
	r, err = s.update(ctx, meetingID, pollID, func(r *record) error {
		switch r.State {
		case phonghop.PollDraft:
		case phonghop.PollOpen:
			return storage.ErrStop
		default:
			return phonghop.Fail(phonghop.EConflict, "poll_closed")
		}
		r.State = phonghop.PollOpen
		r.OpenedAt = &now
		r.OpenedBy = by.ID
		r.Eligible = eligible
		r.Cast = 0
		r.QuorumOverride = !quorate
		opened = true
		return nil
	})
	if phonghop.ErrorCode(err) == phonghop.EConflict {
		// Closed while we opened: the secret we may have just created must not
		// outlive the close.
		if derr := s.Store.Delete(ctx, secretKey(meetingID, pollID)); derr != nil {
			return phonghop.Poll{}, derr
		}
	}
	if err != nil {
		return phonghop.Poll{}, err
	}
	if opened {
		s.log().Info("vote: poll opened", "meeting", meetingID, "poll", pollID, "present", n, "eligible", eligible, "quorumOverride", !quorate)
		s.publish(meetingID, r.Poll)
	}
	return r.Poll, nil
}

// Close closes an open poll and fixes its results (chair). Closing a closed poll
// returns it; a close left unfinished by a crashed process is finished.
//
// The steps, each safe to die after: a marker names the poll as closing (so
// Recover finds it at the next start); the record swaps to "closing", which
// the live room shows; the secret (and roll) is deleted; the ballots are
// listed and tallied; the record swaps to "closed" with the results; the
// marker goes. "closed" is only written once the secret is gone, so a closed
// poll never leaves a key that joins delegates to ballots.
func (s *Service) Close(ctx context.Context, meetingID, pollID string, by phonghop.User) (phonghop.Poll, error) {
	m, err := s.meeting(ctx, meetingID)
	if err != nil {
		return phonghop.Poll{}, err
	}
	if !m.HasRole(by.ID, phonghop.RoleChair) {
		return phonghop.Poll{}, phonghop.Fail(phonghop.EForbidden, "poll_chair_only")
	}
	r, _, err := s.read(ctx, meetingID, pollID)
	if err != nil {
		return phonghop.Poll{}, err
	}
	switch r.State {
	case phonghop.PollDraft:
		return phonghop.Poll{}, phonghop.Fail(phonghop.EConflict, "poll_not_open")
	case phonghop.PollOpen:
		if err := s.markClosing(ctx, meetingID, pollID); err != nil {
			return phonghop.Poll{}, err
		}
	}
	now := s.now()
	swapped := false
	r, err = s.update(ctx, meetingID, pollID, func(r *record) error {
		switch r.State {
		case phonghop.PollDraft:
			return phonghop.Fail(phonghop.EConflict, "poll_not_open")
		case phonghop.PollOpen:
			r.State = StateClosing
			r.ClosedAt = &now
			r.ClosedBy = by.ID
			swapped = true
			return nil
		}
		return storage.ErrStop
	})
	if err != nil {
		return phonghop.Poll{}, err
	}
	s.forget(meetingID, pollID)
	if swapped {
		// Every tablet stops offering the ballot at once; the result follows.
		s.publish(meetingID, r.Poll)
	}
	if r.State == StateClosing {
		if r, err = s.finish(ctx, meetingID, pollID); err != nil {
			return phonghop.Poll{}, err
		}
		return r.Poll, nil
	}
	// A previous close may have died before publishing the result, or the poll
	// was closed by a version that deleted the secret last: finish both. The
	// live room sends a closed poll only once, so publishing again costs
	// nothing when it already went out.
	s.publish(meetingID, r.Poll)
	if err := s.closedCleanup(ctx, meetingID, pollID); err != nil {
		return phonghop.Poll{}, err
	}
	return r.Poll, nil
}

// Flush waits until the turnout updates this Service has scheduled are done.
// Call it before shutting down; it must not run concurrently with Cast.
func (s *Service) Flush(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.pending.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
