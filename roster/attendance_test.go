package roster

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/phonghop/phonghop/journal"
)

// Issue #16: the journal holds whole present lists (older servers) and then
// deltas; the first check-in of each participant is read from both.
func TestAttendanceFromListsAndDeltas(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	entry := func(seq uint64, min int, data any) journal.Entry {
		b, _ := json.Marshal(data)
		return journal.Entry{Seq: seq, Type: "attendance", Time: t0.Add(time.Duration(min) * time.Minute), Data: b}
	}
	first := Attendance([]journal.Entry{
		entry(1, 1, map[string]any{"present": []string{"a"}, "expected": 3}),
		entry(2, 2, map[string]any{"in": []string{"b"}, "out": []string{}, "prev": 1, "count": 2}),
		entry(3, 3, map[string]any{"in": []string{}, "out": []string{"a"}, "prev": 2, "count": 1}),
		entry(4, 4, map[string]any{"in": []string{"a", "c"}, "out": []string{}, "prev": 3, "count": 3}),
	})
	if len(first) != 3 || !first["a"].Equal(t0.Add(time.Minute)) || !first["b"].Equal(t0.Add(2*time.Minute)) || !first["c"].Equal(t0.Add(4*time.Minute)) {
		t.Fatalf("first check-ins %v", first)
	}
}
