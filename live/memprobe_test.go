package live

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
)

var memprobeDetach = flag.Bool("live.memprobe.detach", false, "measure with Config.ReturnAfterUpgrade")

var memprobe = flag.Int("live.memprobe", 5000, "idle sockets BenchmarkIdleSocketMemory opens")

func TestMain(m *testing.M) {
	if os.Getenv("LIVE_MEMPROBE_SERVER") == "1" {
		probeServer()
		return
	}
	os.Exit(m.Run())
}

// probeServer serves a hub until its stdin closes; it prints its address.
func probeServer() {
	h := NewHub(Config{Broker: NewMemoryBroker(0), Meetings: meetings{"m1": testMeeting(5)},
		ReturnAfterUpgrade: os.Getenv("LIVE_MEMPROBE_DETACH") == "1"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr())
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeWS(w, r, Client{MeetingID: "m1", User: phonghop.User{ID: delegateID(0)}})
	}))
	in := bufio.NewReader(os.Stdin)
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return
		}
		if f := os.Getenv("LIVE_MEMPROBE_HEAPPROFILE"); f != "" && strings.TrimSpace(line) == "stats" {
			if w, err := os.Create(f); err == nil {
				runtime.GC()
				pprof.WriteHeapProfile(w)
				w.Close()
			}
		}
		if strings.TrimSpace(line) == "stats" {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Printf("heap %d KiB, stacks %d KiB, %d goroutines\n", ms.HeapInuse>>10, ms.StackInuse>>10, runtime.NumGoroutine())
		}
	}
}

func rssKiB(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// BenchmarkIdleSocketMemory opens -live.memprobe idle sockets to a hub in a
// child process and reports the child's RSS per socket (run it with
// -benchtime 1x; add -live.memprobe.detach for Config.ReturnAfterUpgrade).
func BenchmarkIdleSocketMemory(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.ReportMetric(idleSocketKiB(b, *memprobe), "KiB/socket")
	}
}

func idleSocketKiB(t testing.TB, n int) float64 {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LIVE_MEMPROBE_SERVER=1")
	if *memprobeDetach {
		cmd.Env = append(cmd.Env, "LIVE_MEMPROBE_DETACH=1")
	}
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	outr := bufio.NewReader(out)
	stats := func() string {
		fmt.Fprintln(stdin, "stats")
		line, _ := outr.ReadString('\n')
		return strings.TrimSpace(line)
	}
	addr, err := outr.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := "ws://" + strings.TrimSpace(addr) + "/"
	warm, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	warm.ReadMessage()
	time.Sleep(500 * time.Millisecond)
	before := rssKiB(cmd.Process.Pid)
	stats0 := stats()
	conns := make([]*websocket.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			t.Fatalf("socket %d: %v", i, err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	time.Sleep(3 * time.Second)
	after := rssKiB(cmd.Process.Pid)
	t.Logf("server before: %s; after: %s (after a GC)", stats0, stats())
	t.Logf("%d idle sockets: server RSS %d KiB → %d KiB, %.1f KiB per socket", n, before, after, float64(after-before)/float64(n))
	for _, c := range conns {
		c.Close()
	}
	warm.Close()
	return float64(after-before) / float64(n)
}
