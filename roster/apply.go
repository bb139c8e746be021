package roster

import (
	"context"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/meetings"
)

// ErrRefused is returned (wrapped in the *phonghop.Error import_refused) when
// an import is not applied because some rows are refused.
var errRefused = func(n int) error { return phonghop.Fail(phonghop.EInvalid, "import_refused", "count", n) }

// ImportUsers reads users from a file and, unless dryRun, creates and
// updates them. Nothing is written unless every row is valid; the result says
// row by row what was (or would be) done. Importing the same file again
// changes nothing. Only an admin calls it.
func (s *Service) ImportUsers(ctx context.Context, rows []Row, dryRun bool) (Result, error) {
	return s.run(ctx, rows, nil, true, dryRun)
}

// ImportParticipants reads a meeting's participants from a file and, unless
// dryRun, adds them to the meeting with the roles given (delegate when
// empty), keeping the participants the file does not name. An admin also
// creates the users the file names that do not exist, and updates the
// profiles of those that do; anyone else (the chair) may only name existing
// users.
func (s *Service) ImportParticipants(ctx context.Context, meetingID string, rows []Row, admin, dryRun bool) (Result, error) {
	m, err := s.Meetings.Meeting(ctx, meetingID)
	if err != nil {
		return Result{}, err
	}
	return s.run(ctx, rows, m, admin, dryRun)
}

func (s *Service) run(ctx context.Context, rows []Row, m *phonghop.Meeting, admin, dryRun bool) (Result, error) {
	res, err := s.plan(ctx, rows, m, admin)
	if err != nil {
		return Result{}, err
	}
	if res.Refused > 0 {
		if dryRun {
			return res, nil
		}
		return res, errRefused(res.Refused)
	}
	if dryRun || res.Created+res.Updated == 0 {
		res.Applied = !dryRun
		return res, nil
	}
	if err := s.apply(ctx, &res, m); err != nil {
		return Result{}, err
	}
	res.Applied = true
	return res, nil
}

// apply writes a plan with no refused row. Accounts are created and updated
// first, the meeting's participants last in one compare-and-swap; if any
// step fails, what the earlier ones wrote is undone, so a failed import
// leaves things as they were (and, being idempotent, can simply be run again).
func (s *Service) apply(ctx context.Context, res *Result, m *phonghop.Meeting) (err error) {
	var created []phonghop.User
	var edited []phonghop.User // profiles before this import
	defer func() {
		if err == nil {
			return
		}
		uctx := context.WithoutCancel(ctx)
		for _, u := range created {
			if _, derr := s.Accounts.Delete(uctx, u.ID); derr != nil {
				s.log().Error("import: undo: a created user could not be deleted", "user", u.ID, "username", u.Username, "err", derr)
			}
			_ = s.Meetings.ForgetUser(uctx, u.ID)
		}
		for _, u := range edited {
			back := accounts.ProfileChange{DisplayName: &u.DisplayName, Position: &u.Position, Unit: &u.Unit, Phone: &u.Phone, Email: &u.Email}
			if _, _, uerr := s.Accounts.UpdateProfile(uctx, u.ID, back); uerr != nil {
				s.log().Error("import: undo: a profile could not be restored", "user", u.ID, "err", uerr)
			}
		}
	}()
	var changed [][2]phonghop.User
	for i := range res.Rows {
		rr := &res.Rows[i]
		switch {
		case rr.Action == Create:
			pw := rr.Row.Password
			if pw == "" {
				pw = newPassword(rr.Username)
				rr.Password = pw
			}
			// The password (given in the file or made here) passed through
			// the admin's hands: one use only, the user picks their own.
			u, err := s.Accounts.Create(ctx, accounts.NewUser{Username: rr.Username, Password: pw, DisplayName: rr.DisplayName,
				Position: rr.Position, Unit: rr.Unit, Phone: rr.Phone, Email: rr.Email, MustChangePassword: true})
			if err != nil {
				return err
			}
			rr.user = u
			created = append(created, u)
		case rr.Action == Update && rr.profile != (accounts.ProfileChange{}):
			before, after, err := s.Accounts.UpdateProfile(ctx, rr.user.ID, rr.profile)
			if err != nil {
				return err
			}
			if before != after {
				edited = append(edited, before)
				changed = append(changed, [2]phonghop.User{before, after})
			}
			rr.user = after
		}
	}
	if m != nil {
		var changes []meetings.ParticipantChange
		for _, rr := range res.Rows {
			if rr.Changes["role"] != (phonghop.Diff{}) || rr.Changes["title"] != (phonghop.Diff{}) {
				changes = append(changes, meetings.ParticipantChange{UserID: rr.user.ID, Role: rr.role, Title: rr.title})
			}
		}
		if len(changes) > 0 {
			// Lists pending: the participants are saved, only the listing
			// markers lag (they are written again on the next save).
			if _, err := s.Meetings.MergeParticipants(ctx, m.ID, changes); err != nil && phonghop.Public(err).Reason != "participants_saved_lists_pending" {
				return err
			}
		}
	}
	// The accounts' edits reach the meetings not yet held; the import itself
	// is done, so a failure here is only logged.
	for _, c := range changed {
		if err := s.Meetings.UserChanged(ctx, c[0], c[1]); err != nil {
			s.log().Error("import: a profile edit did not reach every meeting", "user", c[1].ID, "err", err)
		}
	}
	return nil
}
