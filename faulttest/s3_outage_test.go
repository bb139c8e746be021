package faulttest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// pdfBytes is n bytes that pass as a PDF upload (a header and a page object up
// front, as a PDF without cross-references), the same
// for the same seed.
func pdfBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, "%PDF-1.4\n%faulttest\n1 0 obj << /Type /Page >> endobj\n") // a page object: read as a PDF without cross-references
	return b
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// upload posts data as document name to node i. When pause is set, the body
// stops after half of the file until pause is closed (an upload in progress).
func (c *cluster) upload(i int, token, name string, data []byte, halfway chan<- struct{}, pause <-chan struct{}) result {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			part, err := mw.CreateFormFile("file", name)
			if err != nil {
				return err
			}
			half := len(data) / 2
			if pause == nil {
				half = len(data)
			}
			if _, err := part.Write(data[:half]); err != nil {
				return err
			}
			if pause != nil {
				close(halfway)
				<-pause
				if _, err := part.Write(data[half:]); err != nil {
					return err
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest("POST", c.urls[i]+"/api/v1/meetings/"+c.meeting.ID+"/documents", pr)
	if err != nil {
		return result{Err: err}
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return do(req, token)
}

// refusedAsUnavailable is what a request must get while S3 is down: 503
// unavailable, or no answer at all; never a 500 or a success.
func refusedAsUnavailable(r result) bool {
	return r.Err != nil || (r.Status == http.StatusServiceUnavailable && r.Code == "unavailable")
}

// The S3 server dies (SIGKILL) during an upload and during ballots, stays down
// for a while and comes back on the same port and directory:
//   - while it is down, uploads, ballots and reads answer 503 unavailable (or
//     fail the connection), never 500; /readyz answers 503, /healthz 200;
//   - afterwards the meeting lists only complete documents (size and sha256 as
//     recorded, content downloadable), every upload acknowledged is there;
//   - every ballot acknowledged (201) is counted at close, with its receipt;
//     a ballot refused during the outage and retried is either taken (201) or
//     found already taken (409: it landed although refused), never lost;
//   - both nodes become ready again by themselves, without a restart.
func TestS3Outage(t *testing.T) {
	c := startCluster(t)
	mid := c.meeting.ID
	chair := c.login(0, "chutich")
	secretary := c.login(1, "thuky")
	type voter struct {
		name, token, id string
		receipt         string // of the ballot acknowledged with 201
		landed          bool   // acknowledged, or found taken (409) on retry
		first           result // answer to the first attempt
	}
	var voters []*voter
	for k, u := range delegates() {
		tok, id := c.loginID(k%2, u)
		voters = append(voters, &voter{name: u, token: tok, id: id})
	}
	pt := c.pageTurner(chair)
	item := pt.item
	// One tablet on each node, connected through the whole outage.
	ctx, cancel := context.WithCancel(context.Background())
	var followers sync.WaitGroup
	defer followers.Wait()
	defer cancel()
	from := pt.mustTurn(0, 10*time.Second)
	var tablets []*tablet
	for i := range c.nodes {
		tb := newTablet(fmt.Sprintf("quansat@node%d", i+1), c.login(i, "quansat"))
		tablets = append(tablets, tb)
		followers.Add(1)
		go func() { defer followers.Done(); tb.follow(ctx, c, func(int) int { return i }, int64(from)) }()
	}
	if err := waitSeq(tablets, pt.mustTurn(1, 10*time.Second), 15*time.Second); err != nil {
		t.Fatalf("before the outage: %v", err)
	}
	var poll struct{ ID string }
	c.call(0, chair, "POST", "/meetings/"+mid+"/polls", map[string]any{"agendaItemId": item, "title": "Khen thưởng (faulttest)"}).
		decode(t, "create poll", &poll)
	c.call(0, chair, "POST", "/meetings/"+mid+"/polls/"+poll.ID+"/open", map[string]any{"overrideQuorum": true}).
		decode(t, "open poll", nil)

	var mu sync.Mutex
	cast := func(v *voter, node int) result {
		r := c.call(node, v.token, "POST", "/meetings/"+mid+"/polls/"+poll.ID+"/ballots", map[string]any{"option": 0})
		mu.Lock()
		defer mu.Unlock()
		if v.first.Status == 0 && v.first.Err == nil {
			v.first = r
		}
		switch {
		case r.Err == nil && r.Status == http.StatusCreated:
			var rc struct{ Receipt string }
			if err := json.Unmarshal(r.Body, &rc); err != nil || rc.Receipt == "" {
				t.Errorf("ballot of %s: 201 without a receipt: %s", v.name, r.Body)
			}
			v.receipt, v.landed = rc.Receipt, true
		case r.Err == nil && r.Status == http.StatusConflict && r.Code == "conflict":
			v.landed = true // an earlier attempt was stored although not acknowledged
		}
		return r
	}

	// Before the outage: one complete upload, three ballots.
	uploads := map[string][]byte{} // name → bytes sent
	acked := map[string]bool{}     // names acknowledged with 201
	up := func(i int, name string, data []byte, halfway chan<- struct{}, pause <-chan struct{}) result {
		r := c.upload(i, secretary, name, data, halfway, pause)
		mu.Lock()
		defer mu.Unlock()
		uploads[name] = data
		if r.Err == nil && r.Status == http.StatusCreated {
			acked[name] = true
		}
		return r
	}
	if r := up(1, "before.pdf", pdfBytes(300<<10, 1), nil, nil); r.Status != http.StatusCreated {
		t.Fatalf("upload before the outage: %s", r)
	}
	for k, v := range voters[:3] {
		if r := cast(v, k%2); r.Status != http.StatusCreated {
			t.Fatalf("ballot of %s before the outage: %s", v.name, r)
		}
	}

	// An upload of 12 MiB is half sent when S3 dies; four ballots are on their
	// way at the same moment.
	halfway, resume := make(chan struct{}), make(chan struct{})
	inflight := make(chan result, 1)
	go func() { inflight <- up(1, "inflight.pdf", pdfBytes(12<<20, 2), halfway, resume) }()
	select {
	case <-halfway:
	case r := <-inflight:
		t.Fatalf("the large upload ended before half of it was sent: %s", r)
	case <-time.After(30 * time.Second):
		t.Fatal("the large upload did not get halfway in 30 s")
	}
	time.Sleep(300 * time.Millisecond) // the first 5 MiB part is on its way to S3
	var wg sync.WaitGroup
	for k, v := range voters[3:7] {
		wg.Add(1)
		go func() { defer wg.Done(); cast(v, k%2) }()
	}
	// Each ballot is several S3 requests (session, user, meeting, poll, ballot,
	// poll again): kill S3 while they are under way.
	time.Sleep(time.Duration(10+rand.IntN(30)) * time.Millisecond)
	c.s3.kill()
	close(resume)
	downSince := time.Now()
	wg.Wait()
	if r := <-inflight; !refusedAsUnavailable(r) && r.Status != http.StatusCreated && r.Status != http.StatusBadRequest {
		t.Errorf("upload in progress when S3 died: %s (want 503 unavailable, a cut connection, or 400 upload interrupted)", r)
	} else {
		t.Logf("upload in progress when S3 died: %s", trim(r))
	}
	for _, v := range voters[3:7] {
		r := v.first
		if r.Status != http.StatusCreated && !refusedAsUnavailable(r) {
			t.Errorf("ballot of %s as S3 died: %s (want 201, or 503 unavailable)", v.name, r)
		}
	}

	// While S3 is down.
	t.Logf("ballots and upload in flight answered %v after the kill", time.Since(downSince).Round(time.Millisecond))
	for i := range c.nodes {
		if err := eventually(10*time.Second, func() error {
			r := c.probe(i, "/readyz")
			if r.Status != http.StatusServiceUnavailable {
				return fmt.Errorf("/readyz on node %d: %s", i+1, r)
			}
			return nil
		}); err != nil {
			t.Errorf("S3 down: %v (want 503)", err)
		}
		if r := c.probe(i, "/healthz"); r.Status != http.StatusOK {
			t.Errorf("S3 down: /healthz on node %d: %s (want 200: the process runs)", i+1, r)
		}
		if r := up(i, fmt.Sprintf("down-%d.pdf", i+1), pdfBytes(100<<10, uint64(10+i)), nil, nil); !refusedAsUnavailable(r) {
			t.Errorf("S3 down: upload on node %d: %s (want 503 unavailable)", i+1, r)
		}
		if r := c.call(i, chair, "GET", "/meetings/"+mid, nil); !refusedAsUnavailable(r) {
			t.Errorf("S3 down: get meeting on node %d: %s (want 503 unavailable)", i+1, r)
		}
		if r := c.call(i, chair, "PUT", "/meetings/"+mid+"/presentation", map[string]any{"agendaItemId": item, "documentId": pt.doc, "page": 1}); !refusedAsUnavailable(r) {
			t.Errorf("S3 down: page turn on node %d: %s (want 503 unavailable)", i+1, r)
		}
		// A tablet connecting now is refused before the upgrade (its session
		// cannot be read): 503, not 500.
		if status, code, detail := c.tryConnect(i, chair, -1); status != http.StatusServiceUnavailable && status != 0 {
			t.Errorf("S3 down: live connection to node %d: status %d close %d %s (want 503 unavailable)", i+1, status, code, detail)
		}
	}
	for k, v := range voters[7:9] {
		start := time.Now()
		if r := cast(v, k%2); !refusedAsUnavailable(r) {
			t.Errorf("S3 down: ballot of %s: %s (want 503 unavailable)", v.name, r)
		}
		t.Logf("S3 down: ballot of %s refused in %v", v.name, time.Since(start).Round(time.Millisecond))
	}

	// S3 comes back on the same port and directory; phonghop recovers alone.
	c.startS3()
	t.Logf("S3 was down for %v", time.Since(downSince).Round(time.Millisecond))
	back := time.Now()
	for i := range c.nodes {
		if err := eventually(30*time.Second, func() error { return c.ready(i) }); err != nil {
			t.Fatalf("node %d not ready 30 s after S3 came back: %v", i+1, err)
		}
	}
	t.Logf("both nodes ready %v after S3 came back", time.Since(back).Round(time.Millisecond))

	if r := up(0, "after.pdf", pdfBytes(200<<10, 3), nil, nil); r.Status != http.StatusCreated {
		t.Errorf("upload after S3 came back: %s", r)
	}
	for k, v := range voters[9:] {
		if r := cast(v, k%2); r.Status != http.StatusCreated {
			t.Errorf("ballot of %s after S3 came back: %s", v.name, r)
		}
	}
	// Those refused during the outage try again: taken now, or already taken.
	for k, v := range voters[3:9] {
		if v.landed {
			continue
		}
		r := cast(v, k%2)
		switch {
		case r.Status == http.StatusConflict && r.Code == "conflict":
			t.Logf("ballot of %s was refused (%s) but had been stored: its retry answers 409", v.name, trim(v.first))
		case r.Status != http.StatusCreated:
			t.Errorf("ballot of %s retried after the outage: %s (want 201, or 409 if the first one landed)", v.name, r)
		}
	}

	// The tablets connected before the outage follow the room afterwards.
	if err := waitSeq(tablets, pt.mustTurn(0, 10*time.Second), 15*time.Second); err != nil {
		t.Errorf("after the outage: %v", err)
	}
	for _, tb := range tablets {
		if _, conns, drops := tb.snapshot(); conns != 1 {
			t.Logf("%s reconnected during the S3 outage (%d connections): %q", tb.name, conns, drops)
		}
	}

	// Close: every ballot that landed is counted, each once, receipts included.
	var closed struct {
		Results *struct {
			Counts   []int
			Cast     int
			Ballots  []struct{ UserID string }
			Receipts []string
		}
	}
	c.call(1, chair, "POST", "/meetings/"+mid+"/polls/"+poll.ID+"/close", nil).decode(t, "close poll", &closed)
	if closed.Results == nil {
		t.Fatal("closed poll without results")
	}
	res := closed.Results
	counted := map[string]int{}
	for _, b := range res.Ballots {
		counted[b.UserID]++
	}
	sum := 0
	for _, n := range res.Counts {
		sum += n
	}
	landed := 0
	for _, v := range voters {
		if !v.landed {
			continue
		}
		landed++
		if counted[v.id] != 1 {
			t.Errorf("ballot of %s (first answer %s) counted %d times, want once", v.name, trim(v.first), counted[v.id])
		}
		if v.receipt != "" {
			h := sha256.Sum256([]byte(v.receipt))
			if !slices.Contains(res.Receipts, hex.EncodeToString(h[:])) {
				t.Errorf("receipt of %s's acknowledged ballot is not among the results' receipts", v.name)
			}
		}
	}
	if landed != len(voters) || res.Cast != landed || sum != landed || len(res.Ballots) != landed {
		t.Errorf("%d ballots landed (every delegate, after retries, should have: %d); results: cast %d, counts sum %d, %d named ballots",
			landed, len(voters), res.Cast, sum, len(res.Ballots))
	}
	for _, v := range voters[3:9] {
		t.Logf("ballot of %s during the outage: first answer %s", v.name, trim(v.first))
	}

	// Only complete documents are listed, each downloadable as recorded.
	var m meeting
	c.call(0, chair, "GET", "/meetings/"+mid, nil).decode(t, "get meeting after the outage", &m)
	listed := map[string]bool{}
	for _, d := range m.Documents {
		listed[d.Name] = true
		r := c.call(1, chair, "GET", "/meetings/"+mid+"/documents/"+d.ID+"/content", nil)
		if r.Err != nil || r.Status != http.StatusOK {
			t.Errorf("document %s (%s) is listed but its content answers %s", d.Name, d.ID, r)
			continue
		}
		if int64(len(r.Body)) != d.Size || sha(r.Body) != d.SHA256 {
			t.Errorf("document %s: listed with %d bytes, sha256 %s; content has %d bytes, sha256 %s",
				d.Name, d.Size, d.SHA256, len(r.Body), sha(r.Body))
		}
		if sent, ok := uploads[d.Name]; ok && (int64(len(sent)) != d.Size || sha(sent) != d.SHA256) {
			t.Errorf("document %s: listed with %d bytes, sha256 %s; %d bytes with sha256 %s were sent (half-written?)",
				d.Name, d.Size, d.SHA256, len(sent), sha(sent))
		}
	}
	for name := range acked {
		if !listed[name] {
			t.Errorf("upload %s was acknowledged (201) but is not in the meeting's documents", name)
		}
	}
	t.Logf("documents listed after the outage: %d (uploads acknowledged: %d of %d tried)", len(m.Documents), len(acked), len(uploads))
	// What the gateway holds beyond the list is garbage nobody sees; report it.
	if ents, err := os.ReadDir(filepath.Join(c.dir, "s3", "phonghop", "meetings", mid, "documents")); err == nil {
		ids := map[string]bool{}
		for _, d := range m.Documents {
			ids[d.ID] = true
		}
		for _, e := range ents {
			if !ids[e.Name()] {
				t.Logf("object meetings/%s/documents/%s is in the bucket but in no meeting (unreferenced, invisible)", mid, e.Name())
			}
		}
	}
	c.checkAlive()
}

// trim shortens an answer for the log.
func trim(r result) string {
	s := r.String()
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
