package phonghop

import "context"

// Change is one change to a meeting's set-up (its fields, participants,
// agenda, documents or draft polls). Each is recorded in the meeting's journal
// with who made it, so the minutes and the audit trail can tell who changed
// what, and sent to the meeting's tablets as the live event "setup", so they
// reload what changed. Revision is the meeting's revision after the change.
type Change struct {
	Revision   int64             `json:"revision"`
	Action     string            `json:"action"` // e.g. "meeting.updated", "agenda.moved", "document.replaced"
	ItemID     string            `json:"itemId,omitempty"`
	DocumentID string            `json:"documentId,omitempty"`
	PollID     string            `json:"pollId,omitempty"`
	UserIDs    []string          `json:"userIds,omitempty"`
	Version    int               `json:"version,omitempty"` // a document's version after a replacement
	Changes    map[string]Diff   `json:"changes,omitempty"` // field → before and after
	Details    map[string]string `json:"details,omitempty"` // anything else worth keeping (e.g. copiedFrom)
	// Audience, when not nil, is the only users the live event goes to (a
	// change to a confidential document). Not stored: such a change carries
	// no names (see meetings' recordChange), so the journal may show it.
	Audience []string `json:"-"`
}

// Diff is a field's value before and after a change, as text.
type Diff struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type actorKey struct{}

// WithActor returns a context that carries the user on whose behalf the work
// is done; the HTTP layer sets it for every authenticated request, and
// services read it to record who made a change.
func WithActor(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, actorKey{}, u)
}

// Actor returns the user set by WithActor (the zero User when none: seeding,
// background work).
func Actor(ctx context.Context) User {
	u, _ := ctx.Value(actorKey{}).(User)
	return u
}
