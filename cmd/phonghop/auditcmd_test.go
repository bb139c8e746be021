package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/s3store"
	"github.com/phonghop/phonghop/storage/s3test"
)

func auditKeyFile(t *testing.T) (string, ed25519.PublicKey) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "audit.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, pub
}

// Two processes serve one store and record failed sign-ins at once; both stop
// (signing their heads), `phonghop audit verify` passes and every attempt is
// recorded once; an entry changed afterwards makes it fail. On the data
// directory and on S3.
func TestAuditVerifyCommand(t *testing.T) {
	t.Run("dir", func(t *testing.T) {
		dir := t.TempDir()
		testAuditVerifyCommand(t, []string{"-data-dir", dir}, 2, func() storage.Store { return mustFS(t, dir) })
	})
	t.Run("s3", func(t *testing.T) {
		gw, err := s3test.Shared()
		if err != nil {
			t.Fatal(err)
		}
		bucket := bucketName()
		flags := []string{"-s3-endpoint", gw.Endpoint, "-s3-access-key", gw.AccessKey, "-s3-secret-key", gw.SecretKey, "-s3-bucket", bucket}
		testAuditVerifyCommand(t, flags, 2, func() storage.Store {
			st, err := s3store.New(context.Background(), gw.Config(bucket))
			if err != nil {
				t.Fatal(err)
			}
			return st
		})
	})
}

func testAuditVerifyCommand(t *testing.T, storeFlags []string, nodes int, open func() storage.Store) {
	keyFile, pub := auditKeyFile(t)
	flags := append([]string{"-audit-key", keyFile, "-audit-sign-interval", "200ms"}, storeFlags...)
	var ns []*node
	for range nodes {
		ns = append(ns, startNode(t, "serve", flags...))
	}
	const per = 15
	var wg sync.WaitGroup
	for i, n := range ns {
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range per {
					// Each attempt told apart by its device: a name no account has is not kept.
					body, _ := json.Marshal(map[string]string{"username": fmt.Sprintf("ghost-%d-%d-%d", i, g, k), "password": "khong-phai-dau"})
					req, _ := http.NewRequest("POST", n.base+"/api/v1/auth/login", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("User-Agent", fmt.Sprintf("ghost-%d-%d-%d", i, g, k))
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 401 {
						t.Errorf("failed sign-in answered %d", resp.StatusCode)
					}
				}
			}()
		}
	}
	wg.Wait()
	for _, n := range ns {
		n.stop()
	}
	ctx := context.Background()
	verify := append([]string{"audit", "verify", "-public-key", audit.PublicKeyString(pub), "-log-level", "warn"}, storeFlags...)
	var out bytes.Buffer
	if err := run(ctx, verify, &out, io.Discard); err != nil {
		t.Fatalf("verify: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "ok       accounts: ") {
		t.Fatalf("verify said:\n%s", out.String())
	}
	st := open()
	reports, err := audit.Verify(ctx, st, pub, audit.Accounts)
	if err != nil || len(reports) != 1 || reports[0].Signed != reports[0].Entries {
		t.Fatalf("reports %+v %v", reports, err)
	}
	seen := map[string]int{}
	for seq := uint64(1); seq <= reports[0].Entries; seq++ {
		var e audit.Entry
		if _, err := storage.GetJSON(ctx, st, audit.EntryKey(audit.Accounts, seq), &e); err != nil {
			t.Fatal(err)
		}
		if e.Action == "signin.failed" {
			seen[e.Device]++
		}
	}
	if len(seen) != nodes*2*per {
		t.Fatalf("%d failed sign-ins recorded, want %d", len(seen), nodes*2*per)
	}
	for u, n := range seen {
		if n != 1 {
			t.Fatalf("%s recorded %d times", u, n)
		}
	}

	// Someone with the store's keys rewrites from where a sign-in was tried.
	k := audit.EntryKey(audit.Accounts, 3)
	rc, _, err := st.Get(ctx, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	b = bytes.Replace(b, []byte(`"device":"`), []byte(`"device":"x`), 1)
	if _, err := st.Put(ctx, k, bytes.NewReader(b), int64(len(b)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(ctx, verify, &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "BROKEN   accounts") || !strings.Contains(out.String(), "entry 4 does not follow entry 3") {
		t.Fatalf("verify after tampering: %v\n%s", err, out.String())
	}
}
