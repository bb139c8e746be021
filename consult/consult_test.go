package consult

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
	"github.com/phonghop/phonghop/storage/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// eachStore runs the test on the embedded store and on the S3 gateway.
func eachStore(t *testing.T, fn func(t *testing.T, st storage.Store)) {
	t.Run("fsstore", func(t *testing.T) {
		st, err := fsstore.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		fn(t, st)
	})
	t.Run("s3", func(t *testing.T) { fn(t, s3test.NewStore(t)) })
}

type sent struct {
	subject, typ string
	payload      json.RawMessage
	audience     []string
}

// events records what the service publishes.
type events struct {
	mu  sync.Mutex
	all []sent
}

func (e *events) PublishTo(_ context.Context, _, subject, typ string, payload any, audience []string) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, sent{subject, typ, b, slices.Clone(audience)})
	return nil
}

func (e *events) of(action string) []sent {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []sent
	for _, s := range e.all {
		var p struct {
			Action string `json:"action"`
		}
		json.Unmarshal(s.payload, &p)
		if p.Action == action {
			out = append(out, s)
		}
	}
	return out
}

type meetingsOf struct{ m *phonghop.Meeting }

func (s meetingsOf) Meeting(context.Context, string) (*phonghop.Meeting, error) { return s.m, nil }

// clock is a settable server clock.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func newClock(t time.Time) *clock    { c := &clock{}; c.set(t); return c }
func user(id string) phonghop.User   { return phonghop.User{ID: id} }
func ptr[T any](v T) *T              { return &v }
func code(err error) string          { return phonghop.ErrorCode(err) }
func reason(err error) string        { e := phonghop.Public(err); return e.Reason }
func authors(os []Opinion) (out []string) {
	for _, o := range os {
		out = append(out, o.AuthorID)
	}
	return
}

var t0 = time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)

func testMeeting() *phonghop.Meeting {
	return &phonghop.Meeting{ID: "m1", Title: "Kỳ họp thứ 12 HĐND huyện", Organization: "Hội đồng nhân dân huyện Tháp Mười",
		PlaceName: "Tháp Mười", Language: "vi",
		Participants: []phonghop.Participant{
			{UserID: "chair", DisplayName: "Trần Văn Chủ", Role: phonghop.RoleChair},
			{UserID: "sec", DisplayName: "Lê Thị Thư", Role: phonghop.RoleSecretary},
			{UserID: "d1", DisplayName: "Nguyễn Văn An", Role: phonghop.RoleDelegate, Title: "Đại biểu HĐND huyện"},
			{UserID: "d2", DisplayName: "Phạm Thị Bình", Role: phonghop.RoleDelegate},
			{UserID: "d3", DisplayName: "Hoàng Văn Cường", Role: phonghop.RoleDelegate},
			{UserID: "obs", DisplayName: "Khách mời", Role: phonghop.RoleObserver},
		},
		Documents: []phonghop.Document{
			{ID: "docA", Name: "Dự thảo Nghị quyết đầu tư công.pdf", Pages: 5},
			{ID: "docB", Name: "Báo cáo thẩm tra.pdf", Pages: 3},
			{ID: "docC", Name: "Mật: Phương án nhân sự.pdf", Pages: 2, Confidential: true, Readers: []string{"d1"}},
		},
	}
}

func newService(st storage.Store, ev Publisher, m *phonghop.Meeting, c *clock) *Service {
	return &Service{Store: st, Events: ev, Meetings: meetingsOf{m}, Now: c.now}
}

// The whole course of a consultation, with who may read and write what.
func TestConsultationFlow(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		m, clk, ev := testMeeting(), newClock(t0), &events{}
		s := newService(st, ev, m, clk)
		in := Input{Title: "Góp ý dự thảo Nghị quyết", DocumentIDs: []string{"docA", "docB"}, Deadline: t0.Add(2 * time.Hour)}

		if _, err := s.Create(ctx, m, user("d1"), in); reason(err) != "consultation_managers_only" {
			t.Fatalf("a delegate opened a consultation: %v", err)
		}
		if _, err := s.Create(ctx, m, user("sec"), Input{Title: "x", DocumentIDs: []string{"docA"}, Deadline: t0.Add(-time.Minute)}); reason(err) != "consultation_deadline_past" {
			t.Fatalf("deadline in the past: %v", err)
		}
		if _, err := s.Create(ctx, m, user("sec"), Input{Title: "x", DocumentIDs: []string{"nope"}, Deadline: t0.Add(time.Hour)}); reason(err) != "consultation_document_unknown" {
			t.Fatalf("unknown document: %v", err)
		}
		c, err := s.Create(ctx, m, user("sec"), in)
		if err != nil {
			t.Fatal(err)
		}
		if c.State != StateOpen || c.Addressed != 3 || c.Answered == nil || *c.Answered != 0 || c.RemindMinutes != DefaultRemindMinutes {
			t.Fatalf("created %+v", c)
		}
		if got := ev.of("opened"); len(got) != 1 || got[0].audience != nil || got[0].typ != "consultation" {
			t.Fatalf("opened events %+v", got)
		}

		// Delegates write; others may not.
		o1, err := s.AddOpinion(ctx, m, user("d1"), c.ID, OpinionInput{DocumentID: "docA", Page: 2,
			Rects: []Rect{{0.1, 0.2, 0.5, 0.05}}, Quote: "Điều 3", Text: "Đề nghị làm rõ nguồn vốn."})
		if err != nil {
			t.Fatal(err)
		}
		if o1.AuthorName != "Nguyễn Văn An" || o1.AuthorTitle != "Đại biểu HĐND huyện" {
			t.Fatalf("author %+v", o1)
		}
		if _, err := s.AddOpinion(ctx, m, user("d1"), c.ID, OpinionInput{DocumentID: "docB", Agree: true}); err != nil {
			t.Fatal(err)
		}
		o3, err := s.AddOpinion(ctx, m, user("d2"), c.ID, OpinionInput{DocumentID: "docA", Text: "Nhất trí về bố cục; đề nghị bổ sung căn cứ."})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			who    string
			in     OpinionInput
			reason string
		}{
			{"obs", OpinionInput{DocumentID: "docA", Text: "x"}, "opinion_delegates_only"},
			{"chair", OpinionInput{DocumentID: "docA", Text: "x"}, "opinion_delegates_only"},
			{"sec", OpinionInput{DocumentID: "docA", Text: "x"}, "opinion_delegates_only"},
			{"d2", OpinionInput{DocumentID: "docC", Text: "x"}, "opinion_document_not_in_consultation"},
			{"d2", OpinionInput{DocumentID: "docA", Page: 6, Text: "x"}, "opinion_page_invalid"},
			{"d2", OpinionInput{DocumentID: "docA", Page: 1, Rects: []Rect{{0.9, 0, 0.2, 0.1}}, Text: "x"}, "opinion_rects_invalid"},
			{"d2", OpinionInput{DocumentID: "docA", Rects: []Rect{{0, 0, 0.2, 0.1}}, Text: "x"}, "opinion_rects_invalid"},
			{"d2", OpinionInput{DocumentID: "docA", Page: 1, Text: "  "}, "opinion_text_required"},
			{"d2", OpinionInput{DocumentID: "docA", Agree: true}, "opinion_agree_has_comments"},
			{"d1", OpinionInput{DocumentID: "docB", Text: "x"}, "opinion_agreed_already"},
			{"d1", OpinionInput{DocumentID: "docB", Agree: true}, "opinion_agreed_already"},
		} {
			if _, err := s.AddOpinion(ctx, m, user(tc.who), c.ID, tc.in); reason(err) != tc.reason {
				t.Errorf("%s %+v: got %v, want %s", tc.who, tc.in, err, tc.reason)
			}
		}
		if _, err := s.AddOpinion(ctx, m, user("stranger"), c.ID, OpinionInput{DocumentID: "docA", Text: "x"}); code(err) != phonghop.ENotFound {
			t.Fatalf("a stranger wrote: %v", err)
		}

		// Who reads what: not open.
		read := func(who string) []Opinion {
			t.Helper()
			os, err := s.Opinions(ctx, m, user(who), c.ID, "")
			if err != nil {
				t.Fatalf("%s: %v", who, err)
			}
			return os
		}
		if got := authors(read("sec")); !slices.Equal(got, []string{"d2", "d1", "d1"}) {
			t.Fatalf("secretary reads %v (whole document first, then page 2, then docB)", got)
		}
		if got := authors(read("d2")); !slices.Equal(got, []string{"d2"}) {
			t.Fatalf("d2 reads %v, only their own", got)
		}
		if got := read("obs"); len(got) != 0 {
			t.Fatalf("an observer reads %v", got)
		}
		if got := read("d3"); len(got) != 0 {
			t.Fatalf("d3 reads %v", got)
		}
		admin := phonghop.User{ID: "adm", Admin: true}
		if got := read("sec"); len(got) != 3 {
			t.Fatal(got)
		}
		if os, err := s.Opinions(ctx, m, admin, c.ID, "docA"); err != nil || len(os) != 2 {
			t.Fatalf("admin reads docA: %v %v", os, err)
		}
		// Opinion events reach the secretariat and the author alone.
		for _, e := range ev.of("added") {
			var p OpinionEvent
			json.Unmarshal(e.payload, &p)
			want := []string{"chair", "sec", p.Opinion.AuthorID}
			if !slices.Equal(e.audience, want) {
				t.Fatalf("opinion event to %v, want %v", e.audience, want)
			}
		}
		if last := ev.of("added"); len(last) != 3 {
			t.Fatalf("%d added events", len(last))
		} else {
			var p OpinionEvent
			json.Unmarshal(last[2].payload, &p)
			if p.Answered != 2 {
				t.Fatalf("answered %d after d2's opinion", p.Answered)
			}
		}

		// Responses.
		r, err := s.Responses(ctx, m, user("chair"), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Addressed != 3 || len(r.Answered) != 2 || len(r.NotAnswered) != 1 || r.NotAnswered[0].UserID != "d3" ||
			r.Answered[0].UserID != "d1" || r.Answered[0].Opinions != 1 || !slices.Equal(r.Answered[0].Agreed, []string{"docB"}) {
			t.Fatalf("responses %+v", r)
		}
		if _, err := s.Responses(ctx, m, user("d1"), c.ID); reason(err) != "consultation_managers_only" {
			t.Fatalf("a delegate read the responses: %v", err)
		}

		// Open: everyone addressed reads everything, and hears of it.
		if _, err := s.Update(ctx, m, user("d1"), c.ID, Patch{Open: ptr(true)}); reason(err) != "consultation_managers_only" {
			t.Fatalf("a delegate changed it: %v", err)
		}
		if _, err := s.Update(ctx, m, user("chair"), c.ID, Patch{Open: ptr(true), Revision: 7}); reason(err) != "consultation_revision_stale" {
			t.Fatalf("stale revision: %v", err)
		}
		if _, err := s.Update(ctx, m, user("chair"), c.ID, Patch{DocumentIDs: []string{"docB"}}); reason(err) != "consultation_document_has_opinions" {
			t.Fatalf("took out a document with opinions: %v", err)
		}
		c2, err := s.Update(ctx, m, user("chair"), c.ID, Patch{Open: ptr(true), Revision: 1})
		if err != nil || !c2.Open || c2.Revision != 2 {
			t.Fatalf("open: %+v %v", c2, err)
		}
		if got := read("d2"); len(got) != 3 {
			t.Fatalf("open: d2 reads %d", len(got))
		}
		if got := read("obs"); len(got) != 3 {
			t.Fatalf("open: observer reads %d", len(got))
		}

		// Edit and withdraw one's own, not another's.
		if _, err := s.EditOpinion(ctx, m, user("d2"), c.ID, o1.ID, OpinionInput{Page: 1, Text: "x"}); reason(err) != "opinion_not_found" {
			t.Fatalf("d2 edited d1's opinion: %v", err)
		}
		if err := s.WithdrawOpinion(ctx, m, user("d2"), c.ID, o1.ID); reason(err) != "opinion_not_found" {
			t.Fatalf("d2 withdrew d1's opinion: %v", err)
		}
		ed, err := s.EditOpinion(ctx, m, user("d1"), c.ID, o1.ID, OpinionInput{Page: 3, Text: "Đề nghị làm rõ nguồn vốn đối ứng."})
		if err != nil || ed.Page != 3 || ed.UpdatedAt == nil || ed.DocumentID != "docA" || ed.CreatedAt != o1.CreatedAt {
			t.Fatalf("edit: %+v %v", ed, err)
		}
		if err := s.WithdrawOpinion(ctx, m, user("d2"), c.ID, o3.ID); err != nil {
			t.Fatal(err)
		}
		if r, _ := s.Responses(ctx, m, user("sec"), c.ID); len(r.Answered) != 1 || len(r.NotAnswered) != 2 {
			t.Fatalf("after d2 withdrew everything: %+v", r)
		}
		if e := ev.of("withdrawn"); len(e) != 1 || e[0].audience != nil {
			t.Fatalf("withdrawn events (open: to everyone) %+v", e)
		}

		// The deadline, by the server's clock.
		clk.set(c.Deadline)
		if _, err := s.AddOpinion(ctx, m, user("d3"), c.ID, OpinionInput{DocumentID: "docA", Text: "muộn"}); reason(err) != "consultation_closed" {
			t.Fatalf("wrote at the deadline: %v", err)
		}
		if _, err := s.EditOpinion(ctx, m, user("d1"), c.ID, o1.ID, OpinionInput{Page: 1, Text: "muộn"}); reason(err) != "consultation_closed" {
			t.Fatalf("edited after the deadline: %v", err)
		}
		if err := s.WithdrawOpinion(ctx, m, user("d1"), c.ID, o1.ID); reason(err) != "consultation_closed" {
			t.Fatalf("withdrew after the deadline: %v", err)
		}
		if _, err := s.Update(ctx, m, user("sec"), c.ID, Patch{Title: ptr("y")}); reason(err) != "consultation_closed" {
			t.Fatalf("changed after the deadline: %v", err)
		}
		got, err := s.Get(ctx, m, user("d1"), c.ID)
		if err != nil || got.State != StateClosed || got.ClosedAt == nil || !got.ClosedAt.Equal(c.Deadline) || got.Answered != nil {
			t.Fatalf("after the deadline: %+v %v", got, err)
		}
	})
}

// A consultation on a confidential document is addressed to its readers
// (and the chair and secretary) alone; nobody else learns of it.
func TestConfidentialConsultation(t *testing.T) {
	ctx := context.Background()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m, clk, ev := testMeeting(), newClock(t0), &events{}
	s := newService(st, ev, m, clk)
	c, err := s.Create(ctx, m, user("chair"), Input{Title: "Nhân sự", DocumentIDs: []string{"docA", "docC"}, Deadline: t0.Add(time.Hour), Open: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addressed != 1 {
		t.Fatalf("addressed %d, want d1 alone", c.Addressed)
	}
	if e := ev.of("opened"); len(e) != 1 || !slices.Equal(e[0].audience, []string{"chair", "sec", "d1"}) {
		t.Fatalf("opened to %+v", e)
	}
	for _, who := range []string{"d2", "obs"} {
		if _, err := s.Get(ctx, m, user(who), c.ID); reason(err) != "consultation_not_found" {
			t.Fatalf("%s saw it: %v", who, err)
		}
		if list, _ := s.List(ctx, m, user(who)); len(list) != 0 {
			t.Fatalf("%s lists %v", who, list)
		}
		if _, err := s.AddOpinion(ctx, m, user(who), c.ID, OpinionInput{DocumentID: "docA", Text: "x"}); reason(err) != "consultation_not_found" {
			t.Fatalf("%s wrote: %v", who, err)
		}
		if _, err := s.Opinions(ctx, m, user(who), c.ID, ""); reason(err) != "consultation_not_found" {
			t.Fatalf("%s read: %v", who, err)
		}
	}
	if _, err := s.AddOpinion(ctx, m, user("d1"), c.ID, OpinionInput{DocumentID: "docC", Page: 1, Text: "Đồng ý"}); err != nil {
		t.Fatal(err)
	}
	// Open, yet its opinions go to those it is addressed to only.
	if e := ev.of("added"); len(e) != 1 || !slices.Equal(e[0].audience, []string{"chair", "sec", "d1"}) {
		t.Fatalf("opinion to %+v", e)
	}
	if list, _ := s.List(ctx, m, user("d1")); len(list) != 1 {
		t.Fatalf("d1 lists %v", list)
	}
}

// Two tablets of one delegate and many delegates writing at once lose
// nothing.
func TestConcurrentOpinions(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		m, clk := testMeeting(), newClock(t0)
		s := newService(st, &events{}, m, clk)
		c, err := s.Create(ctx, m, user("sec"), Input{Title: "x", DocumentIDs: []string{"docA"}, Deadline: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for _, who := range []string{"d1", "d1", "d2", "d3"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 8 {
					if _, err := s.AddOpinion(ctx, m, user(who), c.ID, OpinionInput{DocumentID: "docA", Page: 1 + i%5, Text: fmt.Sprintf("%s %d", who, i)}); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		os, err := s.Opinions(ctx, m, user("sec"), c.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(os) != 32 {
			t.Fatalf("%d opinions kept, want 32", len(os))
		}
		n := map[string]int{}
		for _, o := range os {
			n[o.AuthorID]++
		}
		if n["d1"] != 16 || n["d2"] != 8 || n["d3"] != 8 {
			t.Fatalf("per delegate %v", n)
		}
	})
}

// The reminder and the deadline's close are sent once, by one of two
// processes ticking at once; the reminder goes to those who have not
// answered, and the secretariat.
func TestReminderAndCloseOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		m, clk, ev := testMeeting(), newClock(t0), &events{}
		a, b := newService(st, ev, m, clk), newService(st, ev, m, clk)
		c, err := a.Create(ctx, m, user("sec"), Input{Title: "x", DocumentIDs: []string{"docA"}, Deadline: t0.Add(time.Hour), RemindMinutes: ptr(15)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.AddOpinion(ctx, m, user("d2"), c.ID, OpinionInput{DocumentID: "docA", Agree: true}); err != nil {
			t.Fatal(err)
		}
		tick := func() {
			t.Helper()
			var wg sync.WaitGroup
			for _, s := range []*Service{a, b, a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := s.Tick(ctx); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
		}
		clk.set(t0.Add(44 * time.Minute))
		tick()
		if n := len(ev.of("reminder")); n != 0 {
			t.Fatalf("%d reminders 16 minutes before", n)
		}
		clk.set(t0.Add(46 * time.Minute))
		tick()
		tick()
		rem := ev.of("reminder")
		if len(rem) != 1 {
			t.Fatalf("%d reminders, want 1", len(rem))
		}
		if !slices.Equal(rem[0].audience, []string{"chair", "d1", "d3", "sec"}) {
			t.Fatalf("reminder to %v", rem[0].audience)
		}
		var p ConsultationEvent
		json.Unmarshal(rem[0].payload, &p)
		if p.MinutesLeft == nil || *p.MinutesLeft != 14 || p.Consultation.Answered != nil {
			t.Fatalf("reminder %+v", p)
		}
		if n := len(ev.of("closed")); n != 0 {
			t.Fatalf("closed before the deadline")
		}
		clk.set(t0.Add(time.Hour + time.Second))
		tick()
		tick()
		if cl := ev.of("closed"); len(cl) != 1 || cl[0].audience != nil {
			t.Fatalf("closed events %+v", cl)
		}
		if infos, _ := st.List(ctx, "consultations/pending/"); len(infos) != 0 {
			t.Fatalf("pending left: %v", infos)
		}
	})
}

// Closing by hand sends one close; the deadline then sends nothing.
func TestCloseByHand(t *testing.T) {
	ctx := context.Background()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m, clk, ev := testMeeting(), newClock(t0), &events{}
	s := newService(st, ev, m, clk)
	c, err := s.Create(ctx, m, user("sec"), Input{Title: "x", DocumentIDs: []string{"docA"}, Deadline: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Close(ctx, m, user("d1"), c.ID); reason(err) != "consultation_managers_only" {
		t.Fatalf("a delegate closed it: %v", err)
	}
	clk.add(time.Minute)
	got, err := s.Close(ctx, m, user("chair"), c.ID)
	if err != nil || got.State != StateClosed || got.ClosedBy != "chair" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := s.Close(ctx, m, user("chair"), c.ID); reason(err) != "consultation_closed" {
		t.Fatalf("closed twice: %v", err)
	}
	if _, err := s.AddOpinion(ctx, m, user("d1"), c.ID, OpinionInput{DocumentID: "docA", Text: "x"}); reason(err) != "consultation_closed" {
		t.Fatalf("wrote after the close: %v", err)
	}
	clk.add(2 * time.Hour)
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(ev.of("closed")); n != 1 {
		t.Fatalf("%d closed events", n)
	}
}
