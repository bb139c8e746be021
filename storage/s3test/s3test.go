// Package s3test gives tests a real S3 server: Versity's S3 gateway (versitygw,
// Apache-2.0) run on loopback over a temporary directory, or an existing server
// named by the environment. It is how every package runs its suite against S3:
//
//	func TestMain(m *testing.M) { s3test.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		store := s3test.NewStore(t) // fresh bucket on the shared server
//		...
//	}
//
// Server selection, in order:
//   - PHONGHOP_TEST_S3_ENDPOINT (host:port, plain HTTP) with
//     PHONGHOP_TEST_S3_ACCESS_KEY and PHONGHOP_TEST_S3_SECRET_KEY: that server is
//     used and never stopped.
//   - otherwise versitygw from $PHONGHOP_TOOLS_BIN, $HOME/.cache/phonghop/bin or
//     PATH is started once per test binary; `scripts/tools.sh s3` installs it.
//
// When neither is available NewStore fails the test: a suite never skips because
// its server is missing.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop/storage/s3store"
)

// Server is a running S3 server reachable over plain HTTP on Endpoint.
type Server struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string

	cmd  *exec.Cmd
	dir  string
	done chan struct{}
	log  *lockedBuffer
}

// Start returns the server named by PHONGHOP_TEST_S3_ENDPOINT, or starts
// versitygw on a free loopback port over a new temporary directory and waits
// until it answers.
func Start() (*Server, error) {
	if ep := os.Getenv("PHONGHOP_TEST_S3_ENDPOINT"); ep != "" {
		ak, sk := os.Getenv("PHONGHOP_TEST_S3_ACCESS_KEY"), os.Getenv("PHONGHOP_TEST_S3_SECRET_KEY")
		if ak == "" || sk == "" {
			return nil, errors.New("s3test: PHONGHOP_TEST_S3_ENDPOINT is set but PHONGHOP_TEST_S3_ACCESS_KEY or PHONGHOP_TEST_S3_SECRET_KEY is not")
		}
		return &Server{Endpoint: ep, AccessKey: ak, SecretKey: sk}, nil
	}
	bin, err := findGateway()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "phonghop-s3test-")
	if err != nil {
		return nil, fmt.Errorf("s3test: %w", err)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{
		Endpoint:  fmt.Sprintf("127.0.0.1:%d", port),
		AccessKey: "phonghop-" + randHex(4),
		SecretKey: randHex(20),
		dir:       dir,
		done:      make(chan struct{}),
		log:       &lockedBuffer{},
	}
	cmd := exec.Command(bin, "--port", s.Endpoint, "posix", dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	setParentDeath(cmd)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("s3test: start %s: %w", bin, err)
	}
	s.cmd = cmd
	go func() { cmd.Wait(); close(s.done) }()
	if err := s.wait(30 * time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// wait polls until the gateway answers HTTP (any status: an unsigned request
// is refused, which still proves it is serving).
func (s *Server) wait(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-s.done:
			return fmt.Errorf("s3test: versitygw exited: %s", s.log.String())
		default:
		}
		resp, err := client.Get("http://" + s.Endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("s3test: versitygw did not answer on %s within %v: %v; output: %s", s.Endpoint, limit, err, s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends the gateway this package started and removes its data. It does
// nothing for a server named by the environment.
func (s *Server) Stop() {
	if s == nil || s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	os.RemoveAll(s.dir)
}

// NewStore returns a store on a new, uniquely named bucket of the shared
// server, starting the server on first use. Call Main from TestMain so the
// server is stopped when the tests end.
func NewStore(t testing.TB) *s3store.Store {
	t.Helper()
	srv, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := s3store.New(ctx, srv.Config("t-"+randHex(8)))
	if err != nil {
		t.Fatalf("s3test: new store: %v", err)
	}
	return st
}

// Config returns an s3store configuration for bucket on this server.
func (s *Server) Config(bucket string) s3store.Config {
	return s3store.Config{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Bucket: bucket}
}

// Shared returns the server NewStore uses, starting it on first use.
func Shared() (*Server, error) { return shared() }

var (
	once      sync.Once
	sharedSrv *Server
	sharedErr error
)

func shared() (*Server, error) {
	once.Do(func() { sharedSrv, sharedErr = Start() })
	return sharedSrv, sharedErr
}

// Main runs the tests and then stops the shared server, if one was started.
// Use it as a package's TestMain: func TestMain(m *testing.M) { s3test.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if sharedSrv != nil {
		sharedSrv.Stop()
	}
	os.Exit(code)
}

// findGateway looks for versitygw where scripts/tools.sh installs it, then PATH.
func findGateway() (string, error) {
	var dirs []string
	if d := os.Getenv("PHONGHOP_TOOLS_BIN"); d != "" {
		dirs = append(dirs, d)
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".cache", "phonghop", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("s3test: versitygw not found in %s or PATH: run scripts/tools.sh s3 (or set PHONGHOP_TEST_S3_ENDPOINT)", strings.Join(dirs, ", "))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("s3test: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// lockedBuffer collects the gateway's output for error messages, keeping only
// the last 64 KiB.
type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > 64<<10 {
		b.buf = b.buf[len(b.buf)-64<<10:]
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
