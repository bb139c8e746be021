package server_test

import (
	"testing"

	"github.com/phonghop/phonghop"
)

// A hostile participant and a hostile outsider at the ballot box: a ballot
// in a draft, another meeting's open poll (under either meeting's path), as
// the chair, the secretary or an outsider, with a user id in the body (the
// ballot is the caller's whatever it names), an option out of range, twice:
// each is refused and only the delegates' own ballots count.
func TestHostileBallots(t *testing.T) {
	h := newHarness(t, nil)
	a := h.meeting(2)
	// Another meeting, with the same chair, whose delegate is the outsider.
	var mb phonghop.Meeting
	h.mustDo("POST", "/api/v1/meetings", "admin", map[string]any{"title": "Họp khác", "startsAt": "2024-01-12T08:00:00+07:00", "location": "Phòng 2", "language": "vi"}, 201, &mb)
	h.mustDo("PUT", "/api/v1/meetings/"+mb.ID+"/participants", "admin", []map[string]string{
		{"userId": h.users["chutich"].ID, "role": "chair"}, {"userId": h.users["outsider"].ID, "role": "delegate"}}, 200, nil)
	var item phonghop.AgendaItem
	h.mustDo("POST", "/api/v1/meetings/"+mb.ID+"/agenda", "chutich", map[string]any{"title": "Nội dung", "durationMinutes": 10}, 201, &item)
	b := meetingFixture{id: mb.ID, item: item.ID, delegates: []string{"outsider"}}
	pa := openSecretPoll(h, a, "Thông qua A")
	pb := openSecretPoll(h, b, "Thông qua B")
	var draft struct{ ID string }
	h.mustDo("POST", "/api/v1/meetings/"+a.id+"/polls", "chutich", map[string]any{"agendaItemId": a.item, "title": "Nháp"}, 201, &draft)

	ballot := func(mid, pid string) string { return "/api/v1/meetings/" + mid + "/polls/" + pid + "/ballots" }
	for _, c := range []struct {
		what, as, path string
		body           any
		status         int
	}{
		{"a draft", "daibieu02", ballot(a.id, draft.ID), map[string]int{"option": 0}, 409},
		{"another meeting's poll under one's own", "daibieu02", ballot(a.id, pb.ID), map[string]int{"option": 0}, 404},
		{"another meeting's poll under its own", "daibieu02", ballot(b.id, pb.ID), map[string]int{"option": 0}, 404},
		{"an outsider", "outsider", ballot(a.id, pa.ID), map[string]int{"option": 0}, 404},
		{"the chair", "chutich", ballot(a.id, pa.ID), map[string]int{"option": 0}, 403},
		{"the secretary", "thuky", ballot(a.id, pa.ID), map[string]int{"option": 0}, 403},
		{"out of range", "daibieu02", ballot(a.id, pa.ID), map[string]int{"option": 3}, 400},
		{"negative", "daibieu02", ballot(a.id, pa.ID), map[string]int{"option": -1}, 400},
		{"a motion's answers shaped as an election's", "daibieu02", ballot(a.id, pa.ID), map[string]any{"answers": [][]int{{1, 0}, {0}}}, 400},
	} {
		if r := h.do("POST", c.path, c.as, c.body); r.status != c.status {
			t.Errorf("%s: %d %s, want %d", c.what, r.status, r.body, c.status)
		}
	}
	// For another person: the body's userId is not read; the ballot is the caller's.
	h.mustDo("POST", ballot(a.id, pa.ID), "daibieu02", map[string]any{"option": 1, "userId": h.users["daibieu01"].ID}, 201, nil)
	if r := h.do("POST", ballot(a.id, pa.ID), "daibieu02", map[string]int{"option": 0}); r.status != 409 {
		t.Errorf("twice: %d %s", r.status, r.body)
	}
	h.mustDo("POST", ballot(a.id, pa.ID), "daibieu01", map[string]int{"option": 0}, 201, nil)
	h.mustDo("POST", "/api/v1/meetings/"+a.id+"/polls/"+pa.ID+"/close", "chutich", nil, 200, nil)
	var p phonghop.Poll
	h.mustDo("GET", "/api/v1/meetings/"+a.id+"/polls/"+pa.ID, "daibieu01", nil, 200, &p)
	if p.Results == nil || p.Results.Cast != 2 || p.Results.Counts[0] != 1 || p.Results.Counts[1] != 1 || len(p.Results.Ballots) != 0 {
		t.Errorf("results %+v", p.Results)
	}
	if r := h.do("POST", ballot(a.id, pa.ID), "daibieu01", map[string]int{"option": 0}); r.status != 409 {
		t.Errorf("after the close: %d %s", r.status, r.body)
	}
}
