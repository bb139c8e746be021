package natsbroker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

// On NATS too (which keeps up to 100,000 events), a tablet further behind
// than ReplayEvents, or whose replay would take more than its write queue,
// gets one snapshot; one a little behind gets exactly what it missed.
func TestReplayBoundedOnNATS(t *testing.T) {
	url := natstest.URL(t)
	for _, tc := range []struct {
		name string
		cfg  live.Config
	}{
		{"count", live.Config{ReplayEvents: 30}},
		{"bytes", live.Config{WriteQueueBytes: 2000}}, // 40 page turns are ~3 KB
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := testMeeting(newMeetingID(), 2)
			cfg := tc.cfg
			cfg.Broker, cfg.Meetings = open(t, url), meetings{m}
			hub := live.NewHub(cfg)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hub.ServeWS(w, r, live.Client{MeetingID: m.ID, User: phonghop.User{ID: r.URL.Query().Get("user")}})
			}))
			p := &process{hub: hub, url: "ws" + strings.TrimPrefix(srv.URL, "http")}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				hub.Shutdown(ctx)
				srv.Close()
			})
			ctx := context.Background()
			for i := 0; i < 40; i++ {
				if _, err := hub.Present(ctx, m.ID, chair, live.Presentation{AgendaItemID: "i1", DocumentID: "doc1", Page: i%10 + 1}); err != nil {
					t.Fatal(err)
				}
			}
			far := p.dial(t, delegateID(0), "&since=1")
			if f := expect(t, far, "snapshot", 40); f.State.Presentation.Page != 10 {
				t.Fatalf("snapshot %+v", f.State.Presentation)
			}
			near := p.dial(t, delegateID(1), "&since=35")
			for seq := uint64(36); seq <= 40; seq++ {
				expect(t, near, "presentation", seq)
			}
			// Nothing else came first: the next frame is the next event.
			if _, err := hub.CheckIn(ctx, m.ID, delegateID(0)); err != nil {
				t.Fatal(err)
			}
			expect(t, far, "attendance", 41)
			expect(t, near, "attendance", 41)
		})
	}
}
