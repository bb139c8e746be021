package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// A whole meeting through the API: check-in and quorum, a page turn, a speaker,
// a named poll, the minutes edited, rendered, and read back as text.
func TestMeetingFlow(t *testing.T) { forEachStore(t, testMeetingFlow) }

func testMeetingFlow(t *testing.T, st storage.Store) {
	h := newHarness(t, st)
	f := h.meeting(4)
	base := "/api/v1/meetings/" + f.id

	var p phonghop.Poll
	h.mustDo("POST", base+"/polls", "thuky", map[string]any{"agendaItemId": f.item, "title": "Thông qua báo cáo tổng kết", "secret": false, "majority": "simple"}, 201, &p)
	if p.State != "draft" || len(p.Options) != 3 || p.Options[0] != "Đồng ý" {
		t.Fatalf("poll = %+v", p)
	}
	if r := h.do("POST", base+"/polls", "daibieu01", map[string]any{"agendaItemId": f.item, "title": "x"}); r.status != 403 {
		t.Fatalf("delegate creates poll: %d", r.status)
	}
	// No quorum yet: opening is refused unless the chair overrides.
	if r := h.do("POST", base+"/polls/"+p.ID+"/open", "chutich", nil); r.status != 409 {
		t.Fatalf("open without quorum: %d %s", r.status, r.body)
	}
	for _, d := range f.delegates[:3] {
		h.mustDo("POST", base+"/attendance", d, nil, 200, nil)
	}
	var state struct {
		Attendance struct {
			Present  []string
			Expected int
			Quorum   bool
		}
	}
	h.mustDo("GET", base+"/state", "chutich", nil, 200, &state)
	if len(state.Attendance.Present) != 3 || state.Attendance.Expected != 4 || !state.Attendance.Quorum {
		t.Fatalf("attendance = %+v", state.Attendance)
	}
	h.mustDo("PUT", base+"/presentation", "chutich", map[string]any{"agendaItemId": f.item, "documentId": f.doc, "page": 1}, 200, nil)
	h.mustDo("POST", base+"/speakers", "daibieu02", map[string]string{"action": "request"}, 200, nil)
	h.mustDo("POST", base+"/speakers", "chutich", map[string]string{"action": "next"}, 200, nil)
	if r := h.do("POST", base+"/polls/"+p.ID+"/ballots", "daibieu01", map[string]int{"option": 0}); r.status != 409 {
		t.Fatalf("ballot on a draft poll: %d", r.status)
	}
	h.mustDo("POST", base+"/polls/"+p.ID+"/open", "chutich", nil, 200, &p)
	h.mustDo("POST", base+"/polls/"+p.ID+"/open", "chutich", nil, 200, &p) // idempotent
	if r := h.do("POST", base+"/polls/"+p.ID+"/ballots", "chutich", map[string]int{"option": 0}); r.status != 403 {
		t.Fatalf("chair votes: %d", r.status)
	}
	if r := h.do("POST", base+"/polls/"+p.ID+"/ballots", "daibieu01", map[string]int{"option": 7}); r.status != 400 {
		t.Fatalf("bad option: %d", r.status)
	}
	if r := h.do("POST", base+"/polls/"+p.ID+"/ballots", "daibieu01", `{"option":"yes"}`); r.status != 400 {
		t.Fatalf("option of the wrong type: %d", r.status)
	}
	var receipts []string
	for i, d := range f.delegates {
		var rc struct{ Receipt string }
		h.mustDo("POST", base+"/polls/"+p.ID+"/ballots", d, map[string]int{"option": []int{0, 0, 1, 2}[i]}, 201, &rc)
		if rc.Receipt == "" {
			t.Fatal("no receipt")
		}
		receipts = append(receipts, rc.Receipt)
	}
	hashOf := func(receipt string) string { h := sha256.Sum256([]byte(receipt)); return hex.EncodeToString(h[:]) }
	if r := h.do("GET", base+"/polls/"+p.ID+"/receipts/"+hashOf(receipts[0]), "daibieu01", nil); r.status != 409 {
		t.Fatalf("receipt check before the close: %d", r.status)
	}
	if r := h.do("POST", base+"/polls/"+p.ID+"/ballots", "daibieu01", map[string]int{"option": 1}); r.status != 409 {
		t.Fatalf("second ballot: %d", r.status)
	}
	h.mustDo("POST", base+"/polls/"+p.ID+"/close", "chutich", nil, 200, &p)
	if p.State != "closed" || p.Results == nil || fmt.Sprint(p.Results.Counts) != "[2 1 1]" || !p.Results.Passed || len(p.Results.Ballots) != 4 {
		t.Fatalf("closed poll = %+v %+v", p, p.Results)
	}
	if r := h.do("POST", base+"/polls/"+p.ID+"/ballots", "daibieu01", map[string]int{"option": 1}); r.status != 409 {
		t.Fatalf("ballot after close: %d", r.status)
	}
	// Each voter checks its own receipt by its hash; the poll lists them all.
	for i, rc := range receipts {
		var got struct{ Counted bool }
		h.mustDo("GET", base+"/polls/"+p.ID+"/receipts/"+hashOf(rc), f.delegates[i], nil, 200, &got)
		if !got.Counted {
			t.Fatalf("receipt %d not counted", i)
		}
	}
	var none struct{ Counted bool }
	h.mustDo("GET", base+"/polls/"+p.ID+"/receipts/"+hashOf("not a receipt"), "daibieu01", nil, 200, &none)
	if none.Counted {
		t.Fatal("an unknown receipt counted")
	}
	if r := h.do("GET", base+"/polls/"+p.ID+"/receipts/"+receipts[0], "daibieu01", nil); r.status != 400 {
		t.Fatalf("the receipt itself instead of its hash: %d", r.status)
	}
	if p.Results.Receipts == nil || len(p.Results.Receipts) != 4 {
		t.Fatalf("the closed poll lists %d receipts", len(p.Results.Receipts))
	}
	csv := h.mustDo("GET", base+"/polls/"+p.ID+"/results.csv", "thuky", nil, 200, nil)
	if !strings.Contains(string(csv.body), "Đồng ý") {
		t.Fatalf("csv = %s", csv.body)
	}

	// Minutes: the draft knows the item, the speaker and the poll.
	var d map[string]any
	h.mustDo("GET", base+"/minutes", "thuky", nil, 200, &d)
	items := d["items"].([]any)
	first := items[0].(map[string]any)
	if first["startedAt"] == nil || len(first["speakers"].([]any)) != 1 || len(first["polls"].([]any)) != 1 {
		t.Fatalf("assembled item = %v", first)
	}
	d["summary"] = "Hội nghị thống nhất đánh giá: năm 2023 hoàn thành 26/26 nhiệm vụ cải cách hành chính."
	first["notes"] = "Đại biểu đề nghị đẩy mạnh số hóa kết quả giải quyết thủ tục hành chính ở cấp xã."
	first["conclusion"] = "Thông qua báo cáo tổng kết."
	stale := map[string]any{"revision": d["revision"], "summary": "bản cũ", "items": []any{}}
	h.mustDo("PUT", base+"/minutes", "thuky", d, 200, nil)
	if r := h.do("PUT", base+"/minutes", "chutich", stale); r.status != 409 || r.errorCode() != "conflict" {
		t.Fatalf("stale revision: %d %s", r.status, r.body)
	}
	if r := h.do("PUT", base+"/minutes", "daibieu01", d); r.status != 403 {
		t.Fatalf("delegate edits minutes: %d", r.status)
	}
	var v struct {
		Version int
		SHA256  string
		Size    int64
	}
	h.mustDo("POST", base+"/minutes/pdf", "thuky", nil, 201, &v)
	if v.Version != 1 || v.Size == 0 {
		t.Fatalf("version = %+v", v)
	}
	pdf := h.mustDo("GET", base+"/minutes.pdf", "daibieu03", nil, 200, nil)
	if pdf.header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf.body, []byte("%PDF")) {
		t.Fatalf("pdf: %v", pdf.header)
	}
	text := pdfText(t, pdf.body)
	for _, want := range []string{"BIÊN BẢN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Thông qua báo cáo tổng kết", "số hóa kết quả giải quyết thủ tục hành chính", "THƯ KÝ", "CHỦ TỌA"} {
		if !strings.Contains(text, want) {
			t.Errorf("minutes PDF lacks %q", want)
		}
	}
	h.mustDo("POST", base+"/minutes/pdf", "chutich", nil, 201, &v)
	if v.Version != 2 {
		t.Fatalf("second version = %d", v.Version)
	}
	var versions []map[string]any
	h.mustDo("GET", base+"/minutes/versions", "daibieu01", nil, 200, &versions)
	if len(versions) != 2 || versions[0]["renderedBy"] == "" {
		t.Fatalf("versions = %v", versions)
	}
	if r := h.do("GET", base+"/minutes.pdf?version=1", "daibieu01", nil); r.status != 200 || !bytes.Equal(r.body, pdf.body) {
		t.Fatalf("version 1 changed or missing: %d", r.status)
	}
	if r := h.do("GET", base+"/minutes.pdf?version=9", "daibieu01", nil); r.status != 404 {
		t.Fatalf("missing version: %d", r.status)
	}
	// The chair approves version 1; the secretary cannot; a preview stores nothing.
	if r := h.do("POST", base+"/minutes/versions/1/approve", "thuky", nil); r.status != 403 {
		t.Fatalf("the secretary approves: %d", r.status)
	}
	var final struct {
		Version    int
		Final      bool
		Approves   int
		ApprovedBy string
	}
	h.mustDo("POST", base+"/minutes/versions/1/approve", "chutich", nil, 201, &final)
	if final.Version != 3 || !final.Final || final.Approves != 1 || final.ApprovedBy == "" {
		t.Fatalf("approved = %+v", final)
	}
	if r := h.do("POST", base+"/minutes/versions/x/approve", "chutich", nil); r.status != 400 {
		t.Fatalf("bad version: %d", r.status)
	}
	pv := h.mustDo("POST", base+"/minutes/preview", "thuky", d, 200, nil)
	if pv.header.Get("Content-Type") != "application/pdf" || !strings.Contains(pdfText(t, pv.body), "DỰ THẢO") {
		t.Fatalf("preview: %v", pv.header)
	}
	if r := h.do("POST", base+"/minutes/preview", "daibieu01", d); r.status != 403 {
		t.Fatalf("a delegate previews: %d", r.status)
	}
	// The final version as Word, for any participant.
	dx := h.mustDo("GET", base+"/minutes.docx?version=3", "daibieu01", nil, 200, nil)
	if !strings.Contains(dx.header.Get("Content-Disposition"), "-v3.docx") || !bytes.HasPrefix(dx.body, []byte("PK")) {
		t.Fatalf("docx: %v", dx.header)
	}
	if r := h.do("GET", base+"/minutes.docx?version=0", "daibieu01", nil); r.status != 400 {
		t.Fatalf("docx version 0: %d", r.status)
	}
	if r := h.do("GET", base+"/minutes.pdf", "outsider", nil); r.status != 404 {
		t.Fatalf("outsider reads minutes: %d", r.status)
	}
	zip := h.mustDo("GET", base+"/archive.zip", "thuky", nil, 200, nil)
	if !bytes.HasPrefix(zip.body, []byte("PK")) {
		t.Fatal("archive is not a zip")
	}
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is missing: run scripts/tools.sh pdf")
	}
	f, err := os.CreateTemp(t.TempDir(), "*.pdf")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write(pdf)
	f.Close()
	out, err := exec.Command(tool, f.Name(), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	// Wrapped lines join with a space, so phrases are found across line breaks.
	return strings.Join(strings.Fields(string(out)), " ")
}
