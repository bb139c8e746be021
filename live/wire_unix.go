//go:build unix

package live

import (
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawConnOf is the descriptor under a plain TCP (or Unix) connection; nil for
// anything else (TLS, a wrapper), whose bytes must go through its own Write.
func rawConnOf(c net.Conn) syscall.RawConn {
	switch c.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return nil
	}
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// maxIovec is the most buffers one writev takes (IOV_MAX on Linux).
const maxIovec = 1024

// rawWriter makes a flusher's writes: one write or writev system call that
// does not wait, since the descriptor is non-blocking. One per flusher
// goroutine, so that a write allocates nothing.
type rawWriter struct {
	frames net.Buffers
	iov    []unix.Iovec
	n      int
	errno  syscall.Errno
	fn     func(fd uintptr) bool
}

func newRawWriter() *rawWriter {
	w := &rawWriter{}
	w.fn = w.call
	return w
}

// call runs under the runtime's hold on the descriptor (RawConn.Write), so the
// descriptor cannot be closed and reused meanwhile. A raw system call: it
// cannot block, and the scheduler need not hand the P over for it.
func (w *rawWriter) call(fd uintptr) bool {
	var r uintptr
	if len(w.frames) == 1 {
		p := w.frames[0]
		r, _, w.errno = unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	} else {
		w.iov = w.iov[:0]
		for _, b := range w.frames[:min(len(w.frames), maxIovec)] {
			v := unix.Iovec{Base: unsafe.SliceData(b)}
			v.SetLen(len(b))
			w.iov = append(w.iov, v)
		}
		r, _, w.errno = unix.RawSyscall(unix.SYS_WRITEV, fd, uintptr(unsafe.Pointer(unsafe.SliceData(w.iov))), uintptr(len(w.iov)))
		clear(w.iov) // hold no frame
	}
	w.n = int(r)
	return true // never wait here: the caller hands a full socket to a goroutine
}

// write writes frames (their first maxIovec) through rc: n is what the socket
// took, 0 when its buffer is full.
func (w *rawWriter) write(rc syscall.RawConn, frames net.Buffers) (n int, err error) {
	w.frames = frames
	w.n, w.errno = 0, 0
	cerr := rc.Write(w.fn)
	w.frames = nil
	switch {
	case cerr != nil:
		return 0, cerr
	case w.errno == unix.EAGAIN || w.errno == unix.EINTR:
		return 0, nil
	case w.errno != 0:
		return 0, w.errno
	}
	return w.n, nil
}
