package accounts

import (
	"context"
	"strings"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// External is a user as an identity provider vouches for them (see oidcauth).
type External struct {
	// Username is the configured claim's value; ExternalUsername maps it.
	Username           string
	DisplayName, Email string
	// Admin and Unit, when set, replace the user's at every sign-in.
	Admin *bool
	Unit  *string
	// IDToken is the provider's raw ID token, kept with the session (Session.IDToken).
	IDToken string
}

// ExternalUsername turns a provider's claim value into a username: lowercased,
// every character outside a-z, 0-9, '.', '_' and '-' replaced by '-' (an
// e-mail address "an.nv@thapmuoi.gov.vn" becomes "an.nv-thapmuoi.gov.vn"), at
// most 64 characters. The same value always gives the same name, so a user is
// matched again at the next sign-in, and a local account made beforehand under
// that name is the provider user's.
func ExternalUsername(v string) (string, error) {
	var b strings.Builder
	for _, c := range strings.ToLower(strings.TrimSpace(v)) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	name := b.String()
	if len(name) > 64 {
		name = name[:64]
	}
	return NormalizeUsername(name)
}

// SignInExternal opens a session for the user a provider vouched for: the user
// of that username, created if there is none (with a random password nobody
// knows, so only the provider signs them in); name, e-mail, admin and unit
// follow the provider. A disabled user is refused, as by Login.
func (s *Service) SignInExternal(ctx context.Context, ext External) (string, Session, phonghop.User, error) {
	name, err := ExternalUsername(ext.Username)
	if err != nil {
		return "", Session{}, phonghop.User{}, err
	}
	rec, err := s.byUsername(ctx, name)
	if phonghop.ErrorCode(err) == phonghop.ENotFound {
		display := strings.TrimSpace(ext.DisplayName)
		if display == "" {
			display = name
		}
		_, err = s.Create(ctx, NewUser{Username: name, Password: RandomPassword(name), DisplayName: display})
		if phonghop.ErrorCode(err) == phonghop.EConflict {
			err = nil // created by a sign-in racing this one
		}
		if err == nil {
			rec, err = s.byUsername(ctx, name)
		}
	}
	if err != nil {
		return "", Session{}, phonghop.User{}, err
	}
	if rec.Disabled {
		return "", Session{}, phonghop.User{}, errDisabled
	}
	want := rec.User
	if d := strings.TrimSpace(ext.DisplayName); d != "" {
		want.DisplayName = d
	}
	if e := strings.TrimSpace(ext.Email); e != "" {
		want.Email = e
	}
	if ext.Admin != nil {
		want.Admin = *ext.Admin
	}
	if ext.Unit != nil {
		want.Unit = *ext.Unit
	}
	if CheckProfile(&want) != nil {
		// A provider's value that phonghop would not accept from an admin
		// (too long, not an address) is left as it was.
		want.Email, want.Unit = rec.Email, rec.Unit
		if CheckProfile(&want) != nil {
			want = rec.User
		}
	}
	u := rec
	if want != rec.User {
		r, err := storage.UpdateJSON(ctx, s.Store, "users/"+rec.ID+".json", false, func(r *userRecord) error {
			if r.Disabled {
				return errDisabled
			}
			keep := r.User
			r.DisplayName, r.Email, r.Admin, r.Unit = want.DisplayName, want.Email, want.Admin, want.Unit
			if r.User == keep {
				return storage.ErrStop
			}
			return nil
		})
		s.ForgetUser(rec.ID) // changed (or perhaps): cached copies go
		if err != nil {
			return "", Session{}, phonghop.User{}, err
		}
		u = r
	}
	return s.openSession(ctx, u, ext.IDToken)
}
