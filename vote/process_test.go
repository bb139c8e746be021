package vote_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
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

// outcome is one ballot's answer, as a process reports it.
type outcome struct {
	Delegate string `json:"delegate"`
	Receipt  string `json:"receipt,omitempty"` // SHA-256 of the receipt, when acknowledged
	Code     string `json:"code,omitempty"`
}

// castAll casts every delegate's ballot at once through svc (castFor: a
// motion's option or a whole ballot of answers).
func castAll(ctx context.Context, svc *vote.Service, pid string, n int) []outcome {
	out := make([]outcome, n)
	p, err := svc.Get(ctx, mid, pid)
	if err != nil {
		for i := range out {
			out[i] = outcome{Delegate: delegate(i).ID, Code: "get: " + err.Error()}
		}
		return out
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Go(func() {
			r, err := castFor(ctx, svc, p, i)
			out[i] = outcome{Delegate: delegate(i).ID, Code: code(err)}
			if err == nil {
				out[i].Receipt = hashReceipt(r)
			}
		})
	}
	wg.Wait()
	return out
}

// TestTwoProcesses runs a second node as a real process (this test binary run
// again) on the same directory or bucket. Both take a ballot from every
// delegate at the same moment; in the second trial the chair closes the poll
// while the ballots arrive. Each delegate gets at most one 201 (exactly one when
// nobody closes), and the tally holds exactly the acknowledged ballots. Then
// the same with a confidence vote, every answer on one ballot.
func TestTwoProcesses(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			st := b.new(t)
			const n = 60
			f := newFixture(t, st, n)
			ctx := ctxT(t)
			for trial := range 4 {
				closeAfter := []time.Duration{-1, 15 * time.Millisecond}[trial%2]
				p := f.openPoll(t, requestFor(kinds[trial/2], trial%2 == 1))
				cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestChildNode$", "-test.count=1")
				cmd.Env = append(os.Environ(), "VOTE_CHILD_POLL="+p.ID, "VOTE_CHILD_N="+strconv.Itoa(n))
				switch st := st.(type) {
				case *fsstore.Store:
					cmd.Env = append(cmd.Env, "VOTE_CHILD_DIR="+st.Dir())
				case *s3store.Store:
					srv, err := s3test.Shared()
					if err != nil {
						t.Fatal(err)
					}
					cmd.Env = append(cmd.Env, "VOTE_CHILD_S3="+srv.Endpoint, "VOTE_CHILD_AK="+srv.AccessKey, "VOTE_CHILD_SK="+srv.SecretKey, "VOTE_CHILD_BUCKET="+st.Bucket())
				}
				stdin, err := cmd.StdinPipe()
				if err != nil {
					t.Fatal(err)
				}
				stdout, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				cmd.Stderr = os.Stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				lines := bufio.NewScanner(stdout)
				lines.Buffer(nil, 1<<20)
				if !lines.Scan() || lines.Text() != "ready" {
					t.Fatalf("child: %q %v", lines.Text(), lines.Err())
				}
				fmt.Fprintln(stdin, "go")
				var mine []outcome
				var closed phonghop.Poll
				var wg sync.WaitGroup
				wg.Go(func() { mine = castAll(ctx, f.svc, p.ID, n) })
				if closeAfter >= 0 {
					wg.Go(func() {
						time.Sleep(closeAfter)
						var err error
						if closed, err = f.svc.Close(ctx, mid, p.ID, chair); err != nil {
							t.Error(err)
						}
					})
				}
				var theirs []outcome
				if !lines.Scan() {
					t.Fatalf("child: %v", lines.Err())
				}
				if err := json.Unmarshal(lines.Bytes(), &theirs); err != nil {
					t.Fatalf("child said %q: %v", lines.Text(), err)
				}
				wg.Wait()
				if err := cmd.Wait(); err != nil {
					t.Fatalf("child: %v", err)
				}
				if closeAfter < 0 {
					if closed, err = f.svc.Close(ctx, mid, p.ID, chair); err != nil {
						t.Fatal(err)
					}
				}
				acked := map[string]string{} // receipt hash → delegate
				perDelegate := map[string]int{}
				var ackedBy []int
				for _, o := range append(mine, theirs...) {
					switch o.Code {
					case "":
						acked[o.Receipt] = o.Delegate
						perDelegate[o.Delegate]++
						ackedBy = append(ackedBy, delegateIndex(t, o.Delegate))
					case phonghop.EConflict:
					default:
						t.Fatalf("%s: %s", o.Delegate, o.Code)
					}
				}
				for i := 0; i < n; i++ {
					got := perDelegate[delegate(i).ID]
					if got > 1 || (closeAfter < 0 && got != 1) {
						t.Fatalf("trial %d: %s acknowledged %d times", trial, delegate(i).ID, got)
					}
				}
				res := closed.Results
				if res.Cast != len(acked) || len(res.Receipts) != len(acked) {
					t.Fatalf("trial %d: %d counted, %d acknowledged", trial, res.Cast, len(acked))
				}
				for _, h := range res.Receipts {
					if _, ok := acked[h]; !ok {
						t.Fatalf("trial %d: counted receipt %s never acknowledged", trial, h)
					}
				}
				checkCounts(t, closed, res, ackedBy)
				t.Logf("trial %d: %d of %d delegates acknowledged and counted (child took %d)", trial, len(acked), n, countAcks(theirs))
			}
		})
	}
}

func countAcks(os []outcome) int {
	n := 0
	for _, o := range os {
		if o.Code == "" {
			n++
		}
	}
	return n
}

// TestChildNode is the second node of TestTwoProcesses; run alone it does
// nothing.
func TestChildNode(t *testing.T) {
	pid := os.Getenv("VOTE_CHILD_POLL")
	if pid == "" {
		return
	}
	n, _ := strconv.Atoi(os.Getenv("VOTE_CHILD_N"))
	ctx := ctxT(t)
	var st storage.Store
	var err error
	if dir := os.Getenv("VOTE_CHILD_DIR"); dir != "" {
		st, err = fsstore.New(dir)
	} else {
		st, err = s3store.New(ctx, s3store.Config{Endpoint: os.Getenv("VOTE_CHILD_S3"), AccessKey: os.Getenv("VOTE_CHILD_AK"), SecretKey: os.Getenv("VOTE_CHILD_SK"), Bucket: os.Getenv("VOTE_CHILD_BUCKET")})
	}
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, st, n)
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	if !in.Scan() {
		t.Fatal("no go")
	}
	out, err := json.Marshal(castAll(ctx, f.svc, pid, n))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(string(out))
}
