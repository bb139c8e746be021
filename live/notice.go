package live

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/phonghop/phonghop"
)

// Notices: the chair or the secretary puts a short notice on every tablet and
// the wall ("Giải lao 15 phút", "Mời các đại biểu về phòng họp"). The notice
// subject holds the current one (null once withdrawn), so a tablet that
// reconnects gets it in its replay or snapshot; every change is journaled.
// Each tablet hides a notice for itself (by its id, in the browser); the chair
// or the secretary withdraws it for everyone. A new notice, even with the same
// text, has a new id and shows again on every tablet.

// MaxNoticeRunes bounds a notice's text: it is read at a glance, on top of a
// document, on a 10-inch tablet.
const MaxNoticeRunes = 200

// Notice is the room's current notice.
type Notice struct {
	ID   string    `json:"id"`
	Text string    `json:"text"`
	By   string    `json:"by"` // the chair's or the secretary's userId
	At   time.Time `json:"at"`
}

// noticeSender checks by may send or withdraw notices: the chair or the
// secretary.
func (h *Hub) noticeSender(ctx context.Context, meetingID string, by phonghop.User) error {
	m, err := h.meeting(ctx, meetingID)
	if err != nil {
		return err
	}
	if !m.HasRole(by.ID, phonghop.RoleChair, phonghop.RoleSecretary) {
		return phonghop.Fail(phonghop.EForbidden, "notice_forbidden")
	}
	return nil
}

// noticeText trims the text and checks it is something a tablet can show.
func noticeText(text string) (string, error) {
	text = strings.TrimSpace(phonghop.CleanText(text))
	switch {
	case text == "":
		return "", phonghop.Fail(phonghop.EInvalid, "notice_text_required")
	case !utf8.ValidString(text) || strings.ContainsRune(text, 0):
		return "", phonghop.Fail(phonghop.EInvalid, "notice_text_not_utf8")
	case utf8.RuneCountInString(text) > MaxNoticeRunes:
		return "", phonghop.Fail(phonghop.EInvalid, "notice_text_too_long", "max", MaxNoticeRunes)
	}
	return text, nil
}

// SendNotice (chair or secretary) shows text on every tablet of the meeting,
// in place of the notice shown before.
func (h *Hub) SendNotice(ctx context.Context, meetingID string, by phonghop.User, text string) (uint64, error) {
	if err := h.noticeSender(ctx, meetingID, by); err != nil {
		return 0, err
	}
	text, err := noticeText(text)
	if err != nil {
		return 0, err
	}
	id := make([]byte, 8)
	rand.Read(id)
	n := Notice{ID: hex.EncodeToString(id), Text: text, By: by.ID, At: time.Now().UTC()}
	return h.update(ctx, meetingID, SubjectNotice, TypeNotice, by.ID, func(prev *Event) (change, error) {
		return change{payload: n, record: true}, nil
	})
}

// WithdrawNotice (chair or secretary) takes the current notice off every
// tablet; with none shown it changes nothing.
func (h *Hub) WithdrawNotice(ctx context.Context, meetingID string, by phonghop.User) (uint64, error) {
	if err := h.noticeSender(ctx, meetingID, by); err != nil {
		return 0, err
	}
	return h.update(ctx, meetingID, SubjectNotice, TypeNotice, by.ID, func(prev *Event) (change, error) {
		cur, err := decode[*Notice](prev)
		if err != nil {
			return change{}, err
		}
		if cur == nil {
			return change{}, nil
		}
		return change{payload: noNotice{}, record: true}, nil
	})
}

// noNotice encodes as null: the withdrawn notice's event (change.payload nil
// would mean "nothing changes").
type noNotice struct{}

func (noNotice) MarshalJSON() ([]byte, error) { return []byte("null"), nil }
