package vote_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
	"github.com/phonghop/phonghop/storage/s3store"
	"github.com/phonghop/phonghop/storage/s3test"
	"github.com/phonghop/phonghop/vote"
)

// crashStore kills its own process (SIGKILL, as kill -9) right after the
// after-th write or delete has completed. It chooses the moment of a real crash;
// the store and the process death are real.
type crashStore struct {
	storage.Store
	after  int64
	writes atomic.Int64
}

func (c *crashStore) wrote() {
	if c.writes.Add(1) == c.after {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
}

func (c *crashStore) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	info, err := c.Store.Put(ctx, key, r, size, o)
	c.wrote()
	return info, err
}

func (c *crashStore) Delete(ctx context.Context, key string) error {
	err := c.Store.Delete(ctx, key)
	c.wrote()
	return err
}

// childEnv names the store of st for a child process.
func childEnv(t *testing.T, st storage.Store) []string {
	switch st := st.(type) {
	case *fsstore.Store:
		return []string{"VOTE_CHILD_DIR=" + st.Dir()}
	case *s3store.Store:
		srv, err := s3test.Shared()
		if err != nil {
			t.Fatal(err)
		}
		return []string{"VOTE_CHILD_S3=" + srv.Endpoint, "VOTE_CHILD_AK=" + srv.AccessKey, "VOTE_CHILD_SK=" + srv.SecretKey, "VOTE_CHILD_BUCKET=" + st.Bucket()}
	}
	t.Fatalf("no child for %T", st)
	return nil
}

// childStore opens the store the parent named.
func childStore(ctx context.Context) (storage.Store, error) {
	if dir := os.Getenv("VOTE_CHILD_DIR"); dir != "" {
		return fsstore.New(dir)
	}
	return s3store.New(ctx, s3store.Config{Endpoint: os.Getenv("VOTE_CHILD_S3"), AccessKey: os.Getenv("VOTE_CHILD_AK"),
		SecretKey: os.Getenv("VOTE_CHILD_SK"), Bucket: os.Getenv("VOTE_CHILD_BUCKET")})
}

// TestCloseCrash closes a secret poll (a motion, then a confidence vote) in a child process that is killed with
// SIGKILL after each of the close's writes in turn (and, on top, at a few
// moments chosen by the clock from outside, as `kill -9` 2 to 12 ms after the
// close began). A new process on the same directory or bucket then finds the
// poll closed with every ballot counted and the HMAC key gone: at start
// (Recover) on odd trials, by loading the poll (Get) on even ones.
//
// Before the fix, a crash after the swap to "closed" left secret.json in the
// store (the key was deleted last), from which every voter's ballot and option
// can be recomputed; a crash after the swap to "closing" left the poll closing
// for good, shown "open" by the live room.
func TestCloseCrash(t *testing.T) {
	defer vote.SetCloseHelp(200 * time.Millisecond)()
	forEachStore(t, func(t *testing.T, st storage.Store) {
		const n = 12
		f := newFixture(t, st, n)
		ctx := ctxT(t)
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		crash := func(kind string, trial int, after int64, killAfter time.Duration) (crashed bool) {
			p := f.openPoll(t, requestFor(kind, true))
			for i := 0; i < n; i++ {
				if _, err := castFor(ctx, f.svc, p, i); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.svc.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCloseCrashChild$", "-test.count=1")
			cmd.Env = append(append(os.Environ(), childEnv(t, st)...), "VOTE_CRASH_POLL="+p.ID, "VOTE_CRASH_AFTER="+strconv.FormatInt(after, 10))
			cmd.Stderr = os.Stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(stdout)
			if !lines.Scan() || lines.Text() != "closing" {
				t.Fatalf("child: %q %v", lines.Text(), lines.Err())
			}
			if killAfter > 0 {
				time.Sleep(killAfter)
				_ = cmd.Process.Signal(syscall.SIGKILL)
			}
			for lines.Scan() {
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			switch {
			case err == nil:
			case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
				crashed = true
			default:
				t.Fatalf("child: %v", err)
			}

			// The restarted process.
			svc := f.service()
			var got phonghop.Poll
			if trial%2 == 1 {
				if _, err := svc.Recover(ctx); err != nil {
					t.Fatalf("recover: %v", err)
				}
				if got, err = svc.Get(ctx, mid, p.ID); err != nil {
					t.Fatal(err)
				}
			} else {
				deadline := time.Now().Add(30 * time.Second)
				for {
					if got, err = svc.Get(ctx, mid, p.ID); err != nil {
						t.Fatal(err)
					}
					if got.State != vote.StateClosing || time.Now().After(deadline) {
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			what := fmt.Sprintf("%s trial %d (crash after write %d, kill after %v, crashed %v)", kind, trial, after, killAfter, crashed)
			if got.State == phonghop.PollOpen {
				// Killed before the swap to "closing": the chair's close got no
				// answer and is repeated.
				if got, err = svc.Close(ctx, mid, p.ID, chair); err != nil {
					t.Fatalf("%s: close again: %v", what, err)
				}
			}
			if got.State != phonghop.PollClosed || got.Results == nil || got.Results.Cast != n {
				t.Fatalf("%s: poll %s, results %+v", what, got.State, got.Results)
			}
			checkCounts(t, got, got.Results, all)
			// Loading a closed poll cleans up in the background: allow it a moment.
			for _, key := range []string{"meetings/" + mid + "/polls/" + p.ID + "/secret.json", "polls/closing/" + mid + "/" + p.ID + ".json"} {
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
					_, err := st.Stat(ctx, key)
					if errors.Is(err, storage.ErrNotFound) {
						break
					}
					if trial%2 == 1 || time.Now().After(deadline) {
						t.Fatalf("%s: %s is still stored (%v)", what, key, err)
					}
				}
			}
			t.Logf("%s: closed, %d ballots counted, key gone", what, got.Results.Cast)
			return crashed
		}
		trial := 0
		for _, kind := range kinds {
			for after := int64(1); ; after++ {
				trial++
				if !crash(kind, trial, after, 0) {
					if after < 4 {
						t.Fatalf("the close wrote only %d times", after-1)
					}
					break
				}
			}
			for _, d := range []time.Duration{2, 4, 6, 8, 12} {
				trial++
				crash(kind, trial, 0, d*time.Millisecond)
			}
		}
	})
}

// TestCloseCrashChild is the process TestCloseCrash kills; run alone it does
// nothing.
func TestCloseCrashChild(t *testing.T) {
	pid := os.Getenv("VOTE_CRASH_POLL")
	if pid == "" {
		return
	}
	ctx := ctxT(t)
	st, err := childStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := strconv.ParseInt(os.Getenv("VOTE_CRASH_AFTER"), 10, 64)
	f := newFixture(t, &crashStore{Store: st, after: after}, 0)
	fmt.Println("closing")
	if _, err := f.svc.Close(ctx, mid, pid, chair); err != nil {
		t.Fatal(err)
	}
}
