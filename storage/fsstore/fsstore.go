// Package fsstore is the embedded object store: a directory on local disk that
// implements storage.Store, so a single phonghop process needs no S3 server.
//
// Layout under the root directory:
//
//	objects/<seg>/<seg>/<last>@   one file per object ('@' cannot occur in a key,
//	                              so no object file is ever in a directory's way)
//	.tmp/                         uploads in progress, renamed into objects/
//	.locks/00 … 3f                lock files, one per key stripe
//
// Each object file starts with a small header (magic, length, JSON with the ETag
// and content type) followed by the bytes. Keeping metadata in the same file as
// the data means one rename replaces both at once: a reader sees the old object
// or the new one, never a mix.
//
// Guarantees:
//   - Writes are atomic and durable: the upload goes to a temp file in .tmp/,
//     which is fsynced, then renamed over the object, then the object's directory
//     is fsynced. A reader that fails or a context that ends mid-upload leaves
//     nothing visible; the temp file is removed.
//   - The ETag is 128 random bits, fresh on every write, even of equal bytes.
//   - Conditions (IfAbsent, IfMatch) are checked and the rename done while the
//     key's stripe is held by a mutex (goroutines of one process) and an
//     exclusive flock on the stripe's lock file (other processes on the same
//     directory, on Unix). So conditional writes stay linearizable with several
//     phonghop processes on one local directory. Network filesystems whose flock
//     is not coherent (some NFS setups) void the cross-process part.
//   - Temp files are flocked while written; New removes only those no process
//     holds, so starting a second process does not break the first's uploads.
//
// A key that is a path prefix of a stored key ("a" when "a/b" exists), or the
// other way round, is refused with storage.ErrInvalidKey, as S3 servers kept on
// a filesystem refuse it; see storage.Store.
//
// Empty directories left after Delete are not removed; they cost nothing but
// an inode and keep Put free of races against directory removal.
package fsstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/phonghop/phonghop/storage"
)

const (
	objectsDir = "objects"
	tmpDir     = ".tmp"
	locksDir   = ".locks"
	// fileSuffix marks object files; '@' is not a key character.
	fileSuffix = "@"
	stripes    = 64
	// magic opens every object file; the 1 is the format version.
	magic = "PHOBJ1\n\x00"
	// maxHeader bounds the metadata JSON so a corrupt file cannot ask for
	// a huge allocation.
	maxHeader = 64 << 10
	// defaultContentType is what S3 stores when none is given; fsstore does
	// the same so both stores answer alike.
	defaultContentType = "application/octet-stream"
)

// Store is a storage.Store kept in a local directory. It is safe for concurrent
// use by many goroutines and, on Unix, by several processes sharing the directory.
type Store struct {
	root  string
	locks [stripes]sync.Mutex
}

var _ storage.Store = (*Store)(nil)

// header is the metadata stored at the front of each object file.
type header struct {
	ETag        string `json:"etag"`
	ContentType string `json:"type"`
}

// New opens (creating it if needed) the store rooted at dir and removes temp
// files that no live upload holds.
func New(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("fsstore: %w", err)
	}
	for _, d := range []string{objectsDir, tmpDir, locksDir} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o750); err != nil {
			return nil, fmt.Errorf("fsstore: %w", err)
		}
	}
	s := &Store{root: abs}
	if err := s.cleanTemps(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the store's root directory.
func (s *Store) Dir() string { return s.root }

func (s *Store) cleanTemps() error {
	dir := filepath.Join(s.root, tmpDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("fsstore: %w", err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		// A temp that another process is still writing holds its flock.
		if tryLockFile(f) {
			_ = os.Remove(p)
		}
		f.Close()
	}
	return nil
}

// path maps a checked key to its object file.
func (s *Store) path(key string) string {
	return filepath.Join(s.root, objectsDir, filepath.FromSlash(key)+fileSuffix)
}

func stripe(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % stripes)
}

// lock takes the key's stripe in this process and across processes. The
// returned function releases both.
func (s *Store) lock(key string) (func(), error) {
	i := stripe(key)
	s.locks[i].Lock()
	f, err := os.OpenFile(filepath.Join(s.root, locksDir, fmt.Sprintf("%02x", i)), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		s.locks[i].Unlock()
		return nil, unavailable("lock", key, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		s.locks[i].Unlock()
		return nil, unavailable("lock", key, err)
	}
	return func() {
		unlockFile(f)
		f.Close()
		s.locks[i].Unlock()
	}, nil
}

func unavailable(op, key string, err error) error {
	return fmt.Errorf("fsstore: %s %s: %w: %w", op, key, storage.ErrUnavailable, err)
}

func newETag() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

func encodeHeader(h header) ([]byte, error) {
	meta, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, len(magic)+4+len(meta))
	buf = append(buf, magic...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(meta)))
	return append(buf, meta...), nil
}

// readHeader reads the header at the start of r, the object file name's
// bytes, and returns it with the offset where the object's bytes begin.
func readHeader(name string, r io.Reader) (header, int64, error) {
	var pre [len(magic) + 4]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return header{}, 0, fmt.Errorf("corrupt object file %s: %w", name, err)
	}
	if string(pre[:len(magic)]) != magic {
		return header{}, 0, fmt.Errorf("corrupt object file %s: bad magic", name)
	}
	n := binary.BigEndian.Uint32(pre[len(magic):])
	if n > maxHeader {
		return header{}, 0, fmt.Errorf("corrupt object file %s: header of %d bytes", name, n)
	}
	meta := make([]byte, n)
	if _, err := io.ReadFull(r, meta); err != nil {
		return header{}, 0, fmt.Errorf("corrupt object file %s: %w", name, err)
	}
	var h header
	if err := json.Unmarshal(meta, &h); err != nil {
		return header{}, 0, fmt.Errorf("corrupt object file %s: %w", name, err)
	}
	return h, int64(len(pre)) + int64(n), nil
}

// smallObject is how much open reads at once: an object whose file is
// smaller (a session, a user, a meeting's JSON) is read whole with one system
// call and served from memory. A live connection's sign-in check reads two
// such objects when its cache is cold, as in a reconnect storm.
const smallObject = 8 << 10

// open opens the object at key. An object smaller than smallObject comes back
// whole in data (the file is closed); any other comes back as its file,
// positioned after the header, with the data offset. Both with its info.
func (s *Store) open(key string) (f *os.File, data []byte, info storage.Info, off int64, err error) {
	f, err = os.Open(s.path(key))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, nil, storage.Info{}, 0, fmt.Errorf("fsstore: %s: %w", key, storage.ErrNotFound)
		}
		return nil, nil, storage.Info{}, 0, unavailable("open", key, err)
	}
	fail := func(e error) (*os.File, []byte, storage.Info, int64, error) {
		f.Close()
		return nil, nil, storage.Info{}, 0, e
	}
	st, err := f.Stat()
	if err != nil {
		return fail(unavailable("stat", key, err))
	}
	info = storage.Info{Key: key, ModTime: st.ModTime()}
	var h header
	if size := st.Size(); size < smallObject {
		// Object files are written whole and renamed into place: the size
		// just read is the file's for good.
		buf := make([]byte, size)
		if _, err := io.ReadFull(f, buf); err != nil {
			return fail(fmt.Errorf("fsstore: corrupt object file %s: %w", f.Name(), err))
		}
		if h, off, err = readHeader(f.Name(), bytes.NewReader(buf)); err != nil {
			return fail(fmt.Errorf("fsstore: %w", err))
		}
		f.Close()
		data = buf[off:]
		info.Size, info.ETag, info.ContentType = int64(len(data)), h.ETag, h.ContentType
		return nil, data, info, off, nil
	}
	h, off, err = readHeader(f.Name(), f)
	if err != nil {
		return fail(fmt.Errorf("fsstore: %w", err))
	}
	info.Size, info.ETag, info.ContentType = st.Size()-off, h.ETag, h.ContentType
	return f, nil, info, off, nil
}

// ctxReader fails the copy as soon as the context ends, so a cancelled upload
// stops promptly and leaves nothing behind.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Put writes the object. With size >= 0 exactly size bytes are read from r
// (fewer is an error); with size -1 r is read to EOF, which only unconditional
// writes may do. Memory use does not depend on the object's size.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.Info, error) {
	if err := storage.CheckKey(key); err != nil {
		return storage.Info{}, fmt.Errorf("fsstore: put %q: %w", key, err)
	}
	if size < -1 {
		return storage.Info{}, fmt.Errorf("fsstore: put %s: negative size %d", key, size)
	}
	if size == -1 && (opts.IfAbsent || opts.IfMatch != "") {
		return storage.Info{}, fmt.Errorf("fsstore: put %s: a conditional write needs a known size", key)
	}
	if err := ctx.Err(); err != nil {
		return storage.Info{}, err
	}
	if conflict, err := s.pathConflict(key); err != nil {
		return storage.Info{}, unavailable("put", key, err)
	} else if conflict {
		return storage.Info{}, fmt.Errorf("fsstore: put %s: %w: a stored key is a path prefix of it or it of one", key, storage.ErrInvalidKey)
	}
	etag, err := newETag()
	if err != nil {
		return storage.Info{}, unavailable("put", key, err)
	}
	ct := opts.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	hdr, err := encodeHeader(header{ETag: etag, ContentType: ct})
	if err != nil {
		return storage.Info{}, fmt.Errorf("fsstore: put %s: %w", key, err)
	}

	tmp, err := os.CreateTemp(filepath.Join(s.root, tmpDir), "put-*")
	if err != nil {
		return storage.Info{}, unavailable("put", key, err)
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	// Mark the temp as live so a New in another process leaves it alone.
	if !tryLockFile(tmp) {
		return storage.Info{}, unavailable("put", key, errors.New("cannot lock temp file"))
	}
	if _, err := tmp.Write(hdr); err != nil {
		return storage.Info{}, unavailable("put", key, err)
	}
	src := io.Reader(ctxReader{ctx, r})
	var n int64
	if size >= 0 {
		n, err = io.CopyN(tmp, src, size)
		if err == io.EOF {
			err = fmt.Errorf("got %d of %d bytes: %w", n, size, io.ErrUnexpectedEOF)
		}
	} else {
		n, err = io.Copy(tmp, src)
	}
	if err != nil {
		return storage.Info{}, fmt.Errorf("fsstore: put %s: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		return storage.Info{}, unavailable("put", key, err)
	}
	st, err := tmp.Stat()
	if err != nil {
		return storage.Info{}, unavailable("put", key, err)
	}

	dst := s.path(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return storage.Info{}, unavailable("put", key, err)
	}
	unlock, err := s.lock(key)
	if err != nil {
		return storage.Info{}, err
	}
	if opts.IfAbsent || opts.IfMatch != "" {
		cur, err := s.currentETag(key)
		if err != nil {
			unlock()
			return storage.Info{}, err
		}
		if opts.IfAbsent && cur != "" || opts.IfMatch != "" && cur != opts.IfMatch {
			unlock()
			return storage.Info{}, fmt.Errorf("fsstore: put %s: %w", key, storage.ErrPrecondition)
		}
	}
	err = os.Rename(tmpName, dst)
	unlock()
	if err != nil {
		return storage.Info{}, unavailable("put", key, err)
	}
	committed = true
	tmp.Close()
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return storage.Info{}, unavailable("put", key, err)
	}
	return storage.Info{Key: key, Size: n, ETag: etag, ContentType: ct, ModTime: st.ModTime()}, nil
}

// pathConflict reports whether a stored key is a path prefix of key ("a" for
// "a/b") or key of a stored one. Such pairs work on disk here but S3 servers
// kept on a filesystem (MinIO, versitygw) refuse them, so fsstore refuses them
// too and a bug shows in development rather than in production. The check is
// not atomic with the write: two racing Puts of "a" and "a/b" may both pass.
func (s *Store) pathConflict(key string) (bool, error) {
	objects := filepath.Join(s.root, objectsDir)
	segs := strings.Split(key, "/")
	for i := 1; i < len(segs); i++ {
		p := filepath.Join(objects, filepath.FromSlash(strings.Join(segs[:i], "/"))+fileSuffix)
		if _, err := os.Lstat(p); err == nil {
			return true, nil
		}
	}
	found := false
	err := filepath.WalkDir(filepath.Join(objects, filepath.FromSlash(key)), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, fileSuffix) {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found, err
}

// currentETag returns the ETag of the object at key, or "" if there is none.
func (s *Store) currentETag(key string) (string, error) {
	h, _, err := readHeaderAt(s.path(key))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return "", nil
	}
	if err != nil {
		return "", unavailable("put", key, err)
	}
	return h.ETag, nil
}

func readHeaderAt(p string) (header, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return header{}, 0, err
	}
	defer f.Close()
	return readHeader(p, f)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

type sectionFile struct {
	*io.SectionReader
	f *os.File
}

func (s sectionFile) Close() error { return s.f.Close() }

// Get returns the object's bytes, or those of rng. Info.Size is always the
// whole object's size. A range starting at or past the end, or with End before
// Start, is ErrInvalidRange; an End past the end is cut to the last byte.
func (s *Store) Get(ctx context.Context, key string, rng *storage.Range) (io.ReadCloser, storage.Info, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, storage.Info{}, fmt.Errorf("fsstore: get %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, storage.Info{}, err
	}
	f, data, info, off, err := s.open(key)
	if err != nil {
		return nil, storage.Info{}, err
	}
	start, length := int64(0), info.Size
	if rng != nil {
		if rng.Start < 0 || rng.Start >= info.Size || rng.End >= 0 && rng.End < rng.Start {
			if f != nil {
				f.Close()
			}
			return nil, storage.Info{}, fmt.Errorf("fsstore: get %s bytes %d-%d of %d: %w", key, rng.Start, rng.End, info.Size, storage.ErrInvalidRange)
		}
		end := info.Size - 1
		if rng.End >= 0 && rng.End < end {
			end = rng.End
		}
		start, length = rng.Start, end-rng.Start+1
	}
	if data != nil {
		return io.NopCloser(bytes.NewReader(data[start : start+length])), info, nil
	}
	return sectionFile{io.NewSectionReader(f, off+start, length), f}, info, nil
}

// Stat returns the object's info.
func (s *Store) Stat(ctx context.Context, key string) (storage.Info, error) {
	if err := storage.CheckKey(key); err != nil {
		return storage.Info{}, fmt.Errorf("fsstore: stat %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return storage.Info{}, err
	}
	f, _, info, _, err := s.open(key)
	if err != nil {
		return storage.Info{}, err
	}
	if f != nil {
		f.Close()
	}
	return info, nil
}

// List returns the objects whose keys start with prefix, sorted by key. Like
// S3 listings, it fills Key, Size, ETag and ModTime but not ContentType.
func (s *Store) List(ctx context.Context, prefix string) ([]storage.Info, error) {
	if err := storage.CheckPrefix(prefix); err != nil {
		return nil, fmt.Errorf("fsstore: list %q: %w", prefix, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	objects := filepath.Join(s.root, objectsDir)
	// Walk only the deepest directory the prefix names in full.
	start := objects
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		start = filepath.Join(objects, filepath.FromSlash(prefix[:i]))
	}
	var out []storage.Info
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
				return filepath.SkipDir
			}
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(objects, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			// Skip subtrees that cannot hold a match.
			if p != start && !strings.HasPrefix(rel+"/", prefix) && !strings.HasPrefix(prefix, rel+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, fileSuffix) {
			return nil
		}
		key := strings.TrimSuffix(rel, fileSuffix)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		h, off, err := readHeaderAt(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted while walking
		}
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		out = append(out, storage.Info{Key: key, Size: fi.Size() - off, ETag: h.ETag, ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, unavailable("list", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes the object; a missing object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storage.CheckKey(key); err != nil {
		return fmt.Errorf("fsstore: delete %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	unlock, err := s.lock(key)
	if err != nil {
		return err
	}
	err = os.Remove(s.path(key))
	unlock()
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return unavailable("delete", key, err)
	}
	return nil
}

// Ping checks that the directory can be written, read and listed.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Join(s.root, tmpDir), "ping-*")
	if err != nil {
		return unavailable("ping", s.root, err)
	}
	name := f.Name()
	defer os.Remove(name)
	_, werr := f.Write([]byte("ping"))
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return unavailable("ping", s.root, err)
	}
	if b, err := os.ReadFile(name); err != nil || string(b) != "ping" {
		return unavailable("ping", s.root, fmt.Errorf("read back %q: %v", b, err))
	}
	if _, err := os.ReadDir(filepath.Join(s.root, objectsDir)); err != nil {
		return unavailable("ping", s.root, err)
	}
	return nil
}
