package vote_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/vote"
)

func TestPassed(t *testing.T) {
	def := vote.DefaultOptions
	custom := []string{"Tập thể A", "Tập thể B", "Tập thể C"}
	yesNo := []string{"Có", "Không"}
	for _, c := range []struct {
		majority string
		options  []string
		counts   []int
		eligible int
		want     bool
	}{
		{"simple", def, []int{5, 4, 50}, 100, true}, // abstentions do not count
		{"simple", def, []int{4, 4, 0}, 10, false},  // a tie fails
		{"simple", def, []int{0, 0, 0}, 10, false},  // nobody voted
		{"simple", yesNo, []int{3, 2}, 10, true},
		{"simple", yesNo, []int{2, 3}, 10, false},
		{"simple", custom, []int{5, 4, 4}, 20, true}, // option 0 leads every other
		{"simple", custom, []int{5, 5, 1}, 20, false},
		{"simple", custom, []int{5, 1, 6}, 20, false},
		{"", def, []int{2, 1, 0}, 10, true}, // empty means simple
		{"absolute", def, []int{51, 0, 0}, 100, true},
		{"absolute", def, []int{50, 0, 0}, 100, false}, // exactly half is not more
		{"absolute", def, []int{3, 0, 0}, 5, true},
		{"absolute", def, []int{2, 0, 0}, 5, false},
		{"absolute", def, []int{0, 0, 0}, 0, false},
		{"two_thirds", def, []int{67, 0, 0}, 100, true},
		{"two_thirds", def, []int{66, 0, 0}, 100, false},
		{"two_thirds", def, []int{2, 1, 0}, 3, true}, // exactly two thirds passes
		{"two_thirds", def, []int{1, 0, 0}, 3, false},
		{"two_thirds", def, []int{0, 0, 0}, 0, false},
		{"unknown", def, []int{9, 0, 0}, 9, false},
	} {
		if got := vote.Passed(c.majority, c.options, c.counts, c.eligible); got != c.want {
			t.Errorf("%s %v of %d (%d options): passed %v, want %v", c.majority, c.counts, c.eligible, len(c.options), got, c.want)
		}
	}
}

// TestMajorityInPoll checks a closed poll carries the rule's outcome: 6 of 10
// delegates vote yes, 4 do not vote.
func TestMajorityInPoll(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 10)
		ctx := ctxT(t)
		for _, c := range []struct {
			majority string
			want     bool
		}{{"simple", true}, {"absolute", true}, {"two_thirds", false}} {
			p := f.openPoll(t, vote.CreateRequest{Majority: c.majority})
			for i := 0; i < 6; i++ {
				if _, err := f.svc.Cast(ctx, mid, p.ID, delegate(i), 0); err != nil {
					t.Fatal(err)
				}
			}
			p, err := f.svc.Close(ctx, mid, p.ID, chair)
			if err != nil {
				t.Fatal(err)
			}
			if p.Results.Passed != c.want || p.Results.Eligible != 10 || p.Majority != c.majority {
				t.Errorf("%s: %+v", c.majority, p.Results)
			}
		}
	})
}

func TestQuorum(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 10)
		ctx := ctxT(t)
		// 5 of 10 delegates, plus the chair and an outsider who do not count.
		f.att.set([]string{chair.ID, outsider.ID, delegate(0).ID, delegate(1).ID, delegate(2).ID, delegate(3).ID, delegate(4).ID})
		p, err := f.svc.Create(ctx, mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: "Biểu quyết"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Open(ctx, mid, p.ID, chair, false)
		wantCode(t, "open without quorum", err, phonghop.EConflict)
		if !strings.Contains(phonghop.ErrorMessage(err), "5 of 10") {
			t.Errorf("message %q does not say who is present", phonghop.ErrorMessage(err))
		}
		if got, _ := f.svc.Get(ctx, mid, p.ID); got.State != phonghop.PollDraft {
			t.Fatalf("refused open left state %q", got.State)
		}
		if _, err := f.svc.Cast(ctx, mid, p.ID, delegate(0), 0); code(err) != phonghop.EConflict {
			t.Fatalf("ballot on a draft: %v", err)
		}
		p, err = f.svc.Open(ctx, mid, p.ID, chair, true)
		if err != nil || p.State != phonghop.PollOpen || !p.QuorumOverride || p.Eligible != 10 || p.OpenedAt == nil {
			t.Fatalf("override: %+v %v", p, err)
		}
		// Idempotent: opening again changes nothing.
		again, err := f.svc.Open(ctx, mid, p.ID, chair, false)
		if err != nil || !sameJSON(t, again, p) {
			t.Fatalf("open again: %+v %v", again, err)
		}
		// With 6 of 10 present no override is needed or recorded.
		f.att.set(append(f.att.present, delegate(5).ID))
		q, err := f.svc.Create(ctx, mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: "Biểu quyết 2"})
		if err != nil {
			t.Fatal(err)
		}
		q, err = f.svc.Open(ctx, mid, q.ID, chair, true)
		if err != nil || q.QuorumOverride {
			t.Fatalf("quorate open: %+v %v", q, err)
		}
		// A wired rule (two thirds) replaces the default.
		f.svc.Quorum = func(present, eligible int) bool { return present*3 >= eligible*2 }
		r, err := f.svc.Create(ctx, mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: "Biểu quyết 3"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Open(ctx, mid, r.ID, chair, false)
		wantCode(t, "open under the two-thirds rule", err, phonghop.EConflict)
	})
}

func TestErrors(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 3)
		ctx := ctxT(t)
		ok := vote.CreateRequest{AgendaItemID: "item1", Title: "Biểu quyết"}
		long := strings.Repeat("ệ", vote.MaxTitleRunes+1)
		many := make([]string, vote.MaxOptions+1)
		for i := range many {
			many[i] = "x"
		}
		for _, c := range []struct {
			name string
			mid  string
			by   phonghop.User
			req  vote.CreateRequest
			want string
		}{
			{"delegate creates", mid, delegate(0), ok, phonghop.EForbidden},
			{"observer creates", mid, observer, ok, phonghop.EForbidden},
			{"outsider creates", mid, outsider, ok, phonghop.EForbidden},
			{"unknown meeting", "nope", chair, ok, phonghop.ENotFound},
			{"bad meeting id", "../x", chair, ok, phonghop.ENotFound},
			{"no title", mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: "  "}, phonghop.EInvalid},
			{"long title", mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: long}, phonghop.EInvalid},
			{"one option", mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: "t", Options: []string{"a"}}, phonghop.EInvalid},
			{"31 options", mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: "t", Options: many}, phonghop.EInvalid},
			{"empty option", mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: "t", Options: []string{"a", " "}}, phonghop.EInvalid},
			{"bad majority", mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: "t", Majority: "most"}, phonghop.EInvalid},
			{"no agenda item", mid, chair, vote.CreateRequest{Title: "t"}, phonghop.EInvalid},
			{"unknown agenda item", mid, chair, vote.CreateRequest{AgendaItemID: "item9", Title: "t"}, phonghop.EInvalid},
		} {
			_, err := f.svc.Create(ctx, c.mid, c.by, c.req)
			wantCode(t, c.name, err, c.want)
		}
		p, err := f.svc.Create(ctx, mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: " Biểu quyết ", Options: []string{" A ", "B"}})
		if err != nil || p.Title != "Biểu quyết" || p.Options[0] != "A" || p.Majority != "simple" || p.State != phonghop.PollDraft || p.Eligible != 3 {
			t.Fatalf("create: %+v %v", p, err)
		}
		_, err = f.svc.Open(ctx, mid, p.ID, secretary, false)
		wantCode(t, "secretary opens", err, phonghop.EForbidden)
		_, err = f.svc.Open(ctx, mid, "nope", chair, false)
		wantCode(t, "open unknown poll", err, phonghop.ENotFound)
		_, err = f.svc.Close(ctx, mid, p.ID, chair)
		wantCode(t, "close a draft", err, phonghop.EConflict)
		if _, err := f.svc.Open(ctx, mid, p.ID, chair, false); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Close(ctx, mid, p.ID, delegate(0))
		wantCode(t, "delegate closes", err, phonghop.EForbidden)
		_, err = f.svc.Close(ctx, mid, "nope", chair)
		wantCode(t, "close unknown poll", err, phonghop.ENotFound)
		for _, c := range []struct {
			name   string
			pid    string
			by     phonghop.User
			option int
			want   string
		}{
			{"chair votes", p.ID, chair, 0, phonghop.EForbidden},
			{"observer votes", p.ID, observer, 0, phonghop.EForbidden},
			{"outsider votes", p.ID, outsider, 0, phonghop.EForbidden},
			{"unknown poll", "nope", delegate(0), 0, phonghop.ENotFound},
			{"bad poll id", "a/b", delegate(0), 0, phonghop.ENotFound},
			{"option -1", p.ID, delegate(0), -1, phonghop.EInvalid},
			{"option 2 of 2", p.ID, delegate(0), 2, phonghop.EInvalid},
		} {
			_, err := f.svc.Cast(ctx, mid, c.pid, c.by, c.option)
			wantCode(t, c.name, err, c.want)
		}
		_, err = f.svc.Get(ctx, mid, "nope")
		wantCode(t, "get unknown poll", err, phonghop.ENotFound)
		err = f.svc.ExportCSV(ctx, mid, p.ID, &bytes.Buffer{})
		wantCode(t, "export an open poll", err, phonghop.EConflict)
		// A refused ballot leaves the delegate free to vote.
		if _, err := f.svc.Cast(ctx, mid, p.ID, delegate(0), 1); err != nil {
			t.Fatal(err)
		}
	})
}

// TestListTurnoutPublishExport follows one named poll through the live room and
// into the CSV export.
func TestListTurnoutPublishExport(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 6)
		ctx := ctxT(t)
		if ps, err := f.svc.List(ctx, mid); err != nil || len(ps) != 0 {
			t.Fatalf("empty list: %v %v", ps, err)
		}
		first, err := f.svc.Create(ctx, mid, chair, vote.CreateRequest{AgendaItemID: "item1", Title: "=HYPERLINK(\"x\")"})
		if err != nil {
			t.Fatal(err)
		}
		p := f.openPoll(t, vote.CreateRequest{})
		for i := 0; i < 5; i++ {
			if _, err := f.svc.Cast(ctx, mid, p.ID, delegate(i), i%2); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.svc.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		// The last turnout update runs after the last ballot: Cast reaches 5.
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, err := f.svc.Get(ctx, mid, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Cast == 5 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("turnout %d, want 5", got.Cast)
			}
			time.Sleep(10 * time.Millisecond)
		}
		closed, err := f.svc.Close(ctx, mid, p.ID, chair)
		if err != nil {
			t.Fatal(err)
		}
		pub := f.pub.all()
		if len(pub) < 3 || pub[0].State != phonghop.PollOpen || pub[len(pub)-1].State != phonghop.PollClosed {
			t.Fatalf("published %d polls: %+v", len(pub), pub)
		}
		last := 0
		for _, pp := range pub[:len(pub)-1] {
			if pp.Cast < last || pp.Results != nil {
				t.Fatalf("turnout went %d → %d or results leaked early", last, pp.Cast)
			}
			last = pp.Cast
		}
		// The close goes out as stored, less the receipt list (checked one at a
		// time by ReceiptCounted).
		live := closed
		res := *closed.Results
		res.Receipts = nil
		live.Results = &res
		if last != 5 || !sameJSON(t, pub[len(pub)-1], live) || len(closed.Results.Receipts) != 5 {
			t.Fatalf("last turnout %d; close published %+v", last, pub[len(pub)-1])
		}
		ps, err := f.svc.List(ctx, mid)
		if err != nil || len(ps) != 2 || ps[0].ID != first.ID || ps[1].ID != p.ID || ps[1].State != phonghop.PollClosed {
			t.Fatalf("list: %+v %v", ps, err)
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
		text := buf.String()
		find := func(cells ...string) bool {
			for _, row := range rows {
				if strings.Join(row, "|") == strings.Join(cells, "|") {
					return true
				}
			}
			t.Errorf("CSV has no row %q:\n%s", cells, text)
			return false
		}
		find("cast", "5")
		find("0", "Đồng ý", "3")
		find("1", "Không đồng ý", "2")
		find("2", "Không ý kiến", "0")
		find(delegate(1).ID, "Đại biểu "+delegate(1).ID, "1", "Không đồng ý")
		find(closed.Results.Receipts[0])
		// A formula in a title is defused.
		if _, err := f.svc.Open(ctx, mid, first.ID, chair, false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Close(ctx, mid, first.ID, chair); err != nil {
			t.Fatal(err)
		}
		buf.Reset()
		if err := f.svc.ExportCSV(ctx, mid, first.ID, &buf); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "'=HYPERLINK") {
			t.Errorf("formula not defused:\n%s", buf.String())
		}
	})
}

func TestReceiptCounted(t *testing.T) {
	closed := phonghop.Poll{State: phonghop.PollClosed, Results: &phonghop.PollResults{Receipts: []string{
		strings.Repeat("1", 64), strings.Repeat("a", 64)}}}
	for _, c := range []struct {
		p       phonghop.Poll
		hash    string
		counted bool
		code    string
	}{
		{closed, strings.Repeat("a", 64), true, ""},
		{closed, strings.Repeat("b", 64), false, ""},
		{closed, strings.Repeat("A", 64), false, phonghop.EInvalid},
		{closed, "958d3e457b6022c2fc9c653b68d1fad9", false, phonghop.EInvalid},
		{phonghop.Poll{State: phonghop.PollOpen}, strings.Repeat("a", 64), false, phonghop.EConflict},
	} {
		got, err := vote.ReceiptCounted(c.p, c.hash)
		if got != c.counted || phonghop.ErrorCode(err) != c.code {
			t.Errorf("ReceiptCounted(%s, %.8s…) = %v, %v; want %v, %q", c.p.State, c.hash, got, err, c.counted, c.code)
		}
	}
}
