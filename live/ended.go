package live

import (
	"time"

	"github.com/phonghop/phonghop"
	meetinglist "github.com/phonghop/phonghop/meetings"
)

// Ended reports whether a meeting is over for its live room, given the room's
// newest events: the chair closed it (bế mạc), it was called off, or its day
// is past (the day after the one it starts on has begun, in meetinglist.Zone, as
// the meeting list counts days). A meeting with no time set ends only when
// closed or called off. What keeps the room between processes (a meeting's
// NATS stream) is let go once an ended meeting has been idle a while; the
// room comes back from the journal if anyone returns, so a meeting that goes
// on past midnight loses nothing, only its page turns within a document.
func Ended(m *phonghop.Meeting, room []Event, now time.Time) bool {
	if m.CancelledAt != nil || sessionOf(room).ClosedAt != nil {
		return true
	}
	if m.StartsAt.IsZero() {
		return false
	}
	y, mo, d := m.StartsAt.In(meetinglist.Zone).Date()
	return !now.Before(time.Date(y, mo, d+1, 0, 0, 0, 0, meetinglist.Zone))
}
