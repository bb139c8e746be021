package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// External is a user as an identity provider vouches for them (see oidcauth).
type External struct {
	// Issuer and Subject are the verified ID token's iss and sub: who the
	// provider's user is, whatever their name. Both required.
	Issuer, Subject string
	// Username is the configured claim's value; ExternalUsername maps it.
	Username           string
	DisplayName, Email string
	// Admin and Unit, when set, replace the user's at every sign-in.
	Admin *bool
	Unit  *string
	// IDToken is the provider's raw ID token, kept with the session
	// (Session.IDToken) for the provider's sign-out; empty when the provider
	// has none (oidcauth keeps it only then).
	IDToken string
}

// ExternalUsername turns a provider's claim value into a username: lowercased,
// every character outside a-z, 0-9, '.', '_' and '-' replaced by '-' (an
// e-mail address "an.nv@thapmuoi.gov.vn" becomes "an.nv-thapmuoi.gov.vn"), at
// most 64 characters. The same value always gives the same name, so a user is
// matched again at the next sign-in, and a local account made beforehand under
// that name can be the provider user's (see mayLink).
func ExternalUsername(v string) (string, error) {
	var b strings.Builder
	for _, c := range strings.TrimSpace(v) {
		// ASCII letters only are lowercased: Unicode's lowercase of a
		// look-alike may be ASCII (the Kelvin sign U+212A is "k"), which
		// would give a provider user named "Khoa" the name khoa.
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
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

// SignInExternal opens a session for the user a provider vouched for.
//
// The account is the one bound to the provider's user (Issuer and Subject)
// at an earlier sign-in, so a rename at the provider keeps it. Otherwise it
// is the account of that username, created if there is none (with a random
// password nobody knows, so only the provider signs them in), and bound to
// the provider's user now (see mayLink for which existing accounts a name
// match takes). An account bound to another provider user is refused
// (oidc_subject_mismatch), as is one a name match may not take
// (oidc_account_local). Name, e-mail, admin and unit follow the provider. A
// disabled user is refused, as by Login.
func (s *Service) SignInExternal(ctx context.Context, ext External) (string, Session, phonghop.User, error) {
	if ext.Issuer == "" || ext.Subject == "" {
		return "", Session{}, phonghop.User{}, errors.New("accounts: a provider's user without issuer and subject")
	}
	name, err := ExternalUsername(ext.Username)
	if err != nil {
		return "", Session{}, phonghop.User{}, err
	}
	rec, err := s.bySubject(ctx, ext.Issuer, ext.Subject)
	if phonghop.ErrorCode(err) == phonghop.ENotFound {
		rec, err = s.byUsername(ctx, name)
		if phonghop.ErrorCode(err) == phonghop.ENotFound {
			// A provider's name phonghop would not take from an admin (too
			// long, a NUL) is left out, as at later sign-ins, rather than
			// refusing the person.
			display := phonghop.CleanLine(ext.DisplayName)
			if CheckText("displayName", display, true, maxDisplayName) != nil {
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
		if err == nil {
			rec, err = s.bind(ctx, rec, ext)
		}
	}
	if err != nil {
		return "", Session{}, phonghop.User{}, err
	}
	if rec.Disabled {
		return "", Session{}, phonghop.User{}, errDisabled
	}
	// The provider's words, without the invisible and direction-changing
	// characters an admin could not type here either (the person cannot
	// retype them in phonghop: cleaned, not refused).
	want := rec.User
	if d := phonghop.CleanLine(ext.DisplayName); d != "" {
		want.DisplayName = d
	}
	if e := phonghop.CleanLine(ext.Email); e != "" {
		want.Email = e
	}
	if ext.Admin != nil {
		want.Admin = *ext.Admin
	}
	if ext.Unit != nil {
		want.Unit = phonghop.CleanLine(*ext.Unit)
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
			if r.ExternalIssuer != ext.Issuer || r.ExternalSubject != ext.Subject {
				return errUnboundMeanwhile
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
	return s.openSession(ctx, u, &ext)
}

// RefusedLinkError is a sign-in through the provider refused the account of
// its name: Username is that account's, for the audit trail (the client sees
// only the reason).
type RefusedLinkError struct {
	Username string
	err      *phonghop.Error
}

func (e *RefusedLinkError) Error() string {
	return "accounts: account " + e.Username + ": " + e.err.Error()
}

func (e *RefusedLinkError) Unwrap() error { return e.err }

var (
	errSubjectMismatch = phonghop.Fail(phonghop.EForbidden, "oidc_subject_mismatch")
	errAccountLocal    = phonghop.Fail(phonghop.EForbidden, "oidc_account_local")
	// errUnboundMeanwhile: an admin removed the binding during the sign-in.
	errUnboundMeanwhile = phonghop.Fail(phonghop.EConflict, "oidc_unbound_meanwhile")
)

// mayLink says whether a name match takes an account not yet bound to a
// provider's user: always with ExternalLinkLocal; otherwise only an account
// nobody signed in to with its password nor changed it (one an admin made or
// imported beforehand for an official, or one the provider created before
// bindings existed) and without admin rights. A local account in use, and
// every admin account (its password, the bootstrap admin's included, is
// known to someone), stays its owner's unless the operator says the
// provider's names are the same people.
func (s *Service) mayLink(r *userRecord) bool {
	return s.ExternalLinkLocal || r.Relink || (!r.PasswordUsed && !r.Admin)
}

// bind records the provider's user on the account found by name (once; the
// same user again is a no-op) and its index entry, after checking the
// account may be theirs.
func (s *Service) bind(ctx context.Context, rec userRecord, ext External) (userRecord, error) {
	defer s.ForgetUser(rec.ID)
	r, err := storage.UpdateJSON(ctx, s.Store, "users/"+rec.ID+".json", false, func(r *userRecord) error {
		switch {
		case r.Disabled:
			return errDisabled // refused before anything is recorded
		case r.ExternalIssuer == ext.Issuer && r.ExternalSubject == ext.Subject:
			return storage.ErrStop // bound already (a sign-in racing this one, or an index entry lost)
		case r.ExternalSubject != "":
			return &RefusedLinkError{Username: r.Username, err: errSubjectMismatch}
		case !s.mayLink(r):
			return &RefusedLinkError{Username: r.Username, err: errAccountLocal}
		}
		r.ExternalIssuer, r.ExternalSubject, r.Relink = ext.Issuer, ext.Subject, false
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return r, phonghop.Fail(phonghop.ENotFound, "user_not_found")
	}
	if err != nil {
		return r, err
	}
	// The record first, then the index: a crash between them leaves a
	// binding the next sign-in finds by name and indexes then.
	other := ""
	_, err = storage.UpdateJSON(ctx, s.Store, subjectKey(ext.Issuer, ext.Subject), true, func(x *subjectRecord) error {
		if x.UserID == r.ID {
			return storage.ErrStop
		}
		if x.UserID != "" {
			o, err := s.record(ctx, x.UserID)
			if err != nil && phonghop.ErrorCode(err) != phonghop.ENotFound {
				return err
			}
			if err == nil && o.ExternalIssuer == ext.Issuer && o.ExternalSubject == ext.Subject {
				other = x.UserID
				return storage.ErrStop // another account holds this provider's user
			}
		}
		x.UserID = r.ID // new, emptied, or left by an account deleted or unbound
		return nil
	})
	if err != nil {
		return r, err
	}
	if other != "" {
		// Two accounts bound to one provider user at once (two names
		// racing): the indexed one keeps it; this one is let go.
		_ = s.unbind(ctx, r.ID, ext.Issuer, ext.Subject, false)
		return s.record(ctx, other)
	}
	return r, nil
}

// subjectRecord maps a provider's user to the account bound to them:
// subjects/{sha256(issuer, subject)}.json (hashed: a subject may be any
// string, and keys are not).
type subjectRecord struct {
	UserID string `json:"userId"`
}

func subjectKey(issuer, subject string) string {
	sum := sha256.Sum256([]byte(issuer + "\x00" + subject))
	return "subjects/" + hex.EncodeToString(sum[:]) + ".json"
}

// bySubject returns the account bound to the provider's user, ENotFound if
// none is (an index entry whose account no longer holds the binding counts
// as none).
func (s *Service) bySubject(ctx context.Context, issuer, subject string) (userRecord, error) {
	var x subjectRecord
	if _, err := storage.GetJSON(ctx, s.Store, subjectKey(issuer, subject), &x); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return userRecord{}, phonghop.Fail(phonghop.ENotFound, "user_not_found")
		}
		return userRecord{}, err
	}
	if x.UserID == "" {
		return userRecord{}, phonghop.Fail(phonghop.ENotFound, "user_not_found") // emptied by dropSubject
	}
	r, err := s.record(ctx, x.UserID)
	if err == nil && (r.ExternalIssuer != issuer || r.ExternalSubject != subject) {
		return userRecord{}, phonghop.Fail(phonghop.ENotFound, "user_not_found")
	}
	return r, err
}

// Unbind (admin) removes the account's binding to the provider's user (the
// province re-created the official at its provider, or moved to another
// provider): the next provider user signing in under the account's name
// takes it and is bound, even an admin account or one whose password is in
// use; the admin chose so for this account. It returns the user before and
// after; an account not bound is left as it is.
func (s *Service) Unbind(ctx context.Context, id string) (before, after phonghop.User, err error) {
	rec, err := s.record(ctx, id)
	if err != nil {
		return before, after, err
	}
	before = rec.User
	if rec.ExternalSubject == "" {
		return before, before, nil
	}
	if err := s.unbind(ctx, id, rec.ExternalIssuer, rec.ExternalSubject, true); err != nil {
		return before, after, err
	}
	after, err = s.User(ctx, id)
	return before, after, err
}

// unbind clears the account's binding if it is still to issuer and
// subject, then the index entry if it still names the account; relink lets
// the next name match take the account.
func (s *Service) unbind(ctx context.Context, id, issuer, subject string, relink bool) error {
	defer s.ForgetUser(id)
	_, err := storage.UpdateJSON(ctx, s.Store, "users/"+id+".json", false, func(r *userRecord) error {
		if r.ExternalIssuer != issuer || r.ExternalSubject != subject {
			return storage.ErrStop
		}
		r.ExternalIssuer, r.ExternalSubject, r.Relink = "", "", relink
		return nil
	})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return s.dropSubject(ctx, id, issuer, subject)
}

// dropSubject empties the index entry of the provider's user if it still
// names the account. A compare-and-swap, not a read then a delete: an entry
// rewritten in between (the provider's user bound to another account by a
// sign-in racing an unbinding or a deletion) is left as it is. Before, the
// delete removed that new entry, and the next sign-in under yet another name
// (a second rename at the provider) did not find the account by its subject
// and made another one. An emptied entry names nobody (bySubject) and is
// taken by the next binding (bind).
func (s *Service) dropSubject(ctx context.Context, id, issuer, subject string) error {
	_, err := storage.UpdateJSON(ctx, s.Store, subjectKey(issuer, subject), false, func(x *subjectRecord) error {
		if x.UserID != id {
			return storage.ErrStop
		}
		x.UserID = ""
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}

// markPasswordUsed records that the account's password was used (Login).
func (s *Service) markPasswordUsed(ctx context.Context, id string) error {
	_, err := storage.UpdateJSON(ctx, s.Store, "users/"+id+".json", false, func(r *userRecord) error {
		if r.PasswordUsed {
			return storage.ErrStop
		}
		r.PasswordUsed = true
		return nil
	})
	return err
}
