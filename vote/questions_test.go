package vote_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/vote"
)

func TestElected(t *testing.T) {
	E, N, T := phonghop.OutcomeElected, phonghop.OutcomeNotElected, phonghop.OutcomeTie
	for _, c := range []struct {
		votes         []int
		seats, needed int
		want          []string
	}{
		{[]int{7, 5}, 1, 7, []string{E, N}},             // 7 of 12: more than half
		{[]int{6, 6}, 1, 7, []string{N, N}},             // nobody reaches 7
		{[]int{8, 8, 3}, 1, 7, []string{T, T, N}},       // both reach it, one seat: a tie
		{[]int{8, 8, 3}, 2, 7, []string{E, E, N}},       // two seats: both elected
		{[]int{9, 8, 8, 7}, 2, 7, []string{E, T, T, N}}, // tied for the last seat
		{[]int{9, 9, 8, 7}, 2, 7, []string{E, E, N, N}}, // the tie is below the seats
		{[]int{7, 7, 7}, 3, 7, []string{E, E, E}},
		{[]int{0, 0}, 1, 1, []string{N, N}},
	} {
		if got := vote.Elected(c.votes, c.seats, c.needed); !slices.Equal(got, c.want) {
			t.Errorf("Elected(%v, %d seats, %d needed) = %v, want %v", c.votes, c.seats, c.needed, got, c.want)
		}
	}
	for _, c := range []struct {
		majority       string
		eligible, cast int
		want           int
	}{
		{"absolute", 12, 10, 7}, {"absolute", 11, 11, 6}, {"", 30, 0, 16},
		{"two_thirds", 12, 12, 8}, {"two_thirds", 10, 9, 7}, {"two_thirds", 3, 3, 2},
		{"simple", 12, 9, 5}, {"simple", 12, 10, 6}, {"simple", 12, 0, 1},
	} {
		if got := vote.CandidateNeeds(c.majority, c.eligible, c.cast); got != c.want {
			t.Errorf("CandidateNeeds(%s, %d, %d) = %d, want %d", c.majority, c.eligible, c.cast, got, c.want)
		}
	}
}

// TestElectionCount: 12 delegates on the roll, 11 ballots (one missing) on an
// election of a chair (one of two) and two vice-chairs (of four); one ballot
// is blank, one leaves the second question blank. Every count, share and
// outcome, and a tie reported as a tie.
func TestElectionCount(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 12)
		ctx := ctxT(t)
		req := vote.CreateRequest{Kind: phonghop.PollElection, Title: "Bầu Thường trực HĐND huyện", Questions: []phonghop.Question{
			{Title: "Bầu Chủ tịch HĐND", Candidates: []phonghop.Candidate{{Name: "Trần Văn An", Position: "Bí thư Huyện ủy"}, {Name: "Lê Thị Bình"}}},
			{Title: "Bầu Phó Chủ tịch HĐND", Seats: 2, Candidates: []phonghop.Candidate{{Name: "Phạm Văn Cường"}, {Name: "Hoàng Thị Dung"}, {Name: "Vũ Văn Em"}, {Name: "Đỗ Thị Giang"}}},
		}}
		p := f.openPoll(t, req)
		if !p.Secret || p.Majority != "absolute" || p.Questions[0].Seats != 1 || len(p.Options) != 0 || p.Options == nil {
			t.Fatalf("defaults: secret %v majority %q seats %d options %v", p.Secret, p.Majority, p.Questions[0].Seats, p.Options)
		}
		ballots := [][][]int{
			{{0}, {0, 1}}, {{0}, {0, 1}}, {{0}, {0, 2}}, {{0}, {1, 2}}, {{0}, {0, 1}}, {{0}, {1, 2}},
			{{0}, {0, 2}}, {{1}, {2, 0}}, {{1}, {3}}, {{0}, {}}, {{}, {}},
		}
		for i, b := range ballots {
			if _, err := f.svc.CastAnswers(ctx, mid, p.ID, delegate(i), b); err != nil {
				t.Fatalf("ballot %d: %v", i, err)
			}
		}
		p, err := f.svc.Close(ctx, mid, p.ID, chair)
		if err != nil {
			t.Fatal(err)
		}
		r := p.Results
		if r.Cast != 11 || r.Eligible != 12 || r.Valid != 10 || r.Blank != 1 || r.Missing != 1 || len(r.Receipts) != 11 || r.Ballots != nil {
			t.Fatalf("ballots: %+v", r)
		}
		type want struct {
			votes   int
			share   float64
			outcome string
		}
		check := func(q int, blank, needed int, ws []want) {
			t.Helper()
			qr := r.Questions[q]
			if qr.Blank != blank || qr.Needed != needed || len(qr.Candidates) != len(ws) {
				t.Fatalf("question %d: blank %d needed %d, want %d %d", q, qr.Blank, qr.Needed, blank, needed)
			}
			for j, w := range ws {
				c := qr.Candidates[j]
				if !slices.Equal(c.Counts, []int{w.votes}) || c.Shares[0] != w.share || c.Outcome != w.outcome {
					t.Errorf("question %d, candidate %d: %+v, want %+v", q, j, c, w)
				}
			}
		}
		check(0, 1, 7, []want{{8, 0.6667, "elected"}, {2, 0.1667, "not_elected"}})
		// Cường 6, Dung 5, Em 5: none reaches 7 (more than half of 12).
		check(1, 2, 7, []want{{6, 0.5, "not_elected"}, {5, 0.4167, "not_elected"}, {5, 0.4167, "not_elected"}, {1, 0.0833, "not_elected"}})

		// The same ballots with one more for Cường and Dung: both reach 7 and
		// tie with Em at 7 for two seats.
		p = f.openPoll(t, req)
		more := append(slices.Clone(ballots), [][]int{{0}, {0, 1}})
		more[10] = [][]int{{0}, {1, 2}}
		more[9] = [][]int{{0}, {2}}
		for i, b := range more {
			if _, err := f.svc.CastAnswers(ctx, mid, p.ID, delegate(i), b); err != nil {
				t.Fatalf("ballot %d: %v", i, err)
			}
		}
		if p, err = f.svc.Close(ctx, mid, p.ID, chair); err != nil {
			t.Fatal(err)
		}
		r = p.Results
		if r.Blank != 0 || r.Valid != 12 || r.Missing != 0 {
			t.Fatalf("ballots: %+v", r)
		}
		check(1, 0, 7, []want{{7, 0.5833, "tie"}, {7, 0.5833, "tie"}, {7, 0.5833, "tie"}, {1, 0.0833, "not_elected"}})
	})
}

// TestConfidenceCount: each person's three counts and shares of all the
// delegates, the lowest level's thresholds, partly blank ballots.
func TestConfidenceCount(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 9)
		ctx := ctxT(t)
		p := f.openPoll(t, vote.CreateRequest{Kind: phonghop.PollConfidence, Title: "Lấy phiếu tín nhiệm", Questions: officeHolders(3)})
		if !slices.Equal(p.Questions[0].Levels, vote.DefaultConfidenceLevels) || !p.Secret {
			t.Fatalf("levels %v secret %v", p.Questions[0].Levels, p.Secret)
		}
		ballots := [][]int{
			{0, 2, 2}, {0, 2, 2}, {1, 2, 2}, {1, 2, 2}, {2, 2, 2}, {0, 1, 2}, {-1, 0, -1}, {}, // one blank
		}
		for i, b := range ballots {
			if _, err := f.svc.CastAnswers(ctx, mid, p.ID, delegate(i), [][]int{b}); err != nil {
				t.Fatalf("ballot %d: %v", i, err)
			}
		}
		p, err := f.svc.Close(ctx, mid, p.ID, chair)
		if err != nil {
			t.Fatal(err)
		}
		r := p.Results
		if r.Cast != 8 || r.Valid != 7 || r.Blank != 1 || r.Missing != 1 || r.Questions[0].Blank != 1 || r.Questions[0].Needed != 0 {
			t.Fatalf("ballots: %+v", r)
		}
		for j, w := range []struct {
			counts   []int
			shares   []float64
			unmarked int
			outcome  string
		}{
			{[]int{3, 2, 1}, []float64{0.3333, 0.2222, 0.1111}, 2, ""},
			{[]int{1, 1, 5}, []float64{0.1111, 0.1111, 0.5556}, 1, "low_over_half"},
			{[]int{0, 0, 6}, []float64{0, 0, 0.6667}, 2, "low_two_thirds"},
		} {
			c := r.Questions[0].Candidates[j]
			if !slices.Equal(c.Counts, w.counts) || !slices.Equal(c.Shares, w.shares) || c.Unmarked != w.unmarked || c.Outcome != w.outcome {
				t.Errorf("person %d: %+v, want %+v", j, c, w)
			}
		}
	})
}

// TestApprovalCount: yes / no / abstain per nominee, approved by the rule
// (here more than half of the ballots cast), named ballots with their answers
// and the CSV export.
func TestApprovalCount(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 6)
		ctx := ctxT(t)
		p := f.openPoll(t, vote.CreateRequest{Kind: phonghop.PollApproval, Title: "Phê chuẩn Ủy viên UBND", Majority: "simple",
			Secret: false, SecretSet: true, Questions: officeHolders(2)})
		if p.Secret || !slices.Equal(p.Questions[0].Levels, vote.DefaultApprovalLevels) {
			t.Fatalf("secret %v levels %v", p.Secret, p.Questions[0].Levels)
		}
		ballots := [][]int{{0, 1}, {0, 1}, {0, 0}, {1, 2}, {2, -1}}
		for i, b := range ballots {
			if _, err := f.svc.CastAnswers(ctx, mid, p.ID, delegate(i), [][]int{b}); err != nil {
				t.Fatal(err)
			}
		}
		p, err := f.svc.Close(ctx, mid, p.ID, chair)
		if err != nil {
			t.Fatal(err)
		}
		q := p.Results.Questions[0]
		if q.Needed != 3 || q.Candidates[0].Outcome != "approved" || q.Candidates[1].Outcome != "not_approved" ||
			!slices.Equal(q.Candidates[0].Counts, []int{3, 1, 1}) || !slices.Equal(q.Candidates[1].Counts, []int{1, 2, 1}) || q.Candidates[1].Unmarked != 1 {
			t.Fatalf("results %+v", q)
		}
		if len(p.Results.Ballots) != 5 || !slices.Equal(p.Results.Ballots[4].Answers[0], []int{2, -1}) {
			t.Fatalf("named ballots %+v", p.Results.Ballots)
		}
		var buf bytes.Buffer
		if err := f.svc.ExportCSV(ctx, mid, p.ID, &buf); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(&buf)
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, row := range rows {
			lines = append(lines, strings.Join(row, "|"))
		}
		for _, want := range []string{
			"valid|5", "blank|0", "missing|1", "needed|3",
			"candidate|name|position|Đồng ý|Đồng ý %|Không đồng ý|Không đồng ý %|Không ý kiến|Không ý kiến %|unmarked|outcome",
			"0|Nguyễn Văn A|Phó Chủ tịch HĐND (1)|3|50.00|1|16.67|1|16.67|0|approved",
			delegate(4).ID + "|Đại biểu " + delegate(4).ID + "|[[2,-1]]",
		} {
			if !slices.Contains(lines, want) {
				t.Errorf("CSV has no row %q:\n%s", want, strings.Join(lines, "\n"))
			}
		}
	})
}

// TestBallotRefused: a ballot with more marks than allowed, or marks that do
// not fit, is refused with a clear error and leaves the delegate free to vote;
// a motion takes [[option]] too.
func TestBallotRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 2)
		ctx := ctxT(t)
		el := f.openPoll(t, vote.CreateRequest{Kind: phonghop.PollElection, Questions: []phonghop.Question{
			{Seats: 2, Candidates: officeHolders(3)[0].Candidates}, {Candidates: officeHolders(2)[0].Candidates}}})
		conf := f.openPoll(t, vote.CreateRequest{Kind: phonghop.PollConfidence, Questions: officeHolders(3)})
		motion := f.openPoll(t, vote.CreateRequest{})
		d := delegate(0)
		for _, c := range []struct {
			name    string
			p       phonghop.Poll
			answers [][]int
			reason  string
		}{
			{"too many choices", el, [][]int{{0, 1, 2}, {}}, "ballot_too_many_choices"},
			{"chosen twice", el, [][]int{{1, 1}, {}}, "ballot_candidate_twice"},
			{"no such candidate", el, [][]int{{3}, {}}, "ballot_candidate_out_of_range"},
			{"negative candidate", el, [][]int{{-1}, {}}, "ballot_candidate_out_of_range"},
			{"one answer for two questions", el, [][]int{{0}}, "ballot_answers_count"},
			{"no answers", el, nil, "ballot_answers_count"},
			{"two marks short", conf, [][]int{{0}}, "ballot_marks_count"},
			{"no such level", conf, [][]int{{0, 3, 0}}, "ballot_mark_out_of_range"},
			{"below no mark", conf, [][]int{{0, -2, 0}}, "ballot_mark_out_of_range"},
			{"motion: two options", motion, [][]int{{0, 1}}, "ballot_answers_count"},
			{"motion: no such option", motion, [][]int{{3}}, "option_out_of_range"},
		} {
			_, err := f.svc.CastAnswers(ctx, mid, c.p.ID, d, c.answers)
			if e := phonghop.Public(err); e == nil || e.Code != phonghop.EInvalid || e.Reason != c.reason {
				t.Errorf("%s: %v, want %s", c.name, err, c.reason)
			}
		}
		_, err := f.svc.Cast(ctx, mid, el.ID, d, 0)
		if e := phonghop.Public(err); e == nil || e.Reason != "ballot_answers_required" {
			t.Errorf("an option on an election: %v", err)
		}
		// Refused ballots left the delegate free to vote, once.
		for _, p := range []phonghop.Poll{el, conf, motion} {
			answers := [][]int{{2}}
			switch p.ID {
			case el.ID:
				answers = [][]int{{2, 0}, {}}
			case conf.ID:
				answers = [][]int{{0, -1, 2}}
			}
			if _, err := f.svc.CastAnswers(ctx, mid, p.ID, d, answers); err != nil {
				t.Fatalf("%s: %v", p.Kind, err)
			}
			_, err := f.svc.CastAnswers(ctx, mid, p.ID, d, answers)
			wantCode(t, "second ballot", err, phonghop.EConflict)
			closed, err := f.svc.Close(ctx, mid, p.ID, chair)
			if err != nil || closed.Results.Cast != 1 {
				t.Fatalf("%s: %+v %v", p.Kind, closed.Results, err)
			}
		}
	})
}

// TestCreateWithQuestions: the definition's checks and defaults, and the
// secret default of the JSON form.
func TestCreateWithQuestions(t *testing.T) {
	f := newFixture(t, backends[0].new(t), 2)
	ctx := ctxT(t)
	cands := func(n int) []phonghop.Candidate { return officeHolders(n)[0].Candidates }
	long := strings.Repeat("ệ", 201)
	base := func(kind string, qs ...phonghop.Question) vote.CreateRequest {
		return vote.CreateRequest{AgendaItemID: "item1", Title: "Bầu cử", Kind: kind, Questions: qs}
	}
	for _, c := range []struct {
		name   string
		req    vote.CreateRequest
		reason string
	}{
		{"unknown kind", base("referendum", phonghop.Question{Candidates: cands(1)}), "poll_kind_invalid"},
		{"options on an election", func() vote.CreateRequest {
			r := base("election", phonghop.Question{Candidates: cands(1)})
			r.Options = []string{"a", "b"}
			return r
		}(), "poll_options_not_for_kind"},
		{"questions on a motion", base("", phonghop.Question{Candidates: cands(1)}), "poll_questions_not_for_motion"},
		{"no question", base("election"), "poll_questions_count"},
		{"no candidate", base("election", phonghop.Question{}), "poll_candidates_count"},
		{"101 candidates", base("confidence", phonghop.Question{Candidates: cands(101)}), "poll_candidates_count"},
		{"201 over the ballot", base("confidence", phonghop.Question{Candidates: cands(100)}, phonghop.Question{Candidates: cands(100)}, phonghop.Question{Candidates: cands(1)}), "poll_ballot_too_long"},
		{"no name", base("election", phonghop.Question{Candidates: []phonghop.Candidate{{Name: " "}}}), "poll_candidate_name"},
		{"long name", base("election", phonghop.Question{Candidates: []phonghop.Candidate{{Name: long}}}), "poll_candidate_name"},
		{"long position", base("election", phonghop.Question{Candidates: []phonghop.Candidate{{Name: "A", Position: long}}}), "poll_candidate_position_too_long"},
		{"bad user id", base("election", phonghop.Question{Candidates: []phonghop.Candidate{{Name: "A", UserID: "../x"}}}), "poll_candidate_ref_invalid"},
		{"unknown photo", base("election", phonghop.Question{Candidates: []phonghop.Candidate{{Name: "A", Photo: "nope"}}}), "poll_candidate_photo_missing"},
		{"seats over candidates", base("election", phonghop.Question{Seats: 3, Candidates: cands(2)}), "poll_seats_range"},
		{"negative seats", base("election", phonghop.Question{Seats: -1, Candidates: cands(2)}), "poll_seats_range"},
		{"levels on an election", base("election", phonghop.Question{Levels: []string{"a", "b"}, Candidates: cands(2)}), "poll_levels_not_for_election"},
		{"seats on a confidence vote", base("confidence", phonghop.Question{Seats: 1, Candidates: cands(2)}), "poll_seats_only_for_election"},
		{"one level", base("confidence", phonghop.Question{Levels: []string{"a"}, Candidates: cands(2)}), "poll_levels_count"},
		{"empty level", base("approval", phonghop.Question{Levels: []string{"a", " "}, Candidates: cands(2)}), "poll_level_length"},
		{"long question title", base("approval", phonghop.Question{Title: strings.Repeat("x", 501), Candidates: cands(2)}), "poll_question_title_too_long"},
		// One person twice: two of an election's seats from one ballot.
		{"the same account twice", base("election", phonghop.Question{Seats: 2, Candidates: []phonghop.Candidate{{Name: "Lê Văn Tám", UserID: "u1"}, {Name: "Lê Văn Tám ", UserID: "u1"}, {Name: "B"}}}), "poll_candidate_twice"},
		{"the same name and position twice", base("confidence", phonghop.Question{Candidates: []phonghop.Candidate{{Name: "Lê Văn Tám", Position: "Chủ tịch"}, {Name: "lê  văn tám", Position: "chủ tịch"}}}), "poll_candidate_twice"},
	} {
		_, err := f.svc.Create(ctx, mid, chair, c.req)
		if e := phonghop.Public(err); e == nil || e.Code != phonghop.EInvalid || e.Reason != c.reason {
			t.Errorf("%s: %v, want %s", c.name, err, c.reason)
		}
	}
	// JSON: secret unless "secret": false; levels follow the meeting's language.
	f.meet[mid].Language = "en"
	for _, c := range []struct {
		body   string
		secret bool
	}{
		{`{"agendaItemId":"item1","title":"t","kind":"confidence","questions":[{"candidates":[{"name":"A"}]}]}`, true},
		{`{"agendaItemId":"item1","title":"t","kind":"confidence","secret":false,"questions":[{"candidates":[{"name":"A"}]}]}`, false},
		{`{"agendaItemId":"item1","title":"t","kind":"confidence","secret":true,"questions":[{"candidates":[{"name":"A"}]}]}`, true},
		{`{"agendaItemId":"item1","title":"t"}`, false},
	} {
		var req vote.CreateRequest
		if err := json.Unmarshal([]byte(c.body), &req); err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.Create(ctx, mid, chair, req)
		if err != nil || p.Secret != c.secret {
			t.Fatalf("%s: secret %v, %v", c.body, p.Secret, err)
		}
		if p.Kind == phonghop.PollConfidence && !slices.Equal(p.Questions[0].Levels, vote.DefaultConfidenceLevelsEn) {
			t.Fatalf("levels in an English meeting: %v", p.Questions[0].Levels)
		}
	}
}

// TestPhotos: a candidate's photo is a JPEG or PNG of bounded size, uploaded by
// the chair or secretary and named by a candidate.
func TestPhotos(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 1)
		ctx := ctxT(t)
		img := image.NewRGBA(image.Rect(0, 0, 40, 50))
		img.Set(1, 1, color.RGBA{200, 0, 0, 255})
		var pngBytes, gifBytes bytes.Buffer
		if err := png.Encode(&pngBytes, img); err != nil {
			t.Fatal(err)
		}
		if err := gif.Encode(&gifBytes, img, nil); err != nil {
			t.Fatal(err)
		}
		ph, err := f.svc.SavePhoto(ctx, mid, secretary, bytes.NewReader(pngBytes.Bytes()))
		if err != nil || ph.ContentType != "image/png" || ph.Width != 40 || ph.Height != 50 || ph.Size != int64(pngBytes.Len()) {
			t.Fatalf("save: %+v %v", ph, err)
		}
		rc, info, err := f.svc.OpenPhoto(ctx, mid, ph.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, pngBytes.Bytes()) || info.ContentType != "image/png" {
			t.Fatalf("read back %d bytes, %q", len(b), info.ContentType)
		}
		huge := image.NewGray(image.Rect(0, 0, vote.MaxPhotoPixels+1, 1))
		var hugeBytes bytes.Buffer
		if err := png.Encode(&hugeBytes, huge); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name   string
			by     phonghop.User
			body   []byte
			code   string
			reason string
		}{
			{"a delegate", delegate(0), pngBytes.Bytes(), phonghop.EForbidden, "poll_chair_or_secretary_only"},
			{"a GIF", chair, gifBytes.Bytes(), phonghop.EUnsupportedType, "photo_type"},
			{"not an image", chair, []byte("<svg onload=alert(1)>"), phonghop.EUnsupportedType, "photo_type"},
			{"too wide", chair, hugeBytes.Bytes(), phonghop.EInvalid, "photo_dimensions"},
			{"too large", chair, append(slices.Clone(pngBytes.Bytes()), make([]byte, vote.MaxPhotoBytes)...), phonghop.ETooLarge, "photo_too_large"},
		} {
			_, err := f.svc.SavePhoto(ctx, mid, c.by, bytes.NewReader(c.body))
			if e := phonghop.Public(err); e == nil || e.Code != c.code || e.Reason != c.reason {
				t.Errorf("%s: %v, want %s %s", c.name, err, c.code, c.reason)
			}
		}
		for _, id := range []string{"nope", "../x"} {
			if _, _, err := f.svc.OpenPhoto(ctx, mid, id); code(err) != phonghop.ENotFound {
				t.Errorf("open %q: %v", id, err)
			}
		}
		p, err := f.svc.Create(ctx, mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: "Bầu", Kind: phonghop.PollElection,
			Questions: []phonghop.Question{{Candidates: []phonghop.Candidate{{Name: "A", Photo: ph.ID}}}}})
		if err != nil || p.Questions[0].Candidates[0].Photo != ph.ID {
			t.Fatalf("create with a photo: %+v %v", p, err)
		}
	})
}

// TestCommittee: the vote-counting committee is named by the chair or the
// secretary, checked, kept beside the poll in any state.
func TestCommittee(t *testing.T) {
	f := newFixture(t, backends[0].new(t), 1)
	ctx := ctxT(t)
	p := f.openPoll(t, vote.CreateRequest{Kind: phonghop.PollElection, Questions: officeHolders(2)})
	if got, err := f.svc.Committee(ctx, mid, p.ID); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("before: %v %v", got, err)
	}
	many := make([]phonghop.Counter, vote.MaxCounters+1)
	for i := range many {
		many[i].Name = "x"
	}
	for _, c := range []struct {
		name    string
		by      phonghop.User
		members []phonghop.Counter
		reason  string
	}{
		{"a delegate", delegate(0), nil, "poll_chair_or_secretary_only"},
		{"too many", secretary, many, "committee_too_many"},
		{"no name", secretary, []phonghop.Counter{{Name: " "}}, "committee_member_invalid"},
		{"a made-up role", secretary, []phonghop.Counter{{Name: "A", Role: "boss"}}, "committee_role_invalid"},
	} {
		_, err := f.svc.SetCommittee(ctx, mid, p.ID, c.by, c.members)
		if e := phonghop.Public(err); e == nil || e.Reason != c.reason {
			t.Errorf("%s: %v, want %s", c.name, err, c.reason)
		}
	}
	if _, err := f.svc.SetCommittee(ctx, mid, "nope", chair, nil); code(err) != phonghop.ENotFound {
		t.Errorf("unknown poll: %v", err)
	}
	if _, err := f.svc.Close(ctx, mid, p.ID, chair); err != nil {
		t.Fatal(err)
	}
	set, err := f.svc.SetCommittee(ctx, mid, p.ID, chair, []phonghop.Counter{{Name: " Đặng Văn Khoa ", Role: "head"}, {Name: "Bùi Thị Hoa"}})
	if err != nil || set[0].Name != "Đặng Văn Khoa" || set[1].Role != phonghop.CountingMember {
		t.Fatalf("set after close: %+v %v", set, err)
	}
	got, err := f.svc.Committee(ctx, mid, p.ID)
	if err != nil || !slices.Equal(got, set) {
		t.Fatalf("read back %+v %v", got, err)
	}
}
