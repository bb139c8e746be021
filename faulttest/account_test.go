package faulttest

import (
	"net/http"
	"testing"
	"time"
)

// TestDisabledAccountLosesEverySocket: an admin disables a delegate through
// node 1 while the delegate's tablet is in the room on node 2; the socket
// closes at once (the control stream carries it), the session is refused on
// both nodes, and sign-in says the account is disabled. Before the fix there
// was no way to disable an account.
func TestDisabledAccountLosesEverySocket(t *testing.T) {
	c := startCluster(t)
	token, uid := c.loginID(0, "daibieu05")
	r := c.openRoom(1, token, -1)
	if _, ok := r.next(10 * time.Second); !ok {
		t.Fatal("no snapshot on node 2")
	}
	admin := c.loginAdmin(0)
	start := time.Now()
	if res := c.call(0, admin, "PATCH", "/users/"+uid, map[string]bool{"disabled": true}); res.Status != http.StatusOK {
		t.Fatalf("disable: %s", res)
	}
	deadline := time.After(5 * time.Second)
	for closed := false; !closed; {
		select {
		case _, ok := <-r.frames:
			closed = !ok
		case <-deadline:
			t.Fatal("the socket on node 2 stayed open after the account was disabled")
		}
	}
	t.Logf("node 2 closed the disabled user's socket %v after the request", time.Since(start).Round(time.Millisecond))
	for i := range 2 {
		if res := c.call(i, token, "GET", "/me", nil); res.Status != http.StatusUnauthorized {
			t.Fatalf("node %d: the disabled user's session: %s", i+1, res)
		}
	}
	if res := c.call(1, "", "POST", "/auth/login", map[string]string{"username": "daibieu05", "password": demoPassword}); res.Status != http.StatusForbidden {
		t.Fatalf("disabled signs in: %s", res)
	}
}
