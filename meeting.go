package phonghop

import "time"

// Zone is Vietnam's time (UTC+7, no daylight saving), fixed so nothing
// needs tzdata: the minutes print times in it, the meeting list counts days
// in it, exports write times in it.
var Zone = time.FixedZone("UTC+7", 7*60*60)

// User is an account. The password hash never leaves the accounts package.
type User struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"displayName"`
	Admin       bool   `json:"admin"`
	// Position is the person's office (chức vụ), e.g. "Chủ tịch UBND huyện";
	// Unit the body they work in (đơn vị); Phone and Email how to reach them.
	// All optional; a participant's title defaults to the position.
	Position string `json:"position,omitempty"`
	Unit     string `json:"unit,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Email    string `json:"email,omitempty"`
	// Disabled users cannot sign in, by password or through the identity
	// provider; their sessions ended when they were disabled.
	Disabled bool `json:"disabled,omitempty"`
	// MustChangePassword is set by an admin's reset: until the user picks a
	// password of their own, their session may do nothing else.
	MustChangePassword bool `json:"mustChangePassword,omitempty"`
	// ExternalIssuer and ExternalSubject name the identity provider's user
	// the account is bound to (the verified ID token's iss and sub at its
	// first sign-in through the provider): through the provider, only that
	// user signs in to it. Empty until then. Set by accounts only.
	ExternalIssuer  string `json:"externalIssuer,omitempty"`
	ExternalSubject string `json:"externalSubject,omitempty"`
}

// Role is a participant's part in one meeting.
type Role string

const (
	RoleChair     Role = "chair"
	RoleSecretary Role = "secretary"
	RoleDelegate  Role = "delegate"
	RoleObserver  Role = "observer"
)

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool {
	switch r {
	case RoleChair, RoleSecretary, RoleDelegate, RoleObserver:
		return true
	}
	return false
}

// Participant is a user's place in a meeting.
type Participant struct {
	UserID      string `json:"userId"`
	DisplayName string `json:"displayName"`
	Role        Role   `json:"role"`
	// Title is the participant's office, e.g. "Phó Chủ tịch UBND huyện"; optional.
	Title string `json:"title,omitempty"`
	// Unit is the body the participant comes from, copied from the user.
	Unit string `json:"unit,omitempty"`
}

// AgendaItem is one point of the agenda.
type AgendaItem struct {
	ID              string   `json:"id"`
	Title           string   `json:"title"`
	Presenter       string   `json:"presenter"` // a userId, or "" when the chair presents
	DurationMinutes int      `json:"durationMinutes"`
	DocumentIDs     []string `json:"documentIds"`
}

// Document is an uploaded file of a meeting.
type Document struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"contentType"`
	Pages       int    `json:"pages"`
	// The view tablets load (content?view=1): the document with a page index
	// appended, when the server keeps one for it.
	ViewSize   int64     `json:"viewSize,omitempty"`
	ViewSHA256 string    `json:"viewSha256,omitempty"`
	UploadedBy string    `json:"uploadedBy,omitempty"`
	UploadedAt time.Time `json:"uploadedAt"`
	// Version counts the document's replacements (absent: the first
	// upload); Previous keeps the versions it replaced, oldest first, whose
	// bytes stay stored (and in the meeting's archive). Blob names the stored
	// object of the current bytes ("" for the first version: the id).
	Version  int               `json:"version,omitempty"`
	Previous []DocumentVersion `json:"previous,omitempty"`
	Blob     string            `json:"blob,omitempty"`
	// Original is the office file (Word, Excel, ...) the PDF is made from,
	// kept for download (GET .../original); nil for a PDF upload.
	Original *Original `json:"original,omitempty"`
	// Conversion is set while the PDF is being made from Original, or when
	// it could not be; nil once the document is ready.
	Conversion *Conversion `json:"conversion,omitempty"`
	// Replacing is a new version being made from an office file: the
	// document stays as it is (and ready) until its PDF is made, then
	// becomes that version; a failed one stays here, saying why, until the
	// next replacement.
	Replacing *Replacement `json:"replacing,omitempty"`
	// A confidential document is seen only by its Readers and by those who
	// manage the meeting's documents (its chair and secretary, admins).
	Confidential bool     `json:"confidential,omitempty"`
	Readers      []string `json:"readers,omitempty"`
	// Watermark: tablets draw the viewer's name and the time on every page.
	Watermark bool `json:"watermark,omitempty"`
}

// BlobID is the stored object holding the document's current bytes.
func (d Document) BlobID() string {
	if d.Blob != "" {
		return d.Blob
	}
	return d.ID
}

// DocumentVersion is a version of a document that a newer one replaced.
type DocumentVersion struct {
	Version    int       `json:"version"`
	Blob       string    `json:"blob"`
	Name       string    `json:"name"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	Pages      int       `json:"pages"`
	UploadedBy string    `json:"uploadedBy,omitempty"`
	UploadedAt time.Time `json:"uploadedAt"`
	ReplacedBy string    `json:"replacedBy,omitempty"`
	ReplacedAt time.Time `json:"replacedAt"`
	// Original is the office file the version was made from, if any.
	Original *Original `json:"original,omitempty"`
}

// Replacement is a new version of a document whose PDF is being made from
// an office file.
type Replacement struct {
	// Blob names the stored objects the version will have (its original
	// is kept under it already).
	Blob       string      `json:"blob"`
	Original   *Original   `json:"original"`
	Conversion *Conversion `json:"conversion"`
	By         string      `json:"by,omitempty"`
}

// Original describes an uploaded office file.
type Original struct {
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"contentType"`
}

// Conversion states.
const (
	ConversionQueued     = "queued"
	ConversionConverting = "converting"
	ConversionFailed     = "failed"
)

// Conversion is how far the PDF of an office file is.
type Conversion struct {
	State    string    `json:"state"`
	QueuedAt time.Time `json:"queuedAt"`
	// StartedAt is when the current attempt began; Attempt counts them (a
	// restart of the server during a conversion makes another).
	StartedAt *time.Time `json:"startedAt,omitempty"`
	Attempt   int        `json:"attempt,omitempty"`
	// EstimateSeconds is how long the conversion is expected to take, from
	// the file's size: clients draw progress from StartedAt and it.
	EstimateSeconds int `json:"estimateSeconds,omitempty"`
	// Error says why it failed (State "failed").
	Error *Error `json:"error,omitempty"`
}

// Ready reports whether the document's PDF can be shown.
func (d Document) Ready() bool { return d.Conversion == nil }

// Meeting is a meeting with its set-up.
type Meeting struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	StartsAt     time.Time `json:"startsAt"`
	Location     string    `json:"location"`
	Language     string    `json:"language"`               // "vi" or "en"
	Organization string    `json:"organization,omitempty"` // issuing body for the minutes
	// The rest of the minutes' heading (Decree 30/2020/NĐ-CP), all optional: the
	// place name of the date line (địa danh, e.g. "Tháp Mười": not the venue),
	// the issuing body's superior body (cơ quan chủ quản, printed above it) and
	// the minutes' number and symbol as the records office gives it ("05/BB-UBND").
	PlaceName          string        `json:"placeName,omitempty"`
	ParentOrganization string        `json:"parentOrganization,omitempty"`
	DocumentNumber     string        `json:"documentNumber,omitempty"`
	Participants       []Participant `json:"participants"`
	Agenda             []AgendaItem  `json:"agenda"`
	Documents          []Document    `json:"documents"`
	CreatedAt          time.Time     `json:"createdAt"`
	// Revision counts the changes to the set-up (0 when never changed since
	// creation); the live event "setup" carries it, so a tablet knows whether
	// its copy is current.
	Revision int64 `json:"revision"`
	// CancelledAt, when set, is when the meeting was called off, and
	// CancelReason why; a cancelled meeting stays readable.
	CancelledAt  *time.Time `json:"cancelledAt,omitempty"`
	CancelReason string     `json:"cancelReason,omitempty"`

	// index makes the participant lookups constant-time (see Index).
	index *meetingIndex
}

// meetingIndex is a meeting's participants by userId and its voters. It
// holds the Participants slice it was built from and is used only while the
// meeting still has that slice, so a copy whose participants were replaced
// falls back to searching.
type meetingIndex struct {
	parts  []Participant
	byUser map[string]int // userId → its first entry in parts
	voters []string
	voter  map[string]bool
}

// Index builds the lookups Participant, HasRole, IsVoter and VoterCount use,
// so that they take constant time instead of a search of the participants:
// with thousands of them, building the room's attendance searched once per
// person present. Call it once the meeting is decoded and before it is
// shared (it is not safe alongside readers); a meeting whose Participants
// are changed in place afterwards must be indexed again. Unindexed meetings
// answer the same, by searching.
func (m *Meeting) Index() {
	ix := &meetingIndex{parts: m.Participants, byUser: make(map[string]int, len(m.Participants)), voter: map[string]bool{}}
	for i, p := range m.Participants {
		if _, ok := ix.byUser[p.UserID]; !ok {
			ix.byUser[p.UserID] = i
		}
		if p.Role == RoleDelegate {
			ix.voters = append(ix.voters, p.UserID)
			ix.voter[p.UserID] = true
		}
	}
	m.index = ix
}

// indexed returns the meeting's index if it still describes its participants.
func (m *Meeting) indexed() *meetingIndex {
	ix := m.index
	if ix == nil || len(ix.parts) != len(m.Participants) {
		return nil
	}
	if len(ix.parts) > 0 && &ix.parts[0] != &m.Participants[0] {
		return nil
	}
	return ix
}

// Participant returns the user's entry in the meeting, if any.
func (m *Meeting) Participant(userID string) (Participant, bool) {
	if ix := m.indexed(); ix != nil {
		if i, ok := ix.byUser[userID]; ok {
			return m.Participants[i], true
		}
		return Participant{}, false
	}
	for _, p := range m.Participants {
		if p.UserID == userID {
			return p, true
		}
	}
	return Participant{}, false
}

// Item returns the agenda item with the id, if any.
func (m *Meeting) Item(id string) (AgendaItem, bool) {
	for _, it := range m.Agenda {
		if it.ID == id {
			return it, true
		}
	}
	return AgendaItem{}, false
}

// Document returns the document with the id, if any.
func (m *Meeting) Document(id string) (Document, bool) {
	for _, d := range m.Documents {
		if d.ID == id {
			return d, true
		}
	}
	return Document{}, false
}

// ManagesDocuments reports whether the user manages the meeting's documents
// (uploads, confidential access): an admin, the chair or the secretary.
func (m *Meeting) ManagesDocuments(u User) bool {
	return u.Admin || m.HasRole(u.ID, RoleChair, RoleSecretary)
}

// CanRead reports whether the user may see the document: any participant
// unless it is confidential; then its readers and the document managers.
func (m *Meeting) CanRead(d Document, u User) bool {
	if !d.Confidential {
		return true
	}
	if m.ManagesDocuments(u) {
		return true
	}
	for _, id := range d.Readers {
		if id == u.ID {
			return true
		}
	}
	return false
}

// For returns the meeting as the user may see it: confidential documents
// they may not read are left out of the document list and of the agenda.
// m itself is not changed (it may be shared); it is returned as it is when
// nothing is hidden.
func (m *Meeting) For(u User) *Meeting {
	hidden := map[string]bool{}
	for _, d := range m.Documents {
		if !m.CanRead(d, u) {
			hidden[d.ID] = true
		}
	}
	if len(hidden) == 0 {
		return m
	}
	out := *m
	out.Documents = make([]Document, 0, len(m.Documents)-len(hidden))
	for _, d := range m.Documents {
		if !hidden[d.ID] {
			out.Documents = append(out.Documents, d)
		}
	}
	out.Agenda = make([]AgendaItem, len(m.Agenda))
	for i, it := range m.Agenda {
		ids := make([]string, 0, len(it.DocumentIDs))
		for _, id := range it.DocumentIDs {
			if !hidden[id] {
				ids = append(ids, id)
			}
		}
		it.DocumentIDs = ids
		out.Agenda[i] = it
	}
	return &out
}

// DocumentAudience is who may receive news of the document in the live
// room: nil (everyone) unless it is confidential; then its readers and the
// chair and secretary.
func (m *Meeting) DocumentAudience(d Document) []string {
	if !d.Confidential {
		return nil
	}
	out := append([]string{}, d.Readers...)
	for _, p := range m.Participants {
		if p.Role == RoleChair || p.Role == RoleSecretary {
			out = append(out, p.UserID)
		}
	}
	return out
}

// HasRole reports whether the user takes part with one of the roles.
func (m *Meeting) HasRole(userID string, roles ...Role) bool {
	p, ok := m.Participant(userID)
	if !ok {
		return false
	}
	for _, r := range roles {
		if p.Role == r {
			return true
		}
	}
	return false
}

// Voters returns the userIds of the delegates: the contract lets only delegates
// vote, and quorum counts them.
func (m *Meeting) Voters() []string {
	if ix := m.indexed(); ix != nil {
		return append([]string(nil), ix.voters...)
	}
	var out []string
	for _, p := range m.Participants {
		if p.Role == RoleDelegate {
			out = append(out, p.UserID)
		}
	}
	return out
}

// IsVoter reports whether the user is one of the meeting's voters (a
// delegate).
func (m *Meeting) IsVoter(userID string) bool {
	if ix := m.indexed(); ix != nil {
		return ix.voter[userID]
	}
	for _, p := range m.Participants {
		if p.UserID == userID && p.Role == RoleDelegate {
			return true
		}
	}
	return false
}

// VoterCount is len(m.Voters()) without building the list.
func (m *Meeting) VoterCount() int {
	if ix := m.indexed(); ix != nil {
		return len(ix.voters)
	}
	n := 0
	for _, p := range m.Participants {
		if p.Role == RoleDelegate {
			n++
		}
	}
	return n
}
