package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/server"
	"github.com/phonghop/phonghop/storage"
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
		var e audit.Entry
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
		raws = append(raws, string(b))
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

	if r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "ghost", "password": "khong-dung-dau"}, "User-Agent", "Tablet/1"); r.status != 401 {
		t.Fatalf("failed sign-in: %d %s", r.status, r.body)
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

	accounts, _ := auditEntries(t, st, audit.Accounts)
	failed := withAction(accounts, "signin.failed")
	if len(failed) != 1 || failed[0].Username != "ghost" || failed[0].Address == "" || failed[0].Device != "Tablet/1" ||
		failed[0].Details["reason"] == "" || failed[0].Actor != "" {
		t.Fatalf("failed sign-in: %+v", failed)
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
