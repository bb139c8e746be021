package minutes

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// opCounter counts store operations.
type opCounter struct {
	storage.Store
	ops atomic.Int64
}

func (c *opCounter) Get(ctx context.Context, key string, rng *storage.Range) (io.ReadCloser, storage.Info, error) {
	c.ops.Add(1)
	return c.Store.Get(ctx, key, rng)
}
func (c *opCounter) Stat(ctx context.Context, key string) (storage.Info, error) {
	c.ops.Add(1)
	return c.Store.Stat(ctx, key)
}
func (c *opCounter) List(ctx context.Context, prefix string) ([]storage.Info, error) {
	c.ops.Add(1)
	return c.Store.List(ctx, prefix)
}

type oneMeeting struct{ m *phonghop.Meeting }

func (o oneMeeting) Meeting(ctx context.Context, id string) (*phonghop.Meeting, error) {
	return o.m, nil
}

// BenchmarkMinutesCost is what a minutes GET and a minutes.pdf download cost
// in store operations and time, for a meeting with a 300-event journal and 10
// rendered versions (docs/performance.md):
//
//	go test ./minutes -run '^$' -bench MinutesCost -benchtime 200x
func BenchmarkMinutesCost(b *testing.B) {
	ctx := context.Background()
	base, err := fsstore.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	st := &opCounter{Store: base}
	j := &journal.Journal{Store: st}
	m := &phonghop.Meeting{ID: "m1", Title: "Kỳ họp", Language: "vi",
		Participants: []phonghop.Participant{{UserID: "u1", DisplayName: "Đại biểu", Role: phonghop.RoleDelegate}},
		Agenda:       []phonghop.AgendaItem{{ID: "i1", Title: "Mục 1"}}}
	for seq := uint64(1); seq <= 300; seq++ {
		data, _ := json.Marshal(map[string]any{"present": []string{"u1"}, "expected": 1, "quorum": true})
		if err := j.Append(ctx, "m1", journal.Entry{Seq: seq, Type: "attendance", Time: time.Now(), Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	for n := 1; n <= 10; n++ {
		pdf := []byte(fmt.Sprintf("%%PDF-1.4 version %d", n))
		if _, err := st.Put(ctx, pdfKey("m1", n), bytes.NewReader(pdf), int64(len(pdf)), storage.PutOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := storage.PutJSON(ctx, st, metaKey("m1", n), Version{Version: n, Size: int64(len(pdf))}, storage.PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	s := &Service{Store: st, Journal: j, Meetings: oneMeeting{m}}
	b.Run("get", func(b *testing.B) {
		if _, err := s.Get(ctx, "m1"); err != nil { // a first read, as a server that has served the minutes once
			b.Fatal(err)
		}
		st.ops.Store(0)
		b.ResetTimer()
		for range b.N {
			if _, err := s.Get(ctx, "m1"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(st.ops.Load())/float64(b.N), "storeops/op")
	})
	b.Run("pdf-not-modified", func(b *testing.B) {
		st.ops.Store(0)
		for range b.N {
			rc, v, err := s.Open(ctx, "m1", 0)
			if err != nil || v.Version != 10 {
				b.Fatal(err, v.Version)
			}
			rc.Close() // the client's copy is current: nothing is sent
		}
		b.ReportMetric(float64(st.ops.Load())/float64(b.N), "storeops/op")
	})
}
