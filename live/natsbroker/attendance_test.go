package natsbroker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

// Issue #16 on NATS: a meeting restored from a journal holding whole lists
// (older servers) and deltas is the room as it was; a change made on one
// process reaches a delta socket on the other as a delta after the restored
// attendance event, and a socket that did not ask as the whole list; the
// journal gets the delta.
func TestAttendanceDeltasAcrossProcesses(t *testing.T) {
	url := natstest.URL(t)
	ctx := context.Background()
	j := testJournal(t)
	m := testMeeting(newMeetingID(), 4)
	put := func(seq uint64, data string) {
		if err := j.Append(ctx, m.ID, journal.Entry{Seq: seq, Type: live.TypeAttendance, Data: json.RawMessage(data)}); err != nil {
			t.Fatal(err)
		}
	}
	put(1, `{"present":["d00","d01"],"expected":4,"quorum":false,"presentDelegates":2,"quorumNeeded":3}`)
	put(2, `{"in":["d02"],"out":[],"prev":1,"count":3,"expected":4,"quorum":true,"presentDelegates":3,"quorumNeeded":3}`)
	put(3, `{"in":[],"out":["d00"],"prev":2,"count":2,"expected":4,"quorum":false,"presentDelegates":2,"quorumNeeded":3}`)
	if err := j.Reserve(ctx, m.ID, 3); err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("DELTA%d_", time.Now().UnixNano())
	a, b := journaledAt(t, url, prefix, m, j), journaledAt(t, url, prefix, m, j)

	delta := b.dial(t, delegateID(3), "&features="+live.FeatureAttendanceDelta)
	snap := readFrame(t, delta, 10*time.Second)
	if snap.Type != "snapshot" || snap.State == nil || fmt.Sprint(snap.State.Attendance.Present) != "[d01 d02]" || snap.State.Attendance.Seq != 3 {
		t.Fatalf("restored snapshot %+v", snap)
	}
	full := b.dial(t, delegateID(3), "")
	readFrame(t, full, 10*time.Second)

	seq, err := a.hub.CheckIn(ctx, m.ID, delegateID(3))
	if err != nil {
		t.Fatal(err)
	}
	delta.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, raw, err := delta.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var df struct {
		Seq        uint64               `json:"seq"`
		Attendance live.AttendanceDelta `json:"attendance"`
	}
	if err := json.Unmarshal(raw, &df); err != nil || df.Seq != seq || df.Attendance.Prev != 3 || fmt.Sprint(df.Attendance.In) != "[d03]" ||
		df.Attendance.Count != 3 || !df.Attendance.Quorum || strings.Contains(string(raw), `"present"`) {
		t.Fatalf("delta %s: %v", raw, err)
	}
	if f := expect(t, full, "attendance", seq); fmt.Sprint(f.Attendance.Present) != "[d01 d02 d03]" || !f.Attendance.Quorum {
		t.Fatalf("full %+v", f.Attendance)
	}
	entries, err := j.Entries(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := entries[len(entries)-1]; last.Seq != seq || strings.Contains(string(last.Data), `"present"`) || !strings.Contains(string(last.Data), `"in":["d03"]`) {
		t.Fatalf("journaled %d %s", last.Seq, last.Data)
	}
}
