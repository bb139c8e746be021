// Package s3store implements storage.Store on any S3-compatible server (MinIO,
// Versity's S3 gateway, AWS S3) through minio-go v7. One Store uses one bucket,
// which New creates when it is missing.
//
// How the storage contract maps onto S3:
//   - Put with a known size is one PUT request streamed from the reader (no
//     buffering), up to 5 GiB; larger unconditional objects go multipart in
//     Config.PartSize parts. IfAbsent sends If-None-Match: *, IfMatch sends
//     If-Match: <etag>; both are honoured by the server only on a single PUT,
//     so conditional writes are always one request and never multipart.
//   - Put with size -1 (unconditional only) first reads up to Config.PartSize
//     bytes into a pooled buffer. If the reader ends within it (most
//     documents), that is one PUT of known size. Otherwise it is a multipart
//     upload read one part at a time, so memory stays at two part buffers
//     whatever the object's size. A reader that fails aborts the upload: the
//     object is not created or replaced.
//   - Get sends the request at once, so a missing key or a bad range is an error
//     from Get itself, not from the first Read. Info.Size is the whole object's
//     size even for a range (parsed from Content-Range).
//   - Errors: NoSuchKey → storage.ErrNotFound; PreconditionFailed (412) and
//     ConditionalRequestConflict (409, a concurrent conditional write won) →
//     storage.ErrPrecondition; InvalidRange (416) → storage.ErrInvalidRange;
//     5xx, SlowDown, timeouts and network failures (also while a Get's body is
//     read: a server dying mid-body is no internal error) → storage.ErrUnavailable. The
//     original error stays wrapped too, so errors.Is/As see both.
//   - A key that is a path prefix of a stored one ("a" and "a/b") is refused by
//     filesystem-backed servers (MinIO, versitygw); the refusal maps to
//     storage.ErrInvalidKey, or to ErrUnavailable when the server cuts the
//     upload short to say so.
//   - List fills Key, Size, ETag and ModTime; S3 listings carry no content type.
//   - ETags are returned without quotes. Unlike fsstore's, an S3 ETag may repeat
//     when the same bytes are written again; compare-and-swap stays correct
//     because equal ETags then mean equal content.
//
// Checked against versitygw v1.8.0 (the test server): 200 trials of 40 racing
// If-None-Match writers had exactly one winner each, and 40 rounds of 20 racing
// If-Match increments lost no update. One hazard: a body sent as UNSIGNED-PAYLOAD
// (what minio-go does over HTTPS, or with DisableContentSha256) that the client
// cuts short is stored truncated by versitygw instead of refused; over plain
// HTTP minio-go signs each chunk and the cut upload is refused, as the contract
// suite checks. So with versitygw in production, prefer plain HTTP on a trusted
// link; MinIO's behaviour here was not checked.
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/phonghop/phonghop/storage"
)

const (
	// DefaultPartSize is the part size of unknown-length uploads. An upload
	// holds a read-ahead part and minio-go's part buffer, so the smallest part S3
	// allows keeps a 200 MiB document under 32 MiB of heap (server/upload_test.go);
	// 10,000 parts still allow 48 GiB.
	DefaultPartSize = minPartSize
	// minPartSize is S3's smallest part (except the last).
	minPartSize = 5 << 20
	// maxSinglePut is S3's limit for one PUT request.
	maxSinglePut       = 5 << 30
	defaultContentType = "application/octet-stream"
)

// Config says where the store lives. Endpoint, AccessKey, SecretKey and Bucket
// are required.
type Config struct {
	// Endpoint is host:port, without scheme (e.g. "127.0.0.1:9000").
	Endpoint  string
	AccessKey string
	SecretKey string
	// Bucket is created by New when missing.
	Bucket string
	// Secure selects HTTPS; false means plain HTTP.
	Secure bool
	// Region is sent in signatures and used to create the bucket; empty means
	// the server's default (us-east-1 for most).
	Region string
	// PartSize is the part size of multipart uploads, at least 5 MiB; zero
	// means DefaultPartSize.
	PartSize uint64
}

// Store is a storage.Store kept in one S3 bucket. It is safe for concurrent use.
type Store struct {
	client   *minio.Client
	bucket   string
	partSize uint64
	bufs     sync.Pool // *[]byte of partSize, for uploads of unknown length
}

var _ storage.Store = (*Store)(nil)

// New connects to the server and creates the bucket if it does not exist.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" || cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("s3store: endpoint, bucket, access key and secret key are required")
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = DefaultPartSize
	}
	if cfg.PartSize < minPartSize {
		return nil, fmt.Errorf("s3store: part size %d is below S3's minimum of 5 MiB", cfg.PartSize)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.Secure,
		Region: cfg.Region,
		// minio-go's default of 10 retries with backoff keeps a caller waiting
		// many seconds on a dead server; fail over to ErrUnavailable sooner.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("s3store: %w", err)
	}
	s := &Store{client: client, bucket: cfg.Bucket, partSize: cfg.PartSize}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, s.mapErr(ctx, "bucket", cfg.Bucket, err)
	}
	if !ok {
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if code := minio.ToErrorResponse(err).Code; err != nil && code != "BucketAlreadyOwnedByYou" {
			return nil, s.mapErr(ctx, "create bucket", cfg.Bucket, err)
		}
	}
	return s, nil
}

func (s *Store) getBuf() *[]byte {
	if b, ok := s.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, s.partSize)
	return &b
}

// Bucket returns the store's bucket name.
func (s *Store) Bucket() string { return s.bucket }

// mapErr wraps err with the storage sentinel it stands for.
func (s *Store) mapErr(ctx context.Context, op, key string, err error) error {
	if err == nil {
		return nil
	}
	resp := minio.ToErrorResponse(err)
	var kind error
	switch {
	case resp.Code == "NoSuchKey" || resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket":
		kind = storage.ErrNotFound
	case resp.Code == "PreconditionFailed" || resp.StatusCode == http.StatusPreconditionFailed,
		resp.Code == "ConditionalRequestConflict":
		kind = storage.ErrPrecondition
	case resp.Code == "ExistingObjectIsDirectory", resp.Code == "ObjectParentIsFile",
		resp.Code == "XMinioParentIsObject", resp.Code == "XMinioObjectExistsAsDirectory":
		// A key that is a path prefix of another on a filesystem-backed server.
		kind = storage.ErrInvalidKey
	case resp.Code == "InvalidRange" || resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		kind = storage.ErrInvalidRange
	case resp.StatusCode >= 500, resp.Code == "SlowDown", resp.Code == "RequestTimeout",
		resp.Code == "NoSuchBucket":
		kind = storage.ErrUnavailable
	case resp.StatusCode == 0 && resp.Code == "":
		// Not an S3 answer: the caller gave up, or the network failed.
		if ctx.Err() != nil {
			return fmt.Errorf("s3store: %s %s: %w", op, key, ctx.Err())
		}
		var netErr net.Error
		if errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
			errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
			kind = storage.ErrUnavailable
		}
	}
	if kind == nil {
		return fmt.Errorf("s3store: %s %s: %w", op, key, err)
	}
	return fmt.Errorf("s3store: %s %s: %w: %w", op, key, kind, err)
}

// trackReader remembers the source's own error, so a client that went away
// mid-upload is reported as such rather than as an unavailable store.
type trackReader struct {
	r   io.Reader
	err error
}

func (t *trackReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.err = err
	}
	return n, err
}

// Put writes the object; see the package doc for how sizes and conditions map
// onto S3 requests.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.Info, error) {
	if err := storage.CheckKey(key); err != nil {
		return storage.Info{}, fmt.Errorf("s3store: put %q: %w", key, err)
	}
	conditional := opts.IfAbsent || opts.IfMatch != ""
	switch {
	case size < -1:
		return storage.Info{}, fmt.Errorf("s3store: put %s: negative size %d", key, size)
	case size == -1 && conditional:
		return storage.Info{}, fmt.Errorf("s3store: put %s: a conditional write needs a known size", key)
	case size > maxSinglePut && conditional:
		return storage.Info{}, fmt.Errorf("s3store: put %s: a conditional write is limited to 5 GiB", key)
	}
	if err := ctx.Err(); err != nil {
		return storage.Info{}, err
	}
	ct := opts.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	po := minio.PutObjectOptions{ContentType: ct, PartSize: s.partSize}
	if opts.IfAbsent {
		po.SetMatchETagExcept("*")
	}
	if opts.IfMatch != "" {
		po.SetMatchETag(opts.IfMatch)
	}
	src := &trackReader{r: r}
	var body io.Reader = src
	if ra, ok := r.(io.ReaderAt); ok && !conditional && size > 2*int64(s.partSize) {
		// A file of known size (a spooled upload): parts read it at their
		// own offsets and go up in parallel, with no part buffers.
		po.NumThreads = 2
		up, err := s.client.PutObject(ctx, s.bucket, key, io.NewSectionReader(ra, 0, size), size, po)
		if err != nil {
			return storage.Info{}, s.mapErr(ctx, "put", key, err)
		}
		return storage.Info{Key: key, Size: up.Size, ETag: up.ETag, ContentType: ct, ModTime: time.Now()}, nil
	}
	if size == -1 {
		// Most uploads of unknown length are small documents: read up to one
		// part; if the reader ends there, send one PUT of known size instead
		// of a multipart upload (which costs the server a second copy).
		buf := s.getBuf()
		defer s.bufs.Put(buf)
		n, err := io.ReadFull(src, *buf)
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			body, size = bytes.NewReader((*buf)[:n]), int64(n)
		case err != nil:
			return storage.Info{}, fmt.Errorf("s3store: put %s: reading the upload: %w", key, err)
		default:
			body = io.MultiReader(bytes.NewReader(*buf), src)
		}
	}
	if size >= 0 && size <= maxSinglePut {
		// One streamed request: no part buffers, and the only form in which
		// servers honour the conditions.
		po.DisableMultipart = true
	} else {
		// One part buffer at a time keeps minio-go's memory at PartSize.
		po.NumThreads = 1
	}
	up, err := s.client.PutObject(ctx, s.bucket, key, body, size, po)
	if err != nil {
		if src.err != nil {
			return storage.Info{}, fmt.Errorf("s3store: put %s: reading the upload: %w", key, src.err)
		}
		err = s.mapErr(ctx, "put", key, err)
		// If-Match on a missing key is 404 on S3; to callers it is a
		// condition that did not hold.
		if conditional && errors.Is(err, storage.ErrNotFound) {
			err = fmt.Errorf("%w: %w", storage.ErrPrecondition, err)
		}
		return storage.Info{}, err
	}
	mod := up.LastModified
	if mod.IsZero() {
		// A PUT response carries no Last-Modified; the server's clock may
		// differ slightly from ours.
		mod = time.Now()
	}
	return storage.Info{Key: key, Size: up.Size, ETag: up.ETag, ContentType: ct, ModTime: mod}, nil
}

// Get returns the object's bytes, or those of rng (see storage.Range). A range
// starting at or past the end is ErrInvalidRange; an End past the end is cut.
func (s *Store) Get(ctx context.Context, key string, rng *storage.Range) (io.ReadCloser, storage.Info, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, storage.Info{}, fmt.Errorf("s3store: get %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, storage.Info{}, err
	}
	var opts minio.GetObjectOptions
	if rng != nil {
		if rng.Start < 0 || rng.End >= 0 && rng.End < rng.Start {
			return nil, storage.Info{}, fmt.Errorf("s3store: get %s bytes %d-%d: %w", key, rng.Start, rng.End, storage.ErrInvalidRange)
		}
		// Set the header directly: minio-go's SetRange reads (0, -n) as
		// "the last n bytes".
		if rng.End < 0 {
			opts.Set("Range", fmt.Sprintf("bytes=%d-", rng.Start))
		} else {
			opts.Set("Range", fmt.Sprintf("bytes=%d-%d", rng.Start, rng.End))
		}
	}
	core := minio.Core{Client: s.client}
	body, oi, h, err := core.GetObject(ctx, s.bucket, key, opts)
	if err != nil {
		return nil, storage.Info{}, s.mapErr(ctx, "get", key, err)
	}
	info := toInfo(key, oi)
	// A server that dies while the body is read cuts it short (unexpected
	// EOF, a reset): that is the store being unavailable, as when it dies
	// before answering, not an internal error.
	body = &bodyReader{ReadCloser: body, s: s, ctx: ctx, key: key}
	if cr := h.Get("Content-Range"); cr != "" {
		// "bytes 0-4/10": the whole size follows the slash.
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				info.Size = n
			}
		}
	}
	return body, info, nil
}

// bodyReader maps an object's read errors as Get's own.
type bodyReader struct {
	io.ReadCloser
	s   *Store
	ctx context.Context
	key string
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = b.s.mapErr(b.ctx, "read", b.key, err)
	}
	return n, err
}

func toInfo(key string, oi minio.ObjectInfo) storage.Info {
	return storage.Info{
		Key:         key,
		Size:        oi.Size,
		ETag:        strings.Trim(oi.ETag, `"`),
		ContentType: oi.ContentType,
		ModTime:     oi.LastModified,
	}
}

// Stat returns the object's info.
func (s *Store) Stat(ctx context.Context, key string) (storage.Info, error) {
	if err := storage.CheckKey(key); err != nil {
		return storage.Info{}, fmt.Errorf("s3store: stat %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return storage.Info{}, err
	}
	oi, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return storage.Info{}, s.mapErr(ctx, "stat", key, err)
	}
	return toInfo(key, oi), nil
}

// List returns the objects whose keys start with prefix, sorted by key, without
// their content types.
func (s *Store) List(ctx context.Context, prefix string) ([]storage.Info, error) {
	if err := storage.CheckPrefix(prefix); err != nil {
		return nil, fmt.Errorf("s3store: list %q: %w", prefix, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the lister goroutine if we return early
	var out []storage.Info
	for oi := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			return nil, s.mapErr(ctx, "list", prefix, oi.Err)
		}
		info := toInfo(oi.Key, oi)
		info.ContentType = ""
		out = append(out, info)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// S3 lists in byte order already; sorting makes it a promise.
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes the object; a missing object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storage.CheckKey(key); err != nil {
		return fmt.Errorf("s3store: delete %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.mapErr(ctx, "delete", key, s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}))
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}

// Ping checks that the server answers and the bucket exists.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return s.mapErr(ctx, "ping", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("s3store: ping: bucket %s is gone: %w", s.bucket, storage.ErrUnavailable)
	}
	return nil
}
