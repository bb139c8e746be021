package live

import (
	"encoding/json"
	"net/url"
	"strings"
)

// An attendance event carries the whole present list, so a check-in wave of n
// delegates sends every socket O(n²) bytes and made the journal grow as
// O(n²). A change is therefore also described as a delta (who came in, who
// went out, the marks made or cleared, and the counts the quorum display
// needs), which the journal records and which a socket that opted in
// (?features=attendanceDelta) receives instead of the full event. The
// broker's newest attendance event still holds the whole list: it is the
// room's state, what the next change and a snapshot are built from.

// AttendanceDelta is one attendance change relative to the attendance event
// of seq Prev (0: none, the empty attendance). Expected, Quorum,
// PresentDelegates and QuorumNeeded are as after the change; Count is how
// many are present after it, so a client can check what it applied.
type AttendanceDelta struct {
	In       []string                  `json:"in"`
	Out      []string                  `json:"out"`
	Marks    map[string]AttendanceMark `json:"marks,omitempty"`    // marks made or changed
	Unmarked []string                  `json:"unmarked,omitempty"` // marks cleared
	Prev     uint64                    `json:"prev"`

	Count            int  `json:"count"`
	Expected         int  `json:"expected"`
	Quorum           bool `json:"quorum"`
	PresentDelegates int  `json:"presentDelegates"`
	QuorumNeeded     int  `json:"quorumNeeded"`
}

// attendanceDelta describes the change from prev (the attendance event of seq
// prevSeq) to next. It is O(len) with a set, not a search per id.
func attendanceDelta(prev Attendance, prevSeq uint64, next Attendance) AttendanceDelta {
	d := AttendanceDelta{In: []string{}, Out: []string{}, Prev: prevSeq, Count: len(next.Present),
		Expected: next.Expected, Quorum: next.Quorum, PresentDelegates: next.PresentDelegates, QuorumNeeded: next.QuorumNeeded}
	was := make(map[string]struct{}, len(prev.Present))
	for _, id := range prev.Present {
		was[id] = struct{}{}
	}
	is := make(map[string]struct{}, len(next.Present))
	for _, id := range next.Present {
		is[id] = struct{}{}
		if _, ok := was[id]; !ok {
			d.In = append(d.In, id)
		}
	}
	for _, id := range prev.Present {
		if _, ok := is[id]; !ok {
			d.Out = append(d.Out, id)
		}
	}
	for id, mk := range next.Marks {
		if old, ok := prev.Marks[id]; !ok || !sameMark(old, mk) {
			if d.Marks == nil {
				d.Marks = map[string]AttendanceMark{}
			}
			d.Marks[id] = mk
		}
	}
	for id := range prev.Marks {
		if _, ok := next.Marks[id]; !ok {
			d.Unmarked = append(d.Unmarked, id)
		}
	}
	return d
}

func sameMark(a, b AttendanceMark) bool {
	return a.Present == b.Present && a.Reason == b.Reason && a.By == b.By && a.At.Equal(b.At)
}

// attendanceFold rebuilds the whole attendance from journaled entries in seq
// order: a full one (an older journal, or any entry with "present") replaces
// what was folded, a delta is applied to it.
type attendanceFold struct {
	a   Attendance
	set map[string]struct{}
}

// add folds one entry's data; false when it is neither form.
func (f *attendanceFold) add(data json.RawMessage) bool {
	var full struct {
		Present *[]string `json:"present"`
	}
	if json.Unmarshal(data, &full) != nil {
		return false
	}
	if full.Present != nil {
		var a Attendance
		if json.Unmarshal(data, &a) != nil {
			return false
		}
		f.a = a
		f.set = make(map[string]struct{}, len(a.Present))
		for _, id := range a.Present {
			f.set[id] = struct{}{}
		}
		return true
	}
	var d AttendanceDelta
	if json.Unmarshal(data, &d) != nil || d.In == nil {
		return false
	}
	f.apply(d)
	return true
}

// apply applies d to what is folded.
func (f *attendanceFold) apply(d AttendanceDelta) {
	if f.set == nil {
		f.set = map[string]struct{}{}
	}
	if len(d.Out) > 0 {
		out := make(map[string]struct{}, len(d.Out))
		for _, id := range d.Out {
			out[id] = struct{}{}
			delete(f.set, id)
		}
		kept := f.a.Present[:0]
		for _, id := range f.a.Present {
			if _, gone := out[id]; !gone {
				kept = append(kept, id)
			}
		}
		f.a.Present = kept
	}
	for _, id := range d.In {
		if _, ok := f.set[id]; !ok {
			f.set[id] = struct{}{}
			f.a.Present = append(f.a.Present, id)
		}
	}
	for _, id := range d.Unmarked {
		delete(f.a.Marks, id)
	}
	for id, mk := range d.Marks {
		if f.a.Marks == nil {
			f.a.Marks = map[string]AttendanceMark{}
		}
		f.a.Marks[id] = mk
	}
	if len(f.a.Marks) == 0 {
		f.a.Marks = nil
	}
	f.a.Expected, f.a.Quorum, f.a.PresentDelegates, f.a.QuorumNeeded = d.Expected, d.Quorum, d.PresentDelegates, d.QuorumNeeded
}

// attendance returns the folded attendance.
func (f *attendanceFold) attendance() Attendance {
	a := f.a
	if a.Present == nil {
		a.Present = []string{}
	}
	return a
}

// Features a socket may ask for on its URL (?features=a,b); unknown ones are
// ignored, so a newer client works with an older server and the other way
// round.
type features struct {
	attendanceDelta bool // attendance events as deltas (FeatureAttendanceDelta)
}

// FeatureAttendanceDelta asks for attendance events as deltas (docs/live.md).
const FeatureAttendanceDelta = "attendanceDelta"

func featuresOf(q url.Values) features {
	var f features
	for _, v := range q["features"] {
		for _, name := range strings.Split(v, ",") {
			if strings.TrimSpace(name) == FeatureAttendanceDelta {
				f.attendanceDelta = true
			}
		}
	}
	return f
}

// frameFor returns the frame of ev this socket asked for: full is ev's frame
// (eventFrame), encoded once by the caller; delta its delta frame, if any.
func (f features) frameFor(ev *Event, full, delta []byte) []byte {
	if f.attendanceDelta && len(ev.Delta) > 0 && delta != nil {
		return delta
	}
	return full
}

// encode returns the frame of ev this socket asked for, encoded for it alone
// (replay).
func (f features) encode(ev *Event) []byte {
	if f.attendanceDelta && len(ev.Delta) > 0 {
		return deltaFrame(ev)
	}
	return eventFrame(*ev)
}

// deltaFrame is ev's frame with its delta as the payload (nil: ev has none).
func deltaFrame(ev *Event) []byte {
	if len(ev.Delta) == 0 {
		return nil
	}
	d := *ev
	d.Payload = ev.Delta
	return eventFrame(d)
}
