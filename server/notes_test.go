package server_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// A save answers its page only (it was every page of the document, each
// time); GET still answers them all, to their author only.
func TestNotesSaveAnswersThePage(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(1)
	base := "/api/v1/meetings/" + f.id + "/documents/" + f.doc + "/notes"
	long := strings.Repeat("ghi chú ", 2500)
	h.mustDo("PUT", base+"/1", "daibieu01", map[string]string{"text": long}, 200, nil)
	r := h.mustDo("PUT", base+"/2", "daibieu01", map[string]string{"text": "Hỏi thêm"}, 200, nil)
	if string(r.body) != `{"page":2,"text":"Hỏi thêm"}` {
		t.Errorf("PUT answered %s", r.body)
	}
	var got struct{ Pages map[string]string }
	h.mustDo("GET", base, "daibieu01", nil, 200, &got)
	if len(got.Pages) != 2 || got.Pages["1"] != long || got.Pages["2"] != "Hỏi thêm" {
		t.Errorf("GET: %d pages", len(got.Pages))
	}
	r = h.mustDo("GET", base, "chutich", nil, 200, nil)
	var other struct{ Pages map[string]string }
	if err := json.Unmarshal(r.body, &other); err != nil || len(other.Pages) != 0 {
		t.Errorf("another participant reads %s", r.body)
	}
}
