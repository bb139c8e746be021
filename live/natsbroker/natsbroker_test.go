package natsbroker

import (
	"context"
	"testing"
	"time"

	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/brokertest"
	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

func TestMain(m *testing.M) { natstest.Main(m) }

// open connects a broker to url, closed when the test ends.
func open(t testing.TB, url string) *Broker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := New(ctx, Config{URL: url, Timeout: 2 * time.Second, ReconnectWait: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// Two connections to one server stand for two processes.
func TestConformance(t *testing.T) {
	url := natstest.URL(t)
	brokertest.Run(t, func(t *testing.T) (live.Broker, live.Broker) {
		return open(t, url), open(t, url)
	})
}
