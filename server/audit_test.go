package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/server"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
	"github.com/xuri/excelize/v2"
)

// withAudit keeps the audit trail in the harness's store.
func withAudit(au *audit.Service) harnessOption {
	return func(c *server.Config) { c.Audit = au }
}

// auditEntries reads a log's entries in order, and each one's stored bytes.
func auditEntries(t *testing.T, st storage.Store, log string) ([]audit.Entry, []string) {
	t.Helper()
	ctx := context.Background()
	infos, err := st.List(ctx, audit.Prefix+log+"/entries/")
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Entry
	var raws []string
	for _, in := range infos {
		rc, _, err := st.Get(ctx, in.Key, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		for _, line := range strings.Split(string(b), "\n") { // an object may hold several entries
			var e audit.Entry
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
			raws = append(raws, line)
		}
	}
	return out, raws
}

func withAction(es []audit.Entry, action string) []audit.Entry {
	var out []audit.Entry
	for _, e := range es {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// The trail of a meeting through the API: sign-ins (a failed one with the
// name tried and the address), set-up changes with who and what, a document
// opened once per reader however many ranges it loads, a secret poll opened
// and closed with its voters in one sorted entry and nothing that names a
// ballot; and the whole trail verifies.
func TestAuditTrail(t *testing.T) { forEachStore(t, testAuditTrail) }

func testAuditTrail(t *testing.T, st storage.Store) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	au := &audit.Service{Key: key, Logger: slog.New(slog.DiscardHandler)}
	h := newHarness(t, st, withAudit(au))
	ctx := context.Background()
	f := h.meeting(3)
	base := "/api/v1/meetings/" + f.id

	if r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "Mk-la-ten.2026", "password": "khong-dung-dau"}, "User-Agent", "Tablet/1"); r.status != 401 || r.errorCode() != "unauthenticated" {
		t.Fatalf("failed sign-in: %d %s", r.status, r.body)
	}
	if r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "daibieu01", "password": "khong-dung-dau"}, "User-Agent", "Tablet/1"); r.status != 401 {
		t.Fatalf("failed sign-in of a known account: %d %s", r.status, r.body)
	}

	// A reader loads the document by ranges: one opening. Another reader: another.
	content := base + "/documents/" + f.doc + "/content"
	for _, rng := range []string{"", "bytes=100-199", "bytes=0-99", "bytes=200-"} {
		hdr := []string{"User-Agent", "Tablet/1"}
		if rng != "" {
			hdr = append(hdr, "Range", rng)
		}
		if r := h.do("GET", content, "daibieu01", nil, hdr...); r.status != 200 && r.status != 206 {
			t.Fatalf("content %q: %d", rng, r.status)
		}
	}
	h.mustDo("GET", content, "daibieu02", nil, 200, nil)
	h.mustDo("HEAD", content, "daibieu03", nil, 200, nil)

	for _, d := range f.delegates {
		h.mustDo("POST", base+"/attendance", d, nil, 200, nil)
	}
	var p struct{ ID string }
	h.mustDo("POST", base+"/polls", "chutich", map[string]any{"agendaItemId": f.item, "title": "Bầu tổ kiểm phiếu", "secret": true}, 201, &p)
	h.mustDo("POST", base+"/polls/"+p.ID+"/open", "chutich", map[string]any{}, 200, nil)
	var receipts []string
	for i, d := range f.delegates[:2] {
		var rc struct{ Receipt string }
		h.mustDo("POST", base+"/polls/"+p.ID+"/ballots", d, map[string]int{"option": i}, 201, &rc)
		receipts = append(receipts, rc.Receipt)
	}
	h.mustDo("POST", base+"/polls/"+p.ID+"/close", "chutich", nil, 200, nil)
	ballots, err := st.List(ctx, "meetings/"+f.id+"/polls/"+p.ID+"/ballots/")
	if err != nil || len(ballots) != 2 {
		t.Fatalf("ballots: %v %v", ballots, err)
	}
	au.SignHeads(ctx)

	reports, err := audit.Verify(ctx, st, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reports {
		if !r.OK() || r.Signed != r.Entries {
			t.Fatalf("verify: %+v", r)
		}
	}

	accounts, accountRaws := auditEntries(t, st, audit.Accounts)
	failed := withAction(accounts, "signin.failed")
	// A name no account has is not kept (it is often a password typed into the
	// wrong field); a known account's name is.
	if len(failed) != 2 || failed[0].Username != "" || failed[0].Details["account"] != "unknown" || failed[0].Address == "" ||
		failed[0].Device != "Tablet/1" || failed[0].Details["reason"] == "" || failed[0].Actor != "" {
		t.Fatalf("failed sign-in: %+v", failed)
	}
	if failed[1].Username != "daibieu01" || failed[1].Details["account"] != "" || failed[1].Actor != "" {
		t.Fatalf("failed sign-in of a known account: %+v", failed[1])
	}
	for _, raw := range accountRaws {
		if strings.Contains(raw, "Mk-la-ten") {
			t.Fatalf("a password typed as a name is in the trail: %s", raw)
		}
	}
	signins := withAction(accounts, "signin")
	if len(signins) < 6 || signins[0].Username != "admin" || signins[0].Actor == "" {
		t.Fatalf("sign-ins: %+v", signins)
	}
	if len(withAction(accounts, "user.created")) != 6 {
		t.Fatalf("users created: %+v", withAction(accounts, "user.created"))
	}

	entries, raws := auditEntries(t, st, audit.MeetingLog(f.id))
	created := withAction(entries, "meeting.created")
	if len(created) != 1 || created[0].Actor != h.users["admin"].ID || entries[0].Action != "meeting.created" {
		t.Fatalf("meeting created: %+v", created)
	}
	set := withAction(entries, "participants.set")
	if len(set) != 1 || len(set[0].Changes) != 1 || set[0].Changes[0].Changes[h.users["chutich"].ID].To != "chair" {
		t.Fatalf("participants set: %+v", set)
	}
	opened := withAction(entries, "document.opened")
	if len(opened) != 2 || opened[0].Actor != h.users["daibieu01"].ID || opened[0].Device != "Tablet/1" ||
		opened[0].Target["documentId"] != f.doc || opened[1].Actor != h.users["daibieu02"].ID {
		t.Fatalf("document openings: %+v", opened)
	}
	if len(withAction(entries, "poll.opened")) != 1 || withAction(entries, "poll.closed")[0].Actor != h.users["chutich"].ID {
		t.Fatalf("poll opened/closed: %+v", entries)
	}
	voters := withAction(entries, "poll.voters")
	want := []string{h.users["daibieu01"].ID, h.users["daibieu02"].ID}
	slices.Sort(want)
	if len(voters) != 1 || voters[0].Details["voters"] != strings.Join(want, ",") || voters[0].Details["secret"] != "true" {
		t.Fatalf("voters: %+v (want %v)", voters, want)
	}
	// Nothing else joins a voter to the poll, and nothing names a ballot.
	for i, e := range entries {
		if strings.Contains(e.Action, "ballot") || (e.Target["pollId"] == p.ID && e.Action != "poll.voters" && e.Actor != h.users["chutich"].ID) {
			t.Errorf("entry about a ballot: %+v", e)
		}
		for _, b := range ballots {
			if strings.Contains(raws[i], strings.TrimSuffix(path.Base(b.Key), ".json")) {
				t.Errorf("entry carries a ballot key: %s", raws[i])
			}
		}
		for _, rc := range receipts {
			if strings.Contains(raws[i], rc) {
				t.Errorf("entry carries a receipt: %s", raws[i])
			}
		}
		if strings.Contains(raws[i], `"option"`) {
			t.Errorf("entry carries an option: %s", raws[i])
		}
	}
}

// The admin's audit screen and exports: admins only (a chair is refused),
// filtered by who, action and time, paged newest first, and the CSV and
// .xlsx carry the same entries (a hostile username defused in the CSV, a
// string cell in the workbook); a tampered entry shows in the verify answer.
func TestAuditSearchAndExport(t *testing.T) {
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	au := &audit.Service{Key: key, Logger: slog.New(slog.DiscardHandler)}
	h := newHarness(t, st, withAudit(au))
	f := h.meeting(2)
	content := "/api/v1/meetings/" + f.id + "/documents/" + f.doc + "/content"
	h.mustDo("GET", content, "daibieu01", nil, 200, nil)
	h.mustDo("GET", content, "daibieu02", nil, 200, nil)
	h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "nobody", "password": "khong-dung-dau"}, "User-Agent", `=HYPERLINK("http://x")`)

	for _, who := range []string{"chutich", "daibieu01"} {
		if r := h.do("GET", "/api/v1/audit?meeting="+f.id, who, nil); r.status != 403 || r.errorCode() != "forbidden" {
			t.Fatalf("audit as %s: %d %s", who, r.status, r.body)
		}
		if r := h.do("GET", "/api/v1/audit.csv?meeting="+f.id, who, nil); r.status != 403 {
			t.Fatalf("audit.csv as %s: %d", who, r.status)
		}
	}
	if r := h.do("GET", "/api/v1/audit.xlsx", "", nil); r.status != 401 {
		t.Fatalf("audit.xlsx signed out: %d", r.status)
	}
	for _, q := range []string{"log=meetings/../x", "log=other", "from=yesterday", "limit=0", "limit=501", "before=-1"} {
		if r := h.do("GET", "/api/v1/audit?"+q, "admin", nil); r.status != 400 {
			t.Fatalf("audit?%s: %d %s", q, r.status, r.body)
		}
	}

	var page audit.Page
	h.mustDo("GET", "/api/v1/audit?meeting="+f.id+"&action=document.opened", "admin", nil, 200, &page)
	if page.Matched != 2 || len(page.Items) != 2 || page.Items[0].Actor != h.users["daibieu02"].ID ||
		page.Items[1].Actor != h.users["daibieu01"].ID || page.Entries < 4 || page.Log != audit.MeetingLog(f.id) {
		t.Fatalf("openings: %+v", page)
	}
	h.mustDo("GET", "/api/v1/audit?log=meetings/"+f.id+"&action=document&who=BIEU01", "admin", nil, 200, &page)
	if page.Matched != 1 || page.Items[0].Username != "daibieu01" {
		t.Fatalf("who=BIEU01: %+v", page)
	}
	// Pages of one, newest first, until there is no next page.
	var seqs []uint64
	before := ""
	for range 20 {
		page = audit.Page{}
		h.mustDo("GET", "/api/v1/audit?meeting="+f.id+"&limit=1"+before, "admin", nil, 200, &page)
		if len(page.Items) != 1 {
			t.Fatalf("page: %+v", page)
		}
		seqs = append(seqs, page.Items[0].Seq)
		if page.Before == 0 {
			break
		}
		before = fmt.Sprintf("&before=%d", page.Before)
	}
	if uint64(len(seqs)) != page.Entries || seqs[0] != page.Entries || seqs[len(seqs)-1] != 1 {
		t.Fatalf("paged seqs %v of %d", seqs, page.Entries)
	}
	// A time range: everything is now, nothing an hour ago.
	from := url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339))
	to := url.QueryEscape(time.Now().Add(-time.Minute).Format(time.RFC3339))
	h.mustDo("GET", "/api/v1/audit?meeting="+f.id+"&from="+from+"&to="+to, "admin", nil, 200, &page)
	if page.Matched != 0 {
		t.Fatalf("an hour ago: %+v", page)
	}
	h.mustDo("GET", "/api/v1/audit?meeting="+f.id+"&from="+from, "admin", nil, 200, &page)
	if uint64(page.Matched) != page.Entries {
		t.Fatalf("since an hour ago: %+v", page)
	}

	// CSV: the header, then the same openings, oldest first.
	r := h.mustDo("GET", "/api/v1/audit.csv?meeting="+f.id+"&action=document.opened&lang=en", "admin", nil, 200, nil)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.Contains(r.header.Get("Content-Disposition"), ".csv") {
		t.Fatalf("csv headers: %v", r.header)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "Seq" || rows[0][2] != "Action" || rows[1][2] != "document.opened" ||
		rows[1][3] != "daibieu01" || rows[2][3] != "daibieu02" || !strings.Contains(rows[1][6], "documentId="+f.doc) {
		t.Fatalf("csv rows: %q", rows)
	}
	if _, err := time.Parse(time.RFC3339, rows[1][1]); err != nil || !strings.HasSuffix(rows[1][1], "+07:00") {
		t.Fatalf("csv time %q: %v", rows[1][1], err)
	}
	r = h.mustDo("GET", "/api/v1/audit.csv?action=signin.failed", "admin", nil, 200, nil)
	rows, _ = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\ufeff")))).ReadAll()
	if len(rows) != 2 || rows[0][0] != "STT" || rows[1][8] != `'=HYPERLINK("http://x")` || rows[1][3] != "" {
		t.Fatalf("failed sign-in csv: %q", rows)
	}

	// .xlsx: the same rows in a workbook.
	r = h.mustDo("GET", "/api/v1/audit.xlsx?meeting="+f.id+"&action=document.opened", "admin", nil, 200, nil)
	wb, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	xrows, err := wb.GetRows(wb.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	if len(xrows) != 3 || xrows[0][0] != "STT" || xrows[1][2] != "document.opened" || xrows[2][3] != "daibieu02" {
		t.Fatalf("xlsx rows: %q", xrows)
	}
	r = h.mustDo("GET", "/api/v1/audit.xlsx?action=signin.failed", "admin", nil, 200, nil)
	wb, _ = excelize.OpenReader(bytes.NewReader(r.body))
	sheet := wb.GetSheetName(0)
	if v, _ := wb.GetCellValue(sheet, "I2"); v != `=HYPERLINK("http://x")` {
		t.Fatalf("xlsx device %q", v)
	}
	if fm, _ := wb.GetCellFormula(sheet, "I2"); fm != "" {
		t.Fatalf("xlsx device became a formula: %q", fm)
	}
	// The exports themselves are recorded.
	h.mustDo("GET", "/api/v1/audit?action=audit.exported", "admin", nil, 200, &page)
	if page.Matched != 4 || page.Items[0].Username != "admin" || page.Items[0].Details["query"] != "action=signin.failed" {
		t.Fatalf("exports recorded: %+v", page)
	}

	// Verify: whole and signed, then an entry changed.
	au.SignHeads(context.Background())
	var rep audit.Report
	h.mustDo("GET", "/api/v1/audit/verify?meeting="+f.id, "admin", nil, 200, &rep)
	if !rep.OK() || rep.Entries == 0 || rep.Signed != rep.Entries {
		t.Fatalf("verify: %+v", rep)
	}
	k := audit.EntryKey(audit.MeetingLog(f.id), 2)
	_, raws := auditEntries(t, st, audit.MeetingLog(f.id))
	b := []byte(strings.Replace(raws[1], `"seq":2`, `"seq":2,"x":1`, 1))
	if _, err := st.Put(context.Background(), k, bytes.NewReader(b), int64(len(b)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	h.mustDo("GET", "/api/v1/audit/verify?meeting="+f.id, "admin", nil, 200, &rep)
	if rep.OK() {
		t.Fatalf("verify after a change: %+v", rep)
	}
}

// What the chair and the secretary do over the live socket (the web app's
// usual path) is in the trail as it is over REST: opening and closing the
// meeting, attendance marked on someone's behalf with its reason, a notice.
func TestAuditRoomActionsOverTheSocket(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	au := &audit.Service{Key: key, Logger: slog.New(slog.DiscardHandler)}
	h := newHarness(t, nil, withAudit(au))
	f := h.meeting(2)
	chair := h.socket(f.id, "chutich")
	secretary := h.socket(f.id, "thuky")
	send := func(conn *websocket.Conn, msg map[string]any) {
		t.Helper()
		if err := conn.WriteJSON(msg); err != nil {
			t.Fatal(err)
		}
	}
	// The entries with these actions, once all are there.
	entries := func(want ...string) []audit.Entry {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			es, _ := auditEntries(t, h.store, audit.MeetingLog(f.id))
			var got []audit.Entry
			for _, e := range es {
				if slices.Contains(want, e.Action) {
					got = append(got, e)
				}
			}
			if len(got) == len(want) {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("room actions in the trail: %+v, want %v", got, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	send(chair, map[string]any{"type": "openMeeting"})
	entries("meeting.opened")
	send(secretary, map[string]any{"type": "markAttendance", "userId": h.users[f.delegates[0]].ID, "present": true, "reason": "không có máy tính bảng"})
	send(chair, map[string]any{"type": "sendNotice", "text": "Giải lao 15 phút"})
	entries("meeting.opened", "attendance.marked", "notice.sent")
	h.mustDo("POST", "/api/v1/meetings/"+f.id+"/session", "chutich", map[string]string{"action": "close"}, 200, nil)
	got := entries("meeting.opened", "attendance.marked", "notice.sent", "meeting.closed")
	for _, e := range got {
		switch e.Action {
		case "meeting.opened", "meeting.closed", "notice.sent":
			if e.Actor != h.users["chutich"].ID || e.Address == "" {
				t.Fatalf("%s: %+v", e.Action, e)
			}
		case "attendance.marked":
			if e.Actor != h.users["thuky"].ID || e.Target["userId"] != h.users[f.delegates[0]].ID ||
				e.Details["present"] != "true" || e.Details["reason"] != "không có máy tính bảng" {
				t.Fatalf("attendance.marked: %+v", e)
			}
		}
	}
	if es, _ := auditEntries(t, h.store, audit.MeetingLog(f.id)); len(withAction(es, "session")) != 0 {
		t.Fatal("the REST close is recorded under the route's generic name")
	}
}
