package meetings

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// Notes keeps each participant's private notes per document page. Only the
// author ever reads them back.
//
// Each page's note is an object of its own
// (meetings/{mid}/notes/{uid}/{did}/{page}.txt), so saving a page writes that
// page only: a document's notes were one object, rewritten and returned
// whole on every save (400 pages of 20,000 characters: 16 MB a keystroke
// pause). What one person keeps on one document is capped (MaxNotePages
// pages, MaxNoteBytes in all). Notes kept in the earlier single object
// ({did}.json) are read as before and split into pages at the next save.
type Notes struct {
	Store storage.Store
	// MaxPages and MaxBytes cap one person's notes on one document (0:
	// MaxNotePages, MaxNoteBytes).
	MaxPages int
	MaxBytes int64
}

// PageNotes maps page numbers ("3") to the note text.
type PageNotes struct {
	Pages map[string]string `json:"pages"`
}

// PageNote is one page's note as saved ("" when removed).
type PageNote struct {
	Page int    `json:"page"`
	Text string `json:"text"`
}

const (
	maxNote = 20000
	// MaxNotePages and MaxNoteBytes cap one person's notes on one document.
	MaxNotePages = 500
	MaxNoteBytes = 1 << 20
	// maxNotePage is the highest page number taken.
	maxNotePage = 100000
)

func notesPrefix(meetingID, userID, docID string) string {
	return "meetings/" + meetingID + "/notes/" + userID + "/" + docID + "/"
}

func noteKey(meetingID, userID, docID string, page int) string {
	return notesPrefix(meetingID, userID, docID) + strconv.Itoa(page) + ".txt"
}

// legacyNotesKey is where all of a document's notes were kept in one object.
func legacyNotesKey(meetingID, userID, docID string) string {
	return "meetings/" + meetingID + "/notes/" + userID + "/" + docID + ".json"
}

// Get returns the user's notes on a document.
func (n *Notes) Get(ctx context.Context, meetingID, userID, docID string) (PageNotes, error) {
	out := PageNotes{Pages: map[string]string{}}
	var legacy PageNotes
	_, err := storage.GetJSON(ctx, n.Store, legacyNotesKey(meetingID, userID, docID), &legacy)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return out, err
	}
	for p, text := range legacy.Pages {
		out.Pages[p] = text
	}
	prefix := notesPrefix(meetingID, userID, docID)
	infos, err := n.Store.List(ctx, prefix)
	if err != nil {
		return out, err
	}
	// A few reads at a time: a document annotated page by page answers in
	// a few round trips.
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, 8)
	)
	for _, in := range infos {
		page := strings.TrimSuffix(strings.TrimPrefix(in.Key, prefix), ".txt")
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			text, err := n.read(ctx, in.Key)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, storage.ErrNotFound): // removed meanwhile
			case err != nil:
				firstErr = cmpErr(firstErr, err)
			default:
				out.Pages[page] = text
			}
		}()
	}
	wg.Wait()
	return out, firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func (n *Notes) read(ctx context.Context, key string) (string, error) {
	rc, _, err := n.Store.Get(ctx, key, nil)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 4*maxNote+1))
	return string(b), err
}

// Put sets the note of one page; empty text removes it. Only that page's
// object is written.
func (n *Notes) Put(ctx context.Context, meetingID, userID, docID string, page int, text string) (PageNote, error) {
	if page < 1 || page > maxNotePage {
		return PageNote{}, phonghop.Fail(phonghop.EInvalid, "page_invalid")
	}
	// Free text: kept without invisible and direction-changing characters.
	text, err := phonghop.FreeText("text", text, false, maxNote)
	if err != nil {
		return PageNote{}, err
	}
	if err := n.split(ctx, meetingID, userID, docID); err != nil {
		return PageNote{}, err
	}
	key := noteKey(meetingID, userID, docID, page)
	if text == "" {
		if err := n.Store.Delete(ctx, key); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return PageNote{}, err
		}
		return PageNote{Page: page}, nil
	}
	// The caps, from the listing (sizes only). Two saves racing on
	// different pages may pass them by a page together; no more.
	infos, err := n.Store.List(ctx, notesPrefix(meetingID, userID, docID))
	if err != nil {
		return PageNote{}, err
	}
	count, size := 1, int64(len(text))
	for _, in := range infos {
		if in.Key != key {
			count++
			size += in.Size
		}
	}
	maxPages, maxBytes := n.MaxPages, n.MaxBytes
	if maxPages <= 0 {
		maxPages = MaxNotePages
	}
	if maxBytes <= 0 {
		maxBytes = MaxNoteBytes
	}
	switch {
	case count > maxPages:
		return PageNote{}, phonghop.Fail(phonghop.ETooLarge, "notes_too_many_pages", "limit", maxPages)
	case size > maxBytes:
		return PageNote{}, phonghop.Fail(phonghop.ETooLarge, "notes_too_large", "limit", fmt.Sprintf("%d KiB", maxBytes>>10))
	}
	if _, err := n.Store.Put(ctx, key, strings.NewReader(text), int64(len(text)), storage.PutOptions{ContentType: "text/plain; charset=utf-8"}); err != nil {
		return PageNote{}, err
	}
	return PageNote{Page: page, Text: text}, nil
}

// split moves notes kept in the earlier single object into page objects
// (those not saved since), then removes it; a crash between leaves it to
// the next save, and Get reads both meanwhile.
func (n *Notes) split(ctx context.Context, meetingID, userID, docID string) error {
	var legacy PageNotes
	_, err := storage.GetJSON(ctx, n.Store, legacyNotesKey(meetingID, userID, docID), &legacy)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for p, text := range legacy.Pages {
		page, err := strconv.Atoi(p)
		if err != nil || page < 1 || text == "" {
			continue
		}
		_, err = n.Store.Put(ctx, noteKey(meetingID, userID, docID, page), strings.NewReader(text), int64(len(text)),
			storage.PutOptions{IfAbsent: true, ContentType: "text/plain; charset=utf-8"})
		if err != nil && !errors.Is(err, storage.ErrPrecondition) {
			return err
		}
	}
	if err := n.Store.Delete(ctx, legacyNotesKey(meetingID, userID, docID)); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return nil
}
