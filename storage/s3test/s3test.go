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
	"github.com/phonghop/phonghop/internal/testtool"
	"net/http"
	"os"
	"os/exec"
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

// findGateway finds the binary scripts/tools.sh installs.
func findGateway() (string, error) {
	p, err := testtool.Find("versitygw", "s3")
	if err != nil {
		return "", fmt.Errorf("s3test: %w (or set PHONGHOP_TEST_S3_ENDPOINT)", err)
	}
	return p, nil
}

func freePort() (int, error) { return testtool.FreePort() }

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

type lockedBuffer = testtool.Tail
