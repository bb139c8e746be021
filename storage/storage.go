// Package storage declares the object store everything in phonghop is kept in:
// users, meetings, document bytes, ballots, minutes and the meeting journal. Two
// implementations satisfy it: fsstore (a directory, the embedded default) and
// s3store (any S3 server through minio-go). storagetest holds the one contract
// suite both must pass.
package storage

import (
	"context"
	"io"
	"time"

	"github.com/phonghop/phonghop"
)

var (
	// ErrNotFound: no object at the key.
	ErrNotFound error = &sentinel{"storage: object not found", phonghop.Fail(phonghop.ENotFound, "not_found")}
	// ErrPrecondition: an IfAbsent or IfMatch condition did not hold.
	ErrPrecondition error = &sentinel{"storage: precondition failed", phonghop.Fail(phonghop.EConflict, "changed_elsewhere")}
	// ErrUnavailable: the store did not answer; the operation may be retried.
	ErrUnavailable error = &sentinel{"storage: store unavailable", phonghop.Fail(phonghop.EUnavailable, "storage_unavailable")}
	// ErrInvalidKey: the key is empty, too long or not a clean relative path.
	// Keys come from URLs, so a client sees it as not found.
	ErrInvalidKey error = &sentinel{"storage: invalid key", phonghop.Fail(phonghop.ENotFound, "not_found")}
	// ErrInvalidRange: the requested byte range does not overlap the object.
	ErrInvalidRange error = &sentinel{"storage: invalid range", phonghop.Fail(phonghop.EInvalid, "range_not_satisfiable")}
)

// sentinel is one of the errors above: what a client may see of it is its
// public form (phonghop.Public reads it).
type sentinel struct {
	msg    string
	public *phonghop.Error
}

func (e *sentinel) Error() string                { return e.msg }
func (e *sentinel) PublicError() *phonghop.Error { return e.public }

// Info describes a stored object.
type Info struct {
	Key         string
	Size        int64
	ETag        string // opaque, changes with every write; quoted form not included
	ContentType string
	ModTime     time.Time
}

// PutOptions are the conditions and metadata of a write. The zero value writes
// unconditionally.
type PutOptions struct {
	// IfAbsent makes the write fail with ErrPrecondition when the key exists.
	IfAbsent bool
	// IfMatch, when set, makes the write fail with ErrPrecondition unless the
	// object's current ETag equals it.
	IfMatch     string
	ContentType string
}

// Range selects bytes [Start, End] inclusive. End < 0 means to the end.
type Range struct {
	Start, End int64
}

// Store is an object store. Keys are slash-separated relative paths made of
// [A-Za-z0-9._-] segments; every implementation rejects anything else with
// ErrInvalidKey. No key may be a path prefix of another ("a" and "a/b"): S3
// servers kept on a filesystem (MinIO, versitygw) refuse the second, so fsstore
// refuses it too (ErrInvalidKey); name records "x/meta.json", not "x", when
// "x/..." holds more.
type Store interface {
	// Put writes r's bytes at key and returns the new object's info (its ModTime
	// may be the local clock's rather than the server's).
	//
	// Size is the exact length of r, or -1 when unknown. Size -1 is for
	// unconditional writes only (IfAbsent or IfMatch with size -1 is an error):
	// the store then streams r to EOF with memory bounded by a fixed buffer,
	// whatever the length. Conditional writes must be single requests with a
	// known size, which servers honour atomically (see docs/architecture.md).
	//
	// A reader that fails, fewer bytes than size, or a context that ends leave
	// the key as it was: nothing new becomes visible.
	Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) (Info, error)
	// Get returns the object's bytes (only rng's, when rng is not nil) and its
	// info. The caller closes the reader.
	Get(ctx context.Context, key string, rng *Range) (io.ReadCloser, Info, error)
	Stat(ctx context.Context, key string) (Info, error)
	// List returns the objects whose keys start with prefix, sorted by key. The
	// infos carry Key, Size, ETag and ModTime but no ContentType (S3 listings
	// have none); Stat gives it.
	List(ctx context.Context, prefix string) ([]Info, error)
	// Delete removes the object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
}
