package minutes

import (
	"strings"
	"testing"

	"github.com/phonghop/phonghop"
)

// confidencePoll is a closed confidence vote on three office-holders by 9
// delegates: 8 ballots, one blank.
func confidencePoll() phonghop.Poll {
	levels := []string{"Tín nhiệm cao", "Tín nhiệm", "Tín nhiệm thấp"}
	return phonghop.Poll{
		ID: "p2", MeetingID: "m1", AgendaItemID: "a4", Kind: phonghop.PollConfidence,
		Title:   "Lấy phiếu tín nhiệm đối với người giữ chức vụ do HĐND huyện bầu",
		Options: []string{}, Secret: true, Majority: phonghop.MajorityAbsolute, State: phonghop.PollClosed,
		Cast: 8, Eligible: 9, CreatedAt: at(100), OpenedAt: ptr(at(101)), ClosedAt: ptr(at(104)),
		Questions: []phonghop.Question{{Levels: levels, Candidates: []phonghop.Candidate{
			{Name: "Trần Văn An", Position: "Chủ tịch HĐND huyện"},
			{Name: "Lê Thị Bình", Position: "Chủ tịch UBND huyện"},
			{Name: "Phạm Văn Cường", Position: "Trưởng Ban Pháp chế HĐND"},
		}}},
		Results: &phonghop.PollResults{Counts: []int{}, Cast: 8, Eligible: 9, Valid: 7, Blank: 1, Missing: 1,
			Questions: []phonghop.QuestionResult{{Blank: 1, Candidates: []phonghop.CandidateResult{
				{Counts: []int{3, 2, 1}, Shares: []float64{0.3333, 0.2222, 0.1111}, Unmarked: 2},
				{Counts: []int{1, 1, 5}, Shares: []float64{0.1111, 0.1111, 0.5556}, Unmarked: 1, Outcome: phonghop.OutcomeLowOverHalf},
				{Counts: []int{0, 0, 6}, Shares: []float64{0, 0, 0.6667}, Unmarked: 2, Outcome: phonghop.OutcomeLowTwoThirds},
			}}}},
	}
}

// electionPoll is a closed election of two vice-chairs among three, tied
// for the second seat.
func electionPoll() phonghop.Poll {
	return phonghop.Poll{
		ID: "p3", MeetingID: "m1", AgendaItemID: "a4", Kind: phonghop.PollElection,
		Title:   "Bầu Phó Chủ tịch HĐND huyện",
		Options: []string{}, Secret: true, Majority: phonghop.MajorityAbsolute, State: phonghop.PollClosed,
		Cast: 12, Eligible: 12, CreatedAt: at(105), OpenedAt: ptr(at(106)), ClosedAt: ptr(at(108)),
		Questions: []phonghop.Question{{Title: "Bầu Phó Chủ tịch HĐND", Seats: 2, Candidates: []phonghop.Candidate{
			{Name: "Hoàng Thị Dung"}, {Name: "Vũ Văn Em"}, {Name: "Đỗ Thị Giang"},
		}}},
		Results: &phonghop.PollResults{Counts: []int{}, Cast: 12, Eligible: 12, Valid: 12,
			Questions: []phonghop.QuestionResult{{Needed: 7, Candidates: []phonghop.CandidateResult{
				{Counts: []int{10}, Shares: []float64{0.8333}, Outcome: phonghop.OutcomeElected},
				{Counts: []int{7}, Shares: []float64{0.5833}, Outcome: phonghop.OutcomeTie},
				{Counts: []int{7}, Shares: []float64{0.5833}, Outcome: phonghop.OutcomeTie},
			}}}},
	}
}

var committee = []phonghop.Counter{
	{Name: "Ngô Thị Lan", Position: "Ủy viên Ban Pháp chế", Role: phonghop.CountingMember},
	{Name: "Đặng Văn Khoa", Position: "Trưởng Ban Kinh tế - Xã hội", Role: phonghop.CountingHead},
	{Name: "Bùi Thị Hoa", Role: phonghop.CountingSecretary},
}

// The counting record of a confidence vote: the committee, the ballots
// issued, received, valid, blank, invalid and not cast, each person's three
// counts with their shares of all delegates, the law's thresholds, and a
// signature for every member.
func TestCountingRecordConfidence(t *testing.T) {
	m := demoMeeting()
	m.PlaceName = "Thanh Sơn"
	pdf, err := CountingRecord(m, confidencePoll(), committee)
	if err != nil {
		t.Fatal(err)
	}
	f := flat(pdfText(t, pdf))
	table := flat(pdfText(t, pdf, "-layout"))
	for _, want := range []string{
		"ỦY BAN NHÂN DÂN HUYỆN THANH SƠN BAN KIỂM PHIẾU",
		"Số: ....../BB-BKP",
		"Thanh Sơn, ngày 15 tháng 01 năm 2024",
		"BIÊN BẢN Kiểm phiếu: Lấy phiếu tín nhiệm đối với người giữ chức vụ do HĐND huyện bầu",
		"Ban kiểm phiếu gồm: 1. Ngô Thị Lan, Ủy viên Ban Pháp chế – Ủy viên; 2. Đặng Văn Khoa, Trưởng Ban Kinh tế - Xã hội – Trưởng ban; 3. Bùi Thị Hoa – Thư ký.",
		"Nội dung: Kiểm phiếu “Lấy phiếu tín nhiệm đối với người giữ chức vụ do HĐND huyện bầu” (lấy phiếu tín nhiệm; bỏ phiếu kín, mỗi đại biểu một phiếu điện tử",
		"Tổng số đại biểu: 9.", "Số phiếu phát ra: 9.", "Số phiếu thu vào: 8.", "Số phiếu hợp lệ: 7.",
		"Số phiếu trống (không đánh dấu nội dung nào): 1.", "Số phiếu không hợp lệ: 0.", "Số đại biểu không bỏ phiếu: 1.",
		"Có từ 2/3 tổng số đại biểu trở lên đánh giá “Tín nhiệm thấp”: Phạm Văn Cường.",
		"Có trên 1/2 tổng số đại biểu đánh giá “Tín nhiệm thấp”: Lê Thị Bình.",
		"THƯ KÝ TRƯỞNG BAN KIỂM PHIẾU",
		"Bùi Thị Hoa Đặng Văn Khoa",
		"ỦY VIÊN", "Ngô Thị Lan",
	} {
		if !strings.Contains(f, want) {
			t.Errorf("the record lacks %q:\n%s", want, f)
		}
	}
	for _, want := range []string{"TT Họ và tên, chức vụ Tín nhiệm cao Tín nhiệm Tín nhiệm thấp", "Không đánh dấu", "Kết quả"} {
		if !strings.Contains(f, want) {
			t.Errorf("the table's header lacks %q:\n%s", want, f)
		}
	}
	for _, want := range []string{"1 Trần Văn An, Chủ tịch 3 (33,33%) 2 (22,22%) 1 (11,11%) 2", "5 (55,56%) 1 Trên 1/2 tín", "6 (66,67%) 2 Từ 2/3 tín"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
	// Nothing in it names a voter.
	for _, p := range m.Participants {
		if p.Role == phonghop.RoleDelegate && strings.Contains(f, p.DisplayName) {
			t.Errorf("the record names delegate %s", p.DisplayName)
		}
	}
}

// An election's record in English, with no committee named: the tie is
// reported as a tie, and blanks are left to sign by hand.
func TestCountingRecordElectionEnglish(t *testing.T) {
	m := demoMeeting()
	m.Language = "en"
	pdf, err := CountingRecord(m, electionPoll(), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := flat(pdfText(t, pdf))
	for _, want := range []string{
		"RECORD OF THE VOTE COUNT", "VOTE-COUNTING COMMITTEE",
		"The vote-counting committee: ......",
		"Question 1: Bầu Phó Chủ tịch HĐND (2 to elect; a candidate needs at least 7 votes (more than half of all delegates)).",
		"Count of “Bầu Phó Chủ tịch HĐND huyện” (election; secret ballot,",
		"Ballots issued: 12.", "Blank ballots (nothing marked): 0.", "Invalid ballots: 0.",
		"Elected: Hoàng Thị Dung.", "Tied, to vote again: Vũ Văn Em; Đỗ Thị Giang.",
		"SECRETARY HEAD OF THE COMMITTEE",
	} {
		if !strings.Contains(f, want) {
			t.Errorf("the record lacks %q:\n%s", want, f)
		}
	}
}

// The minutes carry an election's and a confidence vote's results with the
// same tables.
func TestMinutesCarryBallotResults(t *testing.T) {
	d := Assemble(demoMeeting(), demoJournal(), []phonghop.Poll{demoPoll(), confidencePoll(), electionPoll()}, demoEdits())
	var got []PollSummary
	for _, it := range d.Items {
		got = append(got, it.Polls...)
	}
	if len(got) != 3 || got[1].Kind != phonghop.PollConfidence || got[1].Blank != 1 || len(got[1].QuestionResults) != 1 || got[2].QuestionResults[0].Needed != 7 {
		t.Fatalf("polls in the draft: %+v", got)
	}
	pdf, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	f := flat(pdfText(t, pdf))
	for _, want := range []string{
		"Biểu quyết: Lấy phiếu tín nhiệm đối với người giữ chức vụ do HĐND huyện bầu (lấy phiếu tín nhiệm; bỏ phiếu kín).",
		"Số phiếu trống (không đánh dấu nội dung nào): 1.",
		"Người trúng cử: Hoàng Thị Dung.", "Bằng phiếu nhau, phải bầu lại: Vũ Văn Em; Đỗ Thị Giang.",
		"Kết quả: THÔNG QUA.", // the motion, as before
	} {
		if !strings.Contains(f, want) {
			t.Errorf("the minutes lack %q:\n%s", want, f)
		}
	}
	if strings.Contains(f, "Số phiếu phát ra") {
		t.Error("the minutes repeat what only the counting record states")
	}
	// The Word file says the same.
	doc, err := RenderDocx(d)
	if err != nil {
		t.Fatal(err)
	}
	text := flat(docxText(t, docxParts(t, doc)["word/document.xml"]))
	for _, want := range []string{"Người trúng cử: Hoàng Thị Dung.", "Tín nhiệm cao", "5 (55,56%)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Word minutes lack %q", want)
		}
	}
}
