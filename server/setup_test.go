package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/roster"
	"github.com/phonghop/phonghop/storage"
)

// journaledChange is a set-up change as the journal keeps it.
type journaledChange struct {
	phonghop.Change
	By string
}

// setupEntries returns the meeting's journaled set-up changes.
func (h *harness) setupEntries(mid string) []journaledChange {
	h.t.Helper()
	entries, err := (&journal.Journal{Store: h.store}).Entries(context.Background(), mid)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []journaledChange
	for _, e := range entries {
		if e.Type != "setup" {
			continue
		}
		var c phonghop.Change
		if err := json.Unmarshal(e.Data, &c); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, journaledChange{c, e.By})
	}
	return out
}

// lastChange is the newest journaled set-up change with the action, and who
// made it.
func (h *harness) lastChange(mid, action string) (phonghop.Change, string) {
	h.t.Helper()
	cs := h.setupEntries(mid)
	for i := len(cs) - 1; i >= 0; i-- {
		if cs[i].Action == action {
			return cs[i].Change, cs[i].By
		}
	}
	h.t.Fatalf("no %q in the journal: %+v", action, cs)
	return phonghop.Change{}, ""
}

// An admin edits a user's profile; meetings not yet held show the new name,
// position and unit, meetings held keep what they were; the change is in the
// journal of the meetings it reached.
func TestEditUserProfile(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(1) // held in 2024
	var upcoming phonghop.Meeting
	h.mustDo("POST", "/api/v1/meetings", "admin", map[string]any{"title": "Kỳ họp tới", "startsAt": "2099-01-01T08:00:00+07:00"}, 201, &upcoming)
	uid := h.users["daibieu01"].ID
	h.mustDo("PUT", "/api/v1/meetings/"+upcoming.ID+"/participants", "admin", []map[string]string{{"userId": uid, "role": "delegate"}}, 200, nil)

	var u phonghop.User
	h.mustDo("PATCH", "/api/v1/users/"+uid, "admin", map[string]any{"displayName": " Lê Văn Cường ", "position": "Phó Chủ tịch UBND xã", "unit": "UBND xã Mỹ An", "phone": "0912 345 678", "email": "cuong@myan.gov.vn"}, 200, &u)
	if u.DisplayName != "Lê Văn Cường" || u.Position != "Phó Chủ tịch UBND xã" || u.Unit != "UBND xã Mỹ An" || u.Phone != "0912 345 678" || u.Email != "cuong@myan.gov.vn" || u.Username != "daibieu01" {
		t.Fatalf("user = %+v", u)
	}
	// Fields left out keep their values.
	u = phonghop.User{}
	h.mustDo("PATCH", "/api/v1/users/"+uid, "admin", map[string]any{"phone": ""}, 200, &u)
	if u.Phone != "" || u.Email != "cuong@myan.gov.vn" || u.Position != "Phó Chủ tịch UBND xã" {
		t.Fatalf("user after clearing the phone = %+v", u)
	}
	var me phonghop.User
	h.mustDo("GET", "/api/v1/me", "daibieu01", nil, 200, &me)
	if me.Position != "Phó Chủ tịch UBND xã" {
		t.Fatalf("/me = %+v", me)
	}

	var m phonghop.Meeting
	h.mustDo("GET", "/api/v1/meetings/"+upcoming.ID, "admin", nil, 200, &m)
	if p, _ := m.Participant(uid); p.DisplayName != "Lê Văn Cường" || p.Title != "Phó Chủ tịch UBND xã" || p.Unit != "UBND xã Mỹ An" {
		t.Fatalf("upcoming meeting's participant = %+v", p)
	}
	c, by := h.lastChange(upcoming.ID, "participants.changed")
	if by != h.users["admin"].ID || c.Changes[uid+".title"].To != "Phó Chủ tịch UBND xã" || c.Revision != m.Revision {
		t.Fatalf("journal: %+v by %s (meeting revision %d)", c, by, m.Revision)
	}
	h.mustDo("GET", "/api/v1/meetings/"+f.id, "admin", nil, 200, &m)
	if p, _ := m.Participant(uid); p.DisplayName != "Đại biểu daibieu01" || p.Title != "" {
		t.Fatalf("a meeting already held changed: %+v", p)
	}

	// A participant added later gets the position as title unless one is given.
	var other phonghop.Meeting
	h.mustDo("POST", "/api/v1/meetings", "admin", map[string]any{"title": "Họp khác"}, 201, &other)
	h.mustDo("PUT", "/api/v1/meetings/"+other.ID+"/participants", "admin", []map[string]string{{"userId": uid, "role": "delegate"}, {"userId": h.users["chutich"].ID, "role": "chair", "title": "Chủ tịch"}}, 200, &m)
	if p, _ := m.Participant(uid); p.Title != "Phó Chủ tịch UBND xã" || p.Unit != "UBND xã Mỹ An" {
		t.Fatalf("new participant = %+v", p)
	}

	for _, bad := range []struct {
		body   map[string]any
		reason string
	}{
		{map[string]any{"displayName": "  "}, "text_required"},
		{map[string]any{"email": "not an address"}, "email_invalid"},
		{map[string]any{"phone": "call me"}, "phone_invalid"},
		{map[string]any{"unit": string(make([]rune, 301))}, "text_invisible_char"}, // NULs
		{map[string]any{"unit": strings.Repeat("đ", 301)}, "text_too_long"},
	} {
		r := h.do("PATCH", "/api/v1/users/"+uid, "admin", bad.body)
		var e struct{ Error phonghop.Error }
		json.Unmarshal(r.body, &e)
		if r.status != 400 || e.Error.Reason != bad.reason {
			t.Errorf("%v: %d %s", bad.body, r.status, r.body)
		}
	}
	if r := h.do("PATCH", "/api/v1/users/"+uid, "daibieu01", map[string]any{"position": "Chủ tịch"}); r.status != 403 {
		t.Fatalf("a user edits their own position: %d", r.status)
	}
	if r := h.do("PATCH", "/api/v1/users/nobody", "admin", map[string]any{"position": "x"}); r.status != 404 {
		t.Fatalf("unknown user: %d", r.status)
	}
}

func (h *harness) getMeeting(mid string) phonghop.Meeting {
	h.t.Helper()
	var m phonghop.Meeting
	h.mustDo("GET", "/api/v1/meetings/"+mid, "admin", nil, 200, &m)
	return m
}

func reasonOf(r response) string {
	var e struct{ Error phonghop.Error }
	json.Unmarshal(r.body, &e)
	return e.Error.Reason
}

// Cancel, reinstate, copy and the filtered list.
func TestCancelCopyAndList(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(2)
	mid := f.id
	h.mustDo("POST", "/api/v1/meetings/"+mid+"/agenda", "thuky", map[string]any{"title": "Biểu quyết khen thưởng", "durationMinutes": 15}, 201, nil)

	// Only the admin cancels; the reason is kept, the journal says who.
	if r := h.do("POST", "/api/v1/meetings/"+mid+"/cancel", "chutich", map[string]any{"reason": "x"}); r.status != 403 {
		t.Fatalf("chair cancels: %d", r.status)
	}
	var m phonghop.Meeting
	h.mustDo("POST", "/api/v1/meetings/"+mid+"/cancel", "admin", map[string]any{"reason": "Hoãn do bão"}, 200, &m)
	if m.CancelledAt == nil || m.CancelReason != "Hoãn do bão" {
		t.Fatalf("cancelled meeting = %+v", m)
	}
	c, by := h.lastChange(mid, "meeting.cancelled")
	if by != h.users["admin"].ID || c.Changes["cancelReason"].To != "Hoãn do bão" {
		t.Fatalf("journal: %+v by %s", c, by)
	}
	rev := m.Revision
	h.mustDo("POST", "/api/v1/meetings/"+mid+"/cancel", "admin", nil, 200, &m)
	if m.Revision != rev {
		t.Fatalf("cancelling twice changed the revision: %d → %d", rev, m.Revision)
	}
	var list []phonghop.Meeting
	h.mustDo("GET", "/api/v1/meetings?status=cancelled", "daibieu01", nil, 200, &list)
	if len(list) != 1 || list[0].ID != mid {
		t.Fatalf("cancelled list: %+v", list)
	}
	h.mustDo("GET", "/api/v1/meetings?status=past", "daibieu01", nil, 200, &list)
	if len(list) != 0 {
		t.Fatalf("a cancelled meeting is listed as past: %+v", list)
	}
	var back phonghop.Meeting
	h.mustDo("POST", "/api/v1/meetings/"+mid+"/reinstate", "admin", nil, 200, &back)
	if back.CancelledAt != nil || back.CancelReason != "" {
		t.Fatalf("reinstated meeting = %+v", back)
	}
	h.lastChange(mid, "meeting.reinstated")

	// Copy: participants with roles and titles, the agenda without documents.
	h.mustDo("PUT", "/api/v1/meetings/"+mid+"/participants", "admin", []map[string]string{
		{"userId": h.users["chutich"].ID, "role": "chair", "title": "Chủ tịch UBND huyện"},
		{"userId": h.users["thuky"].ID, "role": "secretary"},
		{"userId": h.users["daibieu01"].ID, "role": "delegate"},
		{"userId": h.users["daibieu02"].ID, "role": "observer"},
	}, 200, nil)
	src := h.getMeeting(mid)
	var cp phonghop.Meeting
	h.mustDo("POST", "/api/v1/meetings/"+mid+"/copy", "admin", map[string]any{"title": "Hội nghị sơ kết 6 tháng đầu năm 2024", "startsAt": "2099-07-10T08:00:00+07:00"}, 201, &cp)
	if cp.ID == mid || cp.Title != "Hội nghị sơ kết 6 tháng đầu năm 2024" || cp.Location != src.Location || len(cp.Documents) != 0 {
		t.Fatalf("copy = %+v", cp)
	}
	if len(cp.Participants) != 4 || cp.Participants[0].Title != "Chủ tịch UBND huyện" || cp.Participants[3].Role != "observer" {
		t.Fatalf("copied participants = %+v", cp.Participants)
	}
	if len(cp.Agenda) != 2 || cp.Agenda[0].ID == src.Agenda[0].ID || cp.Agenda[0].Title != src.Agenda[0].Title ||
		cp.Agenda[0].Presenter != src.Agenda[0].Presenter || len(cp.Agenda[0].DocumentIDs) != 0 || cp.Agenda[0].DurationMinutes != 30 {
		t.Fatalf("copied agenda = %+v (source %+v)", cp.Agenda, src.Agenda)
	}
	c, _ = h.lastChange(cp.ID, "meeting.copied")
	if c.Details["copiedFrom"] != mid {
		t.Fatalf("copy's journal: %+v", c)
	}
	// The copy is listed for its participants; polls are not copied.
	h.mustDo("GET", "/api/v1/meetings?status=upcoming", "daibieu02", nil, 200, &list)
	if len(list) != 1 || list[0].ID != cp.ID {
		t.Fatalf("upcoming for an observer: %+v", list)
	}
	var polls []phonghop.Poll
	h.mustDo("GET", "/api/v1/meetings/"+cp.ID+"/polls", "chutich", nil, 200, &polls)
	if len(polls) != 0 {
		t.Fatalf("polls copied: %+v", polls)
	}

	// Search ignores case and diacritics.
	for q, want := range map[string]int{"so ket": 1, "SƠ KẾT": 1, "hoi truong ubnd": 2, "tổng kết cchc": 1, "không có": 0} {
		h.mustDo("GET", "/api/v1/meetings?q="+url.QueryEscape(q), "admin", nil, 200, &list)
		if len(list) != want {
			t.Errorf("q=%q: %d meetings, want %d", q, len(list), want)
		}
	}
	h.mustDo("GET", "/api/v1/meetings?status=past&q=tong+ket", "admin", nil, 200, &list)
	if len(list) != 1 || list[0].ID != mid {
		t.Fatalf("past + search: %+v", list)
	}
	if r := h.do("GET", "/api/v1/meetings?status=soon", "admin", nil); r.status != 400 || reasonOf(r) != "status_filter_invalid" {
		t.Fatalf("bad status: %d %s", r.status, r.body)
	}
}

// Agenda items are edited field by field, deleted unless their record
// belongs to the minutes, and moved with compare-and-swap on the order.
func TestAgendaEditDeleteMove(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(1)
	mid := f.id
	var b, c phonghop.AgendaItem
	h.mustDo("POST", "/api/v1/meetings/"+mid+"/agenda", "thuky", map[string]any{"title": "Thảo luận"}, 201, &b)
	h.mustDo("POST", "/api/v1/meetings/"+mid+"/agenda", "thuky", map[string]any{"title": "Biểu quyết"}, 201, &c)

	var it phonghop.AgendaItem
	h.mustDo("PATCH", "/api/v1/meetings/"+mid+"/agenda/"+b.ID, "thuky", map[string]any{"durationMinutes": 45}, 200, &it)
	if it.Title != "Thảo luận" || it.DurationMinutes != 45 {
		t.Fatalf("patched item = %+v", it)
	}
	ch, by := h.lastChange(mid, "agenda.updated")
	if by != h.users["thuky"].ID || ch.ItemID != b.ID || ch.Changes["durationMinutes"] != (phonghop.Diff{From: "0", To: "45"}) {
		t.Fatalf("journal: %+v by %s", ch, by)
	}
	if r := h.do("PATCH", "/api/v1/meetings/"+mid+"/agenda/"+b.ID, "thuky", map[string]any{"documentIds": []string{f.doc, f.doc}}); r.status != 400 || reasonOf(r) != "agenda_document_twice" {
		t.Fatalf("a document twice: %d %s", r.status, r.body)
	}
	if r := h.do("PATCH", "/api/v1/meetings/"+mid+"/agenda/"+b.ID, "daibieu01", map[string]any{"title": "x"}); r.status != 403 {
		t.Fatalf("delegate edits the agenda: %d", r.status)
	}

	// Move the last item first, with the order as seen.
	order := []string{f.item, b.ID, c.ID}
	var agenda []phonghop.AgendaItem
	h.mustDo("POST", "/api/v1/meetings/"+mid+"/agenda/"+c.ID+"/move", "chutich", map[string]any{"position": 0, "order": order}, 200, &agenda)
	if ids := []string{agenda[0].ID, agenda[1].ID, agenda[2].ID}; ids[0] != c.ID || ids[1] != f.item || ids[2] != b.ID {
		t.Fatalf("order after the move: %v", ids)
	}
	// The same move again, from the order it no longer has → 409.
	if r := h.do("POST", "/api/v1/meetings/"+mid+"/agenda/"+b.ID+"/move", "thuky", map[string]any{"position": 0, "order": order}); r.status != 409 || reasonOf(r) != "agenda_order_changed" {
		t.Fatalf("stale move: %d %s", r.status, r.body)
	}
	for _, bad := range []map[string]any{{"position": 0}, {"order": []string{c.ID, f.item, b.ID}}, {"position": 3, "order": []string{c.ID, f.item, b.ID}}} {
		if r := h.do("POST", "/api/v1/meetings/"+mid+"/agenda/"+b.ID+"/move", "thuky", bad); r.status != 400 {
			t.Errorf("move %v: %d %s", bad, r.status, r.body)
		}
	}
	ch, _ = h.lastChange(mid, "agenda.moved")
	if ch.ItemID != c.ID || ch.Changes["order"].To != c.ID+","+f.item+","+b.ID {
		t.Fatalf("move journal: %+v", ch)
	}

	// Delete: refused while the item has a poll or was taken up.
	var p phonghop.Poll
	h.mustDo("POST", "/api/v1/meetings/"+mid+"/polls", "thuky", map[string]any{"agendaItemId": c.ID, "title": "Khen thưởng"}, 201, &p)
	if r := h.do("DELETE", "/api/v1/meetings/"+mid+"/agenda/"+c.ID, "thuky", nil); r.status != 409 || reasonOf(r) != "agenda_item_has_polls" {
		t.Fatalf("delete an item with a poll: %d %s", r.status, r.body)
	}
	h.mustDo("PUT", "/api/v1/meetings/"+mid+"/presentation", "chutich", map[string]any{"agendaItemId": f.item, "documentId": f.doc, "page": 1}, 200, nil)
	if r := h.do("DELETE", "/api/v1/meetings/"+mid+"/agenda/"+f.item, "thuky", nil); r.status != 409 || reasonOf(r) != "agenda_item_taken_up" {
		t.Fatalf("delete an item taken up: %d %s", r.status, r.body)
	}
	h.mustDo("DELETE", "/api/v1/meetings/"+mid+"/agenda/"+b.ID, "thuky", nil, 204, nil)
	m := h.getMeeting(mid)
	if len(m.Agenda) != 2 || m.Agenda[0].ID != c.ID || m.Agenda[1].ID != f.item {
		t.Fatalf("agenda after delete: %+v", m.Agenda)
	}
	ch, _ = h.lastChange(mid, "agenda.deleted")
	if ch.ItemID != b.ID || ch.Changes["title"].From != "Thảo luận" || ch.Revision != m.Revision {
		t.Fatalf("delete journal: %+v (revision %d)", ch, m.Revision)
	}
	if r := h.do("DELETE", "/api/v1/meetings/"+mid+"/agenda/"+b.ID, "thuky", nil); r.status != 404 {
		t.Fatalf("delete twice: %d", r.status)
	}
}

// Two editors move items from the same order at the same moment: exactly one
// move lands, the other is told the order changed, and the stored order is
// the winner's. On both stores, since the compare-and-swap is the store's.
func TestAgendaMoveRace(t *testing.T) { forEachStore(t, testAgendaMoveRace) }

func testAgendaMoveRace(t *testing.T, st storage.Store) {
	h := newHarness(t, st)
	f := h.meeting(0)
	mid := f.id
	for _, title := range []string{"Mục 2", "Mục 3", "Mục 4"} {
		h.mustDo("POST", "/api/v1/meetings/"+mid+"/agenda", "thuky", map[string]any{"title": title}, 201, nil)
	}
	for round := 0; round < 5; round++ {
		m := h.getMeeting(mid)
		order := make([]string, len(m.Agenda))
		for i, it := range m.Agenda {
			order[i] = it.ID
		}
		// Editor A moves the last item first; editor B moves the first item last.
		moves := []struct {
			as, item string
			pos      int
		}{{"chutich", order[3], 0}, {"thuky", order[0], 3}}
		results := make([]response, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, mv := range moves {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i] = h.do("POST", "/api/v1/meetings/"+mid+"/agenda/"+mv.item+"/move", mv.as, map[string]any{"position": mv.pos, "order": order})
			}()
		}
		close(start)
		wg.Wait()
		won := -1
		for i, r := range results {
			switch {
			case r.status == 200 && won < 0:
				won = i
			case r.status == 409 && reasonOf(r) == "agenda_order_changed":
			default:
				t.Fatalf("round %d: move %d: %d %s (other: %d)", round, i, r.status, r.body, results[1-i].status)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: no move landed", round)
		}
		want := slices.Clone(order)
		mv := moves[won]
		i := slices.Index(want, mv.item)
		want = slices.Insert(slices.Delete(want, i, i+1), mv.pos, mv.item)
		m = h.getMeeting(mid)
		got := make([]string, len(m.Agenda))
		for i, it := range m.Agenda {
			got[i] = it.ID
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: stored order %v, want the winner's %v", round, got, want)
		}
	}
}

// A draft poll is edited (fields left out keep theirs) or deleted; once open
// it is neither. An edit racing the chair's open either lands before it or is
// refused, never lost in an open poll.
func TestDraftPollEditDelete(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(3)
	mid := f.id
	var p phonghop.Poll
	h.mustDo("POST", "/api/v1/meetings/"+mid+"/polls", "thuky", map[string]any{"agendaItemId": f.item, "title": "Khen thưởng 05 tập thể"}, 201, &p)
	var q phonghop.Poll
	h.mustDo("PATCH", "/api/v1/meetings/"+mid+"/polls/"+p.ID, "chutich", map[string]any{"title": "Khen thưởng 06 tập thể", "secret": true}, 200, &q)
	if q.Title != "Khen thưởng 06 tập thể" || !q.Secret || len(q.Options) != 3 || q.Majority != "simple" || q.State != "draft" {
		t.Fatalf("edited draft = %+v", q)
	}
	c, by := h.lastChange(mid, "poll.updated")
	if by != h.users["chutich"].ID || c.PollID != p.ID || c.Changes["title"].From != "Khen thưởng 05 tập thể" || c.Changes["secret"].To != "true" {
		t.Fatalf("journal: %+v by %s", c, by)
	}
	for _, bad := range []struct {
		body   map[string]any
		status int
		reason string
	}{
		{map[string]any{"title": " "}, 400, "poll_title_required"},
		{map[string]any{"options": []string{"Có"}}, 400, "poll_options_count"},
		{map[string]any{"agendaItemId": "nope"}, 400, "poll_agenda_item_missing"},
	} {
		if r := h.do("PATCH", "/api/v1/meetings/"+mid+"/polls/"+p.ID, "thuky", bad.body); r.status != bad.status || reasonOf(r) != bad.reason {
			t.Errorf("%v: %d %s", bad.body, r.status, r.body)
		}
	}
	if r := h.do("PATCH", "/api/v1/meetings/"+mid+"/polls/"+p.ID, "daibieu01", map[string]any{"title": "x"}); r.status != 403 {
		t.Fatalf("a delegate edits a poll: %d", r.status)
	}
	if r := h.do("DELETE", "/api/v1/meetings/"+mid+"/polls/"+p.ID, "admin", nil); r.status != 403 {
		t.Fatalf("an admin who is no participant deletes a poll: %d", r.status)
	}

	// Delete a draft; it disappears from the list and answers 404.
	var d phonghop.Poll
	h.mustDo("POST", "/api/v1/meetings/"+mid+"/polls", "thuky", map[string]any{"agendaItemId": f.item, "title": "Tạo nhầm"}, 201, &d)
	h.mustDo("DELETE", "/api/v1/meetings/"+mid+"/polls/"+d.ID, "thuky", nil, 204, nil)
	var polls []phonghop.Poll
	h.mustDo("GET", "/api/v1/meetings/"+mid+"/polls", "thuky", nil, 200, &polls)
	if len(polls) != 1 || polls[0].ID != p.ID {
		t.Fatalf("polls after delete: %+v", polls)
	}
	for _, method := range []string{"GET", "DELETE"} {
		if r := h.do(method, "/api/v1/meetings/"+mid+"/polls/"+d.ID, "thuky", nil); r.status != 404 {
			t.Fatalf("%s a deleted poll: %d", method, r.status)
		}
	}
	if r := h.do("POST", "/api/v1/meetings/"+mid+"/polls/"+d.ID+"/open", "chutich", map[string]any{"overrideQuorum": true}); r.status != 404 {
		t.Fatalf("open a deleted poll: %d %s", r.status, r.body)
	}
	c, _ = h.lastChange(mid, "poll.deleted")
	if c.PollID != d.ID || c.Changes["title"].From != "Tạo nhầm" {
		t.Fatalf("delete journal: %+v", c)
	}

	// Race an edit against the open, several times.
	for i := 0; i < 6; i++ {
		var r phonghop.Poll
		h.mustDo("POST", "/api/v1/meetings/"+mid+"/polls", "thuky", map[string]any{"agendaItemId": f.item, "title": "Lần " + itoa(i)}, 201, &r)
		var wg sync.WaitGroup
		var edit, open response
		wg.Add(2)
		go func() {
			defer wg.Done()
			edit = h.do("PATCH", "/api/v1/meetings/"+mid+"/polls/"+r.ID, "thuky", map[string]any{"title": "Sửa " + itoa(i)})
		}()
		go func() {
			defer wg.Done()
			open = h.do("POST", "/api/v1/meetings/"+mid+"/polls/"+r.ID+"/open", "chutich", map[string]any{"overrideQuorum": true})
		}()
		wg.Wait()
		if open.status != 200 {
			t.Fatalf("open: %d %s", open.status, open.body)
		}
		var now phonghop.Poll
		h.mustDo("GET", "/api/v1/meetings/"+mid+"/polls/"+r.ID, "thuky", nil, 200, &now)
		switch {
		case edit.status == 200 && now.Title == "Sửa "+itoa(i):
		case edit.status == 409 && reasonOf(edit) == "poll_not_draft" && now.Title == "Lần "+itoa(i):
		default:
			t.Fatalf("round %d: edit %d %s, open poll titled %q", i, edit.status, edit.body, now.Title)
		}
		if r := h.do("DELETE", "/api/v1/meetings/"+mid+"/polls/"+r.ID, "thuky", nil); r.status != 409 || reasonOf(r) != "poll_not_draft" {
			t.Fatalf("delete an open poll: %d %s", r.status, r.body)
		}
		h.mustDo("POST", "/api/v1/meetings/"+mid+"/polls/"+r.ID+"/close", "chutich", nil, 200, nil)
	}
}

// A user who took part in nothing can be deleted (their name is free again,
// their session ends); one who took part is kept, and the answer names the
// meeting.
func TestDeleteUser(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(2)
	mid := f.id

	// Added by mistake and removed before anything happened: deletable.
	mistake := h.user("nhamlan")
	h.mustDo("PUT", "/api/v1/meetings/"+mid+"/participants", "admin", []map[string]string{
		{"userId": h.users["chutich"].ID, "role": "chair"}, {"userId": h.users["thuky"].ID, "role": "secretary"},
		{"userId": h.users["daibieu01"].ID, "role": "delegate"}, {"userId": h.users["daibieu02"].ID, "role": "delegate"},
		{"userId": mistake.ID, "role": "delegate"},
	}, 200, nil)
	h.mustDo("PUT", "/api/v1/meetings/"+mid+"/participants", "admin", []map[string]string{
		{"userId": h.users["chutich"].ID, "role": "chair"}, {"userId": h.users["thuky"].ID, "role": "secretary"},
		{"userId": h.users["daibieu01"].ID, "role": "delegate"}, {"userId": h.users["daibieu02"].ID, "role": "delegate"},
	}, 200, nil)
	h.mustDo("DELETE", "/api/v1/users/"+mistake.ID, "admin", nil, 204, nil)
	if r := h.do("GET", "/api/v1/me", "nhamlan", nil); r.status != 401 {
		t.Fatalf("a deleted user's session: %d", r.status)
	}
	var users []phonghop.User
	h.mustDo("GET", "/api/v1/users", "admin", nil, 200, &users)
	for _, u := range users {
		if u.ID == mistake.ID {
			t.Fatal("deleted user still listed")
		}
	}
	h.user("nhamlan") // the name is free again
	if r := h.do("DELETE", "/api/v1/users/"+mistake.ID, "admin", nil); r.status != 404 {
		t.Fatalf("delete twice: %d", r.status)
	}

	// A participant now: refused, naming the meeting.
	r := h.do("DELETE", "/api/v1/users/"+h.users["daibieu01"].ID, "admin", nil)
	if r.status != 409 || reasonOf(r) != "user_took_part" || !strings.Contains(string(r.body), "Hội nghị tổng kết") {
		t.Fatalf("delete a participant: %d %s", r.status, r.body)
	}
	// Checked in, then removed from the meeting: still refused.
	h.mustDo("POST", "/api/v1/meetings/"+mid+"/attendance", "daibieu02", nil, 200, nil)
	h.mustDo("PUT", "/api/v1/meetings/"+mid+"/participants", "admin", []map[string]string{
		{"userId": h.users["chutich"].ID, "role": "chair"}, {"userId": h.users["thuky"].ID, "role": "secretary"},
		{"userId": h.users["daibieu01"].ID, "role": "delegate"},
	}, 200, nil)
	if r := h.do("DELETE", "/api/v1/users/"+h.users["daibieu02"].ID, "admin", nil); r.status != 409 || reasonOf(r) != "user_took_part" {
		t.Fatalf("delete someone who checked in: %d %s", r.status, r.body)
	}
	// An admin who set up a meeting without taking a role in it: refused too.
	var other phonghop.User
	h.mustDo("POST", "/api/v1/users", "admin", map[string]any{"username": "quantri2", "password": userPassword, "displayName": "Quản trị 2", "admin": true}, 201, &other)
	h.login("quantri2", userPassword)
	h.mustDo("PATCH", "/api/v1/meetings/"+mid, "quantri2", map[string]any{"location": "Phòng họp số 2"}, 200, nil)
	if r := h.do("DELETE", "/api/v1/users/"+other.ID, "admin", nil); r.status != 409 || reasonOf(r) != "user_took_part" {
		t.Fatalf("delete an admin who edited a meeting: %d %s", r.status, r.body)
	}
	if r := h.do("DELETE", "/api/v1/users/"+h.users["admin"].ID, "admin", nil); r.status != 409 || reasonOf(r) != "user_delete_self" {
		t.Fatalf("delete oneself: %d %s", r.status, r.body)
	}
	if r := h.do("DELETE", "/api/v1/users/"+h.users["outsider"].ID, "chutich", nil); r.status != 403 {
		t.Fatalf("a chair deletes a user: %d", r.status)
	}
	h.mustDo("DELETE", "/api/v1/users/"+h.users["outsider"].ID, "admin", nil, 204, nil)
}

func (h *harness) importFile(path, as, name string, data []byte) response {
	h.t.Helper()
	ct, body := multipartBody("file", name, data)
	return h.do("POST", path, as, body, "Content-Type", ct)
}

// Import over HTTP: the preview, the refusal with its rows, the import, and
// the export of the participants with attendance.
func TestImportExportOverHTTP(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(1)
	csv := []byte("Tên đăng nhập,Họ và tên,Chức vụ,Đơn vị,Vai trò\nmoi01,Người Mới,Trưởng phòng,Phòng Nội vụ,Đại biểu\nmoi02,,,,\n")
	var res struct {
		Rows []struct {
			Row    int             `json:"row"`
			Action string          `json:"action"`
			Error  *phonghop.Error `json:"error"`
		} `json:"rows"`
		Created, Refused int
		Applied          bool
	}
	r := h.importFile("/api/v1/users/import?dryRun=true", "admin", "ds.csv", csv)
	if r.status != 200 || json.Unmarshal(r.body, &res) != nil || res.Applied || res.Refused != 1 || res.Rows[1].Error.Reason != "text_required" {
		t.Fatalf("preview: %d %s", r.status, r.body)
	}
	r = h.importFile("/api/v1/meetings/"+f.id+"/participants/import", "admin", "ds.csv", csv)
	var refused struct {
		Error  phonghop.Error `json:"error"`
		Result struct {
			Refused int `json:"refused"`
		} `json:"result"`
	}
	if r.status != 400 || json.Unmarshal(r.body, &refused) != nil || refused.Error.Reason != "import_refused" || refused.Result.Refused != 1 {
		t.Fatalf("refused import: %d %s", r.status, r.body)
	}
	csv = csv[:bytes.LastIndex(csv[:len(csv)-1], []byte("\n"))+1]
	r = h.importFile("/api/v1/meetings/"+f.id+"/participants/import", "admin", "ds.csv", csv)
	if r.status != 200 || json.Unmarshal(r.body, &res) != nil || !res.Applied || res.Created != 1 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	m := h.getMeeting(f.id)
	if len(m.Participants) != 4 || m.Participants[3].DisplayName != "Người Mới" || m.Participants[3].Title != "Trưởng phòng" || m.Participants[3].Unit != "Phòng Nội vụ" {
		t.Fatalf("participants = %+v", m.Participants)
	}
	h.lastChange(f.id, "participants.changed")
	for _, c := range []struct{ as, path string }{{"thuky", "/participants/import"}, {"daibieu01", "/participants/import"}} {
		if r := h.importFile("/api/v1/meetings/"+f.id+c.path, c.as, "ds.csv", csv); r.status != 403 {
			t.Errorf("%s imports participants: %d", c.as, r.status)
		}
	}
	if r := h.importFile("/api/v1/users/import", "chutich", "ds.csv", csv); r.status != 403 {
		t.Fatalf("a chair imports users: %d", r.status)
	}
	if r := h.do("POST", "/api/v1/users/import", "admin", map[string]any{}); r.status != 400 || reasonOf(r) != "upload_not_multipart" {
		t.Fatalf("not multipart: %d %s", r.status, r.body)
	}

	h.mustDo("POST", "/api/v1/meetings/"+f.id+"/attendance", "daibieu01", nil, 200, nil)
	r = h.do("GET", "/api/v1/meetings/"+f.id+"/participants.xlsx", "thuky", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
		!strings.Contains(r.header.Get("Content-Disposition"), "attachment") || !bytes.HasPrefix(r.body, []byte("PK")) {
		t.Fatalf("export: %d %v", r.status, r.header)
	}
	rows, err := roster.Read(bytes.NewReader(r.body))
	if err != nil || len(rows) != 4 || rows[2].Username != "daibieu01" || rows[3].Username != "moi01" {
		t.Fatalf("export read back: %v %+v", err, rows)
	}
	if r := h.do("GET", "/api/v1/meetings/"+f.id+"/participants.xlsx", "daibieu01", nil); r.status != 403 {
		t.Fatalf("a delegate exports: %d", r.status)
	}
	if r := h.do("GET", "/api/v1/meetings/"+f.id+"/participants.xlsx?lang=fr", "thuky", nil); r.status != 400 {
		t.Fatalf("lang=fr: %d", r.status)
	}
}

func (h *harness) replace(mid, did, as, name string, data []byte) response {
	h.t.Helper()
	ct, body := multipartBody("file", name, data)
	return h.do("POST", "/api/v1/meetings/"+mid+"/documents/"+did+"/versions", as, body, "Content-Type", ct)
}

// Documents after upload: renamed, replaced by a new version (a tablet with
// the old one is told and gets the new bytes; the old version stays in the
// archive), attached to several items and ordered in one, deleted unless on
// screen. On both stores: versions are stored objects.
func TestDocumentChanges(t *testing.T) { forEachStore(t, testDocumentChanges) }

func testDocumentChanges(t *testing.T, st storage.Store) {
	h := newHarness(t, st)
	f := h.meeting(1)
	mid, did := f.id, f.doc
	base := "/api/v1/meetings/" + mid + "/documents/" + did

	// Rename.
	var doc phonghop.Document
	h.mustDo("PATCH", base, "thuky", map[string]any{"name": "Báo cáo tổng kết 2023 (chính thức).pdf"}, 200, &doc)
	if doc.Name != "Báo cáo tổng kết 2023 (chính thức).pdf" {
		t.Fatalf("renamed = %+v", doc)
	}
	c, by := h.lastChange(mid, "document.renamed")
	if by != h.users["thuky"].ID || c.Changes["name"].From != "Báo cáo tổng kết.pdf" {
		t.Fatalf("rename journal: %+v by %s", c, by)
	}
	if r := h.do("PATCH", base, "thuky", map[string]any{"name": " "}); r.status != 400 {
		t.Fatalf("empty name: %d", r.status)
	}
	if r := h.do("PATCH", base, "daibieu01", map[string]any{"name": "x.pdf"}); r.status != 403 {
		t.Fatalf("a delegate renames: %d", r.status)
	}

	// A tablet is in the room, holding version 1.
	old := h.getMeeting(mid)
	oldDoc, _ := old.Document(did)
	conn, _, err := websocket.DefaultDialer.Dial(wsURL(h, mid), http.Header{"Authorization": {"Bearer " + h.tokens["daibieu01"]}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var frame struct {
		Type  string          `json:"type"`
		State json.RawMessage `json:"state"`
		Setup phonghop.Change `json:"setup"`
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := conn.ReadJSON(&frame); err != nil || frame.Type != "snapshot" {
		t.Fatalf("first frame: %v %+v", err, frame)
	}

	// Replace with a 7-page version.
	v2 := testPDF(7)
	r := h.replace(mid, did, "thuky", "bao-cao-v2.pdf", v2)
	if r.status != 201 || json.Unmarshal(r.body, &doc) != nil {
		t.Fatalf("replace: %d %s", r.status, r.body)
	}
	if doc.ID != did || doc.Version != 2 || doc.Pages != 7 || doc.Name != oldDoc.Name || doc.SHA256 == oldDoc.SHA256 ||
		len(doc.Previous) != 1 || doc.Previous[0].SHA256 != oldDoc.SHA256 || doc.Previous[0].Version != 1 || doc.Previous[0].ReplacedBy != h.users["thuky"].ID {
		t.Fatalf("replaced = %+v", doc)
	}
	for {
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if err := conn.ReadJSON(&frame); err != nil {
			t.Fatalf("waiting for the setup frame: %v", err)
		}
		if frame.Type == "setup" && frame.Setup.Action == "document.replaced" {
			break
		}
	}
	if frame.Setup.DocumentID != did || frame.Setup.Version != 2 || frame.Setup.Revision <= old.Revision || frame.Setup.Changes["pages"].To != "7" {
		t.Fatalf("setup frame = %+v (meeting was at revision %d)", frame.Setup, old.Revision)
	}
	// The tablet reloads the meeting and fetches the new bytes by their hash.
	cur := h.getMeeting(mid)
	d2, _ := cur.Document(did)
	if cur.Revision != frame.Setup.Revision || d2.SHA256 != doc.SHA256 {
		t.Fatalf("meeting after replace: revision %d, doc %+v", cur.Revision, d2)
	}
	r = h.do("GET", base+"/content", "daibieu01", nil)
	if r.status != 200 || !bytes.Equal(r.body, v2) || r.header.Get("ETag") != `"`+doc.SHA256+`"` {
		t.Fatalf("content after replace: %d %s", r.status, r.header.Get("ETag"))
	}
	if r := h.do("GET", base+"/content", "daibieu01", nil, "If-None-Match", `"`+oldDoc.SHA256+`"`); r.status != 200 {
		t.Fatalf("the old ETag still matches: %d", r.status)
	}
	// A snapshot carries the last change, for a tablet that reconnects.
	var state struct {
		Setup phonghop.Change `json:"setup"`
	}
	h.mustDo("GET", "/api/v1/meetings/"+mid+"/state", "daibieu01", nil, 200, &state)
	if state.Setup.Revision != cur.Revision {
		t.Fatalf("state.setup = %+v, meeting revision %d", state.Setup, cur.Revision)
	}
	if r := h.replace(mid, did, "thuky", "notes.txt", []byte("not a pdf")); r.status != 415 {
		t.Fatalf("replace with text: %d %s", r.status, r.body)
	}
	if r := h.replace(mid, did, "thuky", "bao-cao.docx", []byte("PK\x03\x04 a word file")); r.status != 415 || reasonOf(r) != "office_conversion_off" {
		t.Fatalf("replace with Word on a server without LibreOffice: %d %s", r.status, r.body)
	}

	// The archive holds the current version and the replaced one.
	r = h.do("GET", "/api/v1/meetings/"+mid+"/archive.zip", "thuky", nil)
	zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
	if err != nil {
		t.Fatalf("archive: %d %v", r.status, err)
	}
	names := map[string]int64{}
	for _, zf := range zr.File {
		names[zf.Name] = int64(zf.UncompressedSize64)
	}
	if names["documents/"+doc.Name] != int64(len(v2)) || names["documents/previous/Báo cáo tổng kết 2023 (chính thức) (v1).pdf"] != oldDoc.Size {
		t.Fatalf("archive entries: %v", names)
	}

	// Attach to several items, order within an item.
	var it2 phonghop.AgendaItem
	h.mustDo("POST", "/api/v1/meetings/"+mid+"/agenda", "thuky", map[string]any{"title": "Thảo luận"}, 201, &it2)
	var second phonghop.Document
	if r := h.upload(mid, "thuky", "Phụ lục.pdf", testPDF(2)); r.status != 201 || json.Unmarshal(r.body, &second) != nil {
		t.Fatalf("upload: %d", r.status)
	}
	var agenda []phonghop.AgendaItem
	h.mustDo("PUT", "/api/v1/meetings/"+mid+"/documents/"+second.ID+"/items", "thuky", map[string]any{"itemIds": []string{f.item, it2.ID}}, 200, &agenda)
	if !slices.Equal(agenda[0].DocumentIDs, []string{did, second.ID}) || !slices.Equal(agenda[1].DocumentIDs, []string{second.ID}) {
		t.Fatalf("attached: %+v", agenda)
	}
	h.lastChange(mid, "document.attached")
	var it phonghop.AgendaItem
	h.mustDo("PATCH", "/api/v1/meetings/"+mid+"/agenda/"+f.item, "thuky", map[string]any{"documentIds": []string{second.ID, did}}, 200, &it)
	if !slices.Equal(it.DocumentIDs, []string{second.ID, did}) {
		t.Fatalf("reordered: %+v", it)
	}
	h.mustDo("PUT", "/api/v1/meetings/"+mid+"/documents/"+second.ID+"/items", "thuky", map[string]any{"itemIds": []string{it2.ID}}, 200, &agenda)
	if !slices.Equal(agenda[0].DocumentIDs, []string{did}) || !slices.Equal(agenda[1].DocumentIDs, []string{second.ID}) {
		t.Fatalf("detached from the first item: %+v", agenda)
	}
	if r := h.do("PUT", "/api/v1/meetings/"+mid+"/documents/"+second.ID+"/items", "thuky", map[string]any{"itemIds": []string{"nope"}}); r.status != 400 {
		t.Fatalf("attach to an unknown item: %d", r.status)
	}

	// Delete: refused while on screen, then done; the agenda lets go of it,
	// its bytes (every version) are gone.
	h.mustDo("PUT", "/api/v1/meetings/"+mid+"/presentation", "chutich", map[string]any{"agendaItemId": f.item, "documentId": did, "page": 1}, 200, nil)
	if r := h.do("DELETE", base, "thuky", nil); r.status != 409 || reasonOf(r) != "document_presented" {
		t.Fatalf("delete the document on screen: %d %s", r.status, r.body)
	}
	h.mustDo("PUT", "/api/v1/meetings/"+mid+"/presentation", "chutich", map[string]any{"agendaItemId": it2.ID, "documentId": second.ID, "page": 1}, 200, nil)
	h.mustDo("DELETE", base, "thuky", nil, 204, nil)
	m := h.getMeeting(mid)
	if _, ok := m.Document(did); ok || len(m.Documents) != 1 || len(m.Agenda[0].DocumentIDs) != 0 {
		t.Fatalf("after delete: %+v %+v", m.Documents, m.Agenda)
	}
	for _, blob := range []string{doc.Blob, doc.Previous[0].Blob} {
		if _, err := h.store.Stat(context.Background(), meetings.DocumentKey(mid, blob)); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("version %s still stored: %v", blob, err)
		}
	}
	if r := h.do("GET", base+"/content", "daibieu01", nil); r.status != 404 {
		t.Fatalf("content of a deleted document: %d", r.status)
	}
	c, _ = h.lastChange(mid, "document.deleted")
	if c.DocumentID != did || c.Details["versions"] != "2" {
		t.Fatalf("delete journal: %+v", c)
	}
}
