package live

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
)

func TestEnded(t *testing.T) {
	vn := time.FixedZone("UTC+7", 7*3600)
	starts := time.Date(2026, 3, 10, 8, 0, 0, 0, vn)
	closed := Event{Subject: SubjectSession, Type: TypeSession}
	closed.Payload, _ = json.Marshal(Session{OpenedAt: &starts, ClosedAt: &starts})
	opened := Event{Subject: SubjectSession, Type: TypeSession}
	opened.Payload, _ = json.Marshal(Session{OpenedAt: &starts})
	cancelled := starts
	for _, c := range []struct {
		name string
		m    phonghop.Meeting
		room []Event
		now  time.Time
		want bool
	}{
		{"same day, open", phonghop.Meeting{StartsAt: starts}, []Event{opened}, starts.Add(15 * time.Hour), false},
		{"same day, closed by the chair", phonghop.Meeting{StartsAt: starts}, []Event{closed}, starts.Add(time.Hour), true},
		{"the next day in Vietnam (17:00 UTC)", phonghop.Meeting{StartsAt: starts}, []Event{opened}, time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC), true},
		{"late on the day in Vietnam (16:59 UTC)", phonghop.Meeting{StartsAt: starts}, nil, time.Date(2026, 3, 10, 16, 59, 0, 0, time.UTC), false},
		{"called off", phonghop.Meeting{StartsAt: starts.Add(48 * time.Hour), CancelledAt: &cancelled}, nil, starts, true},
		{"no time set", phonghop.Meeting{}, nil, starts.AddDate(1, 0, 0), false},
		{"no time set, closed", phonghop.Meeting{}, []Event{closed}, starts, true},
	} {
		if got := Ended(&c.m, c.room, c.now); got != c.want {
			t.Errorf("%s: ended %v, want %v", c.name, got, c.want)
		}
	}
}
