package accounts

import (
	"context"
	"errors"
	"net/mail"
	"strings"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// ProfileChange is an edit of a user's profile: nil fields keep their value.
// The username, the password and the admin flag are not part of it.
type ProfileChange struct {
	DisplayName *string `json:"displayName"`
	Position    *string `json:"position"`
	Unit        *string `json:"unit"`
	Phone       *string `json:"phone"`
	Email       *string `json:"email"`
	// Disabled turns the account off (sign-ins refused, sessions end) or on.
	Disabled *bool `json:"disabled"`
}

const (
	maxPosition = 300
	maxUnit     = 300
	maxPhone    = 60
	maxEmail    = 254
)

// CheckProfile validates and tidies the profile fields of u (spaces trimmed):
// the display name is required, the others optional.
func CheckProfile(u *phonghop.User) error {
	for _, f := range []*string{&u.DisplayName, &u.Position, &u.Unit, &u.Phone, &u.Email} {
		*f = strings.TrimSpace(*f)
	}
	if err := CheckText("displayName", u.DisplayName, true, maxDisplayName); err != nil {
		return err
	}
	if err := CheckText("position", u.Position, false, maxPosition); err != nil {
		return err
	}
	if err := CheckText("unit", u.Unit, false, maxUnit); err != nil {
		return err
	}
	if err := CheckText("phone", u.Phone, false, maxPhone); err != nil {
		return err
	}
	for _, c := range u.Phone {
		if !(c >= '0' && c <= '9' || strings.ContainsRune(" +-.()/,;", c)) {
			return phonghop.Fail(phonghop.EInvalid, "phone_invalid")
		}
	}
	if err := CheckText("email", u.Email, false, maxEmail); err != nil {
		return err
	}
	if u.Email != "" {
		a, err := mail.ParseAddress(u.Email)
		if err != nil || a.Address != u.Email {
			return phonghop.Fail(phonghop.EInvalid, "email_invalid")
		}
	}
	return nil
}

// UpdateProfile applies the change to the user with compare-and-swap, so two
// admins editing different fields at once both keep theirs. It returns the
// user before and after.
func (s *Service) UpdateProfile(ctx context.Context, id string, ch ProfileChange) (before, after phonghop.User, err error) {
	defer s.ForgetUser(id)
	if _, err := s.record(ctx, id); err != nil {
		return before, after, err
	}
	rec, err := storage.UpdateJSON(ctx, s.Store, "users/"+id+".json", false, func(r *userRecord) error {
		before = r.User
		u := r.User
		for _, f := range []struct {
			to   *string
			from *string
		}{{&u.DisplayName, ch.DisplayName}, {&u.Position, ch.Position}, {&u.Unit, ch.Unit}, {&u.Phone, ch.Phone}, {&u.Email, ch.Email}} {
			if f.from != nil {
				*f.to = *f.from
			}
		}
		if ch.Disabled != nil {
			u.Disabled = *ch.Disabled
		}
		if err := CheckProfile(&u); err != nil {
			return err
		}
		if u == r.User {
			return storage.ErrStop
		}
		if u.Disabled && !r.Disabled {
			// Disabled: every session of the user ends with this swap.
			r.SessionEpoch++
		}
		r.User = u
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return before, after, phonghop.Fail(phonghop.ENotFound, "user_not_found")
	}
	return before, rec.User, err
}

// Delete removes the user: the username claim first (the name is free again
// at once; a crash after it leaves an unreachable record, never a name that
// points nowhere), then the record, which ends the user's sessions (they no
// longer authenticate). Whether the user may be deleted (they took part in
// nothing) is the caller's to check.
func (s *Service) Delete(ctx context.Context, id string) (phonghop.User, error) {
	defer s.ForgetUser(id)
	u, err := s.record(ctx, id)
	if err != nil {
		return phonghop.User{}, err
	}
	if err := s.Store.Delete(ctx, "usernames/"+u.Username+".json"); err != nil {
		return phonghop.User{}, err
	}
	if err := s.Store.Delete(ctx, "users/"+id+".json"); err != nil {
		return phonghop.User{}, err
	}
	if u.ExternalSubject != "" {
		// Last: an entry left by a crash names no account (bySubject
		// checks the record) and is replaced at that user's next sign-in.
		if err := s.dropSubject(ctx, id, u.ExternalIssuer, u.ExternalSubject); err != nil {
			return phonghop.User{}, err
		}
	}
	return u.User, nil
}
