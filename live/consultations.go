package live

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Subjects of the consultations on drafts (consult/): news, never part of
// the room's state; a tablet loads the consultations over REST after a
// snapshot.
const (
	SubjectConsultationPrefix = "consultation."
	SubjectOpinionPrefix      = "opinion."
)

// PublishTo sends {"type":typ,typ:payload} on the subject, to the audience
// alone when it is not nil (live and in replay), to everyone otherwise. Not
// journaled. consult.Service sends its events through it.
func (h *Hub) PublishTo(ctx context.Context, meetingID, subject, typ string, payload any, audience []string) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	ev := Event{Subject: subject, Type: typ, Payload: data, Time: time.Now().UTC(),
		Audience: audience, Restricted: audience != nil}
	if _, err := h.cfg.Broker.Append(ctx, meetingID, ev, -1); err != nil {
		return h.brokerError(err)
	}
	return nil
}

// newsSubject reports whether the subject carries news only (a document's, a
// consultation's, an opinion's), not part of the room's state.
func newsSubject(subject string) bool {
	return strings.HasPrefix(subject, SubjectDocumentPrefix) || strings.HasPrefix(subject, SubjectConsultationPrefix) ||
		strings.HasPrefix(subject, SubjectOpinionPrefix)
}
