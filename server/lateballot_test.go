package server_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// lateBallot closes the poll (as the chair, over HTTP) just before a ballot
// is written, so the ballot lands after the close counted, and refuses to
// delete it.
type lateBallot struct {
	storage.Store
	armed    atomic.Bool
	close    func()
	deleting atomic.Bool
}

func (l *lateBallot) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	if strings.Contains(key, "/ballots/") && l.armed.CompareAndSwap(true, false) {
		l.close()
	}
	return l.Store.Put(ctx, key, r, size, o)
}

func (l *lateBallot) Delete(ctx context.Context, key string) error {
	if strings.Contains(key, "/ballots/") && l.deleting.Load() {
		return fmt.Errorf("fsstore: delete: connection reset: %w", storage.ErrUnavailable)
	}
	return l.Store.Delete(ctx, key)
}

// A ballot written after the close counted is taken back (409
// poll_closed_before_ballot). If the store fails to delete it, it stays, with
// its option and the time it was written, so the request's log line at that
// time must not name the voter: before, the 409's line did (a refused
// ballot's lines keep the user, as nothing of it is stored). Now the answer is
// 503, whose lines name nobody; asked again, the tablet hears the poll closed.
func TestLateBallotLogLineNamesNoVoter(t *testing.T) {
	base, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	late := &lateBallot{Store: base}
	var logs lockedBuffer
	h := newHarness(t, late, withLog(&logs))
	f := h.meeting(2)
	p := openSecretPoll(h, f, "Miễn nhiệm")
	late.close = func() { h.mustDo("POST", "/api/v1/meetings/"+f.id+"/polls/"+p.ID+"/close", "chutich", nil, 200, nil) }
	late.armed.Store(true)
	late.deleting.Store(true)
	r := h.do("POST", "/api/v1/meetings/"+f.id+"/polls/"+p.ID+"/ballots", "daibieu01", map[string]int{"option": 1})
	if r.status != 503 {
		t.Fatalf("a late ballot the store would not take back: %d %s, want 503", r.status, r.body)
	}
	late.deleting.Store(false)
	if r := h.do("POST", "/api/v1/meetings/"+f.id+"/polls/"+p.ID+"/ballots", "daibieu01", map[string]int{"option": 1}); r.status != 409 {
		t.Errorf("asked again: %d %s", r.status, r.body)
	}
	voter := h.users["daibieu01"].ID
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "/ballots") && strings.Contains(line, voter) && !strings.Contains(line, "status=409") {
			t.Errorf("the late ballot's line names the voter:\n%s", line)
		}
	}
}
