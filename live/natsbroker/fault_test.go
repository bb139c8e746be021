package natsbroker

import (
	"context"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

// faultyJS is the broker's real JetStream context with faults a test puts in.
// Every call of the methods below goes through fault with its kind ("stream":
// a look-up, "create": a stream creation, "publish", "consumer": an ordered
// consumer's creation) and its number among the calls of that kind (from 1).
// fault may refuse the call, hold it, or make it (do) and lose the answer;
// with no fault every call goes through.
type faultyJS struct {
	jetstream.JetStream
	mu    sync.Mutex
	fault fault
	calls map[string]int
}

// fault decides what becomes of the n-th call of a kind (see faultyJS).
type fault = func(ctx context.Context, call string, n int, do func() error) error

// withFaults puts a faultyJS between b and NATS.
func withFaults(b *Broker, fault fault) *faultyJS {
	f := &faultyJS{JetStream: b.js, fault: fault, calls: map[string]int{}}
	b.js = f
	return f
}

// faultyBroker opens a broker configured as cfg on the shared test server,
// closed when the test ends, with fault between it and NATS.
func faultyBroker(t testing.TB, cfg Config, fault fault) (*Broker, *faultyJS) {
	t.Helper()
	cfg.URL = natstest.URL(t)
	b, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, withFaults(b, fault)
}

// onCall hits the n-th call of the kind with hit and lets every other call
// through.
func onCall(kind string, n int, hit func(ctx context.Context, do func() error) error) fault {
	return func(ctx context.Context, call string, i int, do func() error) error {
		if call == kind && i == n {
			return hit(ctx, do)
		}
		return do()
	}
}

// setFault replaces the fault for the calls from now on.
func (f *faultyJS) setFault(fault fault) {
	f.mu.Lock()
	f.fault = fault
	f.mu.Unlock()
}

// count is how many calls of the kind were made.
func (f *faultyJS) count(call string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[call]
}

func (f *faultyJS) call(ctx context.Context, call string, do func() error) error {
	f.mu.Lock()
	f.calls[call]++
	n, fault := f.calls[call], f.fault
	f.mu.Unlock()
	if fault == nil {
		return do()
	}
	return fault(ctx, call, n, do)
}

func (f *faultyJS) Stream(ctx context.Context, name string) (s jetstream.Stream, err error) {
	err = f.call(ctx, "stream", func() (err error) { s, err = f.JetStream.Stream(ctx, name); return err })
	return s, err
}

func (f *faultyJS) CreateStream(ctx context.Context, cfg jetstream.StreamConfig) (s jetstream.Stream, err error) {
	err = f.call(ctx, "create", func() (err error) { s, err = f.JetStream.CreateStream(ctx, cfg); return err })
	return s, err
}

func (f *faultyJS) Publish(ctx context.Context, subject string, data []byte, opts ...jetstream.PublishOpt) (ack *jetstream.PubAck, err error) {
	err = f.call(ctx, "publish", func() (err error) { ack, err = f.JetStream.Publish(ctx, subject, data, opts...); return err })
	return ack, err
}

func (f *faultyJS) OrderedConsumer(ctx context.Context, stream string, cfg jetstream.OrderedConsumerConfig) (c jetstream.Consumer, err error) {
	err = f.call(ctx, "consumer", func() (err error) { c, err = f.JetStream.OrderedConsumer(ctx, stream, cfg); return err })
	return c, err
}

// unanswered is a request NATS drops: no answer until the caller gives up.
func unanswered(ctx context.Context, _ func() error) error {
	<-ctx.Done()
	return ctx.Err()
}

// answerLost makes the call and loses its answer: done on the server, the
// caller sees a timeout.
func answerLost(ctx context.Context, do func() error) error {
	if err := do(); err != nil {
		return err
	}
	return unanswered(ctx, nil)
}

// clusterNotAvail is the refusal of a cluster without a meta leader (503,
// err_code 10008).
func clusterNotAvail() *jetstream.APIError {
	return &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}
}

// insufficientResources is a refusal retry leaves alone (500, err_code 10049).
func insufficientResources() *jetstream.APIError {
	return &jetstream.APIError{Code: 500, ErrorCode: 10049, Description: "insufficient resources"}
}
