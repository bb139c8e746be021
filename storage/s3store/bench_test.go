package s3store_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/s3store"
	"github.com/phonghop/phonghop/storage/s3test"
)

// The benchmarks compare plain minio-go calls with s3store on the same
// gateway, in the same run, with the same 64 MiB of data:
//
//	go test -run '^$' -bench . -benchmem -benchtime 5x ./storage/s3store

const benchSize = 64 << 20

func benchData() []byte {
	b := make([]byte, benchSize)
	r := rand.NewChaCha8([32]byte{7})
	r.Read(b)
	return b
}

// onlyReader hides bytes.Reader's Seek and ReadAt, as an HTTP request body
// would: the store must stream it.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func benchSetup(b *testing.B) (*s3store.Store, *minio.Client, []byte) {
	b.Helper()
	st := s3test.NewStore(b)
	srv, err := s3test.Shared()
	if err != nil {
		b.Fatal(err)
	}
	raw, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		b.Fatal(err)
	}
	return st, raw, benchData()
}

// BenchmarkRawPutObject is minio-go's PutObject with its defaults, given a
// seekable reader (which lets it upload 16 MiB parts on 4 threads).
func BenchmarkRawPutObject(b *testing.B) {
	st, raw, data := benchSetup(b)
	ctx := context.Background()
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := raw.PutObject(ctx, st.Bucket(), "bench/raw", bytes.NewReader(data), benchSize, minio.PutObjectOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawPutObjectStream is the same with a non-seekable reader.
func BenchmarkRawPutObjectStream(b *testing.B) {
	st, raw, data := benchSetup(b)
	ctx := context.Background()
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := raw.PutObject(ctx, st.Bucket(), "bench/raw", onlyReader{bytes.NewReader(data)}, benchSize, minio.PutObjectOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawGetObject(b *testing.B) {
	st, raw, data := benchSetup(b)
	ctx := context.Background()
	if _, err := raw.PutObject(ctx, st.Bucket(), "bench/raw", bytes.NewReader(data), benchSize, minio.PutObjectOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		obj, err := raw.GetObject(ctx, st.Bucket(), "bench/raw", minio.GetObjectOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, obj); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
		obj.Close()
	}
}

// BenchmarkStorePut is s3store.Put with the known size and a non-seekable
// reader: one streamed PUT.
func BenchmarkStorePut(b *testing.B) {
	st, _, data := benchSetup(b)
	ctx := context.Background()
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Put(ctx, "bench/store", onlyReader{bytes.NewReader(data)}, benchSize, storage.PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStorePutUnknownSize is s3store.Put with size -1: multipart, one
// 16 MiB part buffer.
func BenchmarkStorePutUnknownSize(b *testing.B) {
	st, _, data := benchSetup(b)
	ctx := context.Background()
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Put(ctx, "bench/store", onlyReader{bytes.NewReader(data)}, -1, storage.PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStoreGet(b *testing.B) {
	st, _, data := benchSetup(b)
	ctx := context.Background()
	if _, err := st.Put(ctx, "bench/store", bytes.NewReader(data), benchSize, storage.PutOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		rc, _, err := st.Get(ctx, "bench/store", nil)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, rc); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
		rc.Close()
	}
}

// BenchmarkStoreUpdateJSON is one compare-and-swap of a small record (GET then
// conditional PUT), the common write of meetings and polls.
func BenchmarkStoreUpdateJSON(b *testing.B) {
	st := s3test.NewStore(b)
	type counter struct{ N int }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := storage.UpdateJSON(context.Background(), st, "c.json", true, func(c *counter) error { c.N++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStorePutUnknownSize8MiB is a typical document of unknown length:
// it fits in one part, so it goes as one PUT of known size.
func BenchmarkStorePutUnknownSize8MiB(b *testing.B) {
	st, _, data := benchSetup(b)
	data = data[:8<<20]
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Put(ctx, "bench/store", onlyReader{bytes.NewReader(data)}, -1, storage.PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStorePut8MiB is the same document with its size known.
func BenchmarkStorePut8MiB(b *testing.B) {
	st, _, data := benchSetup(b)
	data = data[:8<<20]
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Put(ctx, "bench/store", onlyReader{bytes.NewReader(data)}, int64(len(data)), storage.PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
