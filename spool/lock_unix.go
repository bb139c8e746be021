//go:build unix

package spool

import (
	"os"
	"syscall"
)

// tryLock takes an exclusive flock on f if nobody holds one.
func tryLock(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
