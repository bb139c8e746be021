package meetings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/convert"
	"github.com/phonghop/phonghop/storage"
)

// Conversions queues office files for conversion to PDF; *convert.Queue
// satisfies it. nil: office files are refused.
type Conversions interface {
	Enqueue(ctx context.Context, job convert.Job) error
}

// DocumentEvents tells the live room that a document was added or changed
// (doc), or that some participants may no longer see it (gone); *live.Hub
// satisfies it. audience nil: every participant; otherwise only those users.
type DocumentEvents interface {
	PublishDocument(ctx context.Context, meetingID string, doc phonghop.Document, audience []string) error
	PublishDocumentGone(ctx context.Context, meetingID, docID string, audience []string) error
}

// originalKey is where the office file a version is made from is kept,
// by the version's blob (the document's id for its first version).
func originalKey(meetingID, blob string) string {
	return "meetings/" + meetingID + "/originals/" + blob
}

// spoolOffice copies an office file to a temporary file while hashing it and
// checks that it is what its name says; done removes the file.
func (s *Service) spoolOffice(ctx context.Context, body io.Reader, f convert.Format) (spool *os.File, size int64, sum string, done func(), err error) {
	spool, err = os.CreateTemp(s.SpoolDir, spoolPattern)
	if err != nil {
		return nil, 0, "", nil, fmt.Errorf("spool upload: %w", err)
	}
	done = func() {
		spool.Close()
		os.Remove(spool.Name())
	}
	hash := sha256.New()
	lim := &limitReader{r: body, n: s.limit()}
	size, err = io.CopyBuffer(io.MultiWriter(spool, hash), lim, make([]byte, 256<<10))
	switch {
	case lim.over:
		err = ErrTooLarge(s.limit())
	case ctx.Err() != nil || lim.err != nil:
		err = phonghop.Fail(phonghop.EInvalid, "upload_interrupted")
	case err != nil:
		err = fmt.Errorf("spool upload: %w", err)
	default:
		err = convert.Check(spool, size, f)
	}
	if err != nil {
		done()
		return nil, 0, "", nil, err
	}
	return spool, size, hex.EncodeToString(hash.Sum(nil)), done, nil
}

// queueOffice keeps the spooled office file as the original of the version
// stored under blob and queues its conversion. The job first: a worker
// that finds no document (or replacement) yet waits a minute for it, while
// one without its job would say "converting" forever. On failure nothing
// is left.
func (s *Service) queueOffice(ctx context.Context, spool *os.File, size int64, f convert.Format, job convert.Job, blob string) error {
	job.Source = originalKey(job.MeetingID, blob)
	if _, err := s.Store.Put(ctx, job.Source, io.NewSectionReader(spool, 0, size), size, storage.PutOptions{ContentType: f.ContentType}); err != nil {
		_ = s.Store.Delete(context.WithoutCancel(ctx), job.Source)
		return err
	}
	if err := s.Conversions.Enqueue(ctx, job); err != nil {
		_ = s.Store.Delete(context.WithoutCancel(ctx), job.Source)
		if errors.Is(err, storage.ErrPrecondition) { // a job for the document runs already
			return phonghop.Fail(phonghop.EConflict, "document_version_converting")
		}
		return err
	}
	return nil
}

// addOffice keeps an office file as the document's original and queues its
// conversion; the document is listed at once with its conversion "queued",
// and the PDF takes storePDF's path when it is made (ConversionDone). The
// file is checked to be what its name says before anything is stored.
func (s *Service) addOffice(ctx context.Context, meetingID string, up Upload, f convert.Format, body io.Reader) (phonghop.Document, error) {
	if s.Conversions == nil {
		return phonghop.Document{}, phonghop.Fail(phonghop.EUnsupportedType, "office_conversion_off")
	}
	spool, size, sum, done, err := s.spoolOffice(ctx, body, f)
	if err != nil {
		return phonghop.Document{}, err
	}
	defer done()
	now := s.now().UTC()
	name := CleanName(up.Name)
	doc := phonghop.Document{ID: accounts.NewID(), Name: name, ContentType: "application/pdf",
		UploadedBy: up.By.ID, UploadedAt: now,
		Original: &phonghop.Original{Name: name, Size: size, SHA256: sum, ContentType: f.ContentType},
		Conversion: &phonghop.Conversion{State: phonghop.ConversionQueued, QueuedAt: now,
			EstimateSeconds: int(convert.Estimate(size).Seconds())}}
	up.Access.apply(&doc)
	job := convert.Job{MeetingID: meetingID, DocumentID: doc.ID, Ext: f.Ext, Size: size, QueuedAt: now}
	if err := s.queueOffice(ctx, spool, size, f, job, doc.ID); err != nil {
		return phonghop.Document{}, err
	}
	// On failure the job finds no document and drops itself with the original.
	if err := s.appendDocument(ctx, meetingID, doc, func() {}); err != nil {
		return phonghop.Document{}, err
	}
	return doc, nil
}

// replaceOffice queues a new version of the document made from an office
// file: the document stays as it is, ready, with the new version under
// Replacing ("queued", then "converting"); when the PDF is made it becomes
// the document's new version (versionDone), as a PDF replacement does.
func (s *Service) replaceOffice(ctx context.Context, meetingID, docID, fileName string, f convert.Format, body io.Reader) (phonghop.Document, error) {
	if s.Conversions == nil {
		return phonghop.Document{}, phonghop.Fail(phonghop.EUnsupportedType, "office_conversion_off")
	}
	spool, size, sum, done, err := s.spoolOffice(ctx, body, f)
	if err != nil {
		return phonghop.Document{}, err
	}
	defer done()
	by := phonghop.Actor(ctx)
	now := s.now().UTC()
	blob := accounts.NewID()
	job := convert.Job{MeetingID: meetingID, DocumentID: docID, Ext: f.Ext, Size: size, QueuedAt: now, Blob: blob, By: by.ID}
	if err := s.queueOffice(ctx, spool, size, f, job, blob); err != nil {
		return phonghop.Document{}, err
	}
	rep := &phonghop.Replacement{Blob: blob, By: by.ID,
		Original: &phonghop.Original{Name: CleanName(fileName), Size: size, SHA256: sum, ContentType: f.ContentType},
		Conversion: &phonghop.Conversion{State: phonghop.ConversionQueued, QueuedAt: now,
			EstimateSeconds: int(convert.Estimate(size).Seconds())}}
	var dropped string
	doc, m, err := s.editDocument(ctx, meetingID, docID, func(d *phonghop.Document) error {
		var err error
		if dropped, err = replaceable(d, blob); err != nil {
			return err
		}
		d.Replacing = rep
		return nil
	})
	if err != nil {
		// The job finds no replacement and drops itself with the original.
		return phonghop.Document{}, err
	}
	s.dropOriginal(ctx, meetingID, dropped)
	s.publish(ctx, m, doc)
	return doc, nil
}

// replaceable checks that a new version (stored under blob) may replace d:
// it is ready, and no other new version is being made from an office file.
// It returns the blob of a failed one, which the new version supersedes.
func replaceable(d *phonghop.Document, blob string) (dropped string, err error) {
	if !d.Ready() {
		return "", phonghop.Fail(phonghop.EConflict, "document_converting")
	}
	r := d.Replacing
	if r == nil || r.Blob == blob {
		return "", nil
	}
	if r.Conversion == nil || r.Conversion.State != phonghop.ConversionFailed {
		return "", phonghop.Fail(phonghop.EConflict, "document_version_converting")
	}
	return r.Blob, nil
}

// dropOriginal removes the original of a failed replacement that a newer
// version superseded.
func (s *Service) dropOriginal(ctx context.Context, meetingID, blob string) {
	if blob == "" {
		return
	}
	if err := s.Store.Delete(context.WithoutCancel(ctx), originalKey(meetingID, blob)); err != nil {
		s.log().Warn("a superseded version's original was not removed", "meeting", meetingID, "blob", blob, "err", err)
	}
}

// publish tells the room about doc; a failure is logged, not returned: the
// document is stored, and tablets read the meeting again when they reconnect.
func (s *Service) publish(ctx context.Context, m *phonghop.Meeting, doc phonghop.Document) {
	if s.Events == nil || m == nil {
		return
	}
	if err := s.Events.PublishDocument(context.WithoutCancel(ctx), m.ID, doc, m.DocumentAudience(doc)); err != nil {
		s.log().Warn("document event not published", "meeting", m.ID, "document", doc.ID, "err", err)
	}
}

// changeDocument applies fn to the document in the meeting record and
// publishes the result. A document no longer there is convert.ErrGone.
func (s *Service) changeDocument(ctx context.Context, meetingID, docID string, fn func(*phonghop.Document) error) (phonghop.Document, *phonghop.Meeting, error) {
	var out phonghop.Document
	m, err := s.update(ctx, meetingID, func(m *phonghop.Meeting) error {
		for i := range m.Documents {
			if m.Documents[i].ID == docID {
				if err := fn(&m.Documents[i]); err != nil {
					return err
				}
				out = m.Documents[i]
				return nil
			}
		}
		return convert.ErrGone
	})
	if phonghop.ErrorCode(err) == phonghop.ENotFound {
		err = convert.ErrGone // the meeting itself is gone
	}
	if err != nil {
		return out, nil, err
	}
	s.publish(ctx, m, out)
	return out, m, nil
}

// jobConversion returns the conversion the job drives in d: the
// document's own (an upload) or its new version's (a replacement); nil when
// d is no longer the job's (done already, or superseded).
func jobConversion(d *phonghop.Document, job convert.Job) **phonghop.Conversion {
	if job.Blob == "" {
		if d.Conversion == nil || d.Original == nil {
			return nil
		}
		return &d.Conversion
	}
	if d.Replacing == nil || d.Replacing.Blob != job.Blob || d.Replacing.Conversion == nil {
		return nil
	}
	return &d.Replacing.Conversion
}

// ConversionStarted marks the document, or its new version, "converting"
// (convert.Handler).
func (s *Service) ConversionStarted(ctx context.Context, job convert.Job) error {
	_, _, err := s.changeDocument(ctx, job.MeetingID, job.DocumentID, func(d *phonghop.Document) error {
		c := jobConversion(d, job)
		if c == nil {
			return convert.ErrGone // done already: a finished job seen again
		}
		now := s.now().UTC()
		*c = &phonghop.Conversion{State: phonghop.ConversionConverting, QueuedAt: (*c).QueuedAt,
			StartedAt: &now, Attempt: job.Attempts, EstimateSeconds: int(convert.Estimate(job.Size).Seconds())}
		return nil
	})
	return err
}

// ConversionDone takes the PDF through storePDF, the path of every uploaded
// PDF (content check, page index, hash), then makes the document ready, or
// makes it the document's new version (convert.Handler).
func (s *Service) ConversionDone(ctx context.Context, job convert.Job, pdf *os.File, size int64) error {
	if job.Blob != "" {
		return s.versionDone(ctx, job, pdf, size)
	}
	m, err := s.Meeting(ctx, job.MeetingID)
	if phonghop.ErrorCode(err) == phonghop.ENotFound {
		return convert.ErrGone
	}
	if err != nil {
		return err
	}
	doc, ok := m.Document(job.DocumentID)
	if !ok {
		return convert.ErrGone
	}
	br := io.NewSectionReader(pdf, 0, size)
	undo, err := s.storePDF(ctx, job.MeetingID, &doc, br)
	if err != nil {
		return err
	}
	_, _, err = s.changeDocument(ctx, job.MeetingID, job.DocumentID, func(d *phonghop.Document) error {
		d.Size, d.SHA256, d.Pages, d.ViewSize, d.ViewSHA256 = doc.Size, doc.SHA256, doc.Pages, doc.ViewSize, doc.ViewSHA256
		d.Conversion = nil
		return nil
	})
	if err != nil {
		undo()
	}
	return err
}

// versionDone stores a replacement's PDF under its blob and makes it the
// document's new version, as the one who uploaded the office file.
func (s *Service) versionDone(ctx context.Context, job convert.Job, pdf *os.File, size int64) error {
	next := phonghop.Document{ID: job.DocumentID, Blob: job.Blob, ContentType: "application/pdf",
		UploadedBy: job.By, UploadedAt: s.now().UTC()}
	undo, err := s.storePDF(ctx, job.MeetingID, &next, io.NewSectionReader(pdf, 0, size))
	if err != nil {
		return err
	}
	ctx = phonghop.WithActor(ctx, phonghop.User{ID: job.By})
	_, err = s.newVersion(ctx, job.MeetingID, job.DocumentID, next, true)
	if err != nil && !s.holds(ctx, job.MeetingID, job.DocumentID, next.Blob) {
		undo()
	}
	if errors.Is(err, convert.ErrGone) || phonghop.ErrorCode(err) == phonghop.ENotFound {
		return convert.ErrGone
	}
	return err
}

// ConversionFailed records why the PDF could not be made (convert.Handler).
// The original stays, for download and to try again in another program.
func (s *Service) ConversionFailed(ctx context.Context, job convert.Job, reason *phonghop.Error) error {
	_, _, err := s.changeDocument(ctx, job.MeetingID, job.DocumentID, func(d *phonghop.Document) error {
		c := jobConversion(d, job)
		if c == nil {
			return convert.ErrGone
		}
		failed := **c
		failed.State, failed.Error = phonghop.ConversionFailed, reason
		*c = &failed
		return nil
	})
	return err
}

// OpenOriginal returns the office file a document's PDF is made from.
func (s *Service) OpenOriginal(ctx context.Context, meetingID string, doc phonghop.Document) (io.ReadCloser, error) {
	if doc.Original == nil {
		return nil, phonghop.Fail(phonghop.ENotFound, "document_no_original")
	}
	rc, _, err := s.Store.Get(ctx, originalKey(meetingID, doc.BlobID()), nil)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, phonghop.Fail(phonghop.ENotFound, "document_not_found")
	}
	return rc, err
}

// Access is who may see a document and whether tablets watermark it.
type Access struct {
	Confidential bool     `json:"confidential"`
	Readers      []string `json:"readers"`
	Watermark    bool     `json:"watermark"`
}

// checkAccess keeps the readers of a confidential document to the meeting's
// participants, each once; a document that is not confidential has none.
func checkAccess(m *phonghop.Meeting, a *Access) error {
	if !a.Confidential {
		a.Readers = nil
		return nil
	}
	var readers []string
	for i, id := range a.Readers {
		if _, ok := m.Participant(id); !ok {
			return phonghop.Fail(phonghop.EInvalid, "document_readers_invalid", "n", i+1)
		}
		if !slices.Contains(readers, id) {
			readers = append(readers, id)
		}
	}
	a.Readers = readers
	return nil
}

func (a Access) apply(d *phonghop.Document) {
	d.Confidential, d.Readers, d.Watermark = a.Confidential, a.Readers, a.Watermark
}

// SetAccess makes a document confidential to named readers, or not, and
// sets its watermark. Participants who could see it and no longer may are
// told it is gone; its readers get the document.
func (s *Service) SetAccess(ctx context.Context, meetingID, docID string, a Access) (phonghop.Document, error) {
	m, err := s.Meeting(ctx, meetingID)
	if err != nil {
		return phonghop.Document{}, err
	}
	if err := checkAccess(m, &a); err != nil {
		return phonghop.Document{}, err
	}
	d := diff{}
	doc, m, err := s.changeDocument(ctx, meetingID, docID, func(doc *phonghop.Document) error {
		clear(d)
		d.add("confidential", doc.Confidential, a.Confidential)
		d.add("readers", doc.Readers, a.Readers)
		d.add("watermark", doc.Watermark, a.Watermark)
		a.apply(doc)
		return nil
	})
	if errors.Is(err, convert.ErrGone) {
		return doc, phonghop.Fail(phonghop.ENotFound, "document_not_found")
	}
	if err != nil {
		return doc, err
	}
	s.recordChange(ctx, m, phonghop.Change{Action: "document.access", DocumentID: docID, Changes: d})
	if audience := m.DocumentAudience(doc); audience != nil && s.Events != nil {
		var others []string
		for _, p := range m.Participants {
			if !slices.Contains(audience, p.UserID) {
				others = append(others, p.UserID)
			}
		}
		if len(others) > 0 {
			if err := s.Events.PublishDocumentGone(context.WithoutCancel(ctx), meetingID, docID, others); err != nil {
				s.log().Warn("document event not published", "meeting", meetingID, "document", docID, "err", err)
			}
		}
	}
	return doc, nil
}
