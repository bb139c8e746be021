package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
)

// setupEntries returns the meeting's journaled set-up changes.
func (h *harness) setupEntries(mid string) []phonghop.Change {
	h.t.Helper()
	entries, err := (&journal.Journal{Store: h.store}).Entries(context.Background(), mid)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []phonghop.Change
	for _, e := range entries {
		if e.Type != "setup" {
			continue
		}
		var c phonghop.Change
		if err := json.Unmarshal(e.Data, &c); err != nil {
			h.t.Fatal(err)
		}
		c.Details = map[string]string{"by": e.By}
		out = append(out, c)
	}
	return out
}

// lastChange is the newest journaled set-up change with the action.
func (h *harness) lastChange(mid, action string) (phonghop.Change, string) {
	h.t.Helper()
	cs := h.setupEntries(mid)
	for i := len(cs) - 1; i >= 0; i-- {
		if cs[i].Action == action {
			by := cs[i].Details["by"]
			return cs[i], by
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
		{map[string]any{"unit": string(make([]rune, 301))}, "text_not_utf8"},
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
