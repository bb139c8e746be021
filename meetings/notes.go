package meetings

import (
	"context"
	"errors"
	"strconv"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/storage"
)

// Notes keeps each participant's private notes per document page. Only the
// author ever reads them back.
type Notes struct {
	Store storage.Store
}

// PageNotes maps page numbers ("3") to the note text.
type PageNotes struct {
	Pages map[string]string `json:"pages"`
}

const maxNote = 20000

func notesKey(meetingID, userID, docID string) string {
	return "meetings/" + meetingID + "/notes/" + userID + "/" + docID + ".json"
}

// Get returns the user's notes on a document.
func (n *Notes) Get(ctx context.Context, meetingID, userID, docID string) (PageNotes, error) {
	var out PageNotes
	_, err := storage.GetJSON(ctx, n.Store, notesKey(meetingID, userID, docID), &out)
	if errors.Is(err, storage.ErrNotFound) {
		err = nil
	}
	if out.Pages == nil {
		out.Pages = map[string]string{}
	}
	return out, err
}

// Put sets the note of one page; empty text removes it.
func (n *Notes) Put(ctx context.Context, meetingID, userID, docID string, page int, text string) (PageNotes, error) {
	if page < 1 || page > 100000 {
		return PageNotes{}, phonghop.Fail(phonghop.EInvalid, "page_invalid")
	}
	if err := accounts.CheckText("text", text, false, maxNote); err != nil {
		return PageNotes{}, err
	}
	return storage.UpdateJSON(ctx, n.Store, notesKey(meetingID, userID, docID), true, func(p *PageNotes) error {
		if p.Pages == nil {
			p.Pages = map[string]string{}
		}
		if text == "" {
			delete(p.Pages, strconv.Itoa(page))
		} else {
			p.Pages[strconv.Itoa(page)] = text
		}
		return nil
	})
}
