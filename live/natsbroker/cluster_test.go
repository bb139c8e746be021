package natsbroker

import (
	"context"
	"testing"
	"time"

	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/brokertest"
	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

// On a three-server NATS cluster with three replicas per stream, two processes
// connected to different servers pass the suite: leaders assign seqs, the
// conflict code of replicated streams is a conflict, and reads served by
// followers are never behind what the process has seen.
func TestReplicatedConformance(t *testing.T) {
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
		var b *Broker
		waitFor(t, 30*time.Second, "JetStream cluster on "+url, func() bool {
			var err error
			b, err = New(context.Background(), Config{URL: url, Replicas: 3, Timeout: 2 * time.Second, ReconnectWait: 100 * time.Millisecond})
			return err == nil
		})
		t.Cleanup(func() { b.Close() })
		return b
	}
	first := openR3(t, servers[0].URL)
	// Replicated streams can be made once the cluster has elected its leaders.
	waitFor(t, 30*time.Second, "a replicated stream", func() bool {
		_, err := first.ensure(context.Background(), newMeetingID())
		return err == nil
	})
	n := 0
	brokertest.Run(t, func(t *testing.T) (live.Broker, live.Broker) {
		n++
		return openR3(t, servers[n%3].URL), openR3(t, servers[(n+1)%3].URL)
	})
}
