package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/consult"
	"github.com/phonghop/phonghop/internal/pdftest"
	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/minutes"
	"github.com/phonghop/phonghop/roster"
	"github.com/phonghop/phonghop/server"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
	"github.com/phonghop/phonghop/vote"
)

// faultStore passes through to a real store until down is set, then answers
// like a store that cannot be reached. Real stores cannot fail on demand.
type faultStore struct {
	storage.Store
	down atomic.Bool
	// stall makes reads wait until their caller gives up.
	stall atomic.Bool
	ops   atomic.Int64 // operations asked (but Delete)
}

func (f *faultStore) check() error {
	f.ops.Add(1)
	if f.down.Load() {
		return fmt.Errorf("dial tcp: connection refused: %w", storage.ErrUnavailable)
	}
	return nil
}

func (f *faultStore) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	if err := f.check(); err != nil {
		return storage.Info{}, err
	}
	return f.Store.Put(ctx, key, r, size, o)
}

func (f *faultStore) Get(ctx context.Context, key string, rng *storage.Range) (io.ReadCloser, storage.Info, error) {
	if f.stall.Load() {
		<-ctx.Done()
		return nil, storage.Info{}, ctx.Err()
	}
	if err := f.check(); err != nil {
		return nil, storage.Info{}, err
	}
	return f.Store.Get(ctx, key, rng)
}

func (f *faultStore) Stat(ctx context.Context, key string) (storage.Info, error) {
	if err := f.check(); err != nil {
		return storage.Info{}, err
	}
	return f.Store.Stat(ctx, key)
}

func (f *faultStore) List(ctx context.Context, prefix string) ([]storage.Info, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	return f.Store.List(ctx, prefix)
}

func (f *faultStore) Ping(ctx context.Context) error {
	if err := f.check(); err != nil {
		return err
	}
	return f.Store.Ping(ctx)
}

type attendance struct{ hub *live.Hub }

func (a attendance) Present(ctx context.Context, mid string) ([]string, error) {
	at, err := a.hub.Attendance(ctx, mid)
	return at.Present, err
}

// harness is a whole phonghop behind a real HTTP server, wired as cmd/phonghop
// wires it.
type harness struct {
	t     testing.TB
	store *faultStore
	acc   *accounts.Service
	mtg   *meetings.Service
	hub   *live.Hub
	srv   *httptest.Server
	// tokens of the seeded users by username
	tokens map[string]string
	users  map[string]phonghop.User
}

// Passwords of the harness's accounts (the policy refuses short, common ones
// and those containing the username).
const (
	adminPassword = "quan-tri-thu-nghiem"
	userPassword  = "mat-khau-thu-nghiem"
)

// harnessOption changes how newHarness wires the server.
type harnessOption func(*server.Config)

// withLog sends the server's log, every level, to w.
func withLog(w io.Writer) harnessOption {
	return func(c *server.Config) {
		c.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// withObserver records requests, errors and ballots in o.
func withObserver(o server.Observer) harnessOption {
	return func(c *server.Config) { c.Observer = o }
}

// withTrustedProxies believes X-Forwarded-For from these addresses.
func withTrustedProxies(proxies ...string) harnessOption {
	return func(c *server.Config) { c.TrustedProxies = proxies }
}

// withAllowedOrigins trusts these browser origins besides the server's own.
func withAllowedOrigins(origins ...string) harnessOption {
	return func(c *server.Config) { c.AllowedOrigins = origins }
}

func newHarness(t testing.TB, base storage.Store, opts ...harnessOption) *harness {
	t.Helper()
	if base == nil {
		st, err := fsstore.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		base = st
	}
	fs := &faultStore{Store: base}
	acc := &accounts.Service{Store: fs, BcryptCost: bcrypt.MinCost}
	mtg := &meetings.Service{Store: fs, Users: acc, DocumentLimit: 4 << 20}
	jr := &journal.Journal{Store: fs}
	broker := live.NewMemoryBroker(1024)
	broker.Restore, broker.Journal = live.RestoreFromJournal(jr), jr
	var wanted server.Config // what the options ask for, before the hub is made
	for _, o := range opts {
		o(&wanted)
	}
	var actions live.ActionRecorder
	if au, ok := wanted.Audit.(*audit.Service); ok {
		actions = au
	}
	hub := live.NewHub(live.Config{Broker: broker, Meetings: mtg, Journal: jr, ReturnAfterUpgrade: true, Actions: actions})
	mtg.Changes, mtg.Room, mtg.History = hub, hub, jr
	votes := &vote.Service{Store: fs, Meetings: mtg, Attendance: attendance{hub}, Publisher: hub, Room: hub}
	mtg.Polls, votes.Changes = votes, hub
	mins := &minutes.Service{Store: fs, Journal: jr, Meetings: mtg, Polls: votes}
	cfg := server.Config{Accounts: acc, Meetings: mtg, Notes: &meetings.Notes{Store: fs}, Live: hub,
		Votes: votes, Minutes: mins, Roster: &roster.Service{Accounts: acc, Meetings: mtg, History: jr, Logger: nil}, Ready: map[string]server.Pinger{"store": fs}, Logger: slog.New(slog.DiscardHandler),
		Consult: &consult.Service{Store: fs, Events: hub, Meetings: mtg}}
	for _, o := range opts {
		o(&cfg)
	}
	if au, ok := cfg.Audit.(*audit.Service); ok {
		// Wired as cmd/phonghop wires it: set-up changes and voters too.
		if au.Store == nil {
			au.Store = fs
		}
		ch := audit.ChangeRecorder{Next: hub, Audit: au}
		mtg.Changes, votes.Changes, votes.Voters = ch, ch, au
	}
	h := server.New(cfg)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		_ = hub.Shutdown(context.Background())
		srv.Close()
		// Turnout updates still scheduled write to the store.
		_ = votes.Flush(context.Background())
	})
	hs := &harness{t: t, store: fs, acc: acc, mtg: mtg, hub: hub, srv: srv, tokens: map[string]string{}, users: map[string]phonghop.User{}}
	ctx := context.Background()
	if _, _, err := acc.EnsureAdmin(ctx, adminPassword); err != nil {
		t.Fatal(err)
	}
	hs.login("admin", adminPassword)
	return hs
}

func (h *harness) login(username, password string) string {
	h.t.Helper()
	var out struct {
		Token string        `json:"token"`
		User  phonghop.User `json:"user"`
	}
	h.mustDo("POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": password}, 200, &out)
	h.tokens[username] = out.Token
	h.users[username] = out.User
	return out.Token
}

// user creates a user through the API and signs them in.
func (h *harness) user(username string) phonghop.User {
	h.t.Helper()
	h.mustDo("POST", "/api/v1/users", "admin", map[string]string{"username": username, "password": userPassword, "displayName": "Đại biểu " + username}, 201, nil)
	h.login(username, userPassword)
	return h.users[username]
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) errorCode() string {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code
}

// do sends a request as the named user ("" for nobody). body may be a []byte,
// a string (sent raw) or anything JSON-encodable.
func (h *harness) do(method, path, as string, body any, hdr ...string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if as != "" {
		req.Header.Set("Authorization", "Bearer "+h.tokens[as])
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

func (h *harness) mustDo(method, path, as string, body any, status int, out any) response {
	h.t.Helper()
	r := h.do(method, path, as, body)
	if r.status != status {
		h.t.Fatalf("%s %s as %q: status %d, want %d: %s", method, path, as, r.status, status, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			h.t.Fatalf("%s %s: decode: %v: %s", method, path, err, r.body)
		}
	}
	return r
}

func multipartBody(field, name string, data []byte) (string, []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, _ := w.CreateFormFile(field, name)
	_, _ = fw.Write(data)
	_ = w.Close()
	return w.FormDataContentType(), b.Bytes()
}

func (h *harness) upload(mid, as, name string, data []byte) response {
	h.t.Helper()
	ct, body := multipartBody("file", name, data)
	return h.do("POST", "/api/v1/meetings/"+mid+"/documents", as, body, "Content-Type", ct)
}

// meeting sets up a meeting with a chair, a secretary, n delegates and an
// outsider, one 5-page document and one agenda item presented by delegate 1.
type meetingFixture struct {
	id, doc, item string
	delegates     []string
}

func (h *harness) meeting(n int) meetingFixture {
	h.t.Helper()
	var m phonghop.Meeting
	h.mustDo("POST", "/api/v1/meetings", "admin", map[string]any{"title": "Hội nghị tổng kết CCHC năm 2023", "startsAt": "2024-01-12T08:00:00+07:00", "location": "Hội trường UBND huyện", "language": "vi"}, 201, &m)
	parts := []map[string]string{
		{"userId": h.user("chutich").ID, "role": "chair"},
		{"userId": h.user("thuky").ID, "role": "secretary"},
	}
	f := meetingFixture{id: m.ID}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("daibieu%02d", i)
		parts = append(parts, map[string]string{"userId": h.user(name).ID, "role": "delegate"})
		f.delegates = append(f.delegates, name)
	}
	h.user("outsider")
	h.mustDo("PUT", "/api/v1/meetings/"+m.ID+"/participants", "admin", parts, 200, nil)
	r := h.upload(m.ID, "thuky", "Báo cáo tổng kết.pdf", testPDF(5))
	if r.status != 201 {
		h.t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var doc phonghop.Document
	_ = json.Unmarshal(r.body, &doc)
	f.doc = doc.ID
	var it phonghop.AgendaItem
	presenter := ""
	if n > 0 {
		presenter = h.users["daibieu01"].ID
	}
	h.mustDo("POST", "/api/v1/meetings/"+m.ID+"/agenda", "thuky", map[string]any{"title": "Báo cáo tổng kết", "presenter": presenter, "durationMinutes": 30, "documentIds": []string{doc.ID}}, 201, &it)
	f.item = it.ID
	return f
}

// testPDF is a small PDF of the given pages (counted by the server's fallback).
func testPDF(pages int) []byte { return pdftest.NoXref(pages, 0) }
