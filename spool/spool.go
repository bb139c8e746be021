// Package spool gives a process a directory of its own for the files it holds
// while it works on them (uploads being checked and indexed, office
// conversions), and empties what a process that died left behind.
//
// Each process works in <base>/phonghop-spool/proc-<random>, holding an
// exclusive lock (flock) on a file in it for as long as it runs. The lock goes
// with the process, even on kill -9; so at start, every proc-* directory
// whose lock nobody holds belongs to a dead process and is removed whole,
// while the directories of others sharing the base (several processes on one
// host) are left alone. Nothing outside phonghop-spool is ever touched, so the
// base may be the system's temporary directory.
package spool

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Dir is one process's spool directory.
type Dir struct {
	// Path is where the process puts its files.
	Path string
	lock *os.File
}

const (
	rootName = "phonghop-spool"
	prefix   = "proc-"
	lockName = ".lock"
)

// Open makes the process's directory under base (empty: the system's
// temporary directory) after removing those of dead processes. It reports how
// many it removed.
func Open(base string) (d *Dir, removed int, err error) {
	if base == "" {
		base = os.TempDir()
	}
	root := filepath.Join(base, rootName)
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	removed, err = clean(root)
	if err != nil {
		return nil, removed, err
	}
	var b [8]byte
	rand.Read(b[:])
	path := filepath.Join(root, prefix+hex.EncodeToString(b[:]))
	if err := os.Mkdir(path, 0o700); err != nil {
		return nil, removed, fmt.Errorf("spool: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(path, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err == nil && !tryLock(lock) {
		lock.Close()
		err = errors.New("locked by another process")
	}
	if err != nil {
		os.RemoveAll(path)
		return nil, removed, fmt.Errorf("spool: %w", err)
	}
	return &Dir{Path: path, lock: lock}, removed, nil
}

// clean removes the directories of processes that hold no lock any more.
func clean(root string) (removed int, err error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return 0, fmt.Errorf("spool: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR, 0); err == nil {
			free := tryLock(f)
			f.Close() // lets go of the lock too
			if !free {
				continue // a live process's
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			continue
		} else if fi, err := e.Info(); err != nil || time.Since(fi.ModTime()) < time.Minute {
			continue // no lock file yet: a process starting this moment
		}
		// The lock is free, or a process died before making its lock file:
		// nothing in it is in use.
		if os.RemoveAll(dir) == nil {
			removed++
		}
	}
	return removed, nil
}

// Close removes the directory and everything in it.
func (d *Dir) Close() error {
	if d == nil || d.lock == nil {
		return nil
	}
	err := os.RemoveAll(d.Path)
	d.lock.Close()
	d.lock = nil
	return err
}
