package server_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/phonghop/phonghop/server"
)

func TestWebApp(t *testing.T) {
	js := strings.Repeat("console.log('phòng họp');\n", 200)
	app := fstest.MapFS{
		"index.html":        {Data: []byte("<!doctype html><title>phonghop</title>")},
		"assets/index-1.js": {Data: []byte(js)},
		"pdfjs/wasm/x.wasm": {Data: bytes.Repeat([]byte{0}, 2048)},
		"sw.js":             {Data: []byte("self.x=1")},
	}
	srv := httptest.NewServer(server.New(server.Config{Frontend: app, Logger: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	get := func(path string, gz bool) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		} else {
			req.Header.Set("Accept-Encoding", "identity")
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, body := get("/", false)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "phonghop") || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("index: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if resp, body := get("/m/abc/display", false); resp.StatusCode != 200 || !strings.Contains(string(body), "<title>phonghop") {
		t.Fatalf("client route: %d %q", resp.StatusCode, body)
	}
	resp, body = get("/assets/index-1.js", true)
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || len(body) >= len(js) {
		t.Fatalf("asset: %v, %d bytes", resp.Header, len(body))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); string(plain) != js {
		t.Fatal("gzipped asset differs")
	}
	if resp, body := get("/assets/index-1.js", false); resp.Header.Get("Content-Encoding") != "" || string(body) != js {
		t.Fatal("asset without gzip")
	}
	if resp, _ := get("/pdfjs/wasm/x.wasm", true); resp.Header.Get("Content-Type") != "application/wasm" || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("wasm: %v", resp.Header)
	}
	if resp, body := get("/api/v1/nothing", false); resp.StatusCode != 404 || !strings.Contains(string(body), `"not_found"`) {
		t.Fatalf("unknown API path: %d %s", resp.StatusCode, body)
	}
}
