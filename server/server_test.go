package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/internal/pdftest"
	"github.com/phonghop/phonghop/storage"
)

func TestAuth(t *testing.T) {
	h := newHarness(t, nil)
	r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "nope"})
	if r.status != 401 || r.errorCode() != "unauthenticated" {
		t.Fatalf("wrong password: %d %s", r.status, r.body)
	}
	if r := h.do("GET", "/api/v1/me", "", nil); r.status != 401 || r.errorCode() != "unauthenticated" {
		t.Fatalf("no token: %d %s", r.status, r.body)
	}
	// The cookie works as well as the bearer token.
	resp, err := http.Post(h.srv.URL+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"`+adminPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "phonghop_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v", cookie)
	}
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/me", nil)
	req.AddCookie(cookie)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("me by cookie: %v %v", err, resp.StatusCode)
	}
	resp.Body.Close()

	var me phonghop.User
	h.mustDo("GET", "/api/v1/me", "admin", nil, 200, &me)
	if me.Username != "admin" || !me.Admin {
		t.Fatalf("me = %+v", me)
	}
	h.mustDo("POST", "/api/v1/auth/logout", "admin", nil, 204, nil)
	if r := h.do("GET", "/api/v1/me", "admin", nil); r.status != 401 {
		t.Fatalf("token after logout: %d", r.status)
	}
}

func TestUsers(t *testing.T) {
	h := newHarness(t, nil)
	h.user("daibieu01")
	r := h.do("POST", "/api/v1/users", "admin", map[string]string{"username": "daibieu01", "password": userPassword})
	if r.status != 409 || r.errorCode() != "conflict" {
		t.Fatalf("taken username: %d %s", r.status, r.body)
	}
	if r := h.do("GET", "/api/v1/users", "daibieu01", nil); r.status != 403 {
		t.Fatalf("non-admin lists users: %d", r.status)
	}
	var us []phonghop.User
	h.mustDo("GET", "/api/v1/users", "admin", nil, 200, &us)
	if len(us) != 2 {
		t.Fatalf("users = %v", us)
	}
	if strings.Contains(string(h.do("GET", "/api/v1/users", "admin", nil).body), "passwordHash") {
		t.Fatal("password hashes leak")
	}
}

func TestMeetingAccess(t *testing.T) { forEachStore(t, testMeetingAccess) }

func testMeetingAccess(t *testing.T, st storage.Store) {
	h := newHarness(t, st)
	f := h.meeting(2)
	base := "/api/v1/meetings/" + f.id
	var m phonghop.Meeting
	h.mustDo("GET", base, "daibieu01", nil, 200, &m)
	if len(m.Participants) != 4 || len(m.Agenda) != 1 || len(m.Documents) != 1 || m.Documents[0].Pages != 5 {
		t.Fatalf("meeting = %+v", m)
	}
	if r := h.do("GET", base, "outsider", nil); r.status != 404 || r.errorCode() != "not_found" {
		t.Fatalf("outsider: %d %s", r.status, r.body)
	}
	var list []phonghop.Meeting
	h.mustDo("GET", "/api/v1/meetings", "outsider", nil, 200, &list)
	if len(list) != 0 {
		t.Fatalf("outsider lists %d", len(list))
	}
	h.mustDo("GET", "/api/v1/meetings", "daibieu02", nil, 200, &list)
	if len(list) != 1 {
		t.Fatalf("delegate lists %d", len(list))
	}
	if r := h.do("PUT", base+"/participants", "daibieu01", []any{}); r.status != 403 {
		t.Fatalf("delegate sets participants: %d", r.status)
	}
	if r := h.do("POST", base+"/agenda", "daibieu01", map[string]any{"title": "x"}); r.status != 403 {
		t.Fatalf("delegate adds agenda: %d", r.status)
	}
	if r := h.upload(f.id, "daibieu01", "a.pdf", testPDF(1)); r.status != 403 {
		t.Fatalf("delegate uploads: %d", r.status)
	}
	if r := h.do("POST", "/api/v1/meetings", "chutich", map[string]any{"title": "x"}); r.status != 403 {
		t.Fatalf("non-admin creates meeting: %d", r.status)
	}
}

func TestBadInput(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(1)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"malformed JSON", "POST", "/api/v1/meetings", `{"title":`, 400, "invalid_argument"},
		{"trailing garbage", "POST", "/api/v1/meetings", `{"title":"x"} {}`, 400, "invalid_argument"},
		{"wrong type", "POST", "/api/v1/meetings", `{"title":42}`, 400, "invalid_argument"},
		{"wrong time", "POST", "/api/v1/meetings", `{"title":"x","startsAt":"tomorrow"}`, 400, "invalid_argument"},
		{"empty title", "POST", "/api/v1/meetings", `{"title":""}`, 400, "invalid_argument"},
		{"huge title", "POST", "/api/v1/meetings", `{"title":"` + strings.Repeat("ệ", 600) + `"}`, 400, "invalid_argument"},
		{"huge body", "POST", "/api/v1/meetings", `{"title":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "payload_too_large"},
		{"dotdot id", "GET", "/api/v1/meetings/..%2F..%2Fusers", nil, 404, "not_found"},
		{"encoded dots", "GET", "/api/v1/meetings/%2e%2e", nil, 404, "not_found"},
		{"backslash", "GET", "/api/v1/meetings/a%5Cb", nil, 404, "not_found"},
		{"nul", "GET", "/api/v1/meetings/a%00b", nil, 404, "not_found"},
		{"10 KB id", "GET", "/api/v1/meetings/" + strings.Repeat("a", 10240), nil, 404, "not_found"},
		{"document dotdot", "GET", "/api/v1/meetings/" + f.id + "/documents/..%2Fmeeting.json/content", nil, 404, "not_found"},
		{"unknown endpoint", "GET", "/api/v1/nothing", nil, 404, "not_found"},
		{"agenda bad duration", "POST", "/api/v1/meetings/" + f.id + "/agenda", `{"title":"x","durationMinutes":"ten"}`, 400, "invalid_argument"},
		{"participants not a list", "PUT", "/api/v1/meetings/" + f.id + "/participants", `{"userId":"x"}`, 400, "invalid_argument"},
	}
	for _, c := range cases {
		r := h.do(c.method, c.path, "admin", c.body)
		if r.status != c.status || r.errorCode() != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.status, r.body[:min(len(r.body), 200)], c.status, c.code)
		}
	}
}

func TestDocuments(t *testing.T) { forEachStore(t, testDocuments) }

func testDocuments(t *testing.T, st storage.Store) {
	h := newHarness(t, st)
	f := h.meeting(1)
	base := "/api/v1/meetings/" + f.id + "/documents/"
	if r := h.upload(f.id, "thuky", "virus.pdf", []byte("MZ\x90\x00 not a pdf at all")); r.status != 415 || r.errorCode() != "unsupported_media_type" {
		t.Fatalf("non-PDF: %d %s", r.status, r.body)
	}
	big := append(testPDF(1), bytes.Repeat([]byte{' '}, 5<<20)...)
	if r := h.upload(f.id, "thuky", "big.pdf", big); r.status != 413 || r.errorCode() != "payload_too_large" {
		t.Fatalf("too large: %d %s", r.status, r.body)
	}
	ct, body := multipartBody("file", "cut.pdf", testPDF(3))
	if r := h.do("POST", "/api/v1/meetings/"+f.id+"/documents", "thuky", body[:len(body)-50], "Content-Type", ct); r.status != 400 {
		t.Fatalf("truncated multipart: %d %s", r.status, r.body)
	}
	if r := h.do("POST", "/api/v1/meetings/"+f.id+"/documents", "thuky", body, "Content-Type", "application/pdf"); r.status != 400 {
		t.Fatalf("not multipart: %d %s", r.status, r.body)
	}
	var m phonghop.Meeting
	h.mustDo("GET", "/api/v1/meetings/"+f.id, "thuky", nil, 200, &m)
	if len(m.Documents) != 1 {
		t.Fatalf("failed uploads were recorded: %d documents", len(m.Documents))
	}
	infos, _ := h.store.List(t.Context(), "meetings/"+f.id+"/documents/")
	if len(infos) != 1 {
		t.Fatalf("failed uploads left %d objects", len(infos))
	}

	want := testPDF(5)
	full := h.do("GET", base+f.doc+"/content", "daibieu01", nil)
	if full.status != 200 || !bytes.Equal(full.body, want) || full.header.Get("Accept-Ranges") != "bytes" || full.header.Get("ETag") == "" {
		t.Fatalf("download: %d %v", full.status, full.header)
	}
	etag := full.header.Get("ETag")
	if r := h.do("GET", base+f.doc+"/content", "daibieu01", nil, "If-None-Match", etag); r.status != 304 {
		t.Fatalf("If-None-Match: %d", r.status)
	}
	r := h.do("GET", base+f.doc+"/content", "daibieu01", nil, "Range", "bytes=5-14")
	if r.status != 206 || !bytes.Equal(r.body, want[5:15]) || r.header.Get("Content-Range") != "bytes 5-14/"+itoa(len(want)) {
		t.Fatalf("range: %d %q %v", r.status, r.body, r.header.Get("Content-Range"))
	}
	r = h.do("GET", base+f.doc+"/content", "daibieu01", nil, "Range", "bytes=-6")
	if r.status != 206 || !bytes.Equal(r.body, want[len(want)-6:]) {
		t.Fatalf("suffix range: %d %q", r.status, r.body)
	}
	if r := h.do("GET", base+f.doc+"/content", "daibieu01", nil, "Range", "bytes=999999-"); r.status != 416 {
		t.Fatalf("unsatisfiable: %d", r.status)
	}
	if r := h.do("GET", base+f.doc+"/content", "outsider", nil); r.status != 404 {
		t.Fatalf("outsider download: %d", r.status)
	}

	// A scan gets a page index: ?view=1 serves it appended to the document,
	// with its own size, ETag and ranges; the plain content stays the upload.
	scan := pdftest.Scanned(40, 8000, false, "")
	up := h.upload(f.id, "thuky", "scan.pdf", scan)
	var sd phonghop.Document
	if err := json.Unmarshal(up.body, &sd); up.status != 201 || err != nil || sd.ViewSHA256 == "" || sd.Size != int64(len(scan)) {
		t.Fatalf("upload of a scan: %d %s", up.status, up.body)
	}
	if r := h.do("GET", base+sd.ID+"/content", "daibieu01", nil); r.status != 200 || !bytes.Equal(r.body, scan) {
		t.Fatalf("plain content of the scan: %d, %d bytes", r.status, len(r.body))
	}
	v := h.do("GET", base+sd.ID+"/content?view=1", "daibieu01", nil)
	if v.status != 200 || int64(len(v.body)) != sd.ViewSize || !bytes.HasPrefix(v.body, scan) || v.header.Get("ETag") != `"`+sd.ViewSHA256+`"` {
		t.Fatalf("view: %d, %d bytes, ETag %s", v.status, len(v.body), v.header.Get("ETag"))
	}
	n := len(scan)
	r = h.do("GET", base+sd.ID+"/content?view=1", "daibieu01", nil, "Range", fmt.Sprintf("bytes=%d-%d", n-5, n+4))
	if r.status != 206 || !bytes.Equal(r.body, v.body[n-5:n+5]) || r.header.Get("Content-Range") != fmt.Sprintf("bytes %d-%d/%d", n-5, n+4, sd.ViewSize) {
		t.Fatalf("range across the seam: %d %v", r.status, r.header.Get("Content-Range"))
	}
	if r := h.do("GET", base+sd.ID+"/content?view=1", "daibieu01", nil, "If-None-Match", v.header.Get("ETag")); r.status != 304 {
		t.Fatalf("view If-None-Match: %d", r.status)
	}
	if r := h.do("GET", base+sd.ID+"/content?view=1", "daibieu01", nil, "Range", fmt.Sprintf("bytes=%d-", sd.ViewSize)); r.status != 416 {
		t.Fatalf("view range past the end: %d", r.status)
	}
	// A document without an index: ?view=1 is the document.
	if r := h.do("GET", base+f.doc+"/content?view=1", "daibieu01", nil); r.status != 200 || !bytes.Equal(r.body, want) || r.header.Get("ETag") != etag {
		t.Fatalf("view of a document without an index: %d", r.status)
	}
}

func itoa(n int) string { return strings.TrimSpace(strings.Replace(string(mustJSON(n)), "\"", "", -1)) }

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func TestStoreDownIs503(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(1)
	h.store.down.Store(true)
	r := h.do("GET", "/api/v1/meetings/"+f.id, "daibieu01", nil)
	if r.status != 503 || r.errorCode() != "unavailable" || strings.Contains(string(r.body), "refused") {
		t.Fatalf("store down: %d %s", r.status, r.body)
	}
	if r := h.do("GET", "/readyz", "", nil); r.status != 503 {
		t.Fatalf("readyz while down: %d", r.status)
	}
	if r := h.do("GET", "/healthz", "", nil); r.status != 200 {
		t.Fatalf("healthz while down: %d", r.status)
	}
	h.store.down.Store(false)
	if r := h.do("GET", "/readyz", "", nil); r.status != 200 {
		t.Fatalf("readyz after: %d", r.status)
	}
	h.mustDo("GET", "/api/v1/meetings/"+f.id, "daibieu01", nil, 200, nil)
}

func TestTwoAdminsEditTheAgendaAtOnce(t *testing.T) {
	forEachStore(t, testTwoAdminsEditTheAgendaAtOnce)
}

func testTwoAdminsEditTheAgendaAtOnce(t *testing.T, st storage.Store) {
	h := newHarness(t, st)
	f := h.meeting(0)
	h.login("admin", adminPassword)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := h.do("POST", "/api/v1/meetings/"+f.id+"/agenda", "admin", map[string]any{"title": "Mục " + itoa(i)})
			if r.status != 201 {
				t.Errorf("add: %d %s", r.status, r.body)
			}
		}(i)
	}
	wg.Wait()
	var m phonghop.Meeting
	h.mustDo("GET", "/api/v1/meetings/"+f.id, "admin", nil, 200, &m)
	if len(m.Agenda) != 11 {
		t.Fatalf("agenda has %d items, want 11", len(m.Agenda))
	}
}

func wsURL(h *harness, mid string) string {
	return "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/api/v1/meetings/" + mid + "/live"
}

func TestLiveRoomThroughTheServer(t *testing.T) { forEachStore(t, testLiveRoomThroughTheServer) }

func testLiveRoomThroughTheServer(t *testing.T, st storage.Store) {
	h := newHarness(t, st)
	f := h.meeting(2)
	_, resp, err := websocket.DefaultDialer.Dial(wsURL(h, f.id), nil)
	if err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("no credentials: %v %v", err, resp)
	}
	_, resp, err = websocket.DefaultDialer.Dial(wsURL(h, f.id), http.Header{"Authorization": {"Bearer " + h.tokens["outsider"]}})
	if err == nil || resp.StatusCode != 404 {
		t.Fatalf("outsider: %v %v", err, resp)
	}
	_, resp, err = websocket.DefaultDialer.Dial(wsURL(h, f.id), http.Header{"Authorization": {"Bearer " + h.tokens["daibieu02"]}, "Origin": {"https://evil.example"}})
	if err == nil || resp.StatusCode != 403 {
		t.Fatalf("foreign origin: %v %v", err, resp)
	}
	conn, _, err := websocket.DefaultDialer.Dial(wsURL(h, f.id), http.Header{"Authorization": {"Bearer " + h.tokens["daibieu02"]}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var snap struct {
		Type string `json:"type"`
		Seq  uint64 `json:"seq"`
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := conn.ReadJSON(&snap); err != nil || snap.Type != "snapshot" {
		t.Fatalf("first frame: %v %+v", err, snap)
	}
	var seq struct{ Seq uint64 }
	h.mustDo("PUT", "/api/v1/meetings/"+f.id+"/presentation", "chutich", map[string]any{"agendaItemId": f.item, "documentId": f.doc, "page": 3}, 200, &seq)
	var ev struct {
		Type         string `json:"type"`
		Seq          uint64 `json:"seq"`
		Presentation struct {
			Page int `json:"page"`
		} `json:"presentation"`
	}
	if err := conn.ReadJSON(&ev); err != nil || ev.Type != "presentation" || ev.Presentation.Page != 3 || ev.Seq != seq.Seq {
		t.Fatalf("presentation: %v %+v (REST seq %d)", err, ev, seq.Seq)
	}
	if r := h.do("PUT", "/api/v1/meetings/"+f.id+"/presentation", "daibieu02", map[string]any{"agendaItemId": f.item, "documentId": f.doc, "page": 4}); r.status != 403 {
		t.Fatalf("delegate presents: %d %s", r.status, r.body)
	}
	// The item's presenter may turn pages of that item.
	h.mustDo("PUT", "/api/v1/meetings/"+f.id+"/presentation", "daibieu01", map[string]any{"agendaItemId": f.item, "documentId": f.doc, "page": 4}, 200, nil)
	var state struct {
		Seq          uint64
		Presentation struct{ Page int } `json:"presentation"`
	}
	h.mustDo("GET", "/api/v1/meetings/"+f.id+"/state", "daibieu02", nil, 200, &state)
	if state.Presentation.Page != 4 || state.Seq <= seq.Seq {
		t.Fatalf("state = %+v", state)
	}
	// Logout closes the session's sockets at once.
	h.mustDo("POST", "/api/v1/auth/logout", "daibieu02", nil, 204, nil)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			if ce, ok := err.(*websocket.CloseError); !ok || ce.Code == websocket.CloseAbnormalClosure {
				t.Fatalf("after logout: %v", err)
			}
			break
		}
	}
}

func TestPatchMeetingKeepsOmittedFields(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(0)
	var m phonghop.Meeting
	h.mustDo("PATCH", "/api/v1/meetings/"+f.id, "admin", map[string]any{"organization": "ỦY BAN NHÂN DÂN HUYỆN TÂN PHÚ"}, 200, &m)
	h.mustDo("PATCH", "/api/v1/meetings/"+f.id, "admin", map[string]any{"location": "Phòng họp số 2"}, 200, &m)
	if m.Organization != "ỦY BAN NHÂN DÂN HUYỆN TÂN PHÚ" || m.Location != "Phòng họp số 2" || m.Title != "Hội nghị tổng kết CCHC năm 2023" {
		t.Fatalf("meeting = %+v", m)
	}
	if r := h.do("PUT", "/api/v1/meetings/"+f.id+"/agenda/"+f.item, "admin", map[string]any{"title": "x", "presenter": "nobody"}); r.status != 400 {
		t.Fatalf("agenda update with a stranger presenting: %d", r.status)
	}
	if r := h.do("HEAD", "/api/v1/meetings/"+f.id+"/documents/"+f.doc+"/content", "thuky", nil); r.status != 200 || r.header.Get("Content-Length") == "" || len(r.body) != 0 {
		t.Fatalf("HEAD: %d %v", r.status, r.header)
	}
}

// The minutes' heading (place name, superior body, number) is kept by POST and
// PATCH like the other fields, and bounded.
func TestMeetingHeadingFields(t *testing.T) {
	h := newHarness(t, nil)
	var m phonghop.Meeting
	h.mustDo("POST", "/api/v1/meetings", "admin", map[string]any{"title": "Phiên họp thường kỳ", "startsAt": "2024-01-12T08:00:00+07:00",
		"location": "Hội trường UBND huyện", "placeName": "Tháp Mười", "organization": "Ủy ban nhân dân huyện Tháp Mười",
		"parentOrganization": "Ủy ban nhân dân tỉnh Đồng Tháp", "documentNumber": "05/BB-UBND"}, 201, &m)
	if m.PlaceName != "Tháp Mười" || m.ParentOrganization != "Ủy ban nhân dân tỉnh Đồng Tháp" || m.DocumentNumber != "05/BB-UBND" {
		t.Fatalf("created = %+v", m)
	}
	h.mustDo("PATCH", "/api/v1/meetings/"+m.ID, "admin", map[string]any{"documentNumber": "06/BB-UBND"}, 200, &m)
	if m.PlaceName != "Tháp Mười" || m.DocumentNumber != "06/BB-UBND" || m.Location != "Hội trường UBND huyện" {
		t.Fatalf("patched = %+v", m)
	}
	for field, v := range map[string]string{"placeName": strings.Repeat("x", 101), "documentNumber": strings.Repeat("1", 51), "parentOrganization": strings.Repeat("x", 301)} {
		r := h.do("PATCH", "/api/v1/meetings/"+m.ID, "admin", map[string]any{field: v})
		if r.status != 400 || !strings.Contains(string(r.body), `"field":"`+field+`"`) {
			t.Errorf("%s too long: %d %s", field, r.status, r.body)
		}
	}
}
