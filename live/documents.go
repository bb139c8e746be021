package live

import (
	"context"
	"encoding/json"
	"time"

	"github.com/phonghop/phonghop"
)

// PublishDocument tells the room a document was added or changed (its
// conversion moved on, it became ready): {"type":"document","document":Document}.
// audience nil sends it to everyone; otherwise to those users only (a
// confidential document's readers), in replay too.
func (h *Hub) PublishDocument(ctx context.Context, meetingID string, doc phonghop.Document, audience []string) error {
	return h.publishDocument(ctx, meetingID, doc.ID, doc, audience)
}

// GoneDocument is the payload that tells tablets to drop a document.
type GoneDocument struct {
	ID   string `json:"id"`
	Gone bool   `json:"gone"`
}

// PublishDocumentGone tells the audience to drop the document from their
// list: {"type":"document","document":{"id","gone":true}}.
func (h *Hub) PublishDocumentGone(ctx context.Context, meetingID, docID string, audience []string) error {
	return h.publishDocument(ctx, meetingID, docID, GoneDocument{ID: docID, Gone: true}, audience)
}

func (h *Hub) publishDocument(ctx context.Context, meetingID, docID string, payload any, audience []string) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	ev := Event{Subject: SubjectDocumentPrefix + docID, Type: TypeDocument, Payload: data, Time: time.Now().UTC(),
		Audience: audience, Restricted: audience != nil}
	// Not journaled: a conversion's progress is no change anyone made; the
	// upload and access changes are journaled as set-up changes.
	if _, err := h.cfg.Broker.Append(ctx, meetingID, ev, -1); err != nil {
		return h.brokerError(err)
	}
	return nil
}
