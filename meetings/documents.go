package meetings

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/convert"
	"github.com/phonghop/phonghop/pagetree"
	"github.com/phonghop/phonghop/storage"
)

func sortMeetings(ms []*phonghop.Meeting) {
	sort.SliceStable(ms, func(a, b int) bool {
		if !ms[a].StartsAt.Equal(ms[b].StartsAt) {
			return ms[a].StartsAt.Before(ms[b].StartsAt)
		}
		return ms[a].ID < ms[b].ID
	})
}

// DefaultDocumentLimit is the largest document accepted when none is configured.
const DefaultDocumentLimit = 200 << 20

func (s *Service) limit() int64 {
	if s.DocumentLimit > 0 {
		return s.DocumentLimit
	}
	return DefaultDocumentLimit
}

// Limit returns the configured document size limit.
func (s *Service) Limit() int64 { return s.limit() }

// ErrTooLarge is the answer to a document over limit bytes.
func ErrTooLarge(limit int64) *phonghop.Error {
	size := fmt.Sprintf("%d KiB", limit>>10)
	if limit >= 1<<20 {
		size = fmt.Sprintf("%d MiB", limit>>20)
	}
	return phonghop.Fail(phonghop.ETooLarge, "document_too_large", "limit", size)
}

var (
	errNotPDF = phonghop.Fail(phonghop.EUnsupportedType, "not_pdf")
	errTooBig = errors.New("document over the limit")
)

// CleanName makes an uploaded file name safe to show and to send back in a
// Content-Disposition header (phonghop.FileName).
func CleanName(name string) string { return phonghop.FileName(name, "document.pdf") }

// PDFName is the name a PDF document is kept under: cleaned and ending in
// ".pdf" (phonghop.PDFFileName), whatever the upload was called.
func PDFName(name string) string { return phonghop.PDFFileName(name, "document.pdf") }

// AddDocument stores a PDF and adds it to the meeting (Upload with no
// options).
func (s *Service) AddDocument(ctx context.Context, meetingID, name string, body io.Reader, by phonghop.User) (phonghop.Document, error) {
	return s.Upload(ctx, meetingID, Upload{Name: name, By: by}, body)
}

// Upload is a document upload's name, uploader and access.
type Upload struct {
	Name   string
	By     phonghop.User
	Access Access
}

// Upload stores a PDF and adds it to the meeting; an office file (Word,
// Excel, PowerPoint, OpenDocument, RTF) is kept as the original and queued for
// conversion (see addOffice). A PDF takes storePDF's path.
func (s *Service) Upload(ctx context.Context, meetingID string, up Upload, body io.Reader) (phonghop.Document, error) {
	m, err := s.Meeting(ctx, meetingID)
	if err != nil {
		return phonghop.Document{}, err
	}
	if err := checkAccess(m, &up.Access); err != nil {
		return phonghop.Document{}, err
	}
	br := bufio.NewReaderSize(body, 4096)
	head, err := br.Peek(1024)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return phonghop.Document{}, phonghop.Fail(phonghop.EInvalid, "upload_interrupted")
	}
	if !looksLikePDF(head) {
		if f, ok := convert.ByName(up.Name); ok {
			return s.addOffice(ctx, meetingID, up, f, br)
		}
		return phonghop.Document{}, errNotPDF
	}
	doc := phonghop.Document{ID: accounts.NewID(), Name: PDFName(up.Name), ContentType: "application/pdf",
		UploadedBy: up.By.ID, UploadedAt: s.now().UTC()}
	up.Access.apply(&doc)
	undo, err := s.storePDF(ctx, meetingID, &doc, br)
	if err != nil {
		return phonghop.Document{}, err
	}
	if err := s.appendDocument(ctx, meetingID, doc, undo); err != nil {
		return phonghop.Document{}, err
	}
	return doc, nil
}

// appendDocument lists a stored document in the meeting, records the change
// and tells the room. On failure undo removes what was stored, unless the
// listing landed although it reported failure.
func (s *Service) appendDocument(ctx context.Context, meetingID string, doc phonghop.Document, undo func()) error {
	m, err := s.update(ctx, meetingID, func(m *phonghop.Meeting) error {
		if _, ok := m.Document(doc.ID); ok {
			return storage.ErrStop // an earlier try landed although it reported failure
		}
		m.Documents = append(m.Documents, doc)
		return nil
	})
	if err != nil {
		// The update may have landed although it reported failure: undo only
		// when the meeting is known not to list the document.
		var listed bool
		if m, listed = s.lists(ctx, meetingID, doc.ID); !listed {
			if m != nil {
				undo()
			}
			return err
		}
	}
	s.recordChange(ctx, m, phonghop.Change{Action: "document.added", DocumentID: doc.ID, Changes: diff{"name": {To: doc.Name}}})
	s.publish(ctx, m, doc)
	return nil
}

// lists re-reads the meeting, detached from ctx, and reports whether it lists
// the document; m is nil when the meeting could not be read (then nobody
// knows, and nothing should be undone).
func (s *Service) lists(ctx context.Context, meetingID, docID string) (m *phonghop.Meeting, listed bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var rec phonghop.Meeting
	if _, err := storage.GetJSON(ctx, s.Store, meetingKey(meetingID), &rec); err != nil {
		return nil, false
	}
	_, listed = rec.Document(docID)
	return &rec, listed
}

// storePDF is the path every PDF takes, uploaded or converted: it is
// hashed and its pages counted on the way to a spool file (memory stays
// flat whatever the size), checked (checkPDF), then stored exactly as it came at the document's
// key, filling doc's size, hash and pages. From the spool file pagetree
// builds a page index: an update that, appended, puts the page tree where
// range-loading viewers find any page in a few reads. It is stored apart;
// OpenView serves the document with it appended. On failure nothing is left
// stored; undo removes what was stored when a later step fails.
func (s *Service) storePDF(ctx context.Context, meetingID string, doc *phonghop.Document, body io.Reader) (undo func(), err error) {
	spool, err := os.CreateTemp(s.SpoolDir, spoolPattern)
	if err != nil {
		return nil, fmt.Errorf("spool upload: %w", err)
	}
	defer func() {
		spool.Close()
		os.Remove(spool.Name())
	}()
	hash := sha256.New()
	pages := &pageCounter{}
	lim := &limitReader{r: body, n: s.limit()}
	size, err := io.CopyBuffer(io.MultiWriter(spool, hash, pages), lim, make([]byte, 256<<10))
	switch {
	case lim.over:
		return nil, ErrTooLarge(s.limit())
	case ctx.Err() != nil || lim.err != nil:
		return nil, phonghop.Fail(phonghop.EInvalid, "upload_interrupted")
	case err != nil:
		return nil, fmt.Errorf("spool upload: %w", err)
	}
	counted := pages.Pages()
	res, treeErr := pagetree.Build(spool, size)
	if err := checkPDF(spool, size, treeErr == nil, counted); err != nil {
		s.log().Info("upload refused: not read as a PDF", "meeting", meetingID, "document", doc.ID, "pageTree", treeErr)
		return nil, err
	}
	doc.Size = size
	doc.SHA256 = hex.EncodeToString(hash.Sum(nil))
	doc.Pages = counted

	var index []byte
	switch {
	case treeErr != nil:
		s.log().Info("no page index: the page tree could not be read", "meeting", meetingID, "document", doc.ID, "err", treeErr)
	default:
		if res.Pages > 0 {
			doc.Pages = res.Pages // exact, where the estimate may miss compressed pages
		}
		if index = res.Update; index == nil {
			s.log().Debug("no page index", "meeting", meetingID, "document", doc.ID, "reason", res.Reason)
		} else {
			hash.Write(index)
			doc.ViewSize = doc.Size + int64(len(index))
			doc.ViewSHA256 = hex.EncodeToString(hash.Sum(nil))
		}
	}

	key, indexKey := DocumentKey(meetingID, doc.BlobID()), pageIndexKey(meetingID, doc.BlobID())
	undo = func() {
		_ = s.Store.Delete(context.WithoutCancel(ctx), key)
		_ = s.Store.Delete(context.WithoutCancel(ctx), indexKey)
	}
	// A reader with ReadAt and a known size lets the store send parts in parallel.
	_, err = s.Store.Put(ctx, key, io.NewSectionReader(spool, 0, size), size, storage.PutOptions{ContentType: doc.ContentType})
	if err == nil && index != nil {
		_, err = s.Store.Put(ctx, indexKey, bytes.NewReader(index), int64(len(index)), storage.PutOptions{ContentType: doc.ContentType})
	}
	if err != nil {
		undo()
		if ctx.Err() != nil {
			return nil, phonghop.Fail(phonghop.EInvalid, "upload_interrupted")
		}
		return nil, err
	}
	return undo, nil
}

// looksLikePDF tells a PDF from other uploads by its first KiB: "%PDF-"
// within it, as PDF readers accept.
func looksLikePDF(head []byte) bool { return bytes.Contains(head, []byte("%PDF-")) }

// checkPDF is the content check every PDF passes before it is stored,
// uploaded or converted. "%PDF-" somewhere in the first KiB is not enough (an
// executable carrying the string was taken for a PDF): the structure must read
// as one, either its page tree through the cross-reference sections
// (treeRead, by pagetree), or, for a damaged file that readers rebuild by
// scanning, the header at the very start and a page object seen on the way
// (pagesSeen). Whatever reads, a file that starts as an executable is refused
// (a PDF appended to a program still runs as the program).
func checkPDF(f *os.File, size int64, treeRead bool, pagesSeen int) error {
	head := make([]byte, min(size, 1024))
	if _, err := f.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("spool upload: %w", err)
	}
	switch {
	case !looksLikePDF(head), isExecutable(head):
		return errNotPDF
	case treeRead, bytes.HasPrefix(head, []byte("%PDF-")) && pagesSeen > 0:
		return nil
	}
	return errNotPDF
}

// isExecutable tells programs by their first bytes: Windows (MZ), ELF,
// Mach-O (both byte orders, and fat binaries), scripts (#!).
func isExecutable(head []byte) bool {
	for _, magic := range []string{"MZ", "\x7fELF", "\xfe\xed\xfa", "\xce\xfa\xed\xfe", "\xcf\xfa\xed\xfe", "\xca\xfe\xba\xbe", "#!"} {
		if bytes.HasPrefix(head, []byte(magic)) {
			return true
		}
	}
	return false
}

// spoolPattern names spool files (os.CreateTemp puts a random part for "*").
const spoolPattern = "phonghop-upload-*.pdf"

// OpenView returns the bytes tablets view (a range of them when rng is set):
// the document with its page index appended, or the document itself when it
// has none. Size and ETag are doc.ViewSize and doc.ViewSHA256 then.
func (s *Service) OpenView(ctx context.Context, meetingID string, doc phonghop.Document, rng *storage.Range) (io.ReadCloser, error) {
	if doc.ViewSHA256 == "" {
		rc, _, err := s.OpenDocument(ctx, meetingID, doc.BlobID(), rng)
		return rc, err
	}
	start, end := int64(0), doc.ViewSize-1
	if rng != nil {
		start = rng.Start
		if rng.End >= 0 && rng.End < end {
			end = rng.End
		}
	}
	var parts []io.ReadCloser
	closeAll := func() {
		for _, p := range parts {
			p.Close()
		}
	}
	// The stored document holds [0, Size); the index the rest.
	if start < doc.Size {
		rc, _, err := s.OpenDocument(ctx, meetingID, doc.BlobID(), &storage.Range{Start: start, End: min(end, doc.Size-1)})
		if err != nil {
			return nil, err
		}
		parts = append(parts, rc)
	}
	if end >= doc.Size {
		rc, _, err := s.Store.Get(ctx, pageIndexKey(meetingID, doc.BlobID()), &storage.Range{Start: max(start, doc.Size) - doc.Size, End: end - doc.Size})
		if err != nil {
			closeAll()
			if errors.Is(err, storage.ErrNotFound) {
				return nil, phonghop.Fail(phonghop.ENotFound, "document_not_found")
			}
			return nil, err
		}
		parts = append(parts, rc)
	}
	readers := make([]io.Reader, len(parts))
	for i, p := range parts {
		readers[i] = p
	}
	return readCloser{io.MultiReader(readers...), closeAll}, nil
}

type readCloser struct {
	io.Reader
	close func()
}

func (r readCloser) Close() error { r.close(); return nil }

// OpenDocument returns the bytes of a stored document object (a range of
// them when rng is set): a document's current version is doc.BlobID(), a
// replaced one its DocumentVersion.Blob.
func (s *Service) OpenDocument(ctx context.Context, meetingID, blobID string, rng *storage.Range) (io.ReadCloser, storage.Info, error) {
	rc, info, err := s.Store.Get(ctx, DocumentKey(meetingID, blobID), rng)
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrInvalidKey) {
		return nil, info, phonghop.Fail(phonghop.ENotFound, "document_not_found")
	}
	return rc, info, err
}

// limitReader fails once more than n bytes have been read, remembering why.
type limitReader struct {
	r    io.Reader
	n    int64
	over bool
	err  error
}

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		l.over = true
		return n, errTooBig
	}
	if err != nil && err != io.EOF {
		l.err = err
	}
	return n, err
}

// pageCounter estimates a PDF's page count from the bytes streaming past (used
// when pagetree cannot read the file's page tree): the
// larger of the number of "/Type /Page" objects and the largest "/Count n" of a
// page tree. It is exact for PDFs whose page objects are not inside compressed
// object streams; for the others it reports what it saw (0 when nothing), and
// clients take the count from the PDF itself. It scans each chunk in place and
// copies only a short tail, so a match split across chunks is still seen.
type pageCounter struct {
	tail     []byte // the last pageTail bytes of the previous chunk, not yet scanned
	objects  int
	maxCount int
}

const pageTail = 256

func (p *pageCounter) Write(b []byte) (int, error) {
	n := len(b)
	if n < 4*pageTail {
		// Small writes are gathered; everything but the last pageTail bytes,
		// which still lack lookahead, can be scanned.
		p.tail = append(p.tail, b...)
		if len(p.tail) > 2*pageTail {
			p.scan(p.tail, len(p.tail)-pageTail)
			p.tail = append(p.tail[:0], p.tail[len(p.tail)-pageTail:]...)
		}
		return n, nil
	}
	if len(p.tail) > 0 {
		// Matches that start in the tail, with the new chunk as lookahead.
		p.scan(append(p.tail, b[:pageTail]...), len(p.tail))
	}
	p.scan(b, n-pageTail)
	p.tail = append(p.tail[:0], b[n-pageTail:]...)
	return n, nil
}

// scan counts the markers in buf that start before limit; the bytes after
// limit serve only as lookahead.
func (p *pageCounter) scan(buf []byte, limit int) {
	for i := 0; i < limit; {
		j := bytes.Index(buf[i:], []byte("/Type"))
		if j < 0 || i+j >= limit {
			return
		}
		k := i + j + len("/Type")
		for k < len(buf) && (buf[k] == ' ' || buf[k] == '\r' || buf[k] == '\n' || buf[k] == '\t') {
			k++
		}
		if bytes.HasPrefix(buf[k:], []byte("/Pages")) {
			if c := countAfter(buf[i+j : min(len(buf), k+200)]); c > p.maxCount {
				p.maxCount = c
			}
		} else if bytes.HasPrefix(buf[k:], []byte("/Page")) {
			p.objects++
		}
		i = k
	}
}

// countAfter finds "/Count n" near a page tree's "/Type /Pages".
func countAfter(b []byte) int {
	i := bytes.Index(b, []byte("/Count"))
	if i < 0 {
		return 0
	}
	n, seen := 0, false
	for _, c := range b[i+len("/Count"):] {
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + int(c-'0')
			seen = true
			if n > 1_000_000 {
				return 0
			}
		case (c == ' ' || c == '\n' || c == '\r') && !seen:
		default:
			return n
		}
	}
	return n
}

// Pages returns the estimate once the stream has ended.
func (p *pageCounter) Pages() int {
	p.scan(p.tail, len(p.tail))
	p.tail = nil
	return max(p.objects, p.maxCount)
}
