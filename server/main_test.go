package server_test

import (
	"testing"

	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
	"github.com/phonghop/phonghop/storage/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// forEachStore runs a test on the embedded directory store and on a real S3
// server (versitygw, started by s3test).
func forEachStore(t *testing.T, test func(t *testing.T, base storage.Store)) {
	t.Run("dir", func(t *testing.T) {
		st, err := fsstore.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		test(t, st)
	})
	t.Run("s3", func(t *testing.T) { test(t, s3test.NewStore(t)) })
}
