package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phonghop/phonghop/demo"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
	"github.com/phonghop/phonghop/storage/s3store"
	"github.com/phonghop/phonghop/storage/s3test"
)

// node is a phonghop process run in this test (run() in a goroutine).
type node struct {
	t      *testing.T
	base   string
	cancel context.CancelFunc
	done   chan error
	logs   *lockedBuffer
}

func startNode(t *testing.T, cmd string, args ...string) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{t: t, base: "http://" + addr, cancel: cancel, done: make(chan error, 1), logs: &lockedBuffer{}}
	var out lockedBuffer
	go func() {
		n.done <- run(ctx, append([]string{cmd, "-addr", addr, "-log-level", "warn", "-bcrypt-cost", "4", "-admin-password", "quan-tri-bi-mat"}, args...), &out, n.logs)
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if resp, err := http.Get(n.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 && (cmd != "demo" || strings.Contains(out.String(), "daibieu12")) {
				break
			}
		}
		select {
		case err := <-n.done:
			t.Fatalf("%s exited: %v\n%s", cmd, err, n.logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start: %s", cmd, n.logs.String())
		}
	}
	t.Cleanup(n.stop)
	return n
}

func (n *node) stop() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	n.cancel = nil
	if err := <-n.done; err != nil {
		n.t.Errorf("server: %v\n%s", err, n.logs.String())
	}
}

// call sends a JSON request and returns the answer's bytes, failing the test on
// anything but a 2xx.
func (n *node) call(token, method, path string, body any) []byte {
	n.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, n.base+"/api/v1"+path, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		n.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return b
}

func (n *node) login(user, password string) string {
	var r struct{ Token string }
	json.Unmarshal(n.call("", "POST", "/auth/login", map[string]string{"username": user, "password": password}), &r)
	return r.Token
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

// meetingRecord fills a meeting with what a real one leaves behind: check-ins
// and page turns (journal), an open ballot and a secret one (votes), a
// participant's note, two rendered minutes versions; it returns the tokens
// used.
func meetingRecord(t *testing.T, n *node) (chair, mid string) {
	chair = n.login("chutich", demo.Password)
	sec := n.login("thuky", demo.Password)
	ms := decode[[]struct{ ID string }](t, n.call(chair, "GET", "/meetings", nil))
	mid = ms[0].ID
	m := decode[struct {
		Agenda []struct {
			ID          string
			DocumentIDs []string `json:"documentIds"`
		}
	}](t, n.call(chair, "GET", "/meetings/"+mid, nil))
	var item, doc string
	for _, a := range m.Agenda {
		if len(a.DocumentIDs) > 0 {
			item, doc = a.ID, a.DocumentIDs[0]
			break
		}
	}
	var delegates []string
	for i := 1; i <= 9; i++ {
		tok := n.login(fmt.Sprintf("daibieu%02d", i), demo.Password)
		n.call(tok, "POST", "/meetings/"+mid+"/attendance", nil)
		delegates = append(delegates, tok)
	}
	for page := 1; page <= 3; page++ {
		n.call(chair, "PUT", "/meetings/"+mid+"/presentation", map[string]any{"agendaItemId": item, "documentId": doc, "page": page})
	}
	n.call(delegates[0], "PUT", "/meetings/"+mid+"/documents/"+doc+"/notes/2", map[string]string{"text": "Đề nghị làm rõ số liệu trang 2"})
	for _, secret := range []bool{false, true} {
		p := decode[struct{ ID string }](t, n.call(sec, "POST", "/meetings/"+mid+"/polls",
			map[string]any{"agendaItemId": m.Agenda[len(m.Agenda)-1].ID, "title": fmt.Sprintf("Biểu quyết (bí mật: %v)", secret), "secret": secret}))
		n.call(chair, "POST", "/meetings/"+mid+"/polls/"+p.ID+"/open", nil)
		for i, tok := range delegates {
			n.call(tok, "POST", "/meetings/"+mid+"/polls/"+p.ID+"/ballots", map[string]int{"option": i % 3})
		}
		n.call(chair, "POST", "/meetings/"+mid+"/polls/"+p.ID+"/close", nil)
	}
	for v := 1; v <= 2; v++ {
		draft := decode[struct{ Revision int }](t, n.call(sec, "GET", "/meetings/"+mid+"/minutes", nil))
		n.call(sec, "PUT", "/meetings/"+mid+"/minutes", map[string]any{"revision": draft.Revision, "summary": fmt.Sprintf("Bản tóm tắt lần %d.", v)})
		n.call(sec, "POST", "/meetings/"+mid+"/minutes/pdf", nil)
	}
	return chair, mid
}

// served is what a server answers about a meeting: the record the round trip
// must keep.
func served(t *testing.T, n *node, token, mid string) map[string]string {
	got := map[string]string{}
	get := func(path string) []byte {
		b := n.call(token, "GET", "/meetings/"+mid+path, nil)
		got[path] = string(b)
		return b
	}
	get("")
	n.call(token, "GET", "/meetings", nil)
	m := decode[struct {
		Documents []struct{ ID string }
	}](t, get(""))
	for _, d := range m.Documents {
		sum := sha256.Sum256(n.call(token, "GET", "/meetings/"+mid+"/documents/"+d.ID+"/content", nil))
		got["document "+d.ID] = hex.EncodeToString(sum[:])
	}
	polls := decode[[]struct{ ID string }](t, get("/polls"))
	if len(polls) != 2 {
		t.Fatalf("%d polls", len(polls))
	}
	for _, p := range polls {
		get("/polls/" + p.ID + "/results.json")
		get("/polls/" + p.ID + "/results.csv")
	}
	get("/minutes")
	versions := get("/minutes/versions")
	if strings.Count(string(versions), `"version"`) != 2 {
		t.Fatalf("minutes versions: %s", versions)
	}
	sum := sha256.Sum256(n.call(token, "GET", "/meetings/"+mid+"/minutes.pdf", nil))
	got["minutes.pdf"] = hex.EncodeToString(sum[:])
	// The live state is rebuilt from the journal on a restarted server. Its
	// seq restarts above every seq reserved before (live.RestoreFromJournal),
	// so it is compared apart: never lower.
	st := decode[map[string]any](t, n.call(token, "GET", "/meetings/"+mid+"/state", nil))
	seq, _ := st["seq"].(float64)
	delete(st, "seq")
	delete(st, "time") // the server's clock when it answered
	// Page turns within a document are not journaled (live/restore.go): a
	// restarted server shows the document at the page it was opened on, the
	// same after a round trip as after a plain restart.
	if p, ok := st["presentation"].(map[string]any); ok {
		delete(p, "page")
	}
	b, _ := json.Marshal(st)
	got["state"] = string(b)
	got["seq"] = fmt.Sprint(seq)
	return got
}

func allObjects(t *testing.T, s storage.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	list, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, in := range list {
		if strings.HasPrefix(in.Key, "servers/") {
			continue
		}
		body, _, err := s.Get(ctx, in.Key, nil)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		io.Copy(h, body)
		body.Close()
		out[in.Key] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

func bucketName() string {
	var b [6]byte
	rand.Read(b[:])
	return "rt-" + hex.EncodeToString(b[:])
}

// A district's data directory goes to S3 with migrate, the bucket into an
// archive with backup, the archive into a fresh bucket with restore; a server
// on that bucket then serves the same meeting, documents, votes, journal (the
// live state and the minutes draft are assembled from it) and minutes
// versions, and every object is byte for byte the original.
func TestMigrateBackupRestoreRoundTrip(t *testing.T) {
	gw, err := s3test.Shared()
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	orig := startNode(t, "demo", "-data-dir", dataDir)
	token, mid := meetingRecord(t, orig)
	before := served(t, orig, token, mid)

	s3flags := func(prefix, bucket string) []string {
		return []string{"-" + prefix + "s3-endpoint", gw.Endpoint, "-" + prefix + "s3-access-key", gw.AccessKey,
			"-" + prefix + "s3-secret-key", gw.SecretKey, "-" + prefix + "s3-bucket", bucket}
	}
	ctx := context.Background()
	bucketA, bucketB := bucketName(), bucketName()
	state := filepath.Join(t.TempDir(), "migrate.state")
	migrate := append([]string{"migrate", "-data-dir", dataDir, "-state", state, "-log-level", "warn"}, s3flags("to-", bucketA)...)
	var out bytes.Buffer
	// Refused while the server writes to the data directory.
	if err := run(ctx, migrate, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("migrate while a server runs: %v", err)
	}
	orig.stop()
	original := allObjects(t, mustFS(t, dataDir))

	if err := run(ctx, migrate, &out, io.Discard); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	archive := filepath.Join(t.TempDir(), "phonghop.tar.gz")
	if err := run(ctx, append(append([]string{"backup", "-log-level", "warn"}, s3flags("", bucketA)...), archive), &out, io.Discard); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if err := run(ctx, append(append([]string{"restore", "-log-level", "warn"}, s3flags("", bucketB)...), archive), &out, io.Discard); err != nil {
		t.Fatalf("restore: %v", err)
	}
	t.Log(out.String())
	restored, err := s3store.New(ctx, gw.Config(bucketB))
	if err != nil {
		t.Fatal(err)
	}
	if got := allObjects(t, restored); !equalMaps(got, original) {
		t.Errorf("the restored bucket holds %d objects, the data directory %d, or bytes differ", len(got), len(original))
	}
	for _, kind := range []string{"/journal/", "/polls/", "/minutes/versions/", "/documents/", "/notes/"} {
		n := 0
		for k := range original {
			if strings.Contains(k, kind) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("the meeting left no %s objects: the round trip checked nothing of them", kind)
		}
	}

	again := startNode(t, "serve", s3flags("", bucketB)...)
	after := served(t, again, token, mid) // the session came along too
	var seqBefore, seqAfter float64
	fmt.Sscan(before["seq"], &seqBefore)
	fmt.Sscan(after["seq"], &seqAfter)
	if seqAfter < seqBefore || seqBefore == 0 {
		t.Errorf("seq %v on the restored store, %v before", seqAfter, seqBefore)
	}
	delete(before, "seq")
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s on the restored store:\n got %s\nwant %s", k, after[k], v)
		}
	}
	// A restore over it now is refused: the store is not empty and in use.
	if err := run(ctx, append(append([]string{"restore", "-log-level", "warn"}, s3flags("", bucketB)...), archive), &out, io.Discard); err == nil {
		t.Error("restore into a store a server uses")
	}
}

func mustFS(t *testing.T, dir string) *fsstore.Store {
	s, err := fsstore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestMain(m *testing.M) { s3test.Main(m) }
