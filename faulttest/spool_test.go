package faulttest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// kill -9 during an upload left the spool file (up to the document limit) in
// the system's temporary directory for a day. Now uploads are spooled in the
// process's own directory, and the next start removes a dead process's.
func TestKilledUploadLeavesNoSpool(t *testing.T) {
	s := startSingle(t, "dir")
	root := filepath.Join(s.dir, "spool", "phonghop-spool")
	tok := s.login(0, "thuky")
	data := pdfBytes(4<<20, 11)
	halfway, pause := make(chan struct{}), make(chan struct{})
	defer close(pause)
	go s.upload(0, tok, "dang-tai.pdf", data, halfway, pause)
	<-halfway
	// Wait until the half that was sent is on disk.
	var spooled string
	for deadline := time.Now().Add(60 * time.Second); spooled == ""; {
		files, _ := filepath.Glob(filepath.Join(root, "proc-*", "*.pdf"))
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil && fi.Size() >= 1<<20 {
				spooled = f
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no spool file under %s", root)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.nodes[0].kill()
	if _, err := os.Stat(spooled); err != nil {
		t.Fatalf("the killed process's spool file should still be there before a restart: %v", err)
	}
	s.startNode(0)
	if _, err := os.Stat(filepath.Dir(spooled)); !os.IsNotExist(err) {
		t.Errorf("after the restart %s is still there (%v)", filepath.Dir(spooled), err)
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "proc-*"))
	if len(dirs) != 1 {
		t.Errorf("spool directories after the restart: %v, want the new process's only", dirs)
	}
}
