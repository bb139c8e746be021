package s3test_test

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/s3store"
	"github.com/phonghop/phonghop/storage/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// Without the gateway and without an endpoint, Start says how to get one.
func TestStartWithoutGatewayExplains(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("PHONGHOP_TEST_S3_ENDPOINT", "")
	t.Setenv("PHONGHOP_TOOLS_BIN", empty)
	t.Setenv("HOME", empty)
	t.Setenv("PATH", empty)
	srv, err := s3test.Start()
	if err == nil {
		srv.Stop()
		t.Fatal("Start found a gateway in empty directories")
	}
	if !strings.Contains(err.Error(), "scripts/tools.sh s3") {
		t.Errorf("error %q does not say to run scripts/tools.sh s3", err)
	}
}

func TestEndpointFromEnvironment(t *testing.T) {
	t.Setenv("PHONGHOP_TEST_S3_ENDPOINT", "127.0.0.1:1")
	t.Setenv("PHONGHOP_TEST_S3_ACCESS_KEY", "ak")
	t.Setenv("PHONGHOP_TEST_S3_SECRET_KEY", "sk")
	srv, err := s3test.Start()
	if err != nil {
		t.Fatal(err)
	}
	if srv.Endpoint != "127.0.0.1:1" || srv.AccessKey != "ak" || srv.SecretKey != "sk" {
		t.Errorf("server = %+v", srv)
	}
	srv.Stop() // a no-op for a server we did not start
	t.Setenv("PHONGHOP_TEST_S3_SECRET_KEY", "")
	if _, err := s3test.Start(); err == nil {
		t.Error("Start accepted an endpoint without a secret key")
	}
}

// A started gateway serves S3 until Stop, which frees its port and data.
func TestStartStop(t *testing.T) {
	if os.Getenv("PHONGHOP_TEST_S3_ENDPOINT") != "" {
		t.Setenv("PHONGHOP_TEST_S3_ENDPOINT", "")
	}
	srv, err := s3test.Start()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := s3store.New(ctx, srv.Config("stop-test"))
	if err != nil {
		srv.Stop()
		t.Fatal(err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	srv.Stop()
	if c, err := net.Dial("tcp", srv.Endpoint); err == nil {
		c.Close()
		t.Errorf("gateway still listening on %s after Stop", srv.Endpoint)
	}
}

func TestNewStoreBucketsAreSeparate(t *testing.T) {
	a, b := s3test.NewStore(t), s3test.NewStore(t)
	if a.Bucket() == b.Bucket() {
		t.Fatalf("two stores share bucket %s", a.Bucket())
	}
	ctx := context.Background()
	if _, err := a.Put(ctx, "k", strings.NewReader("x"), 1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.List(ctx, ""); err != nil || len(got) != 0 {
		t.Errorf("second store sees %v, %v", got, err)
	}
}
