package accounts

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// Changes to an account that end its sessions (password changed or reset
// here, disabled in UpdateProfile). Each raises the user's SessionEpoch in the
// same compare-and-swap as the change, so every process
// refuses the old sessions from its next request on (Authenticate reads the
// user with each session); the caller closes the live sockets (their sessions'
// epoch is below the one returned).

// ChangePassword sets the user's own password, the old one required: the
// sessions the user had end, and a new one is returned for the caller (the
// same device stays signed in). It also ends an admin's reset
// (MustChangePassword).
func (s *Service) ChangePassword(ctx context.Context, userID, oldPassword, newPassword string) (string, Session, phonghop.User, error) {
	u, err := s.record(ctx, userID)
	if err != nil {
		return "", Session{}, phonghop.User{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(oldPassword)) != nil {
		// Not 401: the caller's session is good; only this password is wrong.
		return "", Session{}, phonghop.User{}, phonghop.Fail(phonghop.EForbidden, "password_old_wrong")
	}
	if newPassword == oldPassword {
		return "", Session{}, phonghop.User{}, phonghop.Fail(phonghop.EInvalid, "password_unchanged")
	}
	if err := CheckPassword(u.Username, newPassword); err != nil {
		return "", Session{}, phonghop.User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(newPassword), s.cost())
	if err != nil {
		return "", Session{}, phonghop.User{}, fmt.Errorf("accounts: hash: %w", err)
	}
	rec, err := s.change(ctx, userID, func(r *userRecord) error {
		if r.PasswordHash != u.PasswordHash {
			// Changed meanwhile (another device, an admin): the old password
			// checked above is no longer the one to replace.
			return phonghop.Fail(phonghop.EConflict, "password_changed_meanwhile")
		}
		r.PasswordHash = string(hash)
		r.MustChangePassword = false
		r.PasswordUsed = true
		return nil
	})
	if err != nil {
		return "", Session{}, phonghop.User{}, err
	}
	token, sess, err := s.newSession(ctx, rec, nil)
	if err != nil {
		return "", Session{}, phonghop.User{}, err
	}
	return token, sess, rec.User, nil
}

// ResetPassword (admin) gives the user a password that must be changed at the
// next sign-in; the user's sessions end. It returns the user and the new epoch.
func (s *Service) ResetPassword(ctx context.Context, userID, password string) (phonghop.User, int, error) {
	u, err := s.record(ctx, userID)
	if err != nil {
		return phonghop.User{}, 0, err
	}
	if err := CheckPassword(u.Username, password); err != nil {
		return phonghop.User{}, 0, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost())
	if err != nil {
		return phonghop.User{}, 0, fmt.Errorf("accounts: hash: %w", err)
	}
	rec, err := s.change(ctx, userID, func(r *userRecord) error {
		r.PasswordHash = string(hash)
		r.MustChangePassword = true
		return nil
	})
	return rec.User, rec.SessionEpoch, err
}

// SessionEpoch returns the epoch the user's sessions need now: after an
// account is disabled (UpdateProfile), the sockets of older sessions close.
func (s *Service) SessionEpoch(ctx context.Context, userID string) (int, error) {
	u, err := s.record(ctx, userID)
	return u.SessionEpoch, err
}

// change applies fn to the user record and ends the user's sessions, in one
// compare-and-swap.
func (s *Service) change(ctx context.Context, userID string, fn func(*userRecord) error) (userRecord, error) {
	defer s.ForgetUser(userID) // this process's cached copy (others: the control message, or the cache's TTL)
	rec, err := storage.UpdateJSON(ctx, s.Store, "users/"+userID+".json", false, func(r *userRecord) error {
		if err := fn(r); err != nil {
			return err
		}
		r.SessionEpoch++
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return rec, phonghop.Fail(phonghop.ENotFound, "user_not_found")
	}
	return rec, err
}
