// Package natstest gives tests a real NATS server with JetStream: nats-server
// (Apache-2.0) run on loopback over a temporary store directory, or an existing
// server named by the environment.
//
//	func TestMain(m *testing.M) { natstest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		url := natstest.URL(t) // the shared server, started on first use
//		...
//	}
//
// Server selection, in order:
//   - PHONGHOP_TEST_NATS_URL: that server is used and never stopped (it must
//     have JetStream enabled).
//   - otherwise nats-server from $PHONGHOP_TOOLS_BIN, $HOME/.cache/phonghop/bin
//     or PATH; `scripts/tools.sh nats` installs it.
//
// When neither is available URL fails the test: a suite never skips because its
// server is missing.
package natstest

import (
	"errors"
	"fmt"
	"github.com/phonghop/phonghop/internal/testtool"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a running nats-server with JetStream.
type Server struct {
	URL  string // nats://127.0.0.1:port
	Port int
	Dir  string // JetStream store directory (empty for an external server)

	bin  string
	args []string // besides address, port and JetStream
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *lockedBuffer
}

// Start returns the server named by PHONGHOP_TEST_NATS_URL, or starts
// nats-server with JetStream on a free loopback port over a new temporary
// directory and waits until it accepts connections.
func Start() (*Server, error) {
	if u := os.Getenv("PHONGHOP_TEST_NATS_URL"); u != "" {
		return &Server{URL: u}, nil
	}
	return StartLocal()
}

// StartLocal starts a nats-server of its own whatever the environment says,
// for tests that stop, restart or freeze it.
func StartLocal() (*Server, error) {
	bin, err := findServer()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "phonghop-natstest-")
	if err != nil {
		return nil, fmt.Errorf("natstest: %w", err)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{URL: fmt.Sprintf("nats://127.0.0.1:%d", port), Port: port, Dir: dir, bin: bin, log: &lockedBuffer{}}
	if err := s.Restart(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// StartCluster starts n nats-servers routed into one JetStream cluster on
// loopback and waits until JetStream answers on every one (streams with
// replicas need the cluster's meta leader). It ignores PHONGHOP_TEST_NATS_URL.
func StartCluster(n int) ([]*Server, error) {
	bin, err := findServer()
	if err != nil {
		return nil, err
	}
	ports := make([]int, 2*n)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return nil, err
		}
	}
	var routes []string
	for i := 0; i < n; i++ {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[n+i]))
	}
	var servers []*Server
	stop := func() {
		for _, s := range servers {
			s.Stop()
		}
	}
	for i := 0; i < n; i++ {
		dir, err := os.MkdirTemp("", "phonghop-natstest-")
		if err != nil {
			stop()
			return nil, fmt.Errorf("natstest: %w", err)
		}
		s := &Server{URL: fmt.Sprintf("nats://127.0.0.1:%d", ports[i]), Port: ports[i], Dir: dir, bin: bin, log: &lockedBuffer{},
			args: []string{"-n", fmt.Sprintf("n%d", i), "--cluster_name", "phonghop-test",
				"--cluster", routes[i], "--routes", strings.Join(routes, ",")}}
		if err := s.Restart(); err != nil {
			os.RemoveAll(dir)
			stop()
			return nil, err
		}
		servers = append(servers, s)
	}
	return servers, nil
}

// Restart starts the server again on the same port and store directory after
// Kill or Halt (a NATS outage and recovery); it is how Start starts it too.
func (s *Server) Restart() error {
	if s.bin == "" {
		return errors.New("natstest: cannot restart a server named by the environment")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("natstest: server already running")
	}
	args := append([]string{"-a", "127.0.0.1", "-p", fmt.Sprint(s.Port), "-js", "-sd", s.Dir}, s.args...)
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	setParentDeath(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("natstest: start %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-done:
			s.cmd = nil
			return fmt.Errorf("natstest: nats-server exited: %s", s.log.String())
		default:
		}
		// The client port opens once JetStream has recovered its store.
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			s.cmd = nil
			return fmt.Errorf("natstest: nats-server did not listen on %d: %v; output: %s", s.Port, err, s.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Halt stops the server (SIGINT, then SIGKILL after 5 s) and keeps its store
// directory, so Restart brings back the same streams.
func (s *Server) Halt() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// Freeze stops the server's process (SIGSTOP) and returns once it is stopped:
// its connections stay open but nothing is answered. Thaw (SIGCONT) resumes it.
func (s *Server) Freeze() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return errors.New("natstest: server not running")
	}
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		return err
	}
	waitStopped(s.cmd.Process.Pid)
	return nil
}

// Thaw resumes a frozen server.
func (s *Server) Thaw() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return errors.New("natstest: server not running")
	}
	return s.cmd.Process.Signal(syscall.SIGCONT)
}

// Stop halts the server this package started and removes its store. It does
// nothing for a server named by the environment.
func (s *Server) Stop() {
	if s == nil || s.bin == "" {
		return
	}
	s.Halt()
	os.RemoveAll(s.Dir)
}

// Output returns the server's recent log, for failure messages.
func (s *Server) Output() string { return s.log.String() }

var (
	once      sync.Once
	sharedSrv *Server
	sharedErr error
)

// Shared returns the server URL uses, starting it on first use.
func Shared() (*Server, error) {
	once.Do(func() { sharedSrv, sharedErr = Start() })
	return sharedSrv, sharedErr
}

// URL returns the shared server's URL, failing the test when there is none.
func URL(t testing.TB) string {
	t.Helper()
	s, err := Shared()
	if err != nil {
		t.Fatal(err)
	}
	return s.URL
}

// Main runs the tests and then stops the shared server, if one was started.
func Main(m *testing.M) {
	code := m.Run()
	if sharedSrv != nil {
		sharedSrv.Stop()
	}
	os.Exit(code)
}

// findServer finds the binary scripts/tools.sh installs.
func findServer() (string, error) {
	p, err := testtool.Find("nats-server", "nats")
	if err != nil {
		return "", fmt.Errorf("natstest: %w (or set PHONGHOP_TEST_NATS_URL)", err)
	}
	return p, nil
}

func freePort() (int, error) { return testtool.FreePort() }

type lockedBuffer = testtool.Tail

// Pid returns the server process's id (0 when not started here), for a
// benchmark's memory and CPU readings.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}
