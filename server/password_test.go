package server_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
)

// socket opens the live room as the named user and reads the snapshot.
func (h *harness) socket(mid, as string) *websocket.Conn {
	h.t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(wsURL(h, mid), http.Header{"Authorization": {"Bearer " + h.tokens[as]}})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { conn.Close() })
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := conn.ReadMessage(); err != nil {
		h.t.Fatal(err)
	}
	return conn
}

// closedWith reads until the server closes conn and returns the close code;
// it must come within a second (at once, not at the next ping).
func closedWith(t *testing.T, conn *websocket.Conn) int {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		t.Fatalf("socket not closed by the server: %v", err)
	}
}

// TestChangeOwnPassword: the old password is required; the change ends the
// user's other sessions and their sockets at once; this device gets a new
// session. Before the fix there was no way to change a password.
func TestChangeOwnPassword(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(1)
	other := h.tokens["daibieu01"]
	h.login("daibieu01", userPassword) // this tablet
	mine := h.tokens["daibieu01"]
	h.tokens["other"] = other
	sock := h.socket(f.id, "other")

	for _, c := range []struct {
		old, new string
		status   int
		reason   string
	}{
		{"sai-mat-khau-cu", "mat-khau-moi-2026", 403, "password_old_wrong"},
		{userPassword, "123456", 400, "password_too_short"},
		{userPassword, "daibieu01-moi-2026", 400, "password_has_username"},
		{userPassword, userPassword, 400, "password_unchanged"},
	} {
		r := h.do("POST", "/api/v1/me/password", "daibieu01", map[string]string{"oldPassword": c.old, "newPassword": c.new})
		var e struct{ Error phonghop.Error }
		_ = json.Unmarshal(r.body, &e)
		if r.status != c.status || e.Error.Reason != c.reason {
			t.Errorf("%q → %q: %d %s, want %d %s", c.old, c.new, r.status, r.body, c.status, c.reason)
		}
	}
	var out struct {
		Token string
		User  phonghop.User
	}
	r := h.mustDo("POST", "/api/v1/me/password", "daibieu01", map[string]string{"oldPassword": userPassword, "newPassword": "mat-khau-moi-2026"}, 200, &out)
	if code := closedWith(t, sock); code != 4001 {
		t.Fatalf("the other tablet's socket closed with %d, want 4001", code)
	}
	if r := h.do("GET", "/api/v1/me", "other", nil); r.status != 401 {
		t.Fatalf("other session after the change: %d", r.status)
	}
	h.tokens["daibieu01"] = mine
	if r := h.do("GET", "/api/v1/me", "daibieu01", nil); r.status != 401 {
		t.Fatalf("this tablet's old token after the change: %d", r.status)
	}
	h.tokens["daibieu01"] = out.Token
	if r := h.do("GET", "/api/v1/me", "daibieu01", nil); r.status != 200 {
		t.Fatalf("new token: %d", r.status)
	}
	if ck := (&http.Response{Header: r.header}).Cookies(); len(ck) == 0 || ck[0].Name != "phonghop_session" || ck[0].Value != out.Token {
		t.Fatalf("the new session's cookie: %v", ck)
	}
	h.login("daibieu01", "mat-khau-moi-2026")
}

// TestAdminResetsPassword: the user's sessions and sockets end at once; the
// temporary password signs in to a session that may only change it.
func TestAdminResetsPassword(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(1)
	uid := h.users["daibieu01"].ID
	sock := h.socket(f.id, "daibieu01")
	if r := h.do("POST", "/api/v1/users/"+uid+"/password", "daibieu01", map[string]string{"password": "tam-thoi-2026-x"}); r.status != 403 {
		t.Fatalf("a delegate resets: %d", r.status)
	}
	if r := h.do("POST", "/api/v1/users/"+uid+"/password", "admin", map[string]string{"password": "123"}); r.status != 400 {
		t.Fatalf("weak temporary password: %d", r.status)
	}
	var u phonghop.User
	h.mustDo("POST", "/api/v1/users/"+uid+"/password", "admin", map[string]string{"password": "tam-thoi-2026-x"}, 200, &u)
	if !u.MustChangePassword {
		t.Fatalf("after reset: %+v", u)
	}
	if code := closedWith(t, sock); code != 4001 {
		t.Fatalf("socket closed with %d", code)
	}
	if r := h.do("GET", "/api/v1/meetings", "daibieu01", nil); r.status != 401 {
		t.Fatalf("old session after reset: %d", r.status)
	}
	h.login("daibieu01", "tam-thoi-2026-x")
	if !h.users["daibieu01"].MustChangePassword {
		t.Fatal("sign-in does not say the password must change")
	}
	for _, path := range []string{"/api/v1/meetings", "/api/v1/meetings/" + f.id} {
		if r := h.do("GET", path, "daibieu01", nil); r.status != 403 || r.errorCode() != "forbidden" {
			t.Fatalf("GET %s before the change: %d %s", path, r.status, r.body)
		}
	}
	if _, resp, err := websocket.DefaultDialer.Dial(wsURL(h, f.id), http.Header{"Authorization": {"Bearer " + h.tokens["daibieu01"]}}); err == nil || resp.StatusCode != 403 {
		t.Fatalf("live room before the change: %v", err)
	}
	h.mustDo("GET", "/api/v1/me", "daibieu01", nil, 200, nil)
	var out struct{ Token string }
	h.mustDo("POST", "/api/v1/me/password", "daibieu01", map[string]string{"oldPassword": "tam-thoi-2026-x", "newPassword": "cua-rieng-toi-2026"}, 200, &out)
	h.tokens["daibieu01"] = out.Token
	h.mustDo("GET", "/api/v1/meetings/"+f.id, "daibieu01", nil, 200, nil)
}

// TestDisableEnable: a disabled user's sessions and sockets end at once and
// sign-in is refused with a clear reason; enabled again, they sign in.
func TestDisableEnable(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(1)
	uid := h.users["daibieu01"].ID
	sock := h.socket(f.id, "daibieu01")
	if r := h.do("PATCH", "/api/v1/users/"+h.users["admin"].ID, "admin", map[string]bool{"disabled": true}); r.status != 409 {
		t.Fatalf("admin disables self: %d", r.status)
	}
	if r := h.do("PATCH", "/api/v1/users/"+uid, "chutich", map[string]bool{"disabled": true}); r.status != 403 {
		t.Fatalf("the chair disables: %d", r.status)
	}
	var u phonghop.User
	h.mustDo("PATCH", "/api/v1/users/"+uid, "admin", map[string]bool{"disabled": true}, 200, &u)
	if !u.Disabled {
		t.Fatalf("after disable: %+v", u)
	}
	if code := closedWith(t, sock); code != 4001 {
		t.Fatalf("socket closed with %d", code)
	}
	if r := h.do("GET", "/api/v1/me", "daibieu01", nil); r.status != 401 {
		t.Fatalf("session of a disabled user: %d", r.status)
	}
	r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "daibieu01", "password": userPassword})
	var e struct{ Error phonghop.Error }
	_ = json.Unmarshal(r.body, &e)
	if r.status != 403 || e.Error.Reason != "account_disabled" {
		t.Fatalf("disabled signs in: %d %s", r.status, r.body)
	}
	var enabled phonghop.User
	h.mustDo("PATCH", "/api/v1/users/"+uid, "admin", map[string]bool{"disabled": false}, 200, &enabled)
	if enabled.Disabled || enabled.ID != uid {
		t.Fatal("still disabled")
	}
	h.login("daibieu01", userPassword)
}

// TestWeakPasswordsRefused: creating a user with 123456 or the username as
// password → 400 (before the fix: 201).
func TestWeakPasswordsRefused(t *testing.T) {
	h := newHarness(t, nil)
	for _, pw := range []string{"123456", "daibieu07", "daibieu07daibieu07", "1234567890"} {
		if r := h.do("POST", "/api/v1/users", "admin", map[string]string{"username": "daibieu07", "password": pw}); r.status != 400 {
			t.Errorf("password %q: %d %s", pw, r.status, r.body)
		}
	}
}
