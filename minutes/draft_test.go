package minutes

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
)

func names(ps []Person) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.UserID)
	}
	return out
}

func speakerIDs(ss []Speaker) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.UserID)
	}
	return out
}

func TestAssemble(t *testing.T) {
	d := demoDraft()
	if d.Revision != 3 || d.MeetingID != "m1" || d.Language != "vi" {
		t.Fatalf("header: %+v", d)
	}
	if d.Chair.DisplayName != "Nguyễn Văn Hùng" || d.Secretary.UserID != "u-sec" {
		t.Errorf("chair %+v secretary %+v", d.Chair, d.Secretary)
	}
	// present at any point, in the meeting's order; u-vhtt left early but counts
	if got, want := names(d.Attendance.Present), []string{"u-chair", "u-sec", "u-noiv", "u-tp", "u-vhtt"}; !reflect.DeepEqual(got, want) {
		t.Errorf("present %v, want %v", got, want)
	}
	if got, want := names(d.Attendance.Absent), []string{"u-xa"}; !reflect.DeepEqual(got, want) {
		t.Errorf("absent %v, want %v", got, want)
	}
	if !d.Attendance.Quorum || d.Attendance.Expected != 4 {
		t.Errorf("attendance %+v", d.Attendance)
	}
	if len(d.Items) != 5 {
		t.Fatalf("%d items, want 5 (no 'other' item: nothing happened outside the agenda)", len(d.Items))
	}
	for i, want := range []int{0, 10, 40, 90, 110} {
		it := d.Items[i]
		if it.StartedAt == nil || !it.StartedAt.Equal(at(want)) {
			t.Errorf("item %s started %v, want %v", it.AgendaItemID, it.StartedAt, at(want))
		}
	}
	if d.Items[0].Presenter != "Nguyễn Văn Hùng" || d.Items[1].Presenter != "Trần Đức Mạnh" {
		t.Errorf("presenters %q %q", d.Items[0].Presenter, d.Items[1].Presenter)
	}
	// a5 presented d1 although its agenda lists none
	if got := d.Items[4].Documents; !reflect.DeepEqual(got, []string{"Bao-cao-tong-ket-CCHC-2023.pdf"}) {
		t.Errorf("a5 documents %v", got)
	}
	if got := speakerIDs(d.Items[2].Speakers); !reflect.DeepEqual(got, []string{"u-vhtt", "u-tp"}) {
		t.Errorf("a3 speakers %v", got)
	}
	if got := speakerIDs(d.Items[3].Speakers); !reflect.DeepEqual(got, []string{"u-chair"}) {
		t.Errorf("a4 speakers %v", got)
	}
	if d.Items[2].Speakers[0].DisplayName != "Đỗ Quốc Việt" || !d.Items[2].Speakers[0].At.Equal(at(61)) {
		t.Errorf("speaker %+v", d.Items[2].Speakers[0])
	}
	if n := len(d.Items[3].Polls); n != 1 {
		t.Fatalf("a4 has %d polls, want the closed one", n)
	}
	p := d.Items[3].Polls[0]
	if !p.Passed || p.Cast != 4 || !reflect.DeepEqual(p.Counts, []int{3, 0, 1}) || !p.Secret {
		t.Errorf("poll %+v", p)
	}
	if d.Items[1].Conclusion != "Thống nhất thông qua báo cáo." || d.Items[3].Conclusion == "" || d.Items[0].Notes != "" {
		t.Errorf("edits not applied: %+v", d.Items)
	}
	if d.EndedAt == nil || !d.EndedAt.Equal(at(125)) {
		t.Errorf("ended %v", d.EndedAt)
	}
}

func TestAssembleOutsideAgenda(t *testing.T) {
	m := demoMeeting()
	stray := demoPoll()
	stray.ID, stray.AgendaItemID = "p2", "gone"
	entries := []journal.Entry{
		entry(1, "speakers", 0, speakers("u-tp")), // before any item
		entry(2, "presentation", 5, map[string]any{"agendaItemId": "a1"}),
		{Seq: 3, Type: "speakers", Time: at(6), Data: json.RawMessage(`{"current":`)}, // broken: skipped
		entry(4, "speakers", 7, speakers("u-tp")),
		entry(5, "speakers", 8, speakers("u-tp", "u-noiv")), // same speaker: not again
	}
	d := Assemble(m, entries, []phonghop.Poll{stray}, Edits{})
	if len(d.Items) != 6 {
		t.Fatalf("%d items, want 5 + other", len(d.Items))
	}
	other := d.Items[5]
	if other.AgendaItemID != OtherItemID || len(other.Speakers) != 1 || len(other.Polls) != 1 {
		t.Errorf("other item %+v", other)
	}
	if got := speakerIDs(d.Items[0].Speakers); !reflect.DeepEqual(got, []string{"u-tp"}) {
		t.Errorf("a1 speakers %v", got)
	}
	if d.Attendance.Quorum || d.Attendance.Expected != 4 || len(d.Attendance.Absent) != 4 {
		t.Errorf("no attendance recorded: %+v", d.Attendance)
	}
	// JSON shape of the contract
	b, _ := json.Marshal(d)
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"revision", "summary", "attendance", "items"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("draft JSON lacks %q", k)
		}
	}
	item := raw["items"].([]any)[0].(map[string]any)
	for _, k := range []string{"agendaItemId", "title", "presenter", "startedAt", "speakers", "polls", "notes", "conclusion"} {
		if _, ok := item[k]; !ok {
			t.Errorf("item JSON lacks %q", k)
		}
	}
}

func TestAssembleEmptyMeeting(t *testing.T) {
	d := Assemble(&phonghop.Meeting{ID: "x", Language: "fr"}, nil, nil, Edits{})
	if d.Language != "vi" || len(d.Items) != 0 || d.EndedAt != nil || d.Attendance.Present == nil {
		t.Errorf("%+v", d)
	}
	if _, err := Render(d); err != nil {
		t.Fatal(err)
	}
}

// Issue #12: the opening and closing times, and the reasons the chair or the
// secretary gave when they checked someone in or out on their behalf.
func TestAssembleSessionAndMarks(t *testing.T) {
	m := demoMeeting()
	mark := func(present bool, reason string) map[string]any {
		return map[string]any{"present": present, "reason": reason, "by": "u-sec"}
	}
	entries := []journal.Entry{
		entry(1, "session", 0, map[string]any{"openedAt": at(2), "speechLimitSeconds": 0}),
		entry(2, "attendance", 3, map[string]any{"present": []string{"u-noiv"}, "expected": 4,
			"marks": map[string]any{"u-noiv": mark(true, "Không có máy tính bảng"), "u-xa": mark(false, "Đi công tác")}}),
		entry(3, "session", 4, map[string]any{"openedAt": at(2), "speechLimitSeconds": 180}),
		entry(4, "attendance", 50, map[string]any{"present": []string{"u-noiv", "u-tp"}, "expected": 4,
			"marks": map[string]any{"u-noiv": mark(true, "Không có máy tính bảng"), "u-xa": mark(false, "Đi công tác")}}),
		entry(5, "session", 120, map[string]any{"openedAt": at(2), "closedAt": at(119), "speechLimitSeconds": 180}),
	}
	d := Assemble(m, entries, nil, Edits{})
	if d.OpenedAt == nil || !d.OpenedAt.Equal(at(2)) || d.ClosedAt == nil || !d.ClosedAt.Equal(at(119)) {
		t.Fatalf("opened %v closed %v", d.OpenedAt, d.ClosedAt)
	}
	reason := map[string]string{}
	for _, p := range append(d.Attendance.Present, d.Attendance.Absent...) {
		reason[p.UserID] = p.Reason
	}
	if reason["u-noiv"] != "Không có máy tính bảng" || reason["u-xa"] != "Đi công tác" || reason["u-tp"] != "" {
		t.Fatalf("reasons %v", reason)
	}
	if got := names(d.Attendance.Absent); !reflect.DeepEqual(got, []string{"u-vhtt", "u-xa"}) {
		t.Fatalf("absent %v", got)
	}
	// An observer checked out on their behalf is listed as absent too.
	entries = append(entries[:4], entry(5, "attendance", 60, map[string]any{"present": []string{"u-noiv", "u-tp"}, "expected": 4,
		"marks": map[string]any{"u-sec": mark(false, "Ốm")}}))
	d = Assemble(m, entries, nil, Edits{})
	if got := names(d.Attendance.Absent); !reflect.DeepEqual(got, []string{"u-sec", "u-vhtt", "u-xa"}) || d.ClosedAt != nil {
		t.Fatalf("absent %v, closed %v", got, d.ClosedAt)
	}
}

// Issue #16: the journal records an attendance change as a delta (who came
// in, who went out, the marks made or cleared), after older entries holding
// the whole list; the minutes read both.
func TestAssembleAttendanceDeltas(t *testing.T) {
	m := demoMeeting()
	mark := func(present bool, reason string) map[string]any {
		return map[string]any{"present": present, "reason": reason, "by": "u-sec"}
	}
	entries := []journal.Entry{
		// Whole lists, as older servers wrote them.
		entry(1, "attendance", 1, map[string]any{"present": []string{"u-noiv"}, "expected": 4, "quorum": false,
			"marks": map[string]any{"u-xa": mark(false, "Đi công tác")}}),
		// Deltas.
		entry(2, "attendance", 2, map[string]any{"in": []string{"u-tp"}, "out": []string{}, "prev": 1, "count": 2, "expected": 4, "quorum": false}),
		entry(3, "attendance", 3, map[string]any{"in": []string{"u-vhtt"}, "out": []string{}, "prev": 2, "count": 3, "expected": 4, "quorum": true,
			"marks": map[string]any{"u-vhtt": mark(true, "Không có máy tính bảng")}, "unmarked": []string{"u-xa"}}),
		entry(4, "attendance", 4, map[string]any{"in": []string{}, "out": []string{"u-tp"}, "prev": 3, "count": 2, "expected": 4, "quorum": false}),
	}
	d := Assemble(m, entries, nil, Edits{})
	if got := names(d.Attendance.Present); !reflect.DeepEqual(got, []string{"u-noiv", "u-tp", "u-vhtt"}) {
		t.Fatalf("present %v", got)
	}
	reason := map[string]string{}
	for _, p := range append(d.Attendance.Present, d.Attendance.Absent...) {
		reason[p.UserID] = p.Reason
	}
	// u-xa's mark was cleared by the delta: absent as a delegate, no reason.
	if reason["u-vhtt"] != "Không có máy tính bảng" || reason["u-xa"] != "" || !d.Attendance.Quorum || d.Attendance.Expected != 4 {
		t.Fatalf("reasons %v, quorum %v, expected %d", reason, d.Attendance.Quorum, d.Attendance.Expected)
	}
	if got := names(d.Attendance.Absent); !reflect.DeepEqual(got, []string{"u-xa"}) {
		t.Fatalf("absent %v", got)
	}
}
