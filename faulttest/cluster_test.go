package faulttest

import (
	"fmt"
	"github.com/phonghop/phonghop/internal/testtool"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// 2,000 sockets need as many descriptors here and in the children, which
	// inherit this limit.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			fmt.Fprintln(os.Stderr, "faulttest: raising RLIMIT_NOFILE:", err)
		}
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// Binaries: phonghop is built once per run; the servers come from the tools
// directory.
var (
	buildOnce sync.Once
	buildDir  string
	phonghop  string
	buildErr  error
)

func binaries(t *testing.T) (ph, s3gw, nats string) {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "phonghop-faulttest-")
		if buildErr != nil {
			return
		}
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		}
		out := filepath.Join(buildDir, "phonghop")
		args := []string{"build", "-o", out}
		if os.Getenv("PHONGHOP_FAULTTEST_RACE") == "1" {
			// The children check themselves for races (slower, more memory).
			args = append(args, "-race")
		}
		cmd := exec.Command(goBin, append(args, "github.com/phonghop/phonghop/cmd/phonghop")...)
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/phonghop: %v\n%s", err, b)
			return
		}
		phonghop = out
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return phonghop, tool(t, "versitygw", "s3"), tool(t, "nats-server", "nats")
}

// tool finds a server binary where scripts/tools.sh installs it, then in PATH.
func tool(t *testing.T, name, toolsArg string) string {
	t.Helper()
	p, err := testtool.Find(name, toolsArg)
	if err != nil {
		t.Fatalf("faulttest: %v", err)
	}
	return p
}

// proc is one child process that can be killed and started again with the
// same command line (same port, same data directory).
type proc struct {
	name string
	bin  string
	args []string
	env  []string
	out  *ring // stdout and stderr

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s already running", p.name)
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = p.out, p.out
	// The kernel kills the child if the test binary dies without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.cmd, p.done = cmd, done
	fmt.Fprintf(p.out, "--- faulttest: %s started (pid %d)\n", p.name, cmd.Process.Pid)
	return nil
}

// exited reports whether the process started last has ended by itself.
func (p *proc) exited() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL (a crash) and waits for the process to end.
func (p *proc) kill() { p.signalAndWait(syscall.SIGKILL, 0) }

// stop asks the process to end (SIGTERM), killing it after 10 s.
func (p *proc) stop() { p.signalAndWait(syscall.SIGTERM, 10*time.Second) }

func (p *proc) signalAndWait(sig syscall.Signal, grace time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	if grace > 0 {
		select {
		case <-done:
		case <-time.After(grace):
			_ = cmd.Process.Kill()
			<-done
		}
	} else {
		<-done
	}
	fmt.Fprintf(p.out, "--- faulttest: %s stopped with %v\n", p.name, sig)
}

// ring keeps the last bytes a process wrote, and apart from them what follows
// every panic or race report (so a long log does not push it out).
type ring struct {
	mu       sync.Mutex
	buf      []byte
	panicked bool
	alerts   []byte
	alertFor int // bytes still to copy into alerts
	file     *os.File
}

const ringSize = 256 << 10

// newRing returns the output buffer of child name; with PHONGHOP_FAULTTEST_LOGS
// set to a directory, the whole output is also kept there as
// <test>-<name>.log.
func newRing(t *testing.T, name string) *ring {
	r := &ring{}
	if dir := os.Getenv("PHONGHOP_FAULTTEST_LOGS"); dir != "" {
		f, err := os.OpenFile(filepath.Join(dir, t.Name()+"-"+name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatalf("PHONGHOP_FAULTTEST_LOGS: %v", err)
		}
		r.file = f // closed by cluster.shutdown once the child has ended
	}
	return r
}

func (r *ring) Write(b []byte) (int, error) {
	n0 := len(b)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.file != nil {
		_, _ = r.file.Write(b)
	}
	r.buf = append(r.buf, b...)
	if len(r.buf) > ringSize {
		r.buf = append([]byte(nil), r.buf[len(r.buf)-ringSize:]...)
	}
	s := string(b)
	for _, m := range []string{"panic:", "fatal error:", "WARNING: DATA RACE"} {
		if k := strings.Index(s, m); k >= 0 {
			r.panicked = true
			if len(r.alerts) < 64<<10 {
				r.alerts = append(r.alerts, "\n"...)
				r.alertFor = 16 << 10
				b = b[k:]
			}
			break
		}
	}
	if r.alertFor > 0 {
		n := min(len(b), r.alertFor)
		r.alerts = append(r.alerts, b[:n]...)
		r.alertFor -= n
	}
	return n0, nil
}

func (r *ring) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(r.buf)
}

// tail returns the last n lines.
func (r *ring) tail(n int) string {
	lines := strings.Split(strings.TrimRight(r.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// cluster is versitygw + nats-server + two phonghop nodes sharing both.
type cluster struct {
	t     *testing.T
	dir   string
	s3    *proc
	nats  *proc
	nodes [2]*proc
	urls  [2]string // http://127.0.0.1:port
	// s3Addr and natsAddr are host:port, the same across restarts.
	s3Addr, natsAddr string
	// meeting is the demo meeting as node 1 seeded it.
	meeting meeting
}

const adminPassword = "faulttest-quan-tri"

// freePort returns a free loopback port below Linux's ephemeral range
// (32768+), so that while a server is down no outgoing connection can take its
// port before it restarts there.
func freePort(t *testing.T) int {
	t.Helper()
	for range 200 {
		port := 20000 + rand.IntN(12000)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			l.Close()
			return port
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// baseEnv is this process's environment without PHONGHOP_ settings, so a
// developer's own settings do not leak into the children.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PHONGHOP_") {
			env = append(env, kv)
		}
	}
	return env
}

// startCluster starts everything, waits until both nodes are ready and reads
// the demo meeting. Everything is stopped when the test ends; a failed test
// logs the tail of every child's output.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	return startClusterGated(t, nil)
}

// startClusterGated is startCluster with the nodes reaching S3 through
// *gate (set when gate is not nil), which can refuse writes.
func startClusterGated(t *testing.T, gate **writeGate) *cluster {
	t.Helper()
	ph, s3gw, natsBin := binaries(t)
	dir := t.TempDir()
	c := &cluster{t: t, dir: dir}
	t.Cleanup(c.shutdown)

	s3Port, natsPort := freePort(t), freePort(t)
	c.s3Addr, c.natsAddr = fmt.Sprintf("127.0.0.1:%d", s3Port), fmt.Sprintf("127.0.0.1:%d", natsPort)
	const ak, sk = "faulttest", "faulttest-secret"
	c.s3 = &proc{name: "versitygw", bin: s3gw, out: newRing(t, "versitygw"),
		args: []string{"--port", fmt.Sprintf("127.0.0.1:%d", s3Port), "posix", filepath.Join(dir, "s3")},
		env:  append(baseEnv(), "ROOT_ACCESS_KEY="+ak, "ROOT_SECRET_KEY="+sk)}
	if err := os.MkdirAll(filepath.Join(dir, "s3"), 0o755); err != nil {
		t.Fatal(err)
	}
	c.nats = &proc{name: "nats-server", bin: natsBin, out: newRing(t, "nats-server"),
		args: []string{"-a", "127.0.0.1", "-p", fmt.Sprint(natsPort), "-js", "-sd", filepath.Join(dir, "nats")},
		env:  baseEnv()}
	c.startS3()
	c.startNATS()
	s3Endpoint := c.s3Addr
	if gate != nil {
		*gate = newWriteGate(t, c.s3Addr)
		s3Endpoint = (*gate).addr
	}

	for i := range c.nodes {
		port := freePort(t)
		c.urls[i] = fmt.Sprintf("http://127.0.0.1:%d", port)
		cmd := "serve"
		if i == 0 {
			cmd = "demo" // seeds the demo meeting, then serves
		}
		name := fmt.Sprintf("node%d", i+1)
		c.nodes[i] = &proc{name: name, bin: ph, args: []string{cmd}, out: newRing(t, name),
			env: append(baseEnv(),
				fmt.Sprintf("PHONGHOP_ADDR=127.0.0.1:%d", port),
				"PHONGHOP_S3_ENDPOINT="+s3Endpoint,
				"PHONGHOP_S3_ACCESS_KEY="+ak, "PHONGHOP_S3_SECRET_KEY="+sk, "PHONGHOP_S3_BUCKET=phonghop",
				fmt.Sprintf("PHONGHOP_NATS_URL=nats://127.0.0.1:%d", natsPort),
				"PHONGHOP_ADMIN_PASSWORD="+adminPassword, "PHONGHOP_BCRYPT_COST=4",
				"PHONGHOP_LOG_LEVEL=info", "PHONGHOP_LOG_FORMAT=text",
				"PHONGHOP_SHUTDOWN_TIMEOUT=5s",
				// A burst signs in thousands of tablets as a dozen accounts.
				"PHONGHOP_LIVE_SOCKETS_PER_USER=0")}
		c.startNode(i)
	}
	c.meeting = c.demoMeeting()
	return c
}

func (c *cluster) startS3() {
	c.t.Helper()
	if err := c.s3.start(); err != nil {
		c.t.Fatal(err)
	}
	ep := "http://" + c.s3Addr
	c.waitFor(c.s3, 30*time.Second, func() error {
		// Any HTTP answer (an unsigned request is refused) proves it serves.
		resp, err := quickClient.Get(ep + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	})
}

func (c *cluster) startNATS() {
	c.t.Helper()
	if err := c.nats.start(); err != nil {
		c.t.Fatal(err)
	}
	addr := c.natsAddr
	c.waitFor(c.nats, 30*time.Second, func() error {
		// The client port opens once JetStream has recovered its store.
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
		}
		return err
	})
}

// startNode starts node i and waits until /readyz answers 200 (the demo node
// answers only once the meeting is seeded).
func (c *cluster) startNode(i int) {
	c.t.Helper()
	if err := c.nodes[i].start(); err != nil {
		c.t.Fatal(err)
	}
	c.waitFor(c.nodes[i], 90*time.Second, func() error { return c.ready(i) })
}

var quickClient = &http.Client{Timeout: 2 * time.Second}

// ready returns nil when node i's /readyz answers 200.
func (c *cluster) ready(i int) error {
	resp, err := quickClient.Get(c.urls[i] + "/readyz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz answered %d", resp.StatusCode)
	}
	return nil
}

// waitFor polls check until it succeeds, failing the test if p exits or the
// time runs out.
func (c *cluster) waitFor(p *proc, limit time.Duration, check func() error) {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil {
			return
		}
		if p.exited() {
			c.t.Fatalf("%s exited while starting; its output:\n%s", p.name, p.out.tail(40))
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s not ready within %v: %v; its output:\n%s", p.name, limit, err, p.out.tail(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eventually polls check every 100 ms until it succeeds or limit passes.
func eventually(limit time.Duration, check func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *cluster) procs() []*proc {
	return []*proc{c.nodes[0], c.nodes[1], c.nats, c.s3}
}

// checkAlive fails the test if a phonghop node crashed (exited by itself or
// wrote a panic or a race report).
func (c *cluster) checkAlive() {
	c.t.Helper()
	for _, n := range c.nodes {
		if n == nil {
			continue
		}
		if n.exited() {
			c.t.Errorf("%s exited by itself; its output:\n%s", n.name, n.out.tail(60))
		}
		n.out.mu.Lock()
		bad, alerts := n.out.panicked, string(n.out.alerts)
		n.out.mu.Unlock()
		if bad {
			c.t.Errorf("%s panicked or reported a race:\n%s", n.name, alerts)
		}
	}
}

func (c *cluster) shutdown() {
	if c.t.Failed() {
		for _, p := range c.procs() {
			if p != nil {
				c.t.Logf("==== last lines of %s ====\n%s", p.name, p.out.tail(30))
			}
		}
	}
	// Nodes first (they close sockets and their NATS connection), then NATS, then S3.
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		if n != nil {
			wg.Add(1)
			go func() { defer wg.Done(); n.stop() }()
		}
	}
	wg.Wait()
	for _, p := range []*proc{c.nats, c.s3} {
		if p != nil {
			p.stop()
		}
	}
	for _, p := range c.procs() {
		if p != nil && p.out.file != nil {
			p.out.mu.Lock()
			p.out.file.Close()
			p.out.file = nil
			p.out.mu.Unlock()
		}
	}
}
