package server_test

import (
	"fmt"
	"testing"
)

// BenchmarkRequestCost is what authenticated reads cost in store operations
// and time, with the per-process caches of sessions, users and meetings off
// (as before issue #18: a session GET, a user GET and a meeting Stat on every
// request) and on (docs/performance.md):
//
//	go test ./server -run '^$' -bench RequestCost -benchtime 300x
func BenchmarkRequestCost(b *testing.B) {
	h := newHarness(b, nil)
	f := h.meeting(3)
	h.mustDo("POST", "/api/v1/meetings/"+f.id+"/minutes/pdf", "thuky", nil, 201, nil)
	etag := h.mustDo("GET", "/api/v1/meetings/"+f.id+"/minutes.pdf", "daibieu01", nil, 200, nil).header.Get("ETag")
	reqs := []struct{ name, path, hdr string }{
		{"meeting", "/api/v1/meetings/" + f.id, ""},
		{"state", "/api/v1/meetings/" + f.id + "/state", ""},
		{"document-range", "/api/v1/meetings/" + f.id + "/documents/" + f.doc + "/content", "bytes=0-1023"},
		{"minutes.pdf-304", "/api/v1/meetings/" + f.id + "/minutes.pdf", etag},
	}
	for _, cache := range []bool{false, true} {
		if cache {
			h.acc.AuthCacheTTL, h.mtg.MeetingFreshness = 0, 0 // the defaults
		} else {
			h.acc.AuthCacheTTL, h.mtg.MeetingFreshness = -1, -1
		}
		for _, r := range reqs {
			b.Run(fmt.Sprintf("%s/cache=%v", r.name, cache), func(b *testing.B) {
				h.store.ops.Store(0)
				for range b.N {
					var resp response
					switch {
					case r.name == "document-range":
						resp = h.do("GET", r.path, "daibieu01", nil, "Range", r.hdr)
					case r.hdr != "":
						resp = h.do("GET", r.path, "daibieu01", nil, "If-None-Match", r.hdr)
					default:
						resp = h.do("GET", r.path, "daibieu01", nil)
					}
					if resp.status >= 400 {
						b.Fatalf("%s: %d %s", r.path, resp.status, resp.body)
					}
				}
				b.ReportMetric(float64(h.store.ops.Load())/float64(b.N), "storeops/op")
			})
		}
	}
}
