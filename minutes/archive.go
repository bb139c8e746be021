package minutes

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// DocumentSource opens the bytes of a meeting's stored document object (all
// of them when rng is nil): a document's BlobID, or a replaced version's Blob.
// meetings.Service satisfies it as it is.
type DocumentSource interface {
	OpenDocument(ctx context.Context, meetingID, docID string, rng *storage.Range) (io.ReadCloser, storage.Info, error)
}

// WriteArchive writes a zip holding the minutes PDF (the last approved version,
// else the latest; none when nothing was rendered) and
// every document of the meeting, streamed one after the other. Names are made
// unique and safe ("documents/<name>"); entries carry the time they were stored,
// so the same meeting gives the same archive.
func (s *Service) WriteArchive(ctx context.Context, mid string, w io.Writer, docs DocumentSource) error {
	m, err := s.Meetings.Meeting(ctx, mid)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	used := map[string]bool{}
	add := func(name string, mod time.Time, src io.Reader) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: unique(used, name), Method: zip.Deflate, Modified: mod.UTC()})
		if err != nil {
			return err
		}
		_, err = io.Copy(fw, src)
		return err
	}
	rc, v, err := s.Open(ctx, mid, s.archived(ctx, mid))
	switch {
	case err == nil:
		err = add(fmt.Sprintf("bien-ban-v%d.pdf", v.Version), v.RenderedAt, rc)
		rc.Close()
		if err != nil {
			return err
		}
	case phonghop.ErrorCode(err) != phonghop.ENotFound:
		return err
	}
	for _, d := range m.Documents {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Ready() {
			continue // its PDF is not made (yet)
		}
		rc, _, err := docs.OpenDocument(ctx, mid, d.BlobID(), nil)
		if err != nil {
			return err
		}
		// The bytes are a PDF whatever the document is called.
		err = add("documents/"+phonghop.PDFFileName(d.Name, d.ID), d.UploadedAt, rc)
		rc.Close()
		if err != nil {
			return err
		}
		// The versions a replacement superseded stay on record beside it.
		for _, v := range d.Previous {
			rc, _, err := docs.OpenDocument(ctx, mid, v.Blob, nil)
			if err != nil {
				return err
			}
			name := fmt.Sprintf("%s (v%d).pdf", strings.TrimSuffix(phonghop.PDFFileName(v.Name, d.ID), ".pdf"), v.Version)
			err = add("documents/previous/"+name, v.UploadedAt, rc)
			rc.Close()
			if err != nil {
				return err
			}
		}
	}
	return zw.Close()
}

// archived is the version the archive holds: the last the chair approved, else
// the latest (0).
func (s *Service) archived(ctx context.Context, mid string) int {
	all, err := s.Versions(ctx, mid)
	if err != nil {
		return 0 // Open reports it
	}
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Final {
			return all[i].Version
		}
	}
	return 0
}

func unique(used map[string]bool, name string) string {
	out := name
	ext := path.Ext(name)
	for i := 2; used[out]; i++ {
		out = fmt.Sprintf("%s (%d)%s", strings.TrimSuffix(name, ext), i, ext)
	}
	used[out] = true
	return out
}
