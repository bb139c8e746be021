package live

import (
	"context"
	"encoding/json"
	"time"

	"github.com/phonghop/phonghop"
)

// Subject and wire type of set-up changes: staff edited the meeting, its
// participants, agenda, documents or draft polls. Tablets reload the meeting
// when they see one (or a snapshot whose setup revision is newer than theirs).
const (
	SubjectSetup = "setup"
	TypeSetup    = "setup"
	// SubjectSetupRestricted holds changes that only an audience may hear
	// of (a confidential document's): kept apart, so the last change of
	// SubjectSetup, which every snapshot carries, is always one all may see.
	SubjectSetupRestricted = "setup.restricted"
)

// RecordChange sends a set-up change to the meeting's tablets and records it
// in the meeting's journal with who made it. Unlike room events it expects
// nothing of the subject's last event: set-up changes are ordered by the
// meeting record's compare-and-swap, and each one is sent once. The journal
// entry is the record the minutes and the audit trail read, so it is written
// as durably as a room event's (the in-process broker writes it before
// anyone sees the event), and its failure is returned.
func (h *Hub) RecordChange(ctx context.Context, meetingID, by string, c phonghop.Change) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	ev := Event{Subject: SubjectSetup, Type: TypeSetup, Payload: data, Time: time.Now().UTC(), By: by, Record: true,
		Audience: c.Audience, Restricted: c.Audience != nil}
	if ev.Restricted {
		ev.Subject = SubjectSetupRestricted
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*recordTimeout)
	defer cancel()
	// The meeting's seq before the change: where to look for it if its
	// append goes unanswered (see appendFound).
	_, last, err := h.cfg.Broker.Last(wctx, meetingID)
	if err != nil {
		return h.brokerError(err)
	}
	seq, err := h.appendFound(wctx, meetingID, ev, -1, last)
	if err != nil {
		return h.brokerError(err)
	}
	if h.cfg.Journal == nil || h.brokerRecords() {
		return nil
	}
	ev.Seq = seq
	wctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 2*recordTimeout)
	defer cancel()
	// Nothing to set back: the change is in the meeting record already.
	return durably(wctx, func(ctx context.Context) error { return h.cfg.Journal.Append(ctx, meetingID, entryOf(ev)) })
}

// Presented returns the agenda item and document on screen in the meeting
// ("" when none), for set-up changes that must not pull them away.
func (h *Hub) Presented(ctx context.Context, meetingID string) (itemID, documentID string, err error) {
	evs, _, err := h.cfg.Broker.Last(ctx, meetingID)
	if err != nil {
		return "", "", h.brokerError(err)
	}
	for i := range evs {
		if evs[i].Subject != SubjectPresentation {
			continue
		}
		p, err := decode[*Presentation](&evs[i])
		if err != nil || p == nil {
			return "", "", nil
		}
		return p.AgendaItemID, p.DocumentID, nil
	}
	return "", "", nil
}
