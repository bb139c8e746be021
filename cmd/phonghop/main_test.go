package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestConfigRejectsBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"-session-ttl", "forever"},
		{"-document-limit", "-5"},
		{"-s3-secure", "maybe"},
		{"-s3-endpoint", "127.0.0.1:9000"},
		{"-sign-cert", "cert.pem"},
		// A weak admin password is refused at start (before: admin123 was taken).
		{"-admin-password", "admin123"},
		{"-admin-password", "123456"},
		{"-admin-password", "quantri-admin-2026"},
		{"-allowed-origins", "https://a.example/path"},
		{"-nats-remove-idle", "soon"},
		{"-nats-remove-idle", "10s"},
		// The profiler is the operator's: never on an address others reach.
		{"-pprof-addr", ":6060"},
		{"-pprof-addr", "0.0.0.0:6060"},
		{"-pprof-addr", "10.0.0.5:6060"},
		{"-pprof-addr", "6060"},
		// The provider over plain http across a network: a neighbour could
		// answer with keys of its own and sign in anyone.
		{"-oidc-issuer", "http://sso.dongthap.gov.vn/realms/canbo", "-oidc-client-id", "phonghop", "-public-url", "https://hop.example"},
		{"-oidc-issuer", "sso.dongthap.gov.vn", "-oidc-client-id", "phonghop", "-public-url", "https://hop.example"},
		{"-oidc-issuer", "https://sso.example", "-oidc-client-id", "phonghop", "-public-url", "hop.example"},
		{"-oidc-issuer", "https://sso.example", "-oidc-client-id", "phonghop", "-public-url", "https://hop.example/?next=https://evil.example"},
	} {
		if _, err := loadConfig("t", args, &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	var out bytes.Buffer
	_, err := loadConfig("t", []string{"-admin-password", "admin123"}, &out)
	if err == nil || !strings.Contains(err.Error(), "PHONGHOP_ADMIN_PASSWORD is refused") || !strings.Contains(err.Error(), "at least 10 characters") {
		t.Fatalf("weak admin password: %v", err)
	}
	t.Setenv("PHONGHOP_ADDR", "127.0.0.1:9999")
	t.Setenv("PHONGHOP_ALLOWED_ORIGINS", "https://a.example/, https://b.example")
	c, err := loadConfig("t", nil, &bytes.Buffer{})
	if err != nil || c.Addr != "127.0.0.1:9999" || len(c.AllowedOrigins) != 2 || c.AllowedOrigins[0] != "https://a.example" {
		t.Fatalf("env: %+v %v", c, err)
	}
	if c.NATSRemoveIdle != time.Hour {
		t.Fatalf("stream removal after %v by default", c.NATSRemoveIdle)
	}
	if c, err := loadConfig("t", []string{"-nats-remove-idle", "0"}, &bytes.Buffer{}); err != nil || c.NATSRemoveIdle != 0 {
		t.Fatalf("removal off: %v, %v", c.NATSRemoveIdle, err)
	}
	for _, issuer := range []string{"https://sso.dongthap.gov.vn/realms/canbo", "http://localhost:5556/", "http://127.0.0.1:5556"} {
		if c, err := loadConfig("t", []string{"-oidc-issuer", issuer, "-oidc-client-id", "phonghop", "-public-url", "https://hop.example"}, &bytes.Buffer{}); err != nil || c.OIDCIssuer != issuer {
			t.Errorf("-oidc-issuer %s: %v", issuer, err)
		}
	}
	for _, a := range []string{"127.0.0.1:6060", "[::1]:6060", "localhost:6060"} {
		if c, err := loadConfig("t", []string{"-pprof-addr", a}, &bytes.Buffer{}); err != nil || c.PprofAddr != a {
			t.Errorf("-pprof-addr %s: %q, %v", a, c.PprofAddr, err)
		}
	}
	if c, _ := loadConfig("t", []string{"-addr", ":1"}, &bytes.Buffer{}); c.Addr != ":1" {
		t.Fatalf("flag does not win over env: %q", c.Addr)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The demo seeds, serves, and on SIGTERM (here: the context) closes every live
// connection with "going away" and returns.
func TestDemoServeAndShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("PHONGHOP_ADMIN_PASSWORD", "quan-tri-thu-nghiem")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, logs lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-addr", addr, "-data-dir", t.TempDir(), "-log-level", "warn", "-bcrypt-cost", "4"}, &out, &logs)
	}()
	base := "http://" + addr
	deadline := time.Now().Add(120 * time.Second)
	for !strings.Contains(out.String(), "daibieu12") {
		if time.Now().After(deadline) {
			t.Fatalf("demo did not start: %s %s", out.String(), logs.String())
		}
		select {
		case err := <-done:
			t.Fatalf("exited: %v %s", err, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	// The container health check: `phonghop ready` finds the port in PHONGHOP_ADDR.
	t.Setenv("PHONGHOP_ADDR", addr)
	var probe bytes.Buffer
	if err := run(context.Background(), []string{"ready"}, &probe, io.Discard); err != nil || !strings.Contains(probe.String(), `"ok"`) {
		t.Fatalf("phonghop ready on a ready server: %v %q", err, probe.String())
	}
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"daibieu01","password":"hop-khong-giay"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login: %v %v", err, resp)
	}
	var login struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	req, _ := http.NewRequest("GET", base+"/api/v1/meetings", nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ms []struct {
		ID       string
		Agenda   []any
		Document []any
	}
	_ = json.NewDecoder(resp.Body).Decode(&ms)
	resp.Body.Close()
	if len(ms) != 1 || len(ms[0].Agenda) != 6 {
		t.Fatalf("meetings = %+v", ms)
	}
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/api/v1/meetings/"+ms[0].ID+"/live", http.Header{"Authorization": {"Bearer " + login.Token}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, _, err := conn.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"phonghop_live_connections 1", `phonghop_http_requests_total{method="GET",route="/api/v1/meetings",status="200"} 1`, `phonghop_store_operation_duration_seconds_count{op="get"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	cancel()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var ce *websocket.CloseError
	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue
		}
		if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Fatalf("socket closed with %v, want 1001 going away", err)
		}
		break
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not shut down")
	}
}

// `phonghop ready` fails on anything but 200, and on no answer.
func TestReadyProbeFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"status":"unavailable","checks":{"store":"unavailable"}}`)
	}))
	defer srv.Close()
	err := run(context.Background(), []string{"ready", srv.URL + "/readyz"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("503 gave %v", err)
	}
	srv.Close()
	if err := run(context.Background(), []string{"ready", srv.URL + "/readyz"}, io.Discard, io.Discard); err == nil {
		t.Fatal("a closed port passed")
	}
}

func TestPprofServesProfiles(t *testing.T) {
	srv := httptest.NewServer(pprofHandler())
	defer srv.Close()
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/heap"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}
