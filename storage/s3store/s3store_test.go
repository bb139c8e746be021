package s3store_test

import (
	"testing"

	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/s3test"
	"github.com/phonghop/phonghop/storage/storagetest"
)

func TestMain(m *testing.M) { s3test.Main(m) }

func TestContract(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return s3test.NewStore(t) })
}
