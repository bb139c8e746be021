package live_test

import (
	"testing"

	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/live/brokertest"
)

func TestMemoryBrokerConformance(t *testing.T) {
	brokertest.Run(t, func(t *testing.T) (live.Broker, live.Broker) {
		b := live.NewMemoryBroker(0)
		t.Cleanup(func() { b.Close() })
		return b, b
	})
}
