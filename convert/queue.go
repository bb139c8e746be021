package convert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// Job is one conversion waiting or running, kept in the store at
// conversions/{meetingId}/{documentId}.json until it ends, so it outlives the
// process that queued it: any process's workers take it up.
type Job struct {
	MeetingID  string    `json:"meetingId"`
	DocumentID string    `json:"documentId"`
	Ext        string    `json:"ext"`    // the original's format (".docx")
	Source     string    `json:"source"` // store key of the original
	Size       int64     `json:"size"`   // of the original
	QueuedAt   time.Time `json:"queuedAt"`
	// Blob, when set, makes the PDF a new version of the document stored
	// under that name (a replacement), asked for by By; "" for an upload.
	Blob string `json:"blob,omitempty"`
	By   string `json:"by,omitempty"`
	// Attempts counts the workers that took the job. One that never reports
	// back (its process died) leaves its lease to run out; the next worker
	// counts again, and after MaxAttempts the job fails as interrupted.
	Attempts   int       `json:"attempts"`
	Owner      string    `json:"owner,omitempty"`
	LeaseUntil time.Time `json:"leaseUntil"`
}

func jobKey(meetingID, docID string) string {
	return jobPrefix + meetingID + "/" + docID + ".json"
}

// JobKey is where a document's conversion job is kept: deleting the
// document deletes it, and a worker on it stops at its next renewal.
func JobKey(meetingID, docID string) string { return jobKey(meetingID, docID) }

const jobPrefix = "conversions/"

// Handler is told what becomes of each job; meetings.Service satisfies it.
type Handler interface {
	// ConversionStarted: a worker took the job. ErrGone: the document is no
	// more (deleted, or its upload never finished); the job is dropped.
	ConversionStarted(ctx context.Context, job Job) error
	// ConversionDone hands over the PDF. A *phonghop.Error fails the job with
	// it (say, the PDF was refused); any other error is retried.
	ConversionDone(ctx context.Context, job Job, pdf *os.File, size int64) error
	// ConversionFailed records why the job failed.
	ConversionFailed(ctx context.Context, job Job, reason *phonghop.Error) error
}

// ErrGone tells the queue a job's document no longer exists.
var ErrGone = errors.New("convert: document gone")

// Queue runs conversion jobs kept in the store with a bounded number of
// workers per process. A worker claims a job by compare-and-swap on its
// record and renews a short lease while it works, so a job whose process
// died is taken up by another worker (here after a restart, or on another
// node) once the lease runs out.
type Queue struct {
	Store     storage.Store
	Converter *Converter
	Handler   Handler
	Logger    *slog.Logger

	// Workers is the number of conversions run at once by this process; 0: 1.
	Workers int
	// MaxPending bounds the jobs waiting in the store; 0: 100. Over it an
	// upload is refused (conversion_queue_full).
	MaxPending int
	// MaxAttempts: a job taken this many times without an end fails as
	// interrupted; 0: 3.
	MaxAttempts int
	// Lease is how long a claim holds without renewal; 0: 90 s. Renewed every
	// third of it.
	Lease time.Duration
	// Poll is how often workers look for jobs they were not told about
	// (queued by another process, or whose lease ran out); 0: 15 s.
	Poll time.Duration
	Now  func() time.Time

	once sync.Once
	id   string
	kick chan struct{}
}

func (q *Queue) init() {
	q.once.Do(func() {
		var b [8]byte
		_, _ = rand.Read(b[:])
		q.id = hex.EncodeToString(b[:])
		q.kick = make(chan struct{}, 1)
	})
}

func (q *Queue) now() time.Time {
	if q.Now != nil {
		return q.Now()
	}
	return time.Now()
}

func (q *Queue) log() *slog.Logger {
	if q.Logger != nil {
		return q.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (q *Queue) workers() int     { return max(q.Workers, 1) }
func (q *Queue) maxAttempts() int { return cmpOr(q.MaxAttempts, 3) }
func (q *Queue) maxPending() int  { return cmpOr(q.MaxPending, 100) }

func (q *Queue) lease() time.Duration {
	if q.Lease > 0 {
		return q.Lease
	}
	return 90 * time.Second
}

func (q *Queue) poll() time.Duration {
	if q.Poll > 0 {
		return q.Poll
	}
	return 15 * time.Second
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Enqueue records the job; a worker takes it up soon. Refused with
// too_many_requests when MaxPending jobs wait already.
func (q *Queue) Enqueue(ctx context.Context, job Job) error {
	q.init()
	infos, err := q.Store.List(ctx, jobPrefix)
	if err != nil {
		return err
	}
	if len(infos) >= q.maxPending() {
		return phonghop.Fail(phonghop.ETooMany, "conversion_queue_full")
	}
	job.Attempts, job.Owner, job.LeaseUntil = 0, "", time.Time{}
	if _, err := storage.PutJSON(ctx, q.Store, jobKey(job.MeetingID, job.DocumentID), job, storage.PutOptions{IfAbsent: true}); err != nil {
		return err
	}
	q.wake()
	return nil
}

// Estimate is how long a file of size bytes is expected to take, for
// clients' progress bars: LibreOffice's start plus a rate measured here
// (docs/performance.md).
func Estimate(size int64) time.Duration {
	return 3*time.Second + time.Duration(size/(40<<10))*time.Second
}

func (q *Queue) wake() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// Run works on jobs until ctx ends, then waits for the running ones to stop
// (a conversion cut short by shutdown is handed back without counting).
func (q *Queue) Run(ctx context.Context) {
	q.init()
	var wg sync.WaitGroup
	for range q.workers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.work(ctx)
		}()
	}
	q.wake()
	wg.Wait()
}

func (q *Queue) work(ctx context.Context) {
	t := time.NewTicker(q.poll())
	defer t.Stop()
	for ctx.Err() == nil {
		job, etag, ok := q.claim(ctx)
		if ok {
			q.process(ctx, job, etag)
			continue
		}
		select {
		case <-ctx.Done():
		case <-q.kick:
		case <-t.C:
		}
	}
}

// claim takes the oldest job whose lease has run out.
func (q *Queue) claim(ctx context.Context) (Job, string, bool) {
	infos, err := q.Store.List(ctx, jobPrefix)
	if err != nil {
		if ctx.Err() == nil {
			q.log().Warn("convert: listing jobs", "err", err)
		}
		return Job{}, "", false
	}
	type found struct {
		job  Job
		etag string
	}
	var jobs []found
	now := q.now()
	for _, in := range infos {
		if !strings.HasSuffix(in.Key, ".json") {
			continue
		}
		var j Job
		etag, err := storage.GetJSON(ctx, q.Store, in.Key, &j)
		if err != nil || now.Before(j.LeaseUntil) {
			continue
		}
		jobs = append(jobs, found{j, etag})
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].job.QueuedAt.Before(jobs[b].job.QueuedAt) })
	for _, f := range jobs {
		j := f.job
		j.Attempts++
		j.Owner = q.id
		j.LeaseUntil = now.Add(q.lease())
		etag, err := storage.PutJSON(ctx, q.Store, jobKey(j.MeetingID, j.DocumentID), j, storage.PutOptions{IfMatch: f.etag})
		if err == nil {
			return j, etag, true
		}
		if !errors.Is(err, storage.ErrPrecondition) {
			q.log().Warn("convert: claiming a job", "err", err)
		}
	}
	return Job{}, "", false
}

// process runs one claimed job to its end (or hands it back).
func (q *Queue) process(ctx context.Context, job Job, etag string) {
	log := q.log().With("meeting", job.MeetingID, "document", job.DocumentID, "attempt", job.Attempts)
	key := jobKey(job.MeetingID, job.DocumentID)
	done := func() {
		if err := q.Store.Delete(context.WithoutCancel(ctx), key); err != nil {
			log.Warn("convert: removing a finished job", "err", err)
		}
	}
	fail := func(reason *phonghop.Error) {
		if err := q.Handler.ConversionFailed(context.WithoutCancel(ctx), job, reason); err != nil && !errors.Is(err, ErrGone) {
			log.Error("convert: recording a failure", "err", err)
			return // the job stays; it is taken up again and fails then
		}
		log.Info("convert: failed", "reason", reason.Reason)
		done()
	}
	if job.Attempts > q.maxAttempts() {
		fail(phonghop.Fail(phonghop.EInvalid, "conversion_interrupted", "attempts", job.Attempts-1))
		return
	}

	// The lease is renewed while the job runs; losing it (someone else took
	// the job) stops this attempt.
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var renewed sync.WaitGroup
	renewed.Add(1)
	go func() {
		defer renewed.Done()
		q.renew(jctx, cancel, job, etag)
	}()
	defer renewed.Wait()
	defer cancel()

	// handBack releases the job: at once and uncounted on shutdown, after a
	// pause otherwise.
	handBack := func(err error) {
		cancel()
		renewed.Wait()
		shutdown := ctx.Err() != nil
		if !shutdown {
			log.Warn("convert: attempt failed, will retry", "err", err)
		}
		_, uerr := storage.UpdateJSON(context.WithoutCancel(ctx), q.Store, key, false, func(j *Job) error {
			if j.Owner != q.id {
				return errNotOwner
			}
			j.Owner = ""
			j.LeaseUntil = q.now().Add(q.poll())
			if shutdown {
				j.Attempts--
				j.LeaseUntil = time.Time{}
			}
			return nil
		})
		// Not found: the document was deleted, and its job with it.
		if uerr != nil && !errors.Is(uerr, errNotOwner) && !errors.Is(uerr, storage.ErrNotFound) {
			log.Warn("convert: handing a job back", "err", uerr)
		}
	}

	switch err := q.Handler.ConversionStarted(jctx, job); {
	case errors.Is(err, ErrGone):
		// Its upload may still be finishing: give that a minute.
		if q.now().Sub(job.QueuedAt) < time.Minute {
			handBack(err)
			return
		}
		log.Info("convert: document gone, job dropped")
		_ = q.Store.Delete(context.WithoutCancel(ctx), job.Source)
		done()
		return
	case err != nil:
		handBack(err)
		return
	}
	f, ok := ByExt(job.Ext)
	if !ok {
		fail(phonghop.Fail(phonghop.EInternal, "conversion_error"))
		return
	}
	src, _, err := q.Store.Get(jctx, job.Source, nil)
	if errors.Is(err, storage.ErrNotFound) {
		log.Error("convert: the original is missing")
		fail(phonghop.Fail(phonghop.EInternal, "conversion_error"))
		return
	}
	if err != nil {
		handBack(err)
		return
	}
	res, err := q.Converter.Convert(jctx, src, f)
	src.Close()
	var pe *phonghop.Error
	switch {
	case errors.As(err, &pe):
		fail(pe)
		return
	case err != nil && jctx.Err() != nil:
		handBack(err)
		return
	case err != nil:
		log.Error("convert: LibreOffice could not be run", "err", err)
		fail(phonghop.Fail(phonghop.EInternal, "conversion_error"))
		return
	}
	defer res.Close()
	err = q.Handler.ConversionDone(jctx, job, res.File, res.Size)
	switch {
	case errors.Is(err, ErrGone):
		done()
	case errors.As(err, &pe) && pe.Code != phonghop.EUnavailable && pe.Code != phonghop.ECanceled:
		fail(pe)
	case err != nil:
		handBack(err)
	default:
		log.Info("convert: done", "pdfSize", res.Size)
		done()
	}
}

var errNotOwner = errors.New("convert: job taken by another worker")

// renew extends the job's lease every third of it until ctx ends; when the
// job is found taken by another worker, or cannot be renewed before the
// lease runs out, it calls stop.
func (q *Queue) renew(ctx context.Context, stop func(), job Job, etag string) {
	t := time.NewTicker(q.lease() / 3)
	defer t.Stop()
	key := jobKey(job.MeetingID, job.DocumentID)
	until := job.LeaseUntil
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		job.LeaseUntil = q.now().Add(q.lease())
		e, err := storage.PutJSON(ctx, q.Store, key, job, storage.PutOptions{IfMatch: etag})
		switch {
		case err == nil:
			etag, until = e, job.LeaseUntil
		case errors.Is(err, storage.ErrPrecondition), errors.Is(err, storage.ErrNotFound):
			q.log().Warn("convert: job taken by another worker; this attempt stops", "meeting", job.MeetingID, "document", job.DocumentID)
			stop()
			return
		case q.now().After(until):
			stop()
			return
		}
	}
}

// Pending returns the jobs in the store, oldest first.
func (q *Queue) Pending(ctx context.Context) ([]Job, error) {
	infos, err := q.Store.List(ctx, jobPrefix)
	if err != nil {
		return nil, err
	}
	out := make([]Job, 0, len(infos))
	for _, in := range infos {
		var j Job
		if _, err := storage.GetJSON(ctx, q.Store, in.Key, &j); err == nil {
			out = append(out, j)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].QueuedAt.Before(out[b].QueuedAt) })
	return out, nil
}
