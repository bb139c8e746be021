package server_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// ballotFault fails the writes of ballots once armed, with the error a real
// store gives (it names the key), as a store that went away would.
type ballotFault struct {
	storage.Store
	armed atomic.Bool
}

func (b *ballotFault) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	if b.armed.Load() && strings.Contains(key, "/ballots/") {
		return storage.Info{}, fmt.Errorf("fsstore: put %s: connection reset: %w", key, storage.ErrUnavailable)
	}
	return b.Store.Put(ctx, key, r, size, o)
}

// TestFailedSecretBallotLogsNoBallotKey: a secret ballot that the store fails
// is answered 503 and logged, but no log line carries the ballot's key (the
// HMAC of the voter under the poll secret) beside the voter's user id. Before
// the fix the error line held both: "request failed" with the store's
// "put meetings/…/ballots/<hmac>.json" and userId, which with the secret (and,
// after close, the ballot objects) names the voter's option.
func TestFailedSecretBallotLogsNoBallotKey(t *testing.T) {
	base, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fault := &ballotFault{Store: base}
	var logs lockedBuffer
	h := newHarness(t, fault, withLog(&logs))
	f := h.meeting(2)
	p := openSecretPoll(h, f, "Bầu tổ kiểm phiếu")

	var sec struct{ Key []byte }
	if _, err := storage.GetJSON(context.Background(), base, "meetings/"+f.id+"/polls/"+p.ID+"/secret.json", &sec); err != nil {
		t.Fatal(err)
	}
	voter := h.users["daibieu01"].ID
	mac := hmac.New(sha256.New, sec.Key)
	mac.Write([]byte(voter))
	ballotKey := hex.EncodeToString(mac.Sum(nil))

	fault.armed.Store(true)
	r := h.do("POST", "/api/v1/meetings/"+f.id+"/polls/"+p.ID+"/ballots", "daibieu01", map[string]int{"option": 0})
	if r.status != 503 {
		t.Fatalf("ballot on a failing store: %d %s", r.status, r.body)
	}
	out := logs.String()
	if !strings.Contains(out, "request failed") || !strings.Contains(out, "fsstore: put") {
		t.Fatalf("the failure was not logged, so this test sees nothing:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, ballotKey) {
			t.Errorf("a log line carries the ballot key:\n%s", line)
		}
		// A ballot failing on the store may have landed (a store failing
		// after the write): its lines name no voter either
		// (TestStoredBallotLogLineNamesNoVoter).
		if strings.Contains(line, "ballots") && strings.Contains(line, voter) || strings.Contains(line, "request failed") && strings.Contains(line, voter) {
			t.Errorf("a failed ballot's line names the voter:\n%s", line)
		}
	}
	if strings.Contains(string(r.body), ballotKey) {
		t.Errorf("the answer carries the ballot key: %s", r.body)
	}
}

// TestReceiptCheckLogsNoReceipt: the SHA-256 of a receipt is what a secret
// ballot stores beside its option, so a log line naming it names the choice of
// whoever asked. The request log wrote the receipt check's path whole
// (GET …/receipts/<sha256>), a line per tablet right after every close.
func TestReceiptCheckLogsNoReceipt(t *testing.T) {
	base, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	h := newHarness(t, base, withLog(&logs))
	f := h.meeting(2)
	p := openSecretPoll(h, f, "Bãi nhiệm")
	hashes := map[string]string{}
	for i, d := range f.delegates {
		var rc struct{ Receipt string }
		h.mustDo("POST", "/api/v1/meetings/"+f.id+"/polls/"+p.ID+"/ballots", d, map[string]int{"option": i % 2}, 201, &rc)
		sum := sha256.Sum256([]byte(rc.Receipt))
		hashes[d] = hex.EncodeToString(sum[:])
	}
	// Asked before the close: refused (409), logged with the user.
	for d, sum := range hashes {
		h.mustDo("GET", "/api/v1/meetings/"+f.id+"/polls/"+p.ID+"/receipts/"+sum, d, nil, 409, nil)
	}
	h.mustDo("POST", "/api/v1/meetings/"+f.id+"/polls/"+p.ID+"/close", "chutich", nil, 200, nil)
	for d, sum := range hashes {
		var out struct{ Counted bool }
		h.mustDo("GET", "/api/v1/meetings/"+f.id+"/polls/"+p.ID+"/receipts/"+sum, d, nil, 200, &out)
		if !out.Counted {
			t.Fatalf("%s's receipt not counted", d)
		}
	}
	out := logs.String()
	if !strings.Contains(out, "/receipts/") {
		t.Fatalf("the receipt checks were not logged, so this test sees nothing:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		for _, sum := range hashes {
			if strings.Contains(line, sum) {
				t.Errorf("a log line carries a receipt's SHA-256:\n%s", line)
			}
		}
	}
}

// TestStoredBallotLogLineNamesNoVoter: the request log's line carries the
// user (for every other request), and a ballot object keeps the time it was
// written: a line "POST …/ballots userId=… 201" at that time would join the
// voter to their ballot, and so to its option, once the poll is closed. The
// lines of a stored ballot name no voter (nor those of one the store failed,
// which may have landed); a refused one's still do (nothing of it is stored).
func TestStoredBallotLogLineNamesNoVoter(t *testing.T) {
	base, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	h := newHarness(t, base, withLog(&logs))
	f := h.meeting(2)
	p := openSecretPoll(h, f, "Miễn nhiệm")
	ballots := "/api/v1/meetings/" + f.id + "/polls/" + p.ID + "/ballots"
	for i, d := range f.delegates {
		h.mustDo("POST", ballots, d, map[string]int{"option": i % 2}, 201, nil)
	}
	h.mustDo("POST", ballots, "daibieu01", map[string]int{"option": 1}, 409, nil)
	stored, refused := 0, 0
	for _, line := range strings.Split(logs.String(), "\n") {
		if !strings.Contains(line, "msg=request") || !strings.Contains(line, "path="+ballots) {
			continue
		}
		named := false
		for _, d := range f.delegates {
			named = named || strings.Contains(line, h.users[d].ID)
		}
		switch {
		case strings.Contains(line, "status=201"):
			stored++
			if named {
				t.Errorf("a stored ballot's line names the voter:\n%s", line)
			}
		case strings.Contains(line, "status=409"):
			refused++
			if !named {
				t.Errorf("a refused ballot's line lost the user:\n%s", line)
			}
		}
	}
	if stored != 2 || refused != 1 {
		t.Fatalf("%d stored and %d refused ballot lines, want 2 and 1:\n%s", stored, refused, logs.String())
	}
}

// openSecretPoll checks every delegate of f in and opens a secret poll.
func openSecretPoll(h *harness, f meetingFixture, title string) struct{ ID string } {
	h.t.Helper()
	for _, d := range f.delegates {
		h.mustDo("POST", "/api/v1/meetings/"+f.id+"/attendance", d, nil, 200, nil)
	}
	var p struct{ ID string }
	h.mustDo("POST", "/api/v1/meetings/"+f.id+"/polls", "chutich", map[string]any{"agendaItemId": f.item, "title": title, "secret": true}, 201, &p)
	h.mustDo("POST", "/api/v1/meetings/"+f.id+"/polls/"+p.ID+"/open", "chutich", map[string]any{}, 200, nil)
	return p
}
