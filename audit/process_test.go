package audit_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
	"github.com/phonghop/phonghop/storage/s3store"
	"github.com/phonghop/phonghop/storage/s3test"
)

// Environment of the appender child (this test binary run again).
const (
	childStore  = "PHONGHOP_AUDIT_CHILD_STORE" // "fs:<dir>" or "s3:<bucket>"
	childName   = "PHONGHOP_AUDIT_CHILD_NAME"
	childKey    = "PHONGHOP_AUDIT_CHILD_KEY"
	childCount  = "PHONGHOP_AUDIT_CHILD_COUNT"
	childWriter = 6
)

// Two operating-system processes append to the same log at once, each with
// a few writers (one appending alone, the others recording, in groups), on the data directory and on S3: every entry is there once
// and the chain verifies.
func TestTwoProcessesAppendingLoseNothing(t *testing.T) {
	if os.Getenv(childStore) != "" {
		t.Skip("in the child")
	}
	run := func(t *testing.T, store string, st storage.Store, env []string) {
		key := newKey(t)
		const per = 25
		var wg sync.WaitGroup
		outs := make([][]byte, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := exec.Command(os.Args[0], "-test.run=^TestAppenderChild$", "-test.count=1")
				cmd.Env = append(os.Environ(), append(env, childStore+"="+store, childName+"="+strconv.Itoa(i),
					childKey+"="+base64.StdEncoding.EncodeToString(key.Seed()), childCount+"="+strconv.Itoa(per))...)
				outs[i], errs[i] = cmd.CombinedOutput()
			}()
		}
		wg.Wait()
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("child %d: %v\n%s", i, errs[i], outs[i])
			}
		}
		r := verify(t, st, key)
		if !r.OK() || r.Entries != 2*childWriter*per || r.Signed == 0 {
			t.Fatalf("report: %+v", r)
		}
		es, err := (&audit.Service{Store: st, Logger: quiet}).Entries(context.Background(), log)
		if err != nil || len(es) != int(r.Entries) {
			t.Fatalf("%d entries read back: %v", len(es), err)
		}
		seen := map[string]bool{}
		for _, e := range es {
			if seen[e.Action] {
				t.Fatalf("%s recorded twice", e.Action)
			}
			seen[e.Action] = true
		}
	}
	t.Run("fs", func(t *testing.T) {
		dir := t.TempDir()
		st, err := fsstore.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		run(t, "fs:"+dir, st, nil)
	})
	t.Run("s3", func(t *testing.T) {
		gw, err := s3test.Shared()
		if err != nil {
			t.Fatal(err)
		}
		bucket := fmt.Sprintf("audit-procs-%d", time.Now().UnixNano())
		st, err := s3store.New(context.Background(), gw.Config(bucket))
		if err != nil {
			t.Fatal(err)
		}
		run(t, "s3:"+bucket, st, []string{"PHONGHOP_TEST_S3_ENDPOINT=" + gw.Endpoint,
			"PHONGHOP_TEST_S3_ACCESS_KEY=" + gw.AccessKey, "PHONGHOP_TEST_S3_SECRET_KEY=" + gw.SecretKey})
	})
}

// TestAppenderChild is the child's work: childWriter writers each append
// count entries named after the child, then the head is signed.
func TestAppenderChild(t *testing.T) {
	store := os.Getenv(childStore)
	if store == "" {
		t.Skip("run by TestTwoProcessesAppendingLoseNothing")
	}
	ctx := context.Background()
	var st storage.Store
	var err error
	switch kind, arg := store[:2], store[3:]; kind {
	case "fs":
		st, err = fsstore.New(arg)
	default:
		var gw *s3test.Server
		if gw, err = s3test.Shared(); err == nil {
			st, err = s3store.New(ctx, gw.Config(arg))
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := base64.StdEncoding.DecodeString(os.Getenv(childKey))
	per, _ := strconv.Atoi(os.Getenv(childCount))
	s := &audit.Service{Store: st, Key: ed25519.NewKeyFromSeed(seed), Logger: quiet}
	var wg sync.WaitGroup
	for g := range childWriter {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				e := audit.Entry{Action: fmt.Sprintf("p%s.%d.%d", os.Getenv(childName), g, i)}
				if g > 0 { // the others' entries are written in groups
					s.Record(ctx, log, e)
					continue
				}
				if _, err := s.Append(ctx, log, e); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := s.Stats(); got.Pending != 0 || got.Written != int64((childWriter-1)*per) { // Append counts nothing
		t.Fatalf("stats: %+v", got)
	}
	if _, err := s.SignHead(ctx, log); err != nil {
		t.Fatal(err)
	}
}
