package server_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

func TestElectionFlow(t *testing.T) { forEachStore(t, testElectionFlow) }

// An election and a confidence vote over the API: a photo uploaded and named
// by a candidate, secret by default, answers with null marks, a ballot with
// too many choices refused with its reason, results per candidate.
func testElectionFlow(t *testing.T, st storage.Store) {
	h := newHarness(t, st)
	f := h.meeting(3)
	base := "/api/v1/meetings/" + f.id
	for _, d := range f.delegates {
		h.mustDo("POST", base+"/attendance", d, nil, 200, nil)
	}

	var img bytes.Buffer
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 30, 40))); err != nil {
		t.Fatal(err)
	}
	ct, body := multipartBody("file", "chan-dung.png", img.Bytes())
	if r := h.do("POST", base+"/photos", "daibieu01", body, "Content-Type", ct); r.status != 403 {
		t.Fatalf("a delegate uploads a photo: %d %s", r.status, r.body)
	}
	badCT, bad := multipartBody("file", "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`))
	if r := h.do("POST", base+"/photos", "thuky", bad, "Content-Type", badCT); r.status != 415 || !strings.Contains(string(r.body), "photo_type") {
		t.Fatalf("an SVG photo: %d %s", r.status, r.body)
	}
	var photo struct{ ID, ContentType string }
	r := h.do("POST", base+"/photos", "thuky", body, "Content-Type", ct)
	if r.status != 201 || json.Unmarshal(r.body, &photo) != nil || photo.ContentType != "image/png" {
		t.Fatalf("upload a photo: %d %s", r.status, r.body)
	}
	got := h.mustDo("GET", base+"/photos/"+photo.ID, "daibieu02", nil, 200, nil)
	if !bytes.Equal(got.body, img.Bytes()) || got.header.Get("Content-Type") != "image/png" ||
		got.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(got.header.Get("Cache-Control"), "immutable") {
		t.Fatalf("photo: %d bytes, headers %v", len(got.body), got.header)
	}
	if r := h.do("GET", base+"/photos/"+photo.ID, "outsider", nil); r.status != 404 {
		t.Fatalf("an outsider reads a photo: %d", r.status)
	}

	var p phonghop.Poll
	h.mustDo("POST", base+"/polls", "thuky", map[string]any{
		"agendaItemId": f.item, "title": "Bầu Phó Chủ tịch HĐND huyện", "kind": "election",
		"questions": []map[string]any{{"seats": 2, "candidates": []map[string]any{
			{"name": "Phạm Văn Cường", "position": "Trưởng Ban Pháp chế", "photo": photo.ID},
			{"name": "Hoàng Thị Dung", "position": "Trưởng Ban Kinh tế - Xã hội"},
			{"name": "Vũ Văn Em"},
		}}},
	}, 201, &p)
	if !p.Secret || p.Kind != "election" || p.Majority != "absolute" || p.Questions[0].Candidates[0].Photo != photo.ID {
		t.Fatalf("election = %+v", p)
	}
	// A draft is edited field by field: the people and their photos stay
	// when only the title changes, and the other way round.
	h.mustDo("PATCH", base+"/polls/"+p.ID, "thuky", map[string]any{"title": "Bầu Phó Chủ tịch HĐND huyện khóa XII"}, 200, &p)
	if p.Title != "Bầu Phó Chủ tịch HĐND huyện khóa XII" || p.Kind != "election" || !p.Secret || len(p.Questions[0].Candidates) != 3 || p.Questions[0].Seats != 2 {
		t.Fatalf("title edited: %+v", p)
	}
	qs := p.Questions
	qs[0].Candidates = append(qs[0].Candidates, phonghop.Candidate{Name: "Đỗ Thị Giang"})
	h.mustDo("PATCH", base+"/polls/"+p.ID, "thuky", map[string]any{"questions": qs}, 200, &p)
	if len(p.Questions[0].Candidates) != 4 || p.Questions[0].Candidates[0].Photo != photo.ID || p.Title != "Bầu Phó Chủ tịch HĐND huyện khóa XII" {
		t.Fatalf("candidates edited: %+v", p)
	}
	qs[0].Candidates = qs[0].Candidates[:3]
	h.mustDo("PATCH", base+"/polls/"+p.ID, "thuky", map[string]any{"questions": qs}, 200, &p)
	h.mustDo("POST", base+"/polls/"+p.ID+"/open", "chutich", nil, 200, &p)
	ballots := base + "/polls/" + p.ID + "/ballots"
	r = h.do("POST", ballots, "daibieu01", map[string]any{"answers": [][]int{{0, 1, 2}}})
	var e struct{ Error phonghop.Error }
	if r.status != 400 || json.Unmarshal(r.body, &e) != nil || e.Error.Reason != "ballot_too_many_choices" || e.Error.Params["max"] != "2" {
		t.Fatalf("three choices for two seats: %d %s", r.status, r.body)
	}
	if r := h.do("POST", ballots, "daibieu01", map[string]int{"option": 0}); r.status != 400 || !strings.Contains(string(r.body), "ballot_answers_required") {
		t.Fatalf("an option on an election: %d %s", r.status, r.body)
	}
	for i, a := range []string{`{"answers":[[0,1]]}`, `{"answers":[[1,0]]}`, `{"answers":[[]]}`} {
		h.mustDo("POST", ballots, f.delegates[i], a, 201, nil)
	}
	if r := h.do("POST", ballots, "daibieu01", `{"answers":[[2]]}`); r.status != 409 {
		t.Fatalf("second ballot: %d", r.status)
	}
	// The vote-counting committee, and its record once the poll is closed.
	committee := base + "/polls/" + p.ID + "/committee"
	if r := h.do("PUT", committee, "daibieu01", map[string]any{"members": []map[string]string{{"name": "A"}}}); r.status != 403 {
		t.Fatalf("a delegate names the committee: %d", r.status)
	}
	if r := h.do("PUT", committee, "thuky", map[string]any{"members": []map[string]string{{"name": "A", "role": "boss"}}}); r.status != 400 || !strings.Contains(string(r.body), "committee_role_invalid") {
		t.Fatalf("a made-up role: %d %s", r.status, r.body)
	}
	h.mustDo("PUT", committee, "thuky", map[string]any{"members": []map[string]string{
		{"name": "Đặng Văn Khoa", "position": "Trưởng Ban Kinh tế - Xã hội", "role": "head"}, {"name": "Bùi Thị Hoa"}}}, 200, nil)
	var named struct{ Members []phonghop.Counter }
	h.mustDo("GET", committee, "daibieu02", nil, 200, &named)
	if len(named.Members) != 2 || named.Members[1].Role != "member" {
		t.Fatalf("committee %+v", named.Members)
	}
	if r := h.do("GET", base+"/polls/"+p.ID+"/counting.pdf", "daibieu02", nil); r.status != 409 {
		t.Fatalf("the record of an open poll: %d", r.status)
	}
	h.mustDo("POST", base+"/polls/"+p.ID+"/close", "chutich", nil, 200, &p)
	rec := h.mustDo("GET", base+"/polls/"+p.ID+"/counting.pdf", "daibieu02", nil, 200, nil)
	if !bytes.HasPrefix(rec.body, []byte("%PDF-")) || rec.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("counting record: %q %v", rec.body[:min(len(rec.body), 16)], rec.header)
	}
	if r := h.do("GET", base+"/polls/"+p.ID+"/counting.pdf", "outsider", nil); r.status != 404 {
		t.Fatalf("an outsider reads the record: %d", r.status)
	}
	res := p.Results
	if res.Cast != 3 || res.Valid != 2 || res.Blank != 1 || len(res.Questions) != 1 {
		t.Fatalf("results %+v", res)
	}
	if q := res.Questions[0]; q.Needed != 2 || q.Candidates[0].Outcome != "elected" || q.Candidates[1].Outcome != "elected" ||
		q.Candidates[2].Outcome != "not_elected" || q.Candidates[0].Shares[0] != 0.6667 {
		t.Fatalf("question %+v", q)
	}

	// A confidence vote: null leaves a person unmarked.
	p = phonghop.Poll{}
	h.mustDo("POST", base+"/polls", "thuky", map[string]any{
		"agendaItemId": f.item, "title": "Lấy phiếu tín nhiệm", "kind": "confidence",
		"questions": []map[string]any{{"candidates": []map[string]any{{"name": "Trần Văn An"}, {"name": "Lê Thị Bình"}}}},
	}, 201, &p)
	h.mustDo("POST", base+"/polls/"+p.ID+"/open", "chutich", nil, 200, &p)
	ballots = base + "/polls/" + p.ID + "/ballots"
	for i, a := range []string{`{"answers":[[0,2]]}`, `{"answers":[[null,2]]}`, `{"answers":[[1,-1]]}`} {
		h.mustDo("POST", ballots, f.delegates[i], a, 201, nil)
	}
	pid := p.ID
	p = phonghop.Poll{}
	h.mustDo("POST", base+"/polls/"+pid+"/close", "chutich", nil, 200, &p)
	cs := p.Results.Questions[0].Candidates
	if len(cs) != 2 || cs[0].Unmarked != 1 || cs[1].Counts[2] != 2 || cs[1].Outcome != "low_two_thirds" || cs[0].Outcome != "" ||
		p.Results.Ballots != nil || p.Results.Blank != 0 || p.Results.Valid != 3 {
		t.Fatalf("confidence results %+v", p.Results)
	}
}
