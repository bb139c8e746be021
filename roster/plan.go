package roster

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/meetings"
)

// Accounts is what an import needs of the accounts; accounts.Service
// satisfies it.
type Accounts interface {
	User(ctx context.Context, id string) (phonghop.User, error)
	ByUsername(ctx context.Context, username string) (phonghop.User, error)
	Create(ctx context.Context, req accounts.NewUser) (phonghop.User, error)
	UpdateProfile(ctx context.Context, id string, ch accounts.ProfileChange) (before, after phonghop.User, err error)
	Delete(ctx context.Context, id string) (phonghop.User, error)
}

// Meetings is what an import needs of the meetings; meetings.Service
// satisfies it.
type Meetings interface {
	Meeting(ctx context.Context, id string) (*phonghop.Meeting, error)
	MergeParticipants(ctx context.Context, id string, changes []meetings.ParticipantChange) (*phonghop.Meeting, error)
	UserChanged(ctx context.Context, before, after phonghop.User) error
	ForgetUser(ctx context.Context, userID string) error
}

// Service imports people into accounts and meetings.
type Service struct {
	Accounts Accounts
	Meetings Meetings
	// History gives the attendance an export lists (nil: none).
	History History
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Actions a row can come to.
const (
	Create    = "create"
	Update    = "update"
	Unchanged = "unchanged"
	Refused   = "refused"
)

// RowResult is what the import does, or would do, with one row, and why.
type RowResult struct {
	Row
	Action string `json:"action"`
	// Changes lists each field the row sets, from and to (for a new user,
	// from ""; "role" and "title" are the participant's).
	Changes map[string]phonghop.Diff `json:"changes,omitempty"`
	// Error says why the row is refused.
	Error *phonghop.Error `json:"error,omitempty"`
	// Password is the one generated for a user this import created (given
	// once, in the answer of the import that wrote it).
	Password string `json:"password,omitempty"`

	user    phonghop.User // existing user, or the one created
	profile accounts.ProfileChange
	role    phonghop.Role
	title   string
}

// Result is an import's plan, or what it did.
type Result struct {
	Rows      []RowResult `json:"rows"`
	Created   int         `json:"created"`
	Updated   int         `json:"updated"`
	Unchanged int         `json:"unchanged"`
	Refused   int         `json:"refused"`
	// Applied is true when the import wrote its plan: only when no row is
	// refused, and then every row's change is made.
	Applied bool `json:"applied"`
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// plan decides every row. m is the meeting for a participants import (nil
// for users). Only admins create or edit accounts: for anyone else a row
// naming an unknown user is refused and the profile columns are not applied
// (the position still sets the participant's title).
func (s *Service) plan(ctx context.Context, rows []Row, m *phonghop.Meeting, admin bool) (Result, error) {
	res := Result{Rows: make([]RowResult, len(rows))}
	first := map[string]int{}
	for i, row := range rows {
		rr := &res.Rows[i]
		rr.Row = row
		refuse := func(err error) {
			rr.Action, rr.Error, rr.Changes = Refused, phonghop.Public(err), nil
		}
		name, err := accounts.NormalizeUsername(row.Username)
		if err != nil {
			refuse(err)
			continue
		}
		rr.Username = name
		if line, dup := first[name]; dup {
			refuse(phonghop.Fail(phonghop.EInvalid, "import_duplicate_row", "row", line))
			continue
		}
		first[name] = row.Line
		if m != nil {
			role, ok := ParseRole(row.Role)
			if !ok {
				refuse(phonghop.Fail(phonghop.EInvalid, "import_role_invalid", "role", phonghop.Clip(row.Role)))
				continue
			}
			rr.role, rr.Role = role, string(role)
		} else {
			rr.Role = ""
		}
		rr.Changes = map[string]phonghop.Diff{}
		u, err := s.Accounts.ByUsername(ctx, name)
		exists := err == nil
		switch {
		case exists:
			rr.user = u
		case phonghop.ErrorCode(err) != phonghop.ENotFound:
			return Result{}, err
		case !admin:
			refuse(phonghop.Fail(phonghop.EInvalid, "import_user_unknown", "username", name))
			continue
		}
		// The profile: a cell left empty keeps what the account has.
		next := u
		if admin {
			for _, f := range []struct {
				cell string
				to   *string
			}{
				{row.DisplayName, &next.DisplayName}, {row.Position, &next.Position}, {row.Unit, &next.Unit},
				{row.Phone, &next.Phone}, {row.Email, &next.Email},
			} {
				if f.cell != "" {
					*f.to = f.cell
				}
			}
			if !exists && next.DisplayName == "" {
				refuse(phonghop.Fail(phonghop.EInvalid, "text_required", "field", "displayName"))
				continue
			}
			if err := accounts.CheckProfile(&next); err != nil {
				refuse(err)
				continue
			}
			for _, f := range []struct {
				name     string
				from, to string
				ch       **string
			}{
				{"displayName", u.DisplayName, next.DisplayName, &rr.profile.DisplayName},
				{"position", u.Position, next.Position, &rr.profile.Position},
				{"unit", u.Unit, next.Unit, &rr.profile.Unit},
				{"phone", u.Phone, next.Phone, &rr.profile.Phone},
				{"email", u.Email, next.Email, &rr.profile.Email},
			} {
				if f.from != f.to {
					rr.Changes[f.name] = phonghop.Diff{From: f.from, To: f.to}
					v := f.to
					*f.ch = &v
				}
			}
			rr.DisplayName, rr.Position, rr.Unit, rr.Phone, rr.Email = next.DisplayName, next.Position, next.Unit, next.Phone, next.Email
		}
		if !exists {
			if row.Password != "" {
				if err := accounts.CheckPassword(row.Username, row.Password); err != nil {
					refuse(err)
					continue
				}
			}
		}
		if m != nil {
			// The participant's title: the row's position, else what it is.
			cur, member := m.Participant(u.ID)
			rr.title = row.Position
			if rr.title == "" && exists && member {
				rr.title = cur.Title
			}
			if rr.title == "" {
				rr.title = next.Position
			}
			if !exists || !member || cur.Role != rr.role {
				rr.Changes["role"] = phonghop.Diff{From: string(cur.Role), To: string(rr.role)}
			}
			if (!exists || !member || cur.Title != rr.title) && rr.title != "" {
				rr.Changes["title"] = phonghop.Diff{From: cur.Title, To: rr.title}
			}
		}
		switch {
		case !exists:
			rr.Action = Create
		case len(rr.Changes) > 0:
			rr.Action = Update
		default:
			rr.Action = Unchanged
			rr.Changes = nil
		}
	}
	for _, rr := range res.Rows {
		switch rr.Action {
		case Create:
			res.Created++
		case Update:
			res.Updated++
		case Unchanged:
			res.Unchanged++
		case Refused:
			res.Refused++
		}
	}
	return res, nil
}

// newPassword makes a password for a user created without one: 12 random
// characters, handed out once in the import's answer.
func newPassword(username string) string {
	for {
		var b [9]byte
		if _, err := rand.Read(b[:]); err != nil {
			panic(err)
		}
		// Random, so it passes the password rules all but always.
		if pw := base64.RawURLEncoding.EncodeToString(b[:]); accounts.CheckPassword(username, pw) == nil {
			return pw
		}
	}
}
