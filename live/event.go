package live

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Event is one event of a meeting's sequence.
type Event struct {
	Seq     uint64          `json:"seq"`
	Subject string          `json:"subject"` // "presentation", "attendance", "speakers", "poll.<pollId>"
	Type    string          `json:"type"`    // wire type: presentation | attendance | speakers | poll
	Payload json.RawMessage `json:"payload"` // the object sent under the type's key
	Time    time.Time       `json:"time"`
	By      string          `json:"by,omitempty"` // userId who caused it
	// Delta is the change as a delta (an attendance event: AttendanceDelta),
	// for the journal and the sockets that asked for deltas; Payload is the
	// whole state all the same. Absent from events that have none (older
	// processes, a change set back).
	Delta json.RawMessage `json:"delta,omitempty"`

	// Record: the meeting's journal keeps this event (the minutes need it).
	// Set by the hub; not carried between processes.
	Record bool `json:"-"`
	// Audience, when Restricted, is the only users the event is sent to (a
	// confidential document's readers); others never see it, in replay
	// either. Restricted with no audience reaches no one.
	Audience   []string `json:"audience,omitempty"`
	Restricted bool     `json:"restricted,omitempty"`
}

// For reports whether the user may receive the event.
func (ev *Event) For(userID string) bool {
	if !ev.Restricted {
		return true
	}
	for _, id := range ev.Audience {
		if id == userID {
			return true
		}
	}
	return false
}

// ErrNotRecorded is returned (wrapped) when an event could not be written to
// the journal: it was not delivered to the room and its seq was not used.
var ErrNotRecorded = errors.New("live: the event could not be recorded")

// ErrUnanswered is returned (wrapped) by a Broker's Append whose event was
// sent but whose answer was lost (a timeout, a dropped connection): it may
// have landed, and reached the tablets. The hub then looks for it (see
// appendFound).
var ErrUnanswered = errors.New("live: the append was not answered; it may have landed")

// Subjects and wire types of the room's events.
const (
	SubjectPresentation = "presentation"
	SubjectAttendance   = "attendance"
	SubjectSpeakers     = "speakers"
	SubjectPollPrefix   = "poll."
	SubjectSession      = "session"
	// SubjectDocumentPrefix + a document id: the document was added or
	// changed, or is gone for some.
	SubjectDocumentPrefix = "document."
	// SubjectNotice holds the notice shown on every tablet (null: none).
	SubjectNotice = "notice"

	TypePresentation = "presentation"
	TypeAttendance   = "attendance"
	TypeSpeakers     = "speakers"
	TypePoll         = "poll"
	TypeSession      = "session"
	TypeDocument     = "document"
	TypeNotice       = "notice"
)

// ErrConflict is returned by Broker.Append when the subject's last event is not
// the one the caller expected.
var ErrConflict = errors.New("live: subject changed")

// Broker orders each meeting's events (one seq per meeting, gap-free, the same on
// every process) and carries them between processes. The in-process one is
// MemoryBroker; a NATS JetStream one maps a meeting to a stream, a subject to a
// stream subject, Last to last-message-per-subject, the expectation to
// ExpectedLastSubjectSequence and Since to replay by sequence.
type Broker interface {
	// Append adds ev (Seq ignored) as the newest event of ev.Subject and returns
	// its seq. With expectSubjectSeq >= 0 it fails with ErrConflict unless the
	// subject's last event has that seq (0 = none yet): optimistic concurrency for
	// read-modify-write of room state across processes. A failure after
	// which the event may have landed wraps ErrUnanswered.
	Append(ctx context.Context, meetingID string, ev Event, expectSubjectSeq int64) (uint64, error)
	// Last returns the newest event of every subject and the meeting's last seq.
	Last(ctx context.Context, meetingID string) ([]Event, uint64, error)
	// Since returns the events after seq `after`, in order; complete=false when
	// some are no longer held.
	Since(ctx context.Context, meetingID string, after uint64) (events []Event, complete bool, err error)
	// Subscribe calls fn with every event appended to the meeting from now on, in
	// seq order, until cancel is called. The subscription is active when Subscribe
	// returns. fn must return quickly and must not call the broker.
	Subscribe(ctx context.Context, meetingID string, fn func(Event)) (cancel func(), err error)
	Ping(ctx context.Context) error
	Close() error
}

// Presentation is what every tablet shows: the item, the document and the page.
type Presentation struct {
	AgendaItemID string `json:"agendaItemId"`
	DocumentID   string `json:"documentId"`
	Page         int    `json:"page"`
}

// Attendance is who has checked in. Expected counts the voters (delegates);
// Quorum is true when more than half of them are present.
type Attendance struct {
	Present  []string `json:"present"`
	Expected int      `json:"expected"`
	Quorum   bool     `json:"quorum"`
	// PresentDelegates is how many of Present are voters, and QuorumNeeded how
	// many voters make a quorum, so every tablet can show "9/12, 7 needed".
	PresentDelegates int `json:"presentDelegates"`
	QuorumNeeded     int `json:"quorumNeeded"`
	// Marks are the check-ins and check-outs the chair or the secretary made on
	// someone's behalf (a delegate without a tablet, a late arrival, an apology),
	// by userId; a participant's own check-in or check-out clears theirs.
	Marks map[string]AttendanceMark `json:"marks,omitempty"`
	// Seq, in a snapshot (and GET .../state), is the seq of the attendance
	// event the state holds (0: none yet): the delta that follows it names it
	// as its prev. Never in an attendance event.
	Seq uint64 `json:"seq,omitempty"`
}

// AttendanceMark is a check-in or check-out made on a participant's behalf.
type AttendanceMark struct {
	Present bool      `json:"present"`
	Reason  string    `json:"reason"`
	By      string    `json:"by"` // the chair's or secretary's userId
	At      time.Time `json:"at"`
}

// Session is the meeting's course: when the chair opened it ("khai mạc") and
// closed it ("bế mạc"), and the time each speech is given (0: no limit). Once
// closed, the room is read-only: only polls still open may finish.
type Session struct {
	OpenedAt           *time.Time `json:"openedAt,omitempty"`
	ClosedAt           *time.Time `json:"closedAt,omitempty"`
	SpeechLimitSeconds int        `json:"speechLimitSeconds"`
}

// Speakers is who has the floor and who waits for it, in order.
type Speakers struct {
	Current *string    `json:"current"`
	Queue   []string   `json:"queue"`
	Since   *time.Time `json:"since,omitempty"` // when Current got the floor
}

// State is the whole room at one seq, as sent in a snapshot.
type State struct {
	Presentation *Presentation     `json:"presentation"`
	Attendance   Attendance        `json:"attendance"`
	Speakers     Speakers          `json:"speakers"`
	Polls        []json.RawMessage `json:"polls"`
	// Setup is the last set-up change (phonghop.Change, with the meeting's
	// revision after it); absent while the set-up never changed since the
	// room's history began. A tablet whose meeting is older reloads it.
	Setup json.RawMessage `json:"setup,omitempty"`

	// Session is the meeting's course (opened, closed, the speech limit).
	Session Session `json:"session"`

	// Notice is the notice the chair or the secretary put on every tablet,
	// until withdrawn; null when there is none.
	Notice *Notice `json:"notice"`
}
