//go:build !unix

package live

import (
	"net"
	"syscall"
)

// rawConnOf: off unix, every client has a writer goroutine (client.kickLocked).
func rawConnOf(net.Conn) syscall.RawConn { return nil }

type rawWriter struct{}

func newRawWriter() *rawWriter { return &rawWriter{} }

func (*rawWriter) write(syscall.RawConn, net.Buffers) (int, error) { return 0, syscall.EINVAL }
