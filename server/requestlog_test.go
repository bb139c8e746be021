package server_test

import (
	"strings"
	"testing"
)

// The request's logger is built only when something logs (it costs every
// live upgrade otherwise), and still carries the request id and, once
// authenticated, the user on every line the request logs.
func TestRequestLogCarriesRequestAndUser(t *testing.T) {
	var logs syncBuffer
	h := newHarness(t, nil, withLog(&logs))
	h.mustDo("GET", "/api/v1/me", "admin", nil, 200, nil)
	h.do("GET", "/api/v1/meetings/nope", "admin", nil)
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "msg=request") && strings.Contains(l, "path=/api/v1/me") || strings.Contains(l, "path=/api/v1/meetings/nope") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("want the two requests' lines, got %q in:\n%s", lines, logs.String())
	}
	for _, l := range lines {
		if !strings.Contains(l, "requestId=") || !strings.Contains(l, "userId="+h.users["admin"].ID) {
			t.Errorf("line without the request id or the user: %s", l)
		}
	}
}
