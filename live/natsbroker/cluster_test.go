package natsbroker

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/brokertest"
	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

// On a three-server NATS cluster with three replicas per stream, two processes
// connected to different servers pass the suite: leaders assign seqs, the
// conflict code of replicated streams is a conflict, and reads served by
// followers are never behind what the process has seen.
func TestReplicatedConformance(t *testing.T) {
	servers, openR3 := cluster(t)
	n := 0
	brokertest.Run(t, func(t *testing.T) (live.Broker, live.Broker) {
		n++
		return openR3(t, servers[n%3].URL), openR3(t, servers[(n+1)%3].URL)
	})
}

// cluster starts three routed servers and returns them with a function that
// opens a broker with three replicas on the given URL(s).
func cluster(t testing.TB) ([]*natstest.Server, func(t testing.TB, url string) *Broker) {
	return clusterWith(t, Config{Timeout: 10 * time.Second, ReconnectWait: 100 * time.Millisecond})
}

// clusterWith is cluster with the brokers configured as base (their URL and
// three replicas set here), once the cluster can make a replicated stream.
func clusterWith(t testing.TB, base Config) ([]*natstest.Server, func(t testing.TB, url string) *Broker) {
	if testing.Short() {
		t.Skip("starts a three-server NATS cluster") // only when asked: go test -short
	}
	servers, err := natstest.StartCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range servers {
			s.Stop()
		}
	})
	openR3 := func(t testing.TB, url string) *Broker {
		t.Helper()
		cfg := base
		cfg.URL, cfg.Replicas = url, 3
		var b *Broker
		waitFor(t, 60*time.Second, "JetStream cluster on "+url, func() bool {
			var err error
			b, err = New(context.Background(), cfg)
			return err == nil
		})
		t.Cleanup(func() { b.Close() })
		return b
	}
	first := openR3(t, servers[0].URL)
	// Replicated streams can be made once the cluster has elected its leaders.
	waitFor(t, 60*time.Second, "a replicated stream", func() bool {
		_, err := first.ensure(context.Background(), newMeetingID())
		return err == nil
	})
	return servers, openR3
}

// One server of three dies: the processes reconnect to the others, the
// stream elects a new leader, and the meeting goes on with one gap-free
// sequence; a subscriber misses nothing.
func TestReplicatedServerLoss(t *testing.T) {
	servers, openR3 := cluster(t)
	var urls []string
	for _, s := range servers {
		urls = append(urls, s.URL)
	}
	all := strings.Join(urls, ",")
	a, b := openR3(t, all), openR3(t, all)
	ctx := context.Background()
	mid := newMeetingID()
	var mu sync.Mutex
	var got []uint64
	cancel, err := b.Subscribe(ctx, mid, func(ev live.Event) {
		mu.Lock()
		got = append(got, ev.Seq)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	appended := 0
	appendOK := func() bool {
		_, err := a.Append(ctx, mid, ev("presentation"), -1)
		if err == nil {
			appended++
		} else if testing.Verbose() {
			t.Logf("append: %v", err)
		}
		if err != nil && phonghop.ErrorCode(err) != phonghop.EUnavailable {
			t.Fatalf("append: %v", err)
		}
		return err == nil
	}
	for i := 0; i < 5; i++ {
		if !appendOK() {
			t.Fatal("append before the loss failed")
		}
	}
	// Stop the server a is connected to: it must move to another one as well.
	connected := a.nc.ConnectedUrl() // read once: a moves on as soon as it is gone
	for _, s := range servers {
		if s.URL == connected {
			s.Halt()
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, s := range servers {
				out := s.Output()
				t.Logf("server %s:\n%s", s.URL, out[max(0, len(out)-3000):])
			}
			si, err := b.js.Stream(ctx, b.streamName(mid))
			if err == nil {
				t.Logf("stream cluster: %+v", si.CachedInfo().Cluster)
			} else {
				t.Logf("stream info: %v", err)
			}
		}
	})
	waitFor(t, 30*time.Second, "an append after losing a server", appendOK)
	for i := 0; i < 5; i++ {
		waitFor(t, 10*time.Second, "appends after the loss", appendOK)
	}
	evs, last, err := b.Last(ctx, mid)
	if err != nil || last != uint64(appended) || len(evs) != 1 {
		t.Fatalf("last: %d events, seq %d after %d appends, %v", len(evs), last, appended, err)
	}
	waitFor(t, 20*time.Second, "deliveries", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= appended })
	mu.Lock()
	defer mu.Unlock()
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("delivery %d has seq %d: %v", i, s, got)
		}
	}
}
