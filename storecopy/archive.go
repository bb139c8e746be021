package storecopy

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"github.com/phonghop/phonghop/storage"
)

// An archive is a tar stream: each object as objects/<key>, in key order, then
// manifest.json listing every key with its size, SHA-256 and content type. The
// manifest comes last because hashes are known only once the bytes went by; a
// missing manifest is an archive cut short.

const (
	objectsDir    = "objects/"
	manifestName  = "manifest.json"
	archiveFormat = "phonghop-backup/1"
)

// Manifest describes an archive.
type Manifest struct {
	Format  string    `json:"format"`
	Created time.Time `json:"created"`
	Source  string    `json:"source"`
	Objects []Entry   `json:"objects"`
}

// Entry is one object in an archive.
type Entry struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"contentType,omitempty"`
}

// Backup writes every object of src into w as one archive. It refuses while a
// server uses src and fails if src changed while it was read (the archive is
// a consistent copy of one moment). srcName is recorded in the manifest.
func Backup(ctx context.Context, src storage.Store, srcName string, w io.Writer, opt Options) (Report, error) {
	start := time.Now()
	var rep Report
	if err := idle(ctx, src, "source"); err != nil {
		return rep, err
	}
	list, err := objects(ctx, src)
	if err != nil {
		return rep, fmt.Errorf("listing the source: %w", err)
	}
	tw := tar.NewWriter(w)
	man := Manifest{Format: archiveFormat, Created: time.Now().UTC(), Source: srcName}
	prog := newProgress(opt.Log, "backup", len(list))
	for _, in := range list {
		body, info, err := src.Get(ctx, in.Key, nil)
		if err != nil {
			return rep, fmt.Errorf("reading %s: %w", in.Key, err)
		}
		hdr := &tar.Header{Name: objectsDir + in.Key, Mode: 0o644, Size: info.Size, ModTime: info.ModTime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			body.Close()
			return rep, err
		}
		h := sha256.New()
		n, err := io.Copy(tw, io.TeeReader(body, h))
		body.Close()
		if err != nil {
			return rep, fmt.Errorf("archiving %s: %w", in.Key, err)
		}
		if n != info.Size {
			return rep, fmt.Errorf("%w: %s: read %d bytes of %d", ErrChanged, in.Key, n, info.Size)
		}
		man.Objects = append(man.Objects, Entry{Key: in.Key, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), ContentType: info.ContentType})
		rep.Objects++
		rep.Copied++
		rep.Bytes += n
		prog.add(n)
	}
	if err := unchanged(ctx, src, list); err != nil {
		return rep, err
	}
	b, err := json.MarshalIndent(man, "", " ")
	if err != nil {
		return rep, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o644, Size: int64(len(b)), ModTime: man.Created, Typeflag: tar.TypeReg}); err != nil {
		return rep, err
	}
	if _, err := tw.Write(b); err != nil {
		return rep, err
	}
	if err := tw.Close(); err != nil {
		return rep, err
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// Verify reads a whole archive and checks every object against the manifest:
// each listed once, none missing or extra, sizes and SHA-256 equal.
func Verify(r io.Reader) (Manifest, error) {
	tr := tar.NewReader(r)
	seen := map[string]Entry{}
	var man *Manifest
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Manifest{}, fmt.Errorf("%w: the archive is damaged: %w", ErrMismatch, err)
		}
		if man != nil {
			return Manifest{}, fmt.Errorf("%w: %s after the manifest", ErrMismatch, hdr.Name)
		}
		switch {
		case hdr.Name == manifestName:
			man = &Manifest{}
			if err := json.NewDecoder(io.LimitReader(tr, 1<<30)).Decode(man); err != nil {
				return Manifest{}, fmt.Errorf("%w: unreadable manifest: %w", ErrMismatch, err)
			}
		case strings.HasPrefix(hdr.Name, objectsDir):
			key := strings.TrimPrefix(hdr.Name, objectsDir)
			// Only plain files under keys a store takes: a name that climbs
			// out (../, an absolute path), a link or a device is refused
			// here, before anything of the archive is written.
			if hdr.Typeflag != tar.TypeReg {
				return Manifest{}, fmt.Errorf("%w: %s is not a plain file (tar type %q)", ErrMismatch, hdr.Name, hdr.Typeflag)
			}
			if storage.CheckKey(key) != nil {
				return Manifest{}, fmt.Errorf("%w: %q is not an object's key", ErrMismatch, hdr.Name)
			}
			if _, dup := seen[key]; dup {
				return Manifest{}, fmt.Errorf("%w: %s twice", ErrMismatch, key)
			}
			h := sha256.New()
			n, err := io.Copy(h, tr)
			if err != nil {
				return Manifest{}, fmt.Errorf("%w: %s: %w", ErrMismatch, key, err)
			}
			seen[key] = Entry{Key: key, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
		default:
			return Manifest{}, fmt.Errorf("%w: unexpected %s in the archive", ErrMismatch, hdr.Name)
		}
	}
	if man == nil {
		return Manifest{}, fmt.Errorf("%w: no manifest: the archive is cut short or not a phonghop backup", ErrMismatch)
	}
	if man.Format != archiveFormat {
		return Manifest{}, fmt.Errorf("%w: archive format %q, this version reads %q", ErrMismatch, man.Format, archiveFormat)
	}
	for _, e := range man.Objects {
		got, ok := seen[e.Key]
		if !ok {
			return Manifest{}, fmt.Errorf("%w: %s is in the manifest, not in the archive", ErrMismatch, e.Key)
		}
		if got.Size != e.Size || got.SHA256 != e.SHA256 {
			return Manifest{}, fmt.Errorf("%w: %s: %d bytes sha256 %s, the manifest says %d bytes sha256 %s", ErrMismatch, e.Key, got.Size, got.SHA256, e.Size, e.SHA256)
		}
		delete(seen, e.Key)
	}
	for k := range seen {
		return Manifest{}, fmt.Errorf("%w: %s is in the archive, not in the manifest", ErrMismatch, k)
	}
	return *man, nil
}

// Restore writes an archive into dst. open is called twice: the first read
// verifies the whole archive (nothing is written from a damaged one), the
// second writes. dst must hold nothing but objects equal to the archive's (what
// an interrupted restore of the same archive left, which is skipped, so a
// restore is resumed by running it again), and no server may be using it.
// Every object is created only if absent and checked against its hash as it is
// written.
func Restore(ctx context.Context, open func() (io.ReadCloser, error), dst storage.Store, opt Options) (Report, error) {
	start := time.Now()
	var rep Report
	if err := idle(ctx, dst, "target"); err != nil {
		return rep, err
	}
	r, err := open()
	if err != nil {
		return rep, err
	}
	man, err := Verify(r)
	r.Close()
	if err != nil {
		return rep, err
	}
	want := make(map[string]Entry, len(man.Objects))
	for _, e := range man.Objects {
		want[e.Key] = e
		rep.Objects++
		rep.Bytes += e.Size
	}
	existing, err := objects(ctx, dst)
	if err != nil {
		return rep, fmt.Errorf("listing the target: %w", err)
	}
	have := map[string]bool{}
	for _, in := range existing {
		e, ok := want[in.Key]
		if !ok || e.Size != in.Size {
			return rep, fmt.Errorf("%w: it holds %s, which is not this archive's; restore into an empty bucket or directory", ErrNotEmpty, in.Key)
		}
		sum, _, err := hashOf(ctx, dst, in.Key)
		if err != nil {
			return rep, fmt.Errorf("reading %s in the target: %w", in.Key, err)
		}
		if sum != e.SHA256 {
			return rep, fmt.Errorf("%w: it holds %s with other bytes than the archive's; restore into an empty bucket or directory", ErrNotEmpty, in.Key)
		}
		have[in.Key] = true
	}
	r, err = open()
	if err != nil {
		return rep, err
	}
	defer r.Close()
	tr := tar.NewReader(r)
	prog := newProgress(opt.Log, "restore", len(man.Objects)-len(have))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rep, fmt.Errorf("%w: reading the archive again: %w", ErrMismatch, err)
		}
		key, ok := strings.CutPrefix(hdr.Name, objectsDir)
		if !ok {
			continue
		}
		e, ok := want[key]
		if !ok {
			return rep, fmt.Errorf("%w: the archive changed since it was verified (%s)", ErrMismatch, key)
		}
		if have[key] {
			rep.Skipped++
			continue
		}
		vr := &verifyingReader{r: tr, h: sha256.New(), size: e.Size, want: e.SHA256, key: key}
		if _, err := dst.Put(ctx, key, vr, e.Size, storage.PutOptions{IfAbsent: true, ContentType: e.ContentType}); err != nil {
			return rep, fmt.Errorf("writing %s: %w", key, err)
		}
		rep.Copied++
		prog.add(e.Size)
	}
	var list []storage.Info
	for _, e := range man.Objects {
		list = append(list, storage.Info{Key: e.Key, Size: e.Size})
	}
	if err := sameListing(ctx, dst, list); err != nil {
		return rep, err
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// verifyingReader fails the read that completes size bytes unless they hash to
// want, so the store never commits bytes that are not the archive's (a store
// leaves the key as it was when its reader fails).
type verifyingReader struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	size int64
	want string
	key  string
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.n == v.size {
		return 0, v.check()
	}
	if rest := v.size - v.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n == v.size {
		// The last bytes come with the verdict, and on a mismatch the last
		// byte is withheld: a store that reads exactly size bytes never asks
		// again (io.CopyN drops an error that comes with them), but one short
		// of size it must refuse.
		if cerr := v.check(); cerr != io.EOF {
			return n - 1, cerr
		}
		return n, err
	}
	if errors.Is(err, io.EOF) {
		return n, fmt.Errorf("%w: %s: %d bytes of %d", ErrMismatch, v.key, v.n, v.size)
	}
	return n, err
}

func (v *verifyingReader) check() error {
	if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want {
		return fmt.Errorf("%w: %s: sha256 %s, the manifest says %s", ErrMismatch, v.key, got, v.want)
	}
	return io.EOF
}
