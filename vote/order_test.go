package vote_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/vote"
)

// gateStore wraps a real store to hold a close's listing of the ballots at a
// chosen moment (before or after it reads the store), so the tests can put a
// ballot exactly inside the close. It induces timing only; storage is real.
type gateStore struct {
	storage.Store
	mu      sync.Mutex
	before  bool          // hold before listing (else after)
	entered chan struct{} // closed when a ballot listing is held
	release chan struct{}
	armed   bool
}

func (g *gateStore) arm(before bool) {
	g.mu.Lock()
	g.before, g.armed = before, true
	g.entered, g.release = make(chan struct{}), make(chan struct{})
	g.mu.Unlock()
}

func (g *gateStore) List(ctx context.Context, prefix string) ([]storage.Info, error) {
	g.mu.Lock()
	hold := g.armed && strings.HasSuffix(prefix, "/ballots/")
	before, entered, release := g.before, g.entered, g.release
	if hold {
		g.armed = false
	}
	g.mu.Unlock()
	if hold && before {
		close(entered)
		<-release
	}
	infos, err := g.Store.List(ctx, prefix)
	if hold && !before {
		close(entered)
		<-release
	}
	return infos, err
}

// waitPut waits until the ballot object of the poll exists.
func waitBallots(t *testing.T, st storage.Store, pid string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		infos, err := st.List(context.Background(), "meetings/"+mid+"/polls/"+pid+"/ballots/")
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) >= n {
			return
		}
	}
	t.Fatalf("no ballot stored")
}

// TestBallotInsideClose puts a ballot between the close's swap to "closing" and
// its listing (counted and acknowledged), and after the listing (refused, taken
// back, not counted).
func TestBallotInsideClose(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		for _, before := range []bool{true, false} {
			g := &gateStore{Store: st}
			f := newFixture(t, g, 3)
			other := f.service() // the caster's process
			ctx := ctxT(t)
			p := f.openPoll(t, vote.CreateRequest{Secret: true})
			// Warm the caster's cache so it does not read the (closing) poll first.
			if _, err := other.Cast(ctx, mid, p.ID, delegate(0), 0); err != nil {
				t.Fatal(err)
			}
			// No turnout listing may take the gate.
			if err := other.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			g.arm(before)
			var closed phonghop.Poll
			var closeErr error
			done := make(chan struct{})
			go func() {
				defer close(done)
				closed, closeErr = f.svc.Close(ctx, mid, p.ID, chair)
			}()
			<-g.entered
			if got, _ := f.svc.Get(ctx, mid, p.ID); got.State != vote.StateClosing {
				t.Fatalf("state %q during close", got.State)
			}
			var r vote.Receipt
			var castErr error
			cast := make(chan struct{})
			go func() {
				defer close(cast)
				r, castErr = other.Cast(ctx, mid, p.ID, delegate(1), 1)
			}()
			waitBallots(t, st, p.ID, 2)
			close(g.release)
			<-done
			<-cast
			if closeErr != nil {
				t.Fatal(closeErr)
			}
			res := closed.Results
			if before {
				if castErr != nil || res.Cast != 2 || res.Counts[1] != 1 {
					t.Fatalf("ballot before the listing: err %v, results %+v", castErr, res)
				}
				if !containsHash(res.Receipts, hashReceipt(r)) {
					t.Fatal("acknowledged receipt not listed")
				}
			} else {
				if code(castErr) != phonghop.EConflict || res.Cast != 1 || res.Counts[1] != 0 {
					t.Fatalf("ballot after the listing: err %v, results %+v", castErr, res)
				}
				infos, err := st.List(ctx, "meetings/"+mid+"/polls/"+p.ID+"/ballots/")
				if err != nil || len(infos) != 1 {
					t.Fatalf("%d ballots stored after close (%v), want the counted one", len(infos), err)
				}
			}
		}
	})
}

func containsHash(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestUnfinishedClose: a closer that died after swapping to "closing" does not
// block the poll: a caster finishes the close (its ballot counted), and a later
// Close returns the same results and removes the secret.
func TestUnfinishedClose(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		defer vote.SetCloseHelp(time.Second)()
		f := newFixture(t, st, 3)
		ctx := ctxT(t)
		p := f.openPoll(t, vote.CreateRequest{})
		if _, err := f.svc.Cast(ctx, mid, p.ID, delegate(0), 0); err != nil {
			t.Fatal(err)
		}
		// The dead closer's only write: the swap to "closing".
		key := "meetings/" + mid + "/polls/" + p.ID + "/poll.json"
		_, err := storage.UpdateJSON(ctx, st, key, false, func(r *map[string]any) error {
			(*r)["state"] = vote.StateClosing
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		r, err := f.svc.Cast(ctx, mid, p.ID, delegate(1), 1)
		if err != nil {
			t.Fatalf("cast during an abandoned close: %v", err)
		}
		if d := time.Since(start); d < 900*time.Millisecond {
			t.Errorf("caster finished the close after %v; it should wait for the closer first", d)
		}
		got, err := f.svc.Get(ctx, mid, p.ID)
		if err != nil || got.State != phonghop.PollClosed || got.Results.Cast != 2 || !containsHash(got.Results.Receipts, hashReceipt(r)) {
			t.Fatalf("after the caster's finish: %+v %v", got, err)
		}
		again, err := f.svc.Close(ctx, mid, p.ID, chair)
		if err != nil || !sameJSON(t, again, got) {
			t.Fatalf("close again: %+v %v", again, err)
		}
		if _, err := st.Stat(ctx, "meetings/"+mid+"/polls/"+p.ID+"/secret.json"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("secret after close: %v", err)
		}
	})
}

func sameJSON(t *testing.T, a, b any) bool {
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

// TestClosedIsFinal: after close, ballots, a second close and a reopen change
// nothing.
func TestClosedIsFinal(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 5)
		other := f.service()
		ctx := ctxT(t)
		p := f.openPoll(t, vote.CreateRequest{})
		for i := 0; i < 3; i++ {
			svc := f.svc
			if i == 2 {
				svc = other // so that it holds the poll as open in its cache
			}
			if _, err := svc.Cast(ctx, mid, p.ID, delegate(i), 0); err != nil {
				t.Fatal(err)
			}
		}
		closed, err := f.svc.Close(ctx, mid, p.ID, chair)
		if err != nil {
			t.Fatal(err)
		}
		// The other process still has the poll cached as open: its ballots are
		// written, found too late and taken back.
		for i := 0; i < 5; i++ {
			for _, svc := range []*vote.Service{f.svc, other} {
				_, err := svc.Cast(ctx, mid, p.ID, delegate(i), 1)
				wantCode(t, "ballot after close", err, phonghop.EConflict)
			}
		}
		if _, err := f.svc.Open(ctx, mid, p.ID, chair, true); code(err) != phonghop.EConflict {
			t.Errorf("reopen: %v", err)
		}
		again, err := other.Close(ctx, mid, p.ID, chair)
		if err != nil {
			t.Fatal(err)
		}
		got, err := other.Get(ctx, mid, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !sameJSON(t, again, closed) || !sameJSON(t, got, closed) {
			t.Fatalf("closed poll changed:\n%+v\n%+v\n%+v", closed, again, got)
		}
		infos, err := st.List(ctx, "meetings/"+mid+"/polls/"+p.ID+"/ballots/")
		if err != nil || len(infos) != 3 {
			t.Fatalf("%d ballots stored (%v), want 3", len(infos), err)
		}
		if err := other.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSecretPollStoresNoVoter reads every object under a secret poll after close:
// no delegate's userId appears in any key or content, the secret is gone and the
// results name nobody. The same check on a named poll finds the userIds, so the
// inspection can fail. For a motion and for a confidence vote.
func TestSecretPollStoresNoVoter(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 20)
		ctx := ctxT(t)
		for k := range 2 * len(kinds) {
			kind, secret := kinds[k/2], k%2 == 0
			f.pub.mu.Lock()
			f.pub.polls = nil
			f.pub.mu.Unlock()
			p := f.openPoll(t, requestFor(kind, secret))
			for i := 0; i < f.n; i++ {
				if _, err := castFor(ctx, f.svc, p, i); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := st.Stat(ctx, "meetings/"+mid+"/polls/"+p.ID+"/secret.json"); err != nil {
				t.Fatalf("secret while open: %v", err)
			}
			closed, err := f.svc.Close(ctx, mid, p.ID, chair)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.svc.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			prefix := "meetings/" + mid + "/polls/" + p.ID + "/"
			infos, err := st.List(ctx, prefix)
			if err != nil {
				t.Fatal(err)
			}
			found := 0
			var all bytes.Buffer
			for _, in := range infos {
				if strings.HasSuffix(in.Key, "/secret.json") {
					t.Errorf("secret=%v: %s still stored", secret, in.Key)
				}
				rc, _, err := st.Get(ctx, in.Key, nil)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				all.WriteString(in.Key + "\n")
				all.Write(b)
			}
			// What was sent to the live room must not link either.
			for _, pp := range f.pub.all() {
				b, _ := json.Marshal(pp)
				all.Write(b)
			}
			b, _ := json.Marshal(closed)
			all.Write(b)
			for i := 0; i < f.n; i++ {
				if bytes.Contains(all.Bytes(), []byte(delegate(i).ID)) {
					found++
				}
			}
			if secret && (found != 0 || closed.Results.Ballots != nil) {
				t.Errorf("secret %s: %d delegates' userIds found under %s or published; ballots %v", kind, found, prefix, closed.Results.Ballots)
			}
			if !secret && found != f.n {
				t.Errorf("named %s: %d of %d userIds found: the inspection is blind", kind, found, f.n)
			}
			objects := map[string]int{}
			for _, in := range infos {
				rest := strings.TrimPrefix(in.Key, prefix)
				what, _, _ := strings.Cut(rest, "/")
				objects[what]++
			}
			if objects["ballots"] != f.n || objects["poll.json"] != 1 || objects["turnout"] != 1 || len(objects) != 3 || closed.Results.Cast != f.n {
				t.Errorf("%s secret=%v: objects %v, cast %d", kind, secret, objects, closed.Results.Cast)
			}
		}
	})
}

// TestSecretLeavesMemory: the closing process drops the secret at once; a
// process that took ballots but never hears of the close drops it after the
// cache's lifetime.
func TestSecretLeavesMemory(t *testing.T) {
	// Long enough that two casts on a loaded 2-core machine finish within it.
	defer vote.SetMetaTTL(3 * time.Second)()
	forEachStore(t, func(t *testing.T, st storage.Store) {
		f := newFixture(t, st, 2)
		other := f.service()
		ctx := ctxT(t)
		p := f.openPoll(t, vote.CreateRequest{Secret: true})
		if _, err := f.svc.Cast(ctx, mid, p.ID, delegate(0), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := other.Cast(ctx, mid, p.ID, delegate(1), 0); err != nil {
			t.Fatal(err)
		}
		if !vote.HoldsSecret(f.svc, mid, p.ID) || !vote.HoldsSecret(other, mid, p.ID) {
			t.Fatal("secret not cached while open")
		}
		if _, err := f.svc.Close(ctx, mid, p.ID, chair); err != nil {
			t.Fatal(err)
		}
		if vote.HoldsSecret(f.svc, mid, p.ID) {
			t.Error("closer still holds the secret")
		}
		deadline := time.Now().Add(20 * time.Second)
		for vote.HoldsSecret(other, mid, p.ID) {
			if time.Now().After(deadline) {
				t.Fatal("the other process still holds the secret")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
