package live

import (
	"context"
	"errors"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
)

// failingJournal induces a store failure.
type failingJournal struct{ calls int }

func (f *failingJournal) Append(ctx context.Context, meetingID string, e journal.Entry) error {
	f.calls++
	return errors.New("store down")
}

// downBroker induces a broker failure: every call fails.
type downBroker struct{ Broker }

var errDown = errors.New("broker down")

func (downBroker) Append(context.Context, string, Event, int64) (uint64, error) { return 0, errDown }
func (downBroker) Last(context.Context, string) ([]Event, uint64, error)        { return nil, 0, errDown }
func (downBroker) Subscribe(context.Context, string, func(Event)) (func(), error) {
	return nil, errDown
}

func TestJournalFailureDoesNotFailTheAction(t *testing.T) {
	fj := &failingJournal{}
	h := NewHub(Config{Broker: NewMemoryBroker(0), Meetings: meetings{"m1": testMeeting(1)}, Journal: fj})
	seq, err := h.Present(context.Background(), "m1", chair, Presentation{"i1", "doc1", 1})
	if err != nil || seq != 1 || fj.calls != 1 {
		t.Fatalf("seq %d, err %v, journal calls %d", seq, err, fj.calls)
	}
}

func TestBrokerDown(t *testing.T) {
	e := newEnv(t)
	e.hub.cfg.Broker = downBroker{e.broker}
	if _, err := e.hub.Present(context.Background(), "m1", chair, Presentation{"i1", "doc1", 1}); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("present: %v", err)
	}
	if _, _, err := e.hub.State(context.Background(), "m1"); phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("state: %v", err)
	}
	c, _, err := websocket.DefaultDialer.Dial(e.url+"?user="+chairID, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if code := closeCode(t, c); code != CloseUnavailable {
		t.Fatalf("close code %d", code)
	}
	// The failed room was not kept: with the broker back, clients connect.
	e.hub.cfg.Broker = e.broker
	readType(t, e.dial(chairID, ""), "snapshot")
}
