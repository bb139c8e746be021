// Package minutes assembles a meeting's minutes ("biên bản") from what happened
// in it (the journal and the closed polls) plus the secretary's edits, keeps the
// edits with compare-and-swap, renders the minutes as a PDF in the usual
// Vietnamese administrative form, and stores each rendering as a numbered,
// write-once version.
package minutes

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
)

// Person names someone in the minutes.
type Person struct {
	UserID      string `json:"userId"`
	DisplayName string `json:"displayName"`
	Title       string `json:"title,omitempty"` // office (chức vụ), e.g. "Chủ tịch UBND huyện"
	Unit        string `json:"unit,omitempty"`  // the body they come from
	Role        string `json:"role,omitempty"`  // role in the meeting; "" for someone no longer a participant
	// Reason is why the chair or the secretary checked this person in or out
	// on their behalf (no tablet, arrived late, excused), as they last gave it.
	Reason string `json:"reason,omitempty"`
}

// DraftAttendance is who took part. Present is everyone who checked in at any
// point of the meeting (someone who left early was still there); Absent is the
// delegates who never checked in. Expected is the last expected count reported
// (the number of delegates when nothing was reported) and Quorum is true when
// quorum was reached at some point.
type DraftAttendance struct {
	Present  []Person `json:"present"`
	Absent   []Person `json:"absent"`
	Expected int      `json:"expected"`
	Quorum   bool     `json:"quorum"`
}

// Speaker is someone given the floor during an item.
type Speaker struct {
	UserID      string    `json:"userId"`
	DisplayName string    `json:"displayName"`
	At          time.Time `json:"at"`
}

// PollSummary is a closed poll as the minutes show it. It never carries who
// voted for what: the minutes are the same for secret and open polls.
type PollSummary struct {
	ID             string     `json:"id"`
	Title          string     `json:"title"`
	Options        []string   `json:"options"`
	Counts         []int      `json:"counts"`
	Cast           int        `json:"cast"`
	Eligible       int        `json:"eligible"`
	Passed         bool       `json:"passed"`
	Secret         bool       `json:"secret"`
	Majority       string     `json:"majority"`
	QuorumOverride bool       `json:"quorumOverride,omitempty"`
	ClosedAt       *time.Time `json:"closedAt,omitempty"`
	// An election, confidence vote or approval (see phonghop.Poll): its
	// questions with the people, the ballots valid and blank, and each
	// question's results. Absent for a motion.
	Kind            string                    `json:"kind,omitempty"`
	Questions       []phonghop.Question       `json:"questions,omitempty"`
	Valid           int                       `json:"valid,omitempty"`
	Blank           int                       `json:"blank,omitempty"`
	QuestionResults []phonghop.QuestionResult `json:"questionResults,omitempty"`
}

// Item is one agenda item in the minutes. Notes and Conclusion are the
// secretary's; everything else is assembled.
type Item struct {
	AgendaItemID string        `json:"agendaItemId"`
	Title        string        `json:"title"`
	Presenter    string        `json:"presenter"` // display name
	StartedAt    *time.Time    `json:"startedAt"`
	Documents    []string      `json:"documents"` // document names
	Speakers     []Speaker     `json:"speakers"`
	Polls        []PollSummary `json:"polls"`
	Notes        string        `json:"notes"`
	Conclusion   string        `json:"conclusion"`
}

// Draft is the minutes as the API shows them. Only Summary, Guests and each
// item's Notes and Conclusion are edited; Revision guards the edits.
type Draft struct {
	Revision     int64  `json:"revision"`
	MeetingID    string `json:"meetingId"`
	Title        string `json:"title"`
	Organization string `json:"organization"`
	// The rest of the heading, from the meeting (see phonghop.Meeting).
	ParentOrganization string          `json:"parentOrganization,omitempty"`
	PlaceName          string          `json:"placeName,omitempty"`
	DocumentNumber     string          `json:"documentNumber,omitempty"`
	Location           string          `json:"location"`
	Language           string          `json:"language"`
	StartsAt           time.Time       `json:"startsAt"`
	EndedAt            *time.Time      `json:"endedAt,omitempty"` // time of the last recorded event
	Chair              Person          `json:"chair"`
	Secretary          Person          `json:"secretary"`
	Summary            string          `json:"summary"` // the chair's conclusions (SummaryLabelVi)
	Attendance         DraftAttendance `json:"attendance"`
	// Guests is the secretary's list of guests without an account, one a line
	// ("Name – office"); the minutes list them after the observers present.
	Guests    string     `json:"guests"`
	Items     []Item     `json:"items"`
	UpdatedBy string     `json:"updatedBy,omitempty"`
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`

	// Approved is set on the draft a final version is rendered from: the
	// minutes print without the draft mark ("DỰ THẢO").
	Approved *Approval `json:"approved,omitempty"`

	// OpenedAt and ClosedAt are when the chair opened ("khai mạc") and closed
	// ("bế mạc") the meeting, from the journal; nil until they did.
	OpenedAt *time.Time `json:"openedAt,omitempty"`
	ClosedAt *time.Time `json:"closedAt,omitempty"`
}

// Approval is the chair's approval of a version of the minutes.
type Approval struct {
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// Edits is what the secretary wrote, kept at meetings/{mid}/minutes/draft.json.
type Edits struct {
	Revision  int64               `json:"revision"`
	Summary   string              `json:"summary"`
	Guests    string              `json:"guests,omitempty"`
	Items     map[string]ItemEdit `json:"items,omitempty"` // by agendaItemId
	UpdatedBy string              `json:"updatedBy,omitempty"`
	UpdatedAt *time.Time          `json:"updatedAt,omitempty"`
}

// ItemEdit is the secretary's text for one agenda item.
type ItemEdit struct {
	Notes      string `json:"notes,omitempty"`
	Conclusion string `json:"conclusion,omitempty"`
}

// OtherItemID is the AgendaItemID of the extra item that collects speakers and
// polls recorded outside any agenda item (before the first item was taken up,
// or for an item no longer on the agenda). It appears only when it has content.
const OtherItemID = ""

// journal payloads, as the live room sends them.
type presentationData struct {
	AgendaItemID string `json:"agendaItemId"`
	DocumentID   string `json:"documentId"`
	Page         int    `json:"page"`
}

type speakersData struct {
	Current *string  `json:"current"`
	Queue   []string `json:"queue"`
}

// attendanceData is a journaled attendance entry, in either form: the whole
// list (Present set; Marks are all the marks) or a delta (live.AttendanceDelta:
// In set, Out; Marks are the marks made or changed, Unmarked those cleared).
type attendanceData struct {
	Present  *[]string `json:"present"`
	In       *[]string `json:"in"`
	Unmarked []string  `json:"unmarked"`
	Expected int       `json:"expected"`
	Quorum   bool      `json:"quorum"`
	Marks    map[string]struct {
		Present bool   `json:"present"`
		Reason  string `json:"reason"`
	} `json:"marks"`
}

type sessionData struct {
	OpenedAt *time.Time `json:"openedAt"`
	ClosedAt *time.Time `json:"closedAt"`
}

// Assemble folds the meeting's journal (in seq order), its polls and the
// secretary's edits into the minutes. It is pure: the same input gives the same
// draft. Entries it cannot decode are skipped, so one bad record never hides the
// rest of the meeting.
//
//   - presentation: the first time an agenda item is presented, it has started;
//     a presented document joins the item's documents.
//   - speakers: each change of the current speaker to someone gives that person
//     the floor in the item being presented (a speaker who still has the floor
//     when the next item is taken up is recorded again there, at the next
//     speakers event).
//   - attendance: present is the union of every check-in; see DraftAttendance.
//     The reasons of the last check-ins and check-outs made on someone's
//     behalf go with their names; someone checked out on their behalf who
//     never was present is absent, whatever their role.
//   - session: the opening and closing times.
//   - poll: the last recorded state of each poll; polls passes the store's
//     record, which wins. Only closed polls (with results) are in the minutes.
func Assemble(m *phonghop.Meeting, entries []journal.Entry, polls []phonghop.Poll, edits Edits) Draft {
	names := make(map[string]Person, len(m.Participants))
	d := Draft{
		Revision:     edits.Revision,
		MeetingID:    m.ID,
		Title:        m.Title,
		Organization: m.Organization,
		Location:     m.Location,
		Language:     m.Language,
		StartsAt:     m.StartsAt,
		Summary:      edits.Summary,
		Guests:       edits.Guests,
		UpdatedBy:    edits.UpdatedBy,
		UpdatedAt:    edits.UpdatedAt,
	}
	d.ParentOrganization, d.PlaceName, d.DocumentNumber = m.ParentOrganization, m.PlaceName, m.DocumentNumber
	if d.Language != "en" {
		d.Language = "vi"
	}
	var chairName string
	for _, p := range m.Participants {
		pp := Person{UserID: p.UserID, DisplayName: p.DisplayName, Title: p.Title, Unit: p.Unit, Role: string(p.Role)}
		names[p.UserID] = pp
		if p.Role == phonghop.RoleChair && d.Chair.UserID == "" {
			d.Chair, chairName = pp, p.DisplayName
		}
		if p.Role == phonghop.RoleSecretary && d.Secretary.UserID == "" {
			d.Secretary = pp
		}
	}
	person := func(id string) Person {
		if p, ok := names[id]; ok {
			return p
		}
		return Person{UserID: id, DisplayName: id}
	}
	docName := func(id string) string {
		// The minutes go to every participant: a confidential document is
		// not named in them.
		if doc, ok := m.Document(id); ok && !doc.Confidential {
			return doc.Name
		}
		return ""
	}

	items := make([]Item, 0, len(m.Agenda)+1)
	index := make(map[string]int, len(m.Agenda))
	for _, a := range m.Agenda {
		if _, dup := index[a.ID]; dup {
			continue
		}
		it := Item{AgendaItemID: a.ID, Title: a.Title, Presenter: chairName,
			Documents: []string{}, Speakers: []Speaker{}, Polls: []PollSummary{}}
		if a.Presenter != "" {
			it.Presenter = person(a.Presenter).DisplayName
		}
		for _, id := range a.DocumentIDs {
			if n := docName(id); n != "" && !contains(it.Documents, n) {
				it.Documents = append(it.Documents, n)
			}
		}
		if e, ok := edits.Items[a.ID]; ok {
			it.Notes, it.Conclusion = e.Notes, e.Conclusion
		}
		index[a.ID] = len(items)
		items = append(items, it)
	}
	other := Item{AgendaItemID: OtherItemID, Documents: []string{}, Speakers: []Speaker{}, Polls: []PollSummary{}}
	itemFor := func(id string) *Item {
		if i, ok := index[id]; ok && id != "" {
			return &items[i]
		}
		return &other
	}

	current := ""     // agenda item being presented
	lastSpeaker := "" // current speaker, "" when nobody has the floor
	speakerItem := "" // the item lastSpeaker was recorded in
	present := map[string]bool{}
	var presentOrder []string
	reasons := map[string]string{}
	markedAbsent := map[string]bool{}
	expected, expectedSet, quorum := 0, false, false
	pollState := map[string]phonghop.Poll{}
	var pollOrder []string
	var last time.Time
	for _, e := range entries {
		if e.Time.After(last) {
			last = e.Time
		}
		switch e.Type {
		case "presentation":
			var p presentationData
			if json.Unmarshal(e.Data, &p) != nil || p.AgendaItemID == "" {
				continue
			}
			current = p.AgendaItemID
			it := itemFor(current)
			if it == &other {
				continue
			}
			if it.StartedAt == nil {
				t := e.Time
				it.StartedAt = &t
			}
			if n := docName(p.DocumentID); n != "" && !contains(it.Documents, n) {
				it.Documents = append(it.Documents, n)
			}
		case "speakers":
			var s speakersData
			if json.Unmarshal(e.Data, &s) != nil {
				continue
			}
			now := ""
			if s.Current != nil {
				now = *s.Current
			}
			// A new speaker, or one who still has the floor when a new item is
			// taken up, is recorded in the item being presented.
			if now != "" && (now != lastSpeaker || current != speakerItem) {
				it := itemFor(current)
				it.Speakers = append(it.Speakers, Speaker{UserID: now, DisplayName: person(now).DisplayName, At: e.Time})
			}
			lastSpeaker, speakerItem = now, current
		case "attendance":
			var a attendanceData
			if json.Unmarshal(e.Data, &a) != nil {
				continue
			}
			entered := a.Present
			if entered == nil {
				entered = a.In
			}
			if entered == nil {
				continue
			}
			for _, id := range *entered {
				if !present[id] {
					present[id] = true
					presentOrder = append(presentOrder, id)
				}
			}
			expected, expectedSet = a.Expected, true
			quorum = quorum || a.Quorum
			if a.Present != nil { // the whole list: its marks are all there are
				clear(reasons)
				clear(markedAbsent)
			}
			for _, id := range a.Unmarked {
				delete(reasons, id)
				delete(markedAbsent, id)
			}
			for id, mk := range a.Marks {
				reasons[id] = mk.Reason
				markedAbsent[id] = !mk.Present
			}
		case "session":
			var s sessionData
			if json.Unmarshal(e.Data, &s) != nil {
				continue
			}
			if s.OpenedAt != nil {
				t := *s.OpenedAt
				d.OpenedAt = &t
			}
			if s.ClosedAt != nil {
				t := *s.ClosedAt
				d.ClosedAt = &t
			}
		case "poll":
			var p phonghop.Poll
			if json.Unmarshal(e.Data, &p) != nil || p.ID == "" {
				continue
			}
			if _, seen := pollState[p.ID]; !seen {
				pollOrder = append(pollOrder, p.ID)
			}
			pollState[p.ID] = p
		}
	}
	for _, p := range polls {
		if _, seen := pollState[p.ID]; !seen {
			pollOrder = append(pollOrder, p.ID)
		}
		pollState[p.ID] = p
	}
	var closed []phonghop.Poll
	for _, id := range pollOrder {
		if p := pollState[id]; p.Results != nil {
			closed = append(closed, p)
		}
	}
	// Polls in the order they closed (then were created), so the minutes read in
	// the order things happened whatever order the sources listed them in.
	sort.SliceStable(closed, func(a, b int) bool {
		ta, tb := pollTime(closed[a]), pollTime(closed[b])
		if !ta.Equal(tb) {
			return ta.Before(tb)
		}
		return closed[a].ID < closed[b].ID
	})
	for _, p := range closed {
		it := itemFor(p.AgendaItemID)
		it.Polls = append(it.Polls, summarize(p))
	}
	if len(other.Speakers) > 0 || len(other.Polls) > 0 {
		items = append(items, other)
	}
	d.Items = items

	// Attendance: participants first in the meeting's order, then anyone else who
	// checked in (for example a participant removed since).
	d.Attendance = DraftAttendance{Present: []Person{}, Absent: []Person{}, Quorum: quorum}
	withReason := func(p Person) Person {
		p.Reason = reasons[p.UserID]
		return p
	}
	for _, p := range m.Participants {
		if present[p.UserID] {
			d.Attendance.Present = append(d.Attendance.Present, withReason(names[p.UserID]))
		} else if p.Role == phonghop.RoleDelegate || markedAbsent[p.UserID] {
			d.Attendance.Absent = append(d.Attendance.Absent, withReason(names[p.UserID]))
		}
	}
	for _, id := range presentOrder {
		if _, ok := names[id]; !ok {
			d.Attendance.Present = append(d.Attendance.Present, withReason(person(id)))
		}
	}
	if expectedSet {
		d.Attendance.Expected = expected
	} else {
		d.Attendance.Expected = len(m.Voters())
	}
	if !last.IsZero() {
		d.EndedAt = &last
	}
	return d
}

func pollTime(p phonghop.Poll) time.Time {
	if p.ClosedAt != nil {
		return *p.ClosedAt
	}
	return p.CreatedAt
}

func summarize(p phonghop.Poll) PollSummary {
	s := PollSummary{
		ID: p.ID, Title: p.Title, Options: p.Options, Secret: p.Secret, Majority: p.Majority,
		QuorumOverride: p.QuorumOverride, ClosedAt: p.ClosedAt,
		Counts: p.Results.Counts, Cast: p.Results.Cast, Eligible: p.Results.Eligible, Passed: p.Results.Passed,
	}
	if s.Options == nil {
		s.Options = []string{}
	}
	if s.Counts == nil {
		s.Counts = []int{}
	}
	if !p.IsMotion() {
		s.Kind, s.Questions = p.Kind, p.Questions
		s.Valid, s.Blank, s.QuestionResults = p.Results.Valid, p.Results.Blank, p.Results.Questions
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
