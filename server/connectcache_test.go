package server_test

import (
	"net/http"
	"testing"

	"github.com/gorilla/websocket"
)

// A live connection's checks read the session (trusted 10 s on other
// processes) and the meeting's participants (1 s) through caches; on the
// process that makes the change, a sign-out, a removal from the meeting and a
// disabled account are in force at once for the open socket and for the next
// upgrade, however warm the caches are.
func TestLiveUpgradeRefusedAtOnceAfterRevocation(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(3)
	upgrade := func(as string) int {
		t.Helper()
		conn, resp, err := websocket.DefaultDialer.Dial(wsURL(h, f.id), http.Header{"Authorization": {"Bearer " + h.tokens[as]}})
		if err == nil {
			conn.Close()
			return http.StatusSwitchingProtocols
		}
		if resp == nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	socks := map[string]*websocket.Conn{}
	for _, d := range f.delegates {
		for range 3 { // the session and the meeting are cached now
			if code := upgrade(d); code != http.StatusSwitchingProtocols {
				t.Fatalf("%s upgrade: %d", d, code)
			}
		}
		socks[d] = h.socket(f.id, d)
	}

	h.mustDo("POST", "/api/v1/auth/logout", "daibieu01", nil, 204, nil)
	if code := closedWith(t, socks["daibieu01"]); code != 4001 {
		t.Errorf("signed out: the open socket closed with %d, want 4001", code)
	}
	if code := upgrade("daibieu01"); code != http.StatusUnauthorized {
		t.Errorf("signed out: the next upgrade got %d, want 401", code)
	}

	var parts []map[string]string
	parts = append(parts, map[string]string{"userId": h.users["chutich"].ID, "role": "chair"},
		map[string]string{"userId": h.users["thuky"].ID, "role": "secretary"})
	for _, d := range []string{"daibieu01", "daibieu03"} {
		parts = append(parts, map[string]string{"userId": h.users[d].ID, "role": "delegate"})
	}
	h.mustDo("PUT", "/api/v1/meetings/"+f.id+"/participants", "admin", parts, 200, nil)
	if code := closedWith(t, socks["daibieu02"]); code != 4003 {
		t.Errorf("removed: the open socket closed with %d, want 4003", code)
	}
	if code := upgrade("daibieu02"); code != http.StatusNotFound {
		t.Errorf("removed: the next upgrade got %d, want 404", code)
	}

	h.mustDo("PATCH", "/api/v1/users/"+h.users["daibieu03"].ID, "admin", map[string]bool{"disabled": true}, 200, nil)
	if code := closedWith(t, socks["daibieu03"]); code != 4001 {
		t.Errorf("disabled: the open socket closed with %d, want 4001", code)
	}
	if code := upgrade("daibieu03"); code != http.StatusUnauthorized {
		t.Errorf("disabled: the next upgrade got %d, want 401", code)
	}
}
