package vote_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
	"github.com/phonghop/phonghop/storage/s3store"
	"github.com/phonghop/phonghop/storage/s3test"
	"github.com/phonghop/phonghop/vote"
)

// backends are the real stores the suite runs against.
var backends = []struct {
	name string
	new  func(t testing.TB) storage.Store
}{
	{"fs", func(t testing.TB) storage.Store {
		s, err := fsstore.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
	{"s3", func(t testing.TB) storage.Store { return s3test.NewStore(t) }},
}

func TestMain(m *testing.M) { s3test.Main(m) }

// forEachStore runs the test against every backend.
func forEachStore(t *testing.T, fn func(t *testing.T, st storage.Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b.new(t)) })
	}
}

// meetings is an in-memory MeetingSource: the meetings package is not under test.
type meetings map[string]*phonghop.Meeting

func (m meetings) Meeting(_ context.Context, id string) (*phonghop.Meeting, error) {
	if mt, ok := m[id]; ok {
		return mt, nil
	}
	return nil, storage.ErrNotFound
}

// attendance is the set of checked-in users, changeable by tests.
type attendance struct {
	mu      sync.Mutex
	present []string
}

func (a *attendance) Present(context.Context, string) ([]string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.present), nil
}

func (a *attendance) set(ids []string) {
	a.mu.Lock()
	a.present = ids
	a.mu.Unlock()
}

// publisher records what the live room would get.
type publisher struct {
	mu    sync.Mutex
	polls []phonghop.Poll
}

func (p *publisher) PublishPoll(_ context.Context, _ string, poll phonghop.Poll) (uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.polls = append(p.polls, poll)
	return uint64(len(p.polls)), nil
}

func (p *publisher) all() []phonghop.Poll {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.polls)
}

const mid = "m1"

var (
	chair     = phonghop.User{ID: "chair"}
	secretary = phonghop.User{ID: "sec"}
	observer  = phonghop.User{ID: "obs"}
	outsider  = phonghop.User{ID: "stranger"}
)

func delegate(i int) phonghop.User { return phonghop.User{ID: fmt.Sprintf("delegate-%04d", i)} }

// fixture is one meeting with n delegates, all present, and its Service.
type fixture struct {
	t     testing.TB
	store storage.Store
	meet  meetings
	att   *attendance
	pub   *publisher
	svc   *vote.Service
	n     int
}

func newFixture(t testing.TB, st storage.Store, n int) *fixture {
	m := &phonghop.Meeting{
		ID: mid, Title: "Tổng kết công tác cải cách hành chính năm 2023",
		Participants: []phonghop.Participant{
			{UserID: chair.ID, Role: phonghop.RoleChair},
			{UserID: secretary.ID, Role: phonghop.RoleSecretary},
			{UserID: observer.ID, Role: phonghop.RoleObserver},
		},
		Agenda: []phonghop.AgendaItem{{ID: "item1", Title: "Khen thưởng 05 tập thể"}},
	}
	var present []string
	for i := 0; i < n; i++ {
		d := delegate(i)
		m.Participants = append(m.Participants, phonghop.Participant{UserID: d.ID, DisplayName: "Đại biểu " + d.ID, Role: phonghop.RoleDelegate})
		present = append(present, d.ID)
	}
	f := &fixture{t: t, store: st, meet: meetings{mid: m}, att: &attendance{present: present}, pub: &publisher{}, n: n}
	f.svc = f.newService(st)
	return f
}

func (f *fixture) newService(st storage.Store) *vote.Service {
	svc := &vote.Service{Store: st, Meetings: f.meet, Attendance: f.att, Publisher: f.pub, TurnoutInterval: 20 * time.Millisecond}
	f.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.Flush(ctx); err != nil {
			f.t.Error(err)
		}
	})
	return svc
}

// service returns a Service as a second process would have it: its own
// connection to the same directory or bucket, its own caches.
func (f *fixture) service() *vote.Service {
	return f.newService(reopen(f.t, f.store))
}

// reopen opens the store a second time, as another process would.
func reopen(t testing.TB, st storage.Store) storage.Store {
	switch st := st.(type) {
	case *gateStore:
		return reopen(t, st.Store)
	case *fsstore.Store:
		s, err := fsstore.New(st.Dir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	case *s3store.Store:
		srv, err := s3test.Shared()
		if err != nil {
			t.Fatal(err)
		}
		s, err := s3store.New(context.Background(), srv.Config(st.Bucket()))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Fatalf("cannot reopen %T", st)
	return nil
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func (f *fixture) openPoll(t testing.TB, req vote.CreateRequest) phonghop.Poll {
	t.Helper()
	ctx := ctxT(t)
	if req.AgendaItemID == "" {
		req.AgendaItemID = "item1"
	}
	if req.Title == "" {
		req.Title = "Đề nghị khen thưởng 05 tập thể"
	}
	p, err := f.svc.Create(ctx, mid, secretary, req)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = f.svc.Open(ctx, mid, p.ID, chair, false); err != nil {
		t.Fatal(err)
	}
	if p.State != phonghop.PollOpen {
		t.Fatalf("state %q after open", p.State)
	}
	return p
}

func code(err error) string { return phonghop.ErrorCode(err) }

func hashReceipt(r vote.Receipt) string {
	h := sha256.Sum256([]byte(r.Receipt))
	return hex.EncodeToString(h[:])
}

func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := code(err); got != want {
		t.Errorf("%s: code %q (%v), want %q", what, got, err, want)
	}
}

// TestConcurrentBallots: 100 delegates vote once at the same moment; the tally is
// exact, every receipt is listed, named ballots name each voter's choice.
func TestConcurrentBallots(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 100)
		ctx := ctxT(t)
		p := f.openPoll(t, vote.CreateRequest{})
		receipts := make([]vote.Receipt, f.n)
		errs := make([]error, f.n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < f.n; i++ {
			wg.Go(func() {
				<-start
				receipts[i], errs[i] = f.svc.Cast(ctx, mid, p.ID, delegate(i), i%3)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("delegate %d: %v", i, err)
			}
		}
		p, err := f.svc.Close(ctx, mid, p.ID, chair)
		if err != nil {
			t.Fatal(err)
		}
		res := p.Results
		if p.State != phonghop.PollClosed || res == nil {
			t.Fatalf("after close: %+v", p)
		}
		if want := []int{34, 33, 33}; !slices.Equal(res.Counts, want) || res.Cast != 100 || p.Cast != 100 || res.Eligible != 100 {
			t.Fatalf("counts %v cast %d/%d eligible %d, want %v 100 100", res.Counts, res.Cast, p.Cast, res.Eligible, want)
		}
		if !res.Passed { // 34 yes > 33 no under the simple rule
			t.Error("not passed")
		}
		if len(res.Receipts) != 100 || !slices.IsSorted(res.Receipts) {
			t.Fatalf("%d receipts, sorted %v", len(res.Receipts), slices.IsSorted(res.Receipts))
		}
		for i, r := range receipts {
			if _, ok := slices.BinarySearch(res.Receipts, hashReceipt(r)); !ok {
				t.Errorf("receipt of delegate %d not listed", i)
			}
		}
		if len(res.Ballots) != 100 {
			t.Fatalf("%d named ballots", len(res.Ballots))
		}
		for _, b := range res.Ballots {
			var i int
			fmt.Sscanf(b.UserID, "delegate-%d", &i)
			if b.Option != i%3 {
				t.Errorf("%s: option %d, want %d", b.UserID, b.Option, i%3)
			}
		}
	})
}

// TestDuplicateBallots: every delegate sends the same ballot five times at once,
// through two Services (two processes) on one store: one 201 each, the rest 409.
// On a motion and on a confidence vote, whose ballot holds every answer.
func TestDuplicateBallots(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 40)
		other := f.service()
		ctx := ctxT(t)
		for _, kind := range kinds {
			p := f.openPoll(t, requestFor(kind, true))
			ok := make([]int, f.n)
			var mu sync.Mutex
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := 0; i < f.n; i++ {
				for j := 0; j < 5; j++ {
					svc := f.svc
					if j%2 == 1 {
						svc = other
					}
					wg.Go(func() {
						<-start
						_, err := castFor(ctx, svc, p, i)
						mu.Lock()
						defer mu.Unlock()
						switch code(err) {
						case "":
							ok[i]++
						case phonghop.EConflict:
						default:
							t.Errorf("%s: delegate %d: %v", kind, i, err)
						}
					})
				}
			}
			close(start)
			wg.Wait()
			all := make([]int, f.n)
			for i, n := range ok {
				all[i] = i
				if n != 1 {
					t.Errorf("%s: delegate %d: %d ballots accepted", kind, i, n)
				}
			}
			p, err := other.Close(ctx, mid, p.ID, chair)
			if err != nil {
				t.Fatal(err)
			}
			checkCounts(t, p, p.Results, all)
		}
		if err := other.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCloseRacesBallots: ballots through two Services race a Close. Every
// acknowledged ballot is counted, no refused one is, the count equals the
// acknowledgements and the store keeps exactly the counted ballots. On a
// motion and on a confidence vote (each ballot counted whole).
func TestCloseRacesBallots(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 100)
		other := f.service()
		ctx := ctxT(t)
		var acks, refusals int
		for trial := 0; trial < 6; trial++ {
			kind := kinds[trial%len(kinds)]
			p := f.openPoll(t, requestFor(kind, false))
			var mu sync.Mutex
			acked := map[string]bool{}   // receipt hash → counted expected
			refused := map[string]bool{} // delegate ids
			var ackedBy []int            // delegates acknowledged
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := 0; i < f.n; i++ {
				svc := f.svc
				if i%2 == 1 {
					svc = other
				}
				wg.Go(func() {
					<-start
					r, err := castFor(ctx, svc, p, i)
					mu.Lock()
					defer mu.Unlock()
					switch code(err) {
					case "":
						acked[hashReceipt(r)] = true
						ackedBy = append(ackedBy, i)
					case phonghop.EConflict:
						refused[delegate(i).ID] = true
					default:
						t.Errorf("delegate %d: %v", i, err)
					}
				})
			}
			var closed phonghop.Poll
			wg.Go(func() {
				<-start
				// Let roughly half the ballots in first.
				time.Sleep(time.Duration(trial/2) * 3 * time.Millisecond)
				var err error
				if closed, err = f.svc.Close(ctx, mid, p.ID, chair); err != nil {
					t.Error(err)
				}
			})
			close(start)
			wg.Wait()
			if t.Failed() {
				return
			}
			res := closed.Results
			if res.Cast != len(acked) || len(res.Receipts) != len(acked) {
				t.Fatalf("trial %d (%s): counted %d, acknowledged %d", trial, kind, res.Cast, len(acked))
			}
			for _, h := range res.Receipts {
				if !acked[h] {
					t.Fatalf("trial %d (%s): counted ballot %s was not acknowledged", trial, kind, h)
				}
			}
			for _, b := range res.Ballots {
				if refused[b.UserID] {
					t.Fatalf("trial %d (%s): refused ballot of %s counted", trial, kind, b.UserID)
				}
			}
			if len(acked)+len(refused) != f.n {
				t.Fatalf("trial %d (%s): %d acked, %d refused", trial, kind, len(acked), len(refused))
			}
			checkCounts(t, closed, res, ackedBy)
			stored, err := st.List(ctx, "meetings/"+mid+"/polls/"+p.ID+"/ballots/")
			if err != nil {
				t.Fatal(err)
			}
			if len(stored) != len(acked) {
				t.Fatalf("trial %d (%s): %d ballots stored, %d counted", trial, kind, len(stored), len(acked))
			}
			t.Logf("trial %d (%s): %d acknowledged and counted, %d refused", trial, kind, len(acked), len(refused))
			acks += len(acked)
			refusals += len(refused)
		}
		if err := other.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("all trials: %d acknowledged, %d refused", acks, refusals)
	})
}
