package main

import (
	"os"
	"testing"
	"time"
)

func TestScanTypeSeq(t *testing.T) {
	cases := []struct {
		in      string
		typ     string
		seq     int64
		hasSeq  bool
		wantErr bool
	}{
		{in: `{"type":"presentation","seq":42,"presentation":{"page":3}}`, typ: "presentation", seq: 42, hasSeq: true},
		{in: ` { "seq" : 7 , "type" : "snapshot" } `, typ: "snapshot", seq: 7, hasSeq: true},
		// A nested "seq" or "type" must not be taken for the top-level one.
		{in: `{"state":{"seq":999,"type":"x","polls":[{"seq":1},"}{\"seq\":5"]},"type":"snapshot","seq":12}`, typ: "snapshot", seq: 12, hasSeq: true},
		{in: `{"type":"error","error":{"code":"forbidden","message":"no \"seq\" here"}}`, typ: "error"},
		{in: `{"presentation":null,"seq":3,"ok":true,"n":-1.5e3,"type":"presentation"}`, typ: "presentation", seq: 3, hasSeq: true},
		{in: `{}`},
		{in: `[1,2]`, wantErr: true},
		{in: `{"type":"presentation","seq":"7"}`, wantErr: true},
		{in: `{"type":"presentation","seq":`, wantErr: true},
		{in: `{"type":"presentation"`, wantErr: true},
		{in: `{"state":{"a":[1,2}`, wantErr: true},
		{in: ``, wantErr: true},
	}
	for _, c := range cases {
		typ, seq, hasSeq, err := scanTypeSeq([]byte(c.in))
		if (err != nil) != c.wantErr {
			t.Errorf("%s: err = %v, want error %v", c.in, err, c.wantErr)
			continue
		}
		if c.wantErr {
			continue
		}
		if typ != c.typ || seq != c.seq || hasSeq != c.hasSeq {
			t.Errorf("%s: got (%q, %d, %v), want (%q, %d, %v)", c.in, typ, seq, hasSeq, c.typ, c.seq, c.hasSeq)
		}
	}
}

func TestCentrifugoPublicationData(t *testing.T) {
	frame := []byte(`{"push":{"channel":"ch","pub":{"offset":3,"data":{"type":"presentation","seq":3,"presentation":{"page":3}}}}}`)
	data := memberAt(frame, "push", "pub", "data")
	typ, seq, ok, err := scanTypeSeq(data)
	if err != nil || !ok || typ != "presentation" || seq != 3 {
		t.Fatalf("got (%q, %d, %v, %v)", typ, seq, ok, err)
	}
	if memberAt([]byte(`{"id":2,"subscribe":{}}`), "push", "pub", "data") != nil {
		t.Fatal("a subscribe reply is not a publication")
	}
}

func TestCentrifugoFrameSplitsLines(t *testing.T) {
	var got []int64
	c := &centrifugo{}
	frame := []byte("{\"push\":{\"channel\":\"c\",\"pub\":{\"data\":{\"type\":\"presentation\",\"seq\":1}}}}\n" +
		"{\"push\":{\"channel\":\"c\",\"pub\":{\"data\":{\"type\":\"presentation\",\"seq\":2}}}}")
	if err := c.frame(nil, frame, func(_ string, seq int64) { got = append(got, seq) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("got %v, want [1 2]", got)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose: summarize sorts a copy
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	s := summarize(d)
	if s.N != 100 || s.P50 != 50 || s.P90 != 90 || s.P99 != 99 || s.Max != 100 {
		t.Fatalf("got %+v", s)
	}
	if d[0] != 100*time.Millisecond {
		t.Fatal("summarize reordered its input")
	}
	one := summarize([]time.Duration{1500 * time.Microsecond})
	if one.P50 != 1.5 || one.P99 != 1.5 || one.Max != 1.5 {
		t.Fatalf("single sample: %+v", one)
	}
	if (summarize(nil) != Dist{}) {
		t.Fatal("empty sample must give zeros")
	}
	// Nearest rank: p99 of 1000 samples is the 990th, not an interpolation.
	var k []time.Duration
	for i := 1; i <= 1000; i++ {
		k = append(k, time.Duration(i)*time.Millisecond)
	}
	if got := summarize(k).P99; got != 990 {
		t.Fatalf("p99 of 1..1000 = %v, want 990", got)
	}
}

func TestSeqTrack(t *testing.T) {
	var s seqTrack
	s.start(10) // the snapshot's seq
	for _, q := range []int64{11, 12, 15, 14, 15, 16} {
		s.observe(q)
	}
	// 13 and 14 skipped after 12 → 2 gaps; 14 and the repeated 15 are not above 15.
	if s.gaps != 2 || s.outOfOrder != 2 || s.last != 16 {
		t.Fatalf("got gaps %d, outOfOrder %d, last %d", s.gaps, s.outOfOrder, s.last)
	}
	var fresh seqTrack
	fresh.observe(5)
	fresh.observe(6)
	if fresh.gaps != 0 || fresh.outOfOrder != 0 {
		t.Fatalf("an unstarted tracker takes its first event as the base: %+v", fresh)
	}
}

func TestMatchTurns(t *testing.T) {
	ms := time.Millisecond
	turns := []turn{{seq: 5, sent: 100 * ms}, {seq: 8, sent: 600 * ms}}
	socks := [][]rec{
		{{seq: 5, at: 110 * ms}, {seq: 6, at: 300 * ms}, {seq: 8, at: 640 * ms}}, // 6 is someone else's
		{{seq: 8, at: 605 * ms}, {seq: 8, at: 700 * ms}},                         // missed 5, got 8 twice
		{},
	}
	r := matchTurns(turns, socks)
	if r.missed != 3 || r.duplicates != 1 || r.unknown != 1 {
		t.Fatalf("missed %d duplicates %d unknown %d", r.missed, r.duplicates, r.unknown)
	}
	if r.turnMax[0] != 10*ms || r.turnMax[1] != 40*ms {
		t.Fatalf("per-turn slowest delivery %v, want [10ms 40ms]", r.turnMax)
	}
	want := []time.Duration{10 * ms, 40 * ms, 5 * ms}
	if len(r.latencies) != len(want) {
		t.Fatalf("latencies %v, want %v", r.latencies, want)
	}
	for i := range want {
		if r.latencies[i] != want[i] {
			t.Fatalf("latencies %v, want %v", r.latencies, want)
		}
	}
}

func TestReadRSSAndCPU(t *testing.T) {
	pid := os.Getpid()
	rss, err := readRSS(pid)
	if err != nil || rss <= 0 {
		t.Fatalf("readRSS(self) = %d, %v", rss, err)
	}
	if _, err := readCPU(pid); err != nil {
		t.Fatal(err)
	}
	if _, err := readRSS(1 << 30); err == nil {
		t.Fatal("a missing process must be an error")
	}
}

// Past what a meeting holds (10,000 participants with the chair), the sockets
// are dealt over 9,999 delegate accounts, a few sockets each.
func TestSocketsDealtOverAccounts(t *testing.T) {
	for _, tc := range []struct{ sockets, accounts, want int }{
		{1000, 0, 1000}, {9999, 0, 9999}, {10000, 0, 9999}, {20000, 0, 9999}, {20000, 5000, 5000}, {10, 50, 10},
	} {
		c := &config{delegates: tc.sockets, accounts: tc.accounts}
		if got := c.accountCount(); got != tc.want {
			t.Errorf("%d sockets, -accounts %d: %d accounts, want %d", tc.sockets, tc.accounts, got, tc.want)
		}
	}
	p := &phonghop{tokens: []string{"a", "b", "c"}}
	for i, want := range []string{"a", "b", "c", "a", "b"} {
		if got := p.token(i); got != want {
			t.Errorf("socket %d signs in as %q, want %q", i, got, want)
		}
	}
	// At 20,000 sockets no account holds more than the server's default 16.
	perAccount := map[int]int{}
	for i := range 20000 {
		perAccount[i%maxMeetingDelegates]++
	}
	for a, n := range perAccount {
		if n > 16 {
			t.Fatalf("account %d holds %d sockets", a, n)
		}
	}
}

func TestColumnName(t *testing.T) {
	for file, want := range map[string]string{
		"/tmp/x/phonghop-before-5000.json":         "phonghop-before",
		"centrifugo-19900.json":                    "centrifugo",
		"a/phonghop.json":                          "phonghop",
		"/tmp/a-very-long-result-file-name-1.json": "bare",
	} {
		if got := columnName(file, "bare"); got != want {
			t.Errorf("%s: %q, want %q", file, got, want)
		}
	}
}

// Check-ins the server made as one event share its seq: the event's frame
// delivers each of them, with its own latency.
func TestMatchTurnsSharedSeq(t *testing.T) {
	ms := time.Millisecond
	turns := []turn{{seq: 5, sent: 0}, {seq: 5, sent: 10 * ms}, {seq: 6, sent: 20 * ms}}
	r := matchTurns(turns, [][]rec{{{seq: 5, at: 30 * ms}, {seq: 6, at: 40 * ms}}, {{seq: 5, at: 50 * ms}}})
	if len(r.latencies) != 5 || r.missed != 1 || r.duplicates != 0 || r.turnMax[0] != 50*ms || r.turnMax[1] != 40*ms || r.turnMax[2] != 20*ms {
		t.Fatalf("%+v", r)
	}
}
