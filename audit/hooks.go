package audit

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/live"
)

// pending collects the set-up changes a request makes, so the request's one
// entry carries them.
type pending struct {
	mu      sync.Mutex
	changes []Change
}

type pendingKey struct{}

// Collect returns a context in which set-up changes passed to a
// ChangeRecorder are kept for the request's entry (Collected) instead of
// being recorded as entries of their own.
func Collect(ctx context.Context) context.Context {
	return context.WithValue(ctx, pendingKey{}, &pending{})
}

// Collected returns the changes kept in a context made by Collect.
func Collected(ctx context.Context) []Change {
	p, _ := ctx.Value(pendingKey{}).(*pending)
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.changes)
}

// Recorder is what set-up changes go to (the journal and the live room);
// meetings.Recorder and vote.Recorder have this shape.
type Recorder interface {
	RecordChange(ctx context.Context, meetingID, by string, c phonghop.Change) error
}

// ChangeRecorder passes every set-up change on to Next and adds it to the
// audit trail: to the entry of the request that made it (see Collect), or,
// for changes made outside a request, as an entry of its own.
type ChangeRecorder struct {
	Next  Recorder
	Audit *Service
}

// RecordChange implements meetings.Recorder and vote.Recorder.
func (r ChangeRecorder) RecordChange(ctx context.Context, meetingID, by string, c phonghop.Change) error {
	if p, _ := ctx.Value(pendingKey{}).(*pending); p != nil {
		p.mu.Lock()
		p.changes = append(p.changes, Change{Meeting: meetingID, Change: c})
		p.mu.Unlock()
	} else if r.Audit != nil {
		r.Audit.Record(ctx, MeetingLog(meetingID), Entry{Action: "setup." + c.Action, Actor: by, Meeting: meetingID,
			Changes: []Change{{Meeting: meetingID, Change: c}}})
	}
	if r.Next == nil {
		return nil
	}
	return r.Next.RecordChange(ctx, meetingID, by, c)
}

// Voted records who cast a ballot in a closed poll: one entry, the voters
// sorted, written by the close that fixed the result (vote.Service's Voters
// hook). For a secret poll this is all the trail holds of its ballots.
func (s *Service) Voted(ctx context.Context, meetingID string, p phonghop.Poll, voters []string, known bool) {
	voters = slices.Clone(voters)
	slices.Sort(voters)
	d := map[string]string{"secret": boolText(p.Secret)}
	if known {
		d["voters"] = strings.Join(voters, ",")
		d["count"] = strconv.Itoa(len(voters))
	} else {
		// The close was finished after a crash took the poll's key: who voted
		// can no longer be known (nothing stored names them).
		d["voters"] = "unknown"
	}
	s.Record(ctx, MeetingLog(meetingID), Entry{Action: "poll.voters", Meeting: meetingID,
		Target: map[string]string{"pollId": p.ID}, Details: d})
}

// RoomActions names the live room's actions in the trail, by the live message
// that asks for each (the REST routes doing the same use the same names).
var RoomActions = map[string]string{
	"openMeeting": "meeting.opened", "closeMeeting": "meeting.closed", "setSpeechLimit": "speech.limit.set",
	"requestToSpeak": "speaker.requested", "withdraw": "speaker.withdrawn", "giveFloor": "speaker.floor.given",
	"nextSpeaker": "speaker.next", "endSpeech": "speech.ended", "markAttendance": "attendance.marked",
	"sendNotice": "notice.sent", "withdrawNotice": "notice.withdrawn",
}

// RoomAction records an action a live socket made the room take
// (live.Config.Actions): chair and secretary actions and the speaker queue.
// Ballots never travel over the socket.
func (s *Service) RoomAction(ctx context.Context, a live.Action) {
	name := RoomActions[a.Type]
	if name == "" {
		name = "live." + a.Type // a new message is never left out
	}
	e := Entry{Action: name, Actor: a.User.ID, Username: a.User.Username, Meeting: a.Meeting,
		Address: a.Address, Device: Clip(a.Device, 300), Target: a.Target}
	for k, v := range a.Details {
		if e.Details == nil {
			e.Details = map[string]string{}
		}
		e.Details[k] = Clip(v, 500)
	}
	s.Record(ctx, MeetingLog(a.Meeting), e)
}

// Clip keeps at most n bytes of s (whole characters): what an entry keeps of
// text a client sent.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// Openings tells the first request of a document's opening from the range
// requests that follow it: a reader that opens a document asks for ranges of
// it (pdf.js: a first request, then 64 KiB chunks), and the trail wants one
// entry per opening. A key (session and document version) seen again within
// Window counts as the same opening.
type Openings struct {
	Window time.Duration

	mu   sync.Mutex
	seen map[string]time.Time
}

// First reports whether key starts an opening at now, and remembers it.
func (o *Openings) First(key string, now time.Time) bool {
	w := o.Window
	if w <= 0 {
		w = 10 * time.Minute
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen == nil {
		o.seen = map[string]time.Time{}
	}
	if t, ok := o.seen[key]; ok && now.Sub(t) < w {
		o.seen[key] = now
		return false
	}
	if len(o.seen) >= 100_000 {
		for k, t := range o.seen {
			if now.Sub(t) >= w {
				delete(o.seen, k)
			}
		}
		if len(o.seen) >= 100_000 {
			o.seen = map[string]time.Time{}
		}
	}
	o.seen[key] = now
	return true
}
