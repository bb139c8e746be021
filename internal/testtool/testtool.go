// Package testtool holds what the test helpers that run real servers (the S3
// gateway, nats-server) share: finding the binary scripts/tools.sh installed, a
// free loopback port, and a buffer keeping the tail of a process's output.
package testtool

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Find looks for the named binary in $PHONGHOP_TOOLS_BIN, then
// ~/.cache/phonghop/bin (where scripts/tools.sh installs it), then PATH. The
// error names the tools.sh argument that installs it.
func Find(name, toolsArg string) (string, error) {
	var dirs []string
	if d := os.Getenv("PHONGHOP_TOOLS_BIN"); d != "" {
		dirs = append(dirs, d)
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".cache", "phonghop", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found in %s or PATH: run scripts/tools.sh %s", name, strings.Join(dirs, ", "), toolsArg)
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Tail keeps the last 64 KiB written to it, for error messages; safe for
// concurrent use.
type Tail struct {
	mu  sync.Mutex
	buf []byte
}

func (b *Tail) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > 64<<10 {
		b.buf = b.buf[len(b.buf)-64<<10:]
	}
	return len(p), nil
}

func (b *Tail) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
