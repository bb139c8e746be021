package minutes

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var t0 = time.Date(2024, 1, 15, 8, 0, 0, 0, phonghop.Zone)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute).UTC() }

// demoMeeting is the district People's Committee's year-end review of
// administrative reform (DESIGN.md, "A concrete case").
func demoMeeting() *phonghop.Meeting {
	return &phonghop.Meeting{
		ID:           "m1",
		Title:        "Hội nghị tổng kết công tác cải cách hành chính năm 2023, triển khai nhiệm vụ năm 2024",
		StartsAt:     t0.UTC(),
		Location:     "Hội trường UBND huyện",
		Language:     "vi",
		Organization: "Ủy ban nhân dân huyện Thanh Sơn",
		Participants: []phonghop.Participant{
			{UserID: "u-chair", DisplayName: "Nguyễn Văn Hùng", Role: phonghop.RoleChair, Title: "Chủ tịch Ủy ban nhân dân huyện"},
			{UserID: "u-sec", DisplayName: "Lê Thị Thu Hà", Role: phonghop.RoleSecretary, Title: "Chuyên viên Văn phòng HĐND và UBND huyện"},
			{UserID: "u-noiv", DisplayName: "Trần Đức Mạnh", Role: phonghop.RoleDelegate, Title: "Trưởng phòng Nội vụ"},
			{UserID: "u-tp", DisplayName: "Phạm Thị Hương", Role: phonghop.RoleDelegate, Title: "Trưởng phòng Tư pháp"},
			{UserID: "u-vhtt", DisplayName: "Đỗ Quốc Việt", Role: phonghop.RoleDelegate, Title: "Trưởng phòng Văn hóa và Thông tin"},
			{UserID: "u-xa", DisplayName: "Hoàng Minh Đức", Role: phonghop.RoleDelegate, Title: "Chủ tịch UBND xã Tân Lập"},
			{UserID: "u-obs", DisplayName: "Vũ Ngọc Ánh", Role: phonghop.RoleObserver},
		},
		Agenda: []phonghop.AgendaItem{
			{ID: "a1", Title: "Khai mạc hội nghị", DurationMinutes: 10},
			{ID: "a2", Title: "Báo cáo tổng kết công tác cải cách hành chính năm 2023", Presenter: "u-noiv", DurationMinutes: 30, DocumentIDs: []string{"d1"}},
			{ID: "a3", Title: "Báo cáo các mô hình điểm: “6 trong 1”, “Một cửa không treo – hồ sơ không đọng”, “Công dân điện tử”", Presenter: "u-tp", DurationMinutes: 30, DocumentIDs: []string{"d2"}},
			{ID: "a4", Title: "Biểu quyết khen thưởng 05 tập thể", DurationMinutes: 15, DocumentIDs: []string{"d3"}},
			{ID: "a5", Title: "Kết luận của Chủ tịch UBND huyện", DurationMinutes: 15},
		},
		Documents: []phonghop.Document{
			{ID: "d1", Name: "Bao-cao-tong-ket-CCHC-2023.pdf", Pages: 8, UploadedAt: at(-1440)},
			{ID: "d2", Name: "Mo-hinh-diem-CCHC.pdf", Pages: 5, UploadedAt: at(-1440)},
			{ID: "d3", Name: "Du-thao-Quyet-dinh-khen-thuong.pdf", Pages: 2, UploadedAt: at(-1440)},
		},
	}
}

func entry(seq uint64, typ string, min int, data any) journal.Entry {
	b, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	return journal.Entry{Seq: seq, Type: typ, Time: at(min), Data: b}
}

func speakers(cur string, queue ...string) map[string]any {
	var c any
	if cur != "" {
		c = cur
	}
	if queue == nil {
		queue = []string{}
	}
	return map[string]any{"current": c, "queue": queue}
}

func demoPoll() phonghop.Poll {
	return phonghop.Poll{
		ID: "p1", MeetingID: "m1", AgendaItemID: "a4",
		Title:   "Thông qua danh sách 05 tập thể được đề nghị khen thưởng",
		Options: []string{"Đồng ý", "Không đồng ý", "Không ý kiến"},
		Secret:  true, Majority: phonghop.MajorityAbsolute, State: phonghop.PollClosed,
		Cast: 4, Eligible: 4, CreatedAt: at(95), OpenedAt: ptr(at(96)), ClosedAt: ptr(at(99)),
		Results: &phonghop.PollResults{Counts: []int{3, 0, 1}, Cast: 4, Eligible: 4, Passed: true},
	}
}

// demoJournal is what the live room recorded during the demo meeting.
func demoJournal() []journal.Entry {
	openPoll := demoPoll()
	openPoll.State, openPoll.Results, openPoll.ClosedAt, openPoll.Cast = phonghop.PollOpen, nil, nil, 0
	return []journal.Entry{
		entry(1, "attendance", -5, map[string]any{"present": []string{"u-chair", "u-sec"}, "expected": 4, "quorum": false}),
		entry(2, "attendance", -3, map[string]any{"present": []string{"u-chair", "u-sec", "u-noiv", "u-tp", "u-vhtt"}, "expected": 4, "quorum": true}),
		entry(3, "presentation", 0, map[string]any{"agendaItemId": "a1", "documentId": "", "page": 1}),
		entry(4, "presentation", 10, map[string]any{"agendaItemId": "a2", "documentId": "d1", "page": 1}),
		entry(5, "presentation", 12, map[string]any{"agendaItemId": "a2", "documentId": "d1", "page": 2}),
		entry(6, "presentation", 40, map[string]any{"agendaItemId": "a3", "documentId": "d2", "page": 1}),
		entry(7, "speakers", 60, speakers("", "u-vhtt")),
		entry(8, "speakers", 61, speakers("u-vhtt", "u-tp")),
		entry(9, "speakers", 66, speakers("u-tp")),
		entry(10, "speakers", 70, speakers("")),
		// the Văn hóa head leaves early; he was still present
		entry(11, "attendance", 80, map[string]any{"present": []string{"u-chair", "u-sec", "u-noiv", "u-tp"}, "expected": 4, "quorum": true}),
		entry(12, "presentation", 90, map[string]any{"agendaItemId": "a4", "documentId": "d3", "page": 1}),
		entry(13, "poll", 96, openPoll),
		entry(14, "speakers", 105, speakers("u-chair")),
		entry(15, "presentation", 110, map[string]any{"agendaItemId": "a5", "documentId": "d1", "page": 8}),
		entry(16, "speakers", 125, speakers("")),
	}
}

func demoEdits() Edits {
	return Edits{
		Revision: 3,
		Summary:  "Chủ tịch Ủy ban nhân dân huyện kết luận: năm 2023 huyện hoàn thành 26/26 nhiệm vụ cải cách hành chính; 63/63 nhiệm vụ tỉnh giao đúng hạn; trên 99% hồ sơ được giải quyết đúng hạn. Năm 2024 tiếp tục nhân rộng các mô hình “6 trong 1”, “Một cửa không treo – hồ sơ không đọng”, “Công dân điện tử”.",
		Items: map[string]ItemEdit{
			"a2": {Notes: "Tỷ lệ số hóa kết quả giải quyết thủ tục hành chính đạt trên 60% ở cấp huyện và 86,9% ở cấp xã.", Conclusion: "Thống nhất thông qua báo cáo."},
			"a4": {Conclusion: "Đề nghị Chủ tịch UBND huyện tặng Giấy khen cho 05 tập thể."},
			"zz": {Notes: "an item no longer on the agenda"},
		},
		UpdatedBy: "u-sec",
		UpdatedAt: ptr(at(130)),
	}
}

func demoDraft() Draft {
	return Assemble(demoMeeting(), demoJournal(), []phonghop.Poll{demoPoll()}, demoEdits())
}

// pdfText extracts the text of a PDF with poppler's pdftotext. A missing tool is
// a failure, never a skip.
func pdfText(t testing.TB, pdf []byte, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is missing: install it with `bash scripts/tools.sh pdf` (poppler-utils)")
	}
	cmd := exec.Command(bin, append(append([]string{"-enc", "UTF-8"}, args...), "-", "-")...)
	cmd.Stdin = bytes.NewReader(pdf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, stderr.String())
	}
	return string(out)
}

// pdfPages returns the page count pdfinfo reports.
func pdfPages(t testing.TB, pdf []byte) int {
	t.Helper()
	bin, err := exec.LookPath("pdfinfo")
	if err != nil {
		t.Fatal("pdfinfo is missing: install it with `bash scripts/tools.sh pdf` (poppler-utils)")
	}
	cmd := exec.Command(bin, "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("pdfinfo printed no page count:\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the rendering (go test -update rewrites it); got:\n%s", path, got)
	}
}

// fakeMeetings and fakePolls are the sources a Service reads in tests.
type fakeMeetings map[string]*phonghop.Meeting

func (f fakeMeetings) Meeting(_ context.Context, id string) (*phonghop.Meeting, error) {
	if m, ok := f[id]; ok {
		return m, nil
	}
	return nil, phonghop.Fail(phonghop.ENotFound, "meeting_not_found")
}

type fakePolls []phonghop.Poll

func (f fakePolls) List(_ context.Context, mid string) ([]phonghop.Poll, error) {
	return f, nil
}

type journalEntry = journal.Entry

var _ = fmt.Sprint
var _ = strings.Contains
