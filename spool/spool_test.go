package spool

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// A dead process's directory goes at the next Open; a live one's stays, and
// nothing else in the base is touched.
func TestOpenRemovesOnlyTheDead(t *testing.T) {
	base := t.TempDir()
	other := filepath.Join(base, "someone-elses.pdf")
	if err := os.WriteFile(other, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	live, _, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	dead, _, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dead.Path, "upload-1.pdf"), make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	dead.lock.Close() // what the kernel does when its process dies
	old := time.Now().Add(-time.Hour)
	unlocked := filepath.Join(base, rootName, prefix+"nolock")
	starting := filepath.Join(base, rootName, prefix+"starting")
	for _, d := range []string{unlocked, starting} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	os.Chtimes(unlocked, old, old)

	next, removed, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	if removed != 2 {
		t.Errorf("removed %d, want 2 (the dead process's and the old one without a lock)", removed)
	}
	for _, gone := range []string{dead.Path, unlocked} {
		if _, err := os.Stat(gone); !os.IsNotExist(err) {
			t.Errorf("%s still there: %v", gone, err)
		}
	}
	for _, kept := range []string{live.Path, starting, other, next.Path} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("%s: %v", kept, err)
		}
	}
	if err := next.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(next.Path); !os.IsNotExist(err) {
		t.Errorf("Close left %s", next.Path)
	}
}

// The lock of a process killed with SIGKILL is free: its directory goes.
func TestKilledProcessDirectoryRemoved(t *testing.T) {
	if os.Getenv("SPOOL_CHILD") != "" {
		d, _, err := Open(os.Getenv("SPOOL_CHILD"))
		if err != nil {
			os.Exit(2)
		}
		os.WriteFile(filepath.Join(d.Path, "upload.pdf"), make([]byte, 1<<20), 0o600)
		os.Stdout.WriteString(d.Path + "\n")
		time.Sleep(time.Hour)
	}
	base := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledProcessDirectoryRemoved$")
	cmd.Env = append(os.Environ(), "SPOOL_CHILD="+base)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, _ := out.Read(buf)
	path := string(buf[:n])
	path = path[:len(path)-1]
	// Alive: its directory is kept.
	d, _, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := os.Stat(filepath.Join(path, "upload.pdf")); err != nil {
		t.Fatalf("a live process's upload: %v", err)
	}
	cmd.Process.Kill() // SIGKILL
	cmd.Wait()
	d, removed, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) || removed != 1 {
		t.Errorf("after kill -9: removed %d, %s: %v", removed, path, err)
	}
}
