package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/s3test"
)

// patternReader yields size bytes of a PDF: a header, then filler. It
// generates the bytes as they are read, so the test itself holds no copy.
type patternReader struct {
	size, off int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.size {
		return 0, io.EOF
	}
	n := int64(len(b))
	if n > p.size-p.off {
		n = p.size - p.off
	}
	for i := int64(0); i < n; {
		o := p.off + i
		if o < int64(len(pdfHead)) {
			b[i] = pdfHead[o]
			i++
			continue
		}
		i += int64(copy(b[i:n], alphabet[o%26:]))
	}
	p.off += n
	return int(n), nil
}

var (
	pdfHead  = []byte("%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n") // what a PDF without cross-references needs to pass
	alphabet = []byte("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz")
)

// streamUpload posts size bytes as a multipart upload without buffering them.
func streamUpload(h *harness, mid, as string, size int64) (*http.Response, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("file", "lon.pdf")
		if err == nil {
			_, err = io.Copy(fw, &patternReader{size: size})
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/meetings/"+mid+"/documents", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+h.tokens[as])
	return http.DefaultClient.Do(req)
}

// A 200 MiB upload must not grow the server's memory by more than 32 MiB. The
// client, server and store share this process, so the heap is what is sampled.
func TestUploadMemoryStaysFlat(t *testing.T) {
	forEachStore(t, func(t *testing.T, base storage.Store) {
		h := newHarness(t, base)
		h.mtg.DocumentLimit = 256 << 20
		f := h.meeting(0)
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		baseline := ms.HeapInuse
		var peak atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}()
		const size = 200 << 20
		resp, err := streamUpload(h, f.id, "thuky", size)
		close(stop)
		<-done
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var doc phonghop.Document
		if resp.StatusCode != 201 || json.NewDecoder(resp.Body).Decode(&doc) != nil || doc.Size != size {
			t.Fatalf("upload: %d %+v", resp.StatusCode, doc)
		}
		grow := int64(peak.Load()) - int64(baseline)
		t.Logf("heap in use grew by %.1f MiB during a %d MiB upload", float64(grow)/(1<<20), size>>20)
		if grow > 32<<20 {
			t.Fatalf("heap grew by %d MiB during the upload, limit 32", grow>>20)
		}
		// The stored bytes are exactly what was sent.
		sum := sha256.New()
		_, _ = io.Copy(sum, &patternReader{size: size})
		if doc.SHA256 != hex.EncodeToString(sum.Sum(nil)) {
			t.Fatal("stored hash differs from the sent bytes")
		}
	})
}

// A client that disconnects mid-upload leaves no object and no document.
func TestUploadAbortedMidway(t *testing.T) {
	forEachStore(t, func(t *testing.T, base storage.Store) {
		h := newHarness(t, base)
		f := h.meeting(0)
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			fw, _ := mw.CreateFormFile("file", "cut.pdf")
			_, _ = io.Copy(fw, &patternReader{size: 3 << 20})
			pw.CloseWithError(io.ErrUnexpectedEOF) // the tablet's Wi-Fi drops
		}()
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/meetings/"+f.id+"/documents", pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+h.tokens["thuky"])
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			infos, err := h.store.List(context.Background(), "meetings/"+f.id+"/documents/")
			if err != nil {
				t.Fatal(err)
			}
			if len(infos) == 1 { // only the fixture's document
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("aborted upload left %d objects", len(infos))
			}
			time.Sleep(50 * time.Millisecond)
		}
		var m phonghop.Meeting
		h.mustDo("GET", "/api/v1/meetings/"+f.id, "thuky", nil, 200, &m)
		if len(m.Documents) != 1 {
			t.Fatalf("aborted upload recorded: %d documents", len(m.Documents))
		}
	})
}

// BenchmarkDocumentThroughput compares a 64 MiB upload and download through
// phonghop with minio-go's PutObject/GetObject on the same S3 server, in the
// same run. Report: MB/s of each (b.SetBytes) and the ratios.
func BenchmarkDocumentThroughput(b *testing.B) {
	const size = 64 << 20
	srv, err := s3test.Shared()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("raw-minio-put", func(b *testing.B) {
		mc, bucket := rawClient(b, srv)
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			if _, err := mc.PutObject(context.Background(), bucket, "raw", &patternReader{size: size}, size, minio.PutObjectOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-minio-get", func(b *testing.B) {
		mc, bucket := rawClient(b, srv)
		if _, err := mc.PutObject(context.Background(), bucket, "raw", &patternReader{size: size}, size, minio.PutObjectOptions{}); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			o, err := mc.GetObject(context.Background(), bucket, "raw", minio.GetObjectOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if n, _ := io.Copy(io.Discard, o); n != size {
				b.Fatalf("read %d", n)
			}
			o.Close()
		}
	})
	h := newHarness(b, s3test.NewStore(b))
	h.mtg.DocumentLimit = 256 << 20
	f := h.meeting(0)
	b.Run("phonghop-upload", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			resp, err := streamUpload(h, f.id, "thuky", size)
			if err != nil || resp.StatusCode != 201 {
				b.Fatalf("upload: %v %v", err, resp)
			}
			resp.Body.Close()
		}
	})
	resp, err := streamUpload(h, f.id, "thuky", size)
	if err != nil || resp.StatusCode != 201 {
		b.Fatal(err)
	}
	var doc phonghop.Document
	_ = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	b.Run("phonghop-download", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/meetings/"+f.id+"/documents/"+doc.ID+"/content", nil)
			req.Header.Set("Authorization", "Bearer "+h.tokens["thuky"])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			if n, _ := io.Copy(io.Discard, resp.Body); n != size {
				b.Fatalf("read %d", n)
			}
			resp.Body.Close()
		}
	})
}

func rawClient(b *testing.B, srv *s3test.Server) (*minio.Client, string) {
	mc, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		b.Fatal(err)
	}
	bucket := "raw-" + hex.EncodeToString(sha256.New().Sum([]byte(b.Name()))[:6])
	_ = mc.MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{})
	return mc, bucket
}
