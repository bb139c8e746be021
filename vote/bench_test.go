package vote_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage/s3test"
	"github.com/phonghop/phonghop/vote"
)

const burst = 2000

// BenchmarkBurstS3: 2,000 delegates vote at the same moment on the S3 store
// (versitygw); then the same server takes 2,000 raw create-only PUTs from as
// many goroutines, for the ratio of ballots/s to the store's own write rate.
//
//	go test -run '^$' -bench BurstS3 -benchtime 3x ./vote
func BenchmarkBurstS3(b *testing.B) {
	st := s3test.NewStore(b)
	srv, err := s3test.Shared()
	if err != nil {
		b.Fatal(err)
	}
	raw, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""), MaxRetries: 3})
	if err != nil {
		b.Fatal(err)
	}
	f := newFixture(b, st, burst)
	f.svc.TurnoutInterval = 0 // the production default, not the tests' quick one
	ctx := context.Background()
	var lat, rawLat []time.Duration
	var castTime, rawTime, closeTime time.Duration
	for i := 0; b.Loop(); i++ {
		p := f.openPoll(b, vote.CreateRequest{Secret: i%2 == 0})
		d, l := castBurst(b, f, p)
		castTime += d
		lat = append(lat, l...)
		t0 := time.Now()
		closed, err := f.svc.Close(ctx, mid, p.ID, chair)
		if err != nil {
			b.Fatal(err)
		}
		closeTime += time.Since(t0)
		if r := closed.Results; r.Cast != burst || r.Counts[0] != burst/2 || r.Counts[1] != burst/2 || len(r.Receipts) != burst {
			b.Fatalf("results %v cast %d, want %d", r.Counts, r.Cast, burst)
		}
		d, l = rawBurst(b, raw, st.Bucket(), fmt.Sprintf("raw/%d/", i))
		rawTime += d
		rawLat = append(rawLat, l...)
	}
	slices.Sort(lat)
	slices.Sort(rawLat)
	pct := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	ballots := float64(burst*b.N) / castTime.Seconds()
	puts := float64(burst*b.N) / rawTime.Seconds()
	b.ReportMetric(pct(0.50), "p50-ack-ms")
	b.ReportMetric(pct(0.99), "p99-ack-ms")
	b.ReportMetric(ballots, "ballots/s")
	b.ReportMetric(puts, "raw-puts/s")
	b.ReportMetric(ballots/puts, "ratio")
	b.ReportMetric(float64(rawLat[int(0.99*float64(len(rawLat)-1))].Microseconds())/1000, "raw-p99-ms")
	b.ReportMetric(float64(closeTime.Milliseconds())/float64(b.N), "close-ms")
}

// castBurst starts every delegate's ballot at once and returns the burst's wall
// time and each ballot's time to acknowledgement.
func castBurst(b *testing.B, f *fixture, p phonghop.Poll) (time.Duration, []time.Duration) {
	ctx := context.Background()
	lat := make([]time.Duration, burst)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < burst; i++ {
		wg.Go(func() {
			<-start
			t0 := time.Now()
			if _, err := f.svc.Cast(ctx, mid, p.ID, delegate(i), i%2); err != nil {
				b.Errorf("delegate %d: %v", i, err)
			}
			lat[i] = time.Since(t0)
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	d := time.Since(t0)
	if b.Failed() {
		b.FailNow()
	}
	return d, lat
}

// rawBurst is the baseline: the same number of create-only PUTs of a ballot-sized
// body, straight through minio-go, from as many goroutines at once.
func rawBurst(b *testing.B, c *minio.Client, bucket, prefix string) (time.Duration, []time.Duration) {
	ctx := context.Background()
	lat := make([]time.Duration, burst)
	body := []byte(`{"option":1,"receipt":"6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"}`)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < burst; i++ {
		wg.Go(func() {
			<-start
			opts := minio.PutObjectOptions{ContentType: "application/json", DisableContentSha256: true, DisableMultipart: true}
			opts.SetMatchETagExcept("*")
			key := fmt.Sprintf("%s%064x.json", prefix, i)
			t0 := time.Now()
			defer func() { lat[i] = time.Since(t0) }()
			if _, err := c.PutObject(ctx, bucket, key, bytes.NewReader(body), int64(len(body)), opts); err != nil {
				b.Errorf("raw put %d: %v", i, err)
			}
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	return time.Since(t0), lat
}
