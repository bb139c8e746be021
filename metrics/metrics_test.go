package metrics_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/phonghop/phonghop/metrics"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
)

type canceledStore struct{ storage.Store }

func (canceledStore) Get(ctx context.Context, key string, rng *storage.Range) (io.ReadCloser, storage.Info, error) {
	return nil, storage.Info{}, storage.ErrUnavailable
}

func (canceledStore) Stat(ctx context.Context, key string) (storage.Info, error) {
	return storage.Info{}, context.Canceled
}

// A caller that went away is no store failure (issue #18, item 6); a real
// failure is one.
func TestStoreErrorsLeaveOutHangUps(t *testing.T) {
	base, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	st := m.Store(canceledStore{base})
	_, _ = st.Stat(context.Background(), "a")
	_, _, _ = st.Get(context.Background(), "a", nil)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if strings.Contains(string(body), `phonghop_store_errors_total{op="stat"}`) {
		t.Errorf("a hang-up counted as a store error")
	}
	if !strings.Contains(string(body), `phonghop_store_errors_total{op="get"} 1`) {
		t.Errorf("a failed get is not counted:\n%s", body)
	}
}
