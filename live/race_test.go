package live

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
)

// Clients connecting while the room changes see every change exactly once, in
// order, whether they start from a snapshot or from since.
func TestNoMissedChangeWhileConnecting(t *testing.T) {
	e := newEnv(t, func(c *Config, o *envOpts) { o.buffer = 1000 })
	ctx := context.Background()
	const events = 300
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < events; i++ {
			if _, err := e.hub.Present(ctx, "m1", chair, Presentation{"i1", "doc1", i%10 + 1}); err != nil {
				t.Error(err)
				return
			}
			if i%20 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	var wg sync.WaitGroup
	for k := 0; k < 20; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			time.Sleep(time.Duration(k) * 2 * time.Millisecond)
			q := ""
			if k%2 == 1 {
				q = fmt.Sprintf("&since=%d", k*5)
			}
			c, _, err := websocket.DefaultDialer.Dial(e.url+"?user="+delegateID(0)+q, nil)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			var next uint64
			for next != events+1 {
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, b, err := c.ReadMessage()
				if err != nil {
					t.Errorf("client %d: %v (waiting for seq %d)", k, err, next)
					return
				}
				var f frame
				json.Unmarshal(b, &f)
				switch {
				case next == 0 && f.Type == "snapshot":
					next = f.Seq + 1
				case next == 0 && q != "" && f.Type == "presentation":
					if f.Seq != uint64(k*5+1) {
						t.Errorf("client %d since %d: replay starts at %d", k, k*5, f.Seq)
						return
					}
					next = f.Seq + 1
				case f.Type == "presentation" && f.Seq == next:
					next++
				default:
					t.Errorf("client %d: got %s, want seq %d", k, b, next)
					return
				}
			}
		}(k)
	}
	wg.Wait()
	<-done
}

func TestSnapshotListsPollsOldestFirst(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t0 := time.Date(2023, 12, 28, 8, 0, 0, 0, time.UTC)
	older := phonghop.Poll{ID: "zz", Title: "first", State: phonghop.PollOpen, CreatedAt: t0}
	newer := phonghop.Poll{ID: "aa", Title: "second", State: phonghop.PollDraft, CreatedAt: t0.Add(time.Hour)}
	e.hub.PublishPoll(ctx, "m1", newer)
	e.hub.PublishPoll(ctx, "m1", older)
	older.Cast = 3
	e.hub.PublishPoll(ctx, "m1", older) // the older poll changes last
	st, _, err := e.hub.State(ctx, "m1")
	if err != nil || len(st.Polls) != 2 {
		t.Fatalf("%v %v", st.Polls, err)
	}
	var first phonghop.Poll
	json.Unmarshal(st.Polls[0], &first)
	if first.ID != "zz" || first.Cast != 3 {
		t.Fatalf("first poll %s", st.Polls[0])
	}
}
