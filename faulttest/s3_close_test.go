package faulttest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

// The S3 server dies while the chair closes a poll (the close is several
// writes: closing, tally, results). The close answers 200 or 503 unavailable,
// never 500; once S3 is back a repeated close finishes it, the poll ends closed
// with every ballot counted once, the live room's state shows it closed, and a
// late ballot is refused with 409.
func TestS3OutageDuringClose(t *testing.T) {
	c := startCluster(t)
	mid := c.meeting.ID
	chair := c.login(0, "chutich")
	item := c.pageTurner(chair).item
	var poll struct{ ID string }
	c.call(0, chair, "POST", "/meetings/"+mid+"/polls", map[string]any{"agendaItemId": item, "title": "Đóng khi S3 ngừng (faulttest)"}).
		decode(t, "create poll", &poll)
	c.call(0, chair, "POST", "/meetings/"+mid+"/polls/"+poll.ID+"/open", map[string]any{"overrideQuorum": true}).
		decode(t, "open poll", nil)
	ballots := c.pollPath(poll.ID) + "/ballots"
	want := map[int]int{} // option → ballots
	var late string
	for k, u := range delegates() {
		tok := c.login(k%2, u)
		if k == len(delegates())-1 {
			late = tok // votes after the close
			break
		}
		opt := k % 3
		if r := c.call(k%2, tok, "POST", ballots, map[string]any{"option": opt}); r.Status != http.StatusCreated {
			t.Fatalf("ballot of %s: %s", u, r)
		}
		want[opt]++
	}

	closing := make(chan result, 1)
	go func() { closing <- c.call(1, chair, "POST", c.pollPath(poll.ID)+"/close", nil) }()
	time.Sleep(time.Duration(5+rand.IntN(40)) * time.Millisecond)
	c.s3.kill()
	first := <-closing
	switch {
	case first.Err == nil && first.Status == http.StatusOK:
	case refusedAsUnavailable(first):
	default:
		t.Errorf("close as S3 died: %s (want 200, or 503 unavailable)", first)
	}
	t.Logf("close as S3 died: %s", trim(first))
	if r := c.call(0, chair, "POST", c.pollPath(poll.ID)+"/close", nil); !refusedAsUnavailable(r) {
		t.Errorf("close while S3 is down: %s (want 503 unavailable)", r)
	}

	c.startS3()
	for i := range c.nodes {
		if err := eventually(30*time.Second, func() error { return c.ready(i) }); err != nil {
			t.Fatalf("node %d not ready after S3 came back: %v", i+1, err)
		}
	}
	var before struct{ State string }
	if r := c.call(1, chair, "GET", c.pollPath(poll.ID), nil); r.Status == http.StatusOK {
		_ = json.Unmarshal(r.Body, &before)
	}
	t.Logf("poll state once S3 is back, before closing again: %q", before.State)
	// The chair closes again (as a console would after a 503); it must finish.
	var p struct {
		State   string
		Results *struct {
			Counts []int
			Cast   int
		}
	}
	var last result
	err := eventually(15*time.Second, func() error {
		last = c.call(0, chair, "POST", c.pollPath(poll.ID)+"/close", nil)
		if last.Status != http.StatusOK {
			return fmt.Errorf("close after S3 came back: %s", last)
		}
		return json.Unmarshal(last.Body, &p)
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.State != "closed" || p.Results == nil {
		t.Fatalf("poll after the repeated close: state %q, results %v: %s", p.State, p.Results != nil, last.Body)
	}
	for opt, n := range want {
		if opt >= len(p.Results.Counts) || p.Results.Counts[opt] != n {
			t.Errorf("option %d: counted %v, want %d ballots", opt, p.Results.Counts, n)
		}
	}
	if p.Results.Cast != len(delegates())-1 {
		t.Errorf("cast %d, want %d", p.Results.Cast, len(delegates())-1)
	}
	if r := c.call(1, late, "POST", ballots, map[string]any{"option": 0}); r.Status != http.StatusConflict {
		t.Errorf("ballot after the close: %s (want 409)", r)
	}
	// The room's state (what a reconnecting tablet's snapshot shows) has it closed.
	err = eventually(10*time.Second, func() error {
		var st struct {
			Polls []struct{ ID, State string }
		}
		r := c.call(1, chair, "GET", "/meetings/"+mid+"/state", nil)
		if r.Status != http.StatusOK {
			return fmt.Errorf("state: %s", r)
		}
		if err := json.Unmarshal(r.Body, &st); err != nil {
			return err
		}
		for _, sp := range st.Polls {
			if sp.ID == poll.ID {
				if sp.State != "closed" {
					return fmt.Errorf("the poll is closed (the repeated close answered 200 with results) but the live room's state, "+
						"what tablets show and snapshot, still has it %q: the closed event was never published", sp.State)
				}
				return nil
			}
		}
		return fmt.Errorf("the room's state does not show the poll: %s", r.Body)
	})
	if err != nil {
		t.Error(err)
	}
	c.checkAlive()
}

func (c *cluster) pollPath(pid string) string {
	return "/meetings/" + c.meeting.ID + "/polls/" + pid
}
