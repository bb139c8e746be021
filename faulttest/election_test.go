package faulttest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// ballotPoll is what the election tests read of a poll.
type ballotPoll struct {
	ID      string
	State   string
	Results *struct {
		Cast, Valid, Blank int
		Receipts           []string
		Questions          []struct {
			Blank      int
			Candidates []struct {
				Counts   []int
				Unmarked int
			}
		}
	}
}

// marks is delegate k's confidence ballot on three people: levels that vary
// with k, one person unmarked now and then, every fifth ballot blank.
func marks(k int) []any {
	if k%5 == 4 {
		return []any{}
	}
	out := []any{k % 3, (k + 1) % 3, (k + 2) % 3}
	if k%4 == 1 {
		out[1] = nil
	}
	return out
}

func receiptHash(r string) string {
	h := sha256.Sum256([]byte(r))
	return hex.EncodeToString(h[:])
}

// TestConfidenceVoteOnCluster: a secret confidence vote on the two-node
// cluster (S3 gateway, NATS). Each delegate's ballot (every answer in one
// object) goes to both nodes three times at once: one 201 each, the others
// 409. The last four delegates vote while the chair closes on the other
// node. Every acknowledged ballot is counted, whole (each person's counts
// are the acknowledged ballots' marks), no refused one is; then a second poll
// is closed on a node killed (SIGKILL) a few ms into its close and finished
// by the cluster. Afterwards nothing stored under either poll names a
// delegate, and no key is left.
func TestConfidenceVoteOnCluster(t *testing.T) {
	c := startCluster(t)
	mid := c.meeting.ID
	chair := c.login(0, "chutich")
	item := c.pageTurner(chair).item
	tokens := map[string]string{}
	ids := map[string]string{}
	for k, u := range delegates() {
		tokens[u], ids[u] = c.loginID(k%2, u)
	}
	people := []map[string]string{{"name": "Trần Văn An", "position": "Chủ tịch HĐND"}, {"name": "Lê Thị Bình"}, {"name": "Phạm Văn Cường"}}
	newPoll := func(title string) string {
		var p ballotPoll
		c.call(0, chair, "POST", "/meetings/"+mid+"/polls", map[string]any{"agendaItemId": item, "title": title, "kind": "confidence",
			"questions": []map[string]any{{"candidates": people}}}).decode(t, "create "+title, &p)
		c.call(1, chair, "POST", c.pollPath(p.ID)+"/open", map[string]any{"overrideQuorum": true}).decode(t, "open "+title, nil)
		return p.ID
	}

	// Racing copies, then ballots racing the close.
	pid := newPoll("Lấy phiếu tín nhiệm (faulttest)")
	var mu sync.Mutex
	acked := map[string]int{} // receipt hash → delegate index
	perDelegate := map[int]int{}
	refused := 0
	vote := func(k int, node int) {
		r := c.call(node, tokens[delegates()[k]], "POST", c.pollPath(pid)+"/ballots", map[string]any{"answers": []any{marks(k)}})
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Status == http.StatusCreated:
			var rc struct{ Receipt string }
			if err := json.Unmarshal(r.Body, &rc); err != nil || rc.Receipt == "" {
				t.Errorf("delegate %d: receipt %s", k, r.Body)
			}
			acked[receiptHash(rc.Receipt)] = k
			perDelegate[k]++
		case r.Status == http.StatusConflict:
			refused++
		default:
			t.Errorf("delegate %d on node %d: %s", k+1, node+1, r)
		}
	}
	var wg sync.WaitGroup
	for k := 0; k < 8; k++ {
		for copy := range 3 {
			wg.Go(func() { vote(k, copy%2) })
		}
	}
	wg.Wait()
	for k := 0; k < 8; k++ {
		if perDelegate[k] != 1 {
			t.Fatalf("delegate %d: %d of three racing copies acknowledged", k+1, perDelegate[k])
		}
	}
	var closed ballotPoll
	for k := 8; k < len(delegates()); k++ {
		wg.Go(func() { vote(k, k%2) })
	}
	wg.Go(func() {
		time.Sleep(time.Duration(rand.IntN(10)) * time.Millisecond)
		c.call(1, chair, "POST", c.pollPath(pid)+"/close", nil).decode(t, "close", &closed)
	})
	wg.Wait()
	checkCounted(t, closed, acked)
	t.Logf("first poll: %d acknowledged and counted (%d racing copies or late ballots refused)", len(acked), refused)

	// A close cut short: node 2 is killed a few ms into it; the poll ends
	// closed with every ballot, by the chair's next close on node 1 or by
	// node 2 when it starts again.
	pid2 := newPoll("Lấy phiếu tín nhiệm lần 2 (faulttest)")
	acked2 := map[string]int{}
	for k := range delegates() {
		r := c.call(k%2, tokens[delegates()[k]], "POST", c.pollPath(pid2)+"/ballots", map[string]any{"answers": []any{marks(k)}})
		var rc struct{ Receipt string }
		r.decode(t, "ballot", &rc)
		acked2[receiptHash(rc.Receipt)] = k
	}
	closing := make(chan result, 1)
	go func() { closing <- c.call(1, chair, "POST", c.pollPath(pid2)+"/close", nil) }()
	time.Sleep(time.Duration(2+rand.IntN(15)) * time.Millisecond)
	c.nodes[1].kill()
	first := <-closing
	t.Logf("close on node 2 as it was killed: %s", trim(first))
	var p2 ballotPoll
	err := eventually(30*time.Second, func() error {
		r := c.call(0, chair, "POST", c.pollPath(pid2)+"/close", nil)
		if r.Status != http.StatusOK {
			return fmt.Errorf("close again on node 1: %s", r)
		}
		return json.Unmarshal(r.Body, &p2)
	})
	if err != nil {
		t.Fatal(err)
	}
	checkCounted(t, p2, acked2)
	c.startNode(1)
	var again ballotPoll
	c.call(1, chair, "GET", c.pollPath(pid2), nil).decode(t, "poll on the restarted node", &again)
	if again.State != "closed" || again.Results == nil || again.Results.Cast != len(delegates()) {
		t.Fatalf("restarted node 2 sees the poll %s", again.State)
	}

	// Nothing stored under either poll names a delegate, and no key is left
	// (the closing marker goes in the background: allow it a moment).
	root := filepath.Join(c.dir, "s3", "phonghop")
	for _, p := range []string{pid, pid2} {
		dir := filepath.Join(root, "meetings", mid, "polls", p)
		err := eventually(10*time.Second, func() error {
			if _, err := os.Stat(filepath.Join(root, "polls", "closing", mid, p+".json")); err == nil {
				return fmt.Errorf("the closing marker of %s is still stored", p)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		files := 0
		err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			files++
			if d.Name() == "secret.json" {
				t.Errorf("%s: the poll's key is still stored", path)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for u, id := range ids {
				if strings.Contains(path, id) || bytes.Contains(b, []byte(id)) {
					t.Errorf("%s names %s (%s)", path, u, id)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if files < len(delegates()) {
			t.Fatalf("%s: only %d files read: the inspection is blind", dir, files)
		}
	}
	c.checkAlive()
}

// checkCounted checks a closed confidence vote counts exactly the
// acknowledged ballots (receipt hash → delegate index), each whole.
func checkCounted(t *testing.T, p ballotPoll, acked map[string]int) {
	t.Helper()
	if p.State != "closed" || p.Results == nil {
		t.Fatalf("poll %s: %s", p.ID, p.State)
	}
	r := p.Results
	if r.Cast != len(acked) || len(r.Receipts) != len(acked) {
		t.Fatalf("%d counted, %d acknowledged", r.Cast, len(acked))
	}
	want := make([][]int, 3)
	unmarked := make([]int, 3)
	blank := 0
	for i := range want {
		want[i] = make([]int, 3)
	}
	for _, h := range r.Receipts {
		k, ok := acked[h]
		if !ok {
			t.Fatalf("counted receipt %s was never acknowledged", h)
		}
		m := marks(k)
		if len(m) == 0 {
			blank++
		}
		for j := range 3 {
			if len(m) == 0 || m[j] == nil {
				unmarked[j]++
				continue
			}
			want[j][m[j].(int)]++
		}
	}
	if r.Blank != blank || r.Valid != len(acked)-blank {
		t.Fatalf("blank %d valid %d, want %d %d", r.Blank, r.Valid, blank, len(acked)-blank)
	}
	for j, cand := range r.Questions[0].Candidates {
		if !slices.Equal(cand.Counts, want[j]) || cand.Unmarked != unmarked[j] {
			t.Fatalf("person %d: counts %v unmarked %d, want %v %d", j, cand.Counts, cand.Unmarked, want[j], unmarked[j])
		}
	}
}
