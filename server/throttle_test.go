package server_test

import (
	"github.com/phonghop/phonghop/server"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// signIn posts a sign-in from addr (X-Forwarded-For, believed from the
// harness's trusted proxy) with the given cookies.
func (h *harness) signIn(username, password, addr string, cookies ...string) response {
	h.t.Helper()
	hdr := []string{"X-Forwarded-For", addr}
	if len(cookies) > 0 {
		hdr = append(hdr, "Cookie", strings.Join(cookies, "; "))
	}
	return h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": password}, hdr...)
}

func deviceCookie(r response) string {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "phonghop_device" {
			return c.Name + "=" + c.Value
		}
	}
	return ""
}

// TestSignInThrottleLocksNobodyOut replays the issue: before the fix five wrong
// passwords locked the account even for the right one, and fifty failures from
// one address locked everyone behind it. Now failures slow only the account
// from the address (or device) they came from.
func TestSignInThrottleLocksNobodyOut(t *testing.T) {
	h := newHarness(t, nil, withTrustedProxies("127.0.0.1"))
	h.user("chutich")
	const attacker, chairsOffice, nat = "203.0.113.7", "198.51.100.2", "192.0.2.10"

	// The chair's tablet, behind the same NAT as the attacker, signed in before.
	r := h.signIn("chutich", userPassword, nat)
	device := deviceCookie(r)
	if r.status != 200 || device == "" {
		t.Fatalf("first sign-in: %d, device cookie %q", r.status, device)
	}

	for i := 0; i < 12; i++ {
		h.signIn("chutich", "doan-mo-"+strconv.Itoa(i), attacker)
		h.signIn("chutich", "doan-mo-"+strconv.Itoa(i), nat)
	}
	// The right password from another address: at once.
	if r := h.signIn("chutich", userPassword, chairsOffice); r.status != 200 {
		t.Fatalf("the chair from another address: %d %s", r.status, r.body)
	}
	// From the attacker's own NAT address, the chair's known tablet: at once.
	if r := h.signIn("chutich", userPassword, nat, device); r.status != 200 {
		t.Fatalf("the chair's known tablet behind the attacker's address: %d %s", r.status, r.body)
	}
	// The attacker's address waits, and is told how long.
	r = h.signIn("chutich", userPassword, attacker)
	if r.status != 429 || r.errorCode() != "too_many_requests" || r.header.Get("Retry-After") == "" {
		t.Fatalf("attacker's address: %d %s (Retry-After %q)", r.status, r.body, r.header.Get("Retry-After"))
	}

	// Fifty failures over many accounts from one address slow nobody else there.
	for i := 0; i < 50; i++ {
		h.signIn("ghost"+strconv.Itoa(i), "doan-mo-mat-khau", nat)
	}
	if r := h.signIn("admin", adminPassword, nat); r.status != 200 {
		t.Fatalf("admin behind an address with 50 failures: %d %s", r.status, r.body)
	}
}

// TestSignInThrottleGrowsAndClears: three failures go through, then each
// attempt waits (1 s, then 2 s …); the right password after the wait clears it.
func TestSignInThrottleGrowsAndClears(t *testing.T) {
	clock := newStillClock()
	h := newHarness(t, nil, withTrustedProxies("127.0.0.1"), withSignInClock(clock))
	h.user("thuky")
	const addr = "203.0.113.9"
	for i := 0; i < 3; i++ {
		if r := h.signIn("thuky", "sai-mat-khau-"+strconv.Itoa(i), addr); r.status != 401 {
			t.Fatalf("failure %d: %d", i+1, r.status)
		}
	}
	r := h.signIn("thuky", userPassword, addr)
	if r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("after 3 failures: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	clock.advance(1100 * time.Millisecond)
	if r := h.signIn("thuky", "sai-nua-roi", addr); r.status != 401 {
		t.Fatalf("after the wait: %d", r.status)
	}
	if r := h.signIn("thuky", userPassword, addr); r.status != 429 || r.header.Get("Retry-After") != "2" {
		t.Fatalf("after 4 failures: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	clock.advance(2100 * time.Millisecond)
	if r := h.signIn("thuky", userPassword, addr); r.status != 200 {
		t.Fatalf("right password after the wait: %d %s", r.status, r.body)
	}
	if r := h.signIn("thuky", "sai-lan-nua", addr); r.status != 401 {
		t.Fatalf("the success cleared the count: %d", r.status)
	}
}

// TestSimultaneousGuessesAreReserved: 40 guesses sent at once. Before the fix
// the limit was checked before bcrypt and counted after it, so all 40 were
// checked (401); now each is reserved first and only the free three are.
func TestSimultaneousGuessesAreReserved(t *testing.T) {
	// The clock stands still: on a loaded machine the 40 requests can take
	// longer than the first wait (1 s), after which a fourth guess is due.
	h := newHarness(t, nil, withSignInClock(newStillClock()))
	h.user("daibieu01")
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	start := make(chan struct{})
	for i := 0; i < 40; i++ {
		wg.Go(func() {
			<-start
			r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "daibieu01", "password": "doan-" + strconv.Itoa(i)})
			mu.Lock()
			statuses[r.status]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if statuses[401] > 3 || statuses[401]+statuses[429] != 40 {
		t.Fatalf("statuses %v: at most 3 guesses may reach the password check", statuses)
	}
}

// TestForgedForwardedForDoesNotSpreadGuesses: from a client that is no
// trusted proxy, X-Forwarded-For is ignored, so guesses from "many addresses"
// are counted as the one they come from.
func TestForgedForwardedForDoesNotSpreadGuesses(t *testing.T) {
	h := newHarness(t, nil)
	h.user("daibieu01")
	for i := 0; i < 3; i++ {
		h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "daibieu01", "password": "doan-mo-xyz"}, "X-Forwarded-For", "10.0.0."+strconv.Itoa(i))
	}
	r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "daibieu01", "password": "doan-mo-xyz"}, "X-Forwarded-For", "10.9.9.9")
	if r.status != 429 {
		t.Fatalf("fourth guess under a forged address: %d %s", r.status, r.body)
	}
}

// stillClock is a clock that moves only when told.
type stillClock struct {
	mu  sync.Mutex
	now time.Time
}

func newStillClock() *stillClock { return &stillClock{now: time.Now()} }

func (c *stillClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *stillClock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func withSignInClock(c *stillClock) harnessOption {
	return func(cfg *server.Config) { cfg.SignInClock = c.Now }
}
