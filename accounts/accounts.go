// Package accounts keeps users and their sessions in the object store.
//
// Layout: users/{id}.json holds a user with its password hash; usernames/{name}.json
// maps a username to its id and is written create-only, so two processes creating
// the same username at once cannot both succeed; sessions/{sha256(token)}.json
// holds a session. Only the token's hash is stored, so a copy of the bucket
// does not hand out working tokens.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// Service manages users and sessions. Zero values of the optional fields mean:
// SessionTTL 12 hours, BcryptCost bcrypt.DefaultCost, Now time.Now.
type Service struct {
	Store      storage.Store
	SessionTTL time.Duration
	BcryptCost int
	Now        func() time.Time
	// AuthCacheTTL is how long Authenticate trusts a session and user it
	// read (see authCache for what that means for revocation). 0:
	// DefaultAuthCacheTTL; < 0: read the store on every request.
	AuthCacheTTL time.Duration
	// ExternalLinkLocal lets a provider's user take any account of their
	// name not yet bound to another, admins and local accounts in use
	// included (see mayLink): for a province whose provider's names are
	// known to be the same people as phonghop's accounts.
	ExternalLinkLocal bool

	auth      authCache
	dummyOnce sync.Once
	dummyHash []byte
	devices   deviceKeys
}

type userRecord struct {
	phonghop.User
	PasswordHash string    `json:"passwordHash"`
	CreatedAt    time.Time `json:"createdAt"`
	// SessionEpoch ends every session made before it changed: a session
	// counts only while its Epoch equals it. Raised when the password changes
	// or is reset and when the account is disabled.
	SessionEpoch int `json:"sessionEpoch,omitempty"`
	// PasswordUsed: someone signed in with the account's password, or
	// changed it, at least once (recorded since bindings to the identity
	// provider exist; see SignInExternal). Such an account is someone's
	// local account, not taken by a provider's user of the same name.
	PasswordUsed bool `json:"passwordUsed,omitempty"`
	// Relink: an admin removed the account's binding (Unbind); the next
	// provider user signing in under its name takes it, whatever mayLink
	// says, once.
	Relink bool `json:"relink,omitempty"`
}

type usernameRecord struct {
	UserID string `json:"userId"`
}

// Session is a logged-in token's record.
type Session struct {
	ID        string    `json:"id"` // hash of the token; safe to log and to key live connections by
	UserID    string    `json:"userId"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	// Epoch is the user's SessionEpoch when the session was made.
	Epoch int `json:"epoch,omitempty"`
	// External: opened through the identity provider (SignInExternal). Such
	// a session is not held to MustChangePassword: its user did not sign in
	// with the password an admin reset (or an import set), and cannot choose
	// one without it.
	External bool `json:"external,omitempty"`
	// IDToken is the identity provider's ID token of a session opened
	// through it, kept here, server-side, for the provider's sign-out (its
	// id_token_hint) when the provider has one (External.IDToken); never sent
	// to a browser or logged.
	IDToken string `json:"idToken,omitempty"`
}

// NewUser is a request to create a user.
type NewUser struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	DisplayName string `json:"displayName"`
	Admin       bool   `json:"admin"`
	// Profile fields, optional (see CheckProfile).
	Position string `json:"position"`
	Unit     string `json:"unit"`
	Phone    string `json:"phone"`
	Email    string `json:"email"`
	// MustChangePassword makes the user pick a password of their own at
	// their first sign-in, as after an admin's reset: the password given
	// here is known to whoever created the account.
	MustChangePassword bool `json:"mustChangePassword"`
}

const maxDisplayName = 200

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) ttl() time.Duration {
	if s.SessionTTL > 0 {
		return s.SessionTTL
	}
	return 12 * time.Hour
}

// NormalizeUsername lowercases and checks a username: 2 to 64 of a-z, 0-9, '.',
// '_', '-'.
func NormalizeUsername(name string) (string, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if len(name) < 2 || len(name) > 64 {
		return "", phonghop.Fail(phonghop.EInvalid, "username_length")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return "", phonghop.Fail(phonghop.EInvalid, "username_chars")
		}
	}
	if name == "." || name == ".." {
		return "", phonghop.Fail(phonghop.EInvalid, "username_invalid")
	}
	return name, nil
}

// NewID returns a random opaque id made of safe key characters.
func NewID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// CheckText validates a required or optional one-line text
// (phonghop.CheckText: nothing invisible or direction-changing in it).
func CheckText(field, v string, required bool, max int) error {
	return phonghop.CheckText(field, v, required, max)
}

// Create adds a user. A taken username is a conflict.
func (s *Service) Create(ctx context.Context, req NewUser) (phonghop.User, error) {
	name, err := NormalizeUsername(req.Username)
	if err != nil {
		return phonghop.User{}, err
	}
	if err := CheckPassword(name, req.Password); err != nil {
		return phonghop.User{}, err
	}
	if req.DisplayName == "" {
		req.DisplayName = name
	}
	profile := phonghop.User{DisplayName: req.DisplayName, Position: req.Position, Unit: req.Unit, Phone: req.Phone, Email: req.Email}
	if err := CheckProfile(&profile); err != nil {
		return phonghop.User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(req.Password), s.cost())
	if err != nil {
		return phonghop.User{}, fmt.Errorf("accounts: hash: %w", err)
	}
	u := userRecord{
		User: phonghop.User{ID: NewID(), Username: name, DisplayName: profile.DisplayName, Admin: req.Admin,
			Position: profile.Position, Unit: profile.Unit, Phone: profile.Phone, Email: profile.Email},
		PasswordHash: string(hash),
		CreatedAt:    s.now().UTC(),
	}
	u.MustChangePassword = req.MustChangePassword
	// The user record first, then the create-only username claim: a crash between
	// them leaves an unreachable user record, never a name pointing nowhere.
	if _, err := storage.PutJSON(ctx, s.Store, "users/"+u.ID+".json", u, storage.PutOptions{IfAbsent: true}); err != nil {
		return phonghop.User{}, err
	}
	_, err = storage.PutJSON(ctx, s.Store, "usernames/"+name+".json", usernameRecord{UserID: u.ID}, storage.PutOptions{IfAbsent: true})
	if err == nil {
		return u.User, nil
	}
	// A claim reported failed may have landed (a timeout after the write, or a
	// retried PUT finding its own first try): undo only what is known not to
	// have landed, so a name never points at a deleted user.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var ref usernameRecord
	_, rerr := storage.GetJSON(dctx, s.Store, "usernames/"+name+".json", &ref)
	switch {
	case rerr == nil && ref.UserID == u.ID:
		return u.User, nil // it landed: the user exists
	case rerr == nil || errors.Is(rerr, storage.ErrNotFound):
		// Someone else's claim, or none: this user record is unreachable.
		_ = s.Store.Delete(dctx, "users/"+u.ID+".json")
		if rerr == nil {
			return phonghop.User{}, phonghop.Fail(phonghop.EConflict, "username_taken", "username", name)
		}
		return phonghop.User{}, err
	}
	// Unknown: keep the record (unreachable at worst, never a dangling name).
	return phonghop.User{}, err
}

func (s *Service) record(ctx context.Context, id string) (userRecord, error) {
	var u userRecord
	if storage.CheckKey(id) != nil {
		return u, phonghop.Fail(phonghop.ENotFound, "user_not_found")
	}
	_, err := storage.GetJSON(ctx, s.Store, "users/"+id+".json", &u)
	if errors.Is(err, storage.ErrNotFound) {
		return u, phonghop.Fail(phonghop.ENotFound, "user_not_found")
	}
	return u, err
}

// User returns the user with the id.
func (s *Service) User(ctx context.Context, id string) (phonghop.User, error) {
	u, err := s.record(ctx, id)
	return u.User, err
}

// ByUsername returns the user with the username.
func (s *Service) ByUsername(ctx context.Context, username string) (phonghop.User, error) {
	u, err := s.byUsername(ctx, username)
	return u.User, err
}

func (s *Service) byUsername(ctx context.Context, username string) (userRecord, error) {
	name, err := NormalizeUsername(username)
	if err != nil {
		return userRecord{}, phonghop.Fail(phonghop.ENotFound, "user_not_found")
	}
	var ref usernameRecord
	if _, err := storage.GetJSON(ctx, s.Store, "usernames/"+name+".json", &ref); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return userRecord{}, phonghop.Fail(phonghop.ENotFound, "user_not_found")
		}
		return userRecord{}, err
	}
	return s.record(ctx, ref.UserID)
}

// List returns every user, ordered by username.
func (s *Service) List(ctx context.Context) ([]phonghop.User, error) {
	infos, err := s.Store.List(ctx, "usernames/")
	if err != nil {
		return nil, err
	}
	out := make([]phonghop.User, 0, len(infos))
	for _, in := range infos {
		name := strings.TrimSuffix(strings.TrimPrefix(in.Key, "usernames/"), ".json")
		u, err := s.byUsername(ctx, name)
		if phonghop.ErrorCode(err) == phonghop.ENotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, u.User)
	}
	return out, nil
}

// Empty reports whether the store holds no users yet.
func (s *Service) Empty(ctx context.Context) (bool, error) {
	infos, err := s.Store.List(ctx, "usernames/")
	return len(infos) == 0, err
}

// dummy makes a login for an unknown user cost as much as a wrong password (a
// hash at the same cost), so response times do not reveal which usernames exist.
func (s *Service) dummy() []byte {
	s.dummyOnce.Do(func() {
		s.dummyHash, _ = bcrypt.GenerateFromPassword([]byte("phonghop-no-such-user"), s.cost())
	})
	return s.dummyHash
}

func (s *Service) cost() int {
	if s.BcryptCost == 0 {
		return bcrypt.DefaultCost
	}
	return s.BcryptCost
}

var errBadLogin = phonghop.Fail(phonghop.EUnauthenticated, "bad_login")

// ErrUnknownAccount is wrapped in the bad_login a sign-in under a name no
// account has gets. The client sees the same answer either way; the audit
// trail uses it to keep no such name, which is often a password typed into
// the wrong field.
var ErrUnknownAccount = errors.New("no account of that name")

// Login checks the credentials and opens a session. It returns the bearer token.
func (s *Service) Login(ctx context.Context, username, password string) (string, Session, phonghop.User, error) {
	u, err := s.byUsername(ctx, username)
	if phonghop.ErrorCode(err) == phonghop.ENotFound {
		_ = bcrypt.CompareHashAndPassword(s.dummy(), []byte(password))
		return "", Session{}, phonghop.User{}, fmt.Errorf("%w (%w)", errBadLogin, ErrUnknownAccount)
	}
	if err != nil {
		return "", Session{}, phonghop.User{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return "", Session{}, phonghop.User{}, errBadLogin
	}
	if !u.PasswordUsed && !u.Disabled {
		// Once: from now on a provider's user of the same name does not
		// take this account (SignInExternal).
		if err := s.markPasswordUsed(ctx, u.ID); err != nil {
			return "", Session{}, phonghop.User{}, err
		}
	}
	return s.openSession(ctx, u, nil)
}

// errDisabled refuses a disabled user, whichever way they sign in (by
// password: only once the password proved right).
var errDisabled = phonghop.Fail(phonghop.EForbidden, "account_disabled")

// openSession starts a session for u (signed in by password, or through the
// identity provider as via) and returns its bearer token.
func (s *Service) openSession(ctx context.Context, u userRecord, via *External) (string, Session, phonghop.User, error) {
	if u.Disabled {
		return "", Session{}, phonghop.User{}, errDisabled
	}
	token, sess, err := s.newSession(ctx, u, via)
	if err != nil {
		return "", Session{}, phonghop.User{}, err
	}
	return token, sess, u.User, nil
}

// newSession stores a session for u (opened through the identity provider
// as via, when set) and returns its bearer token.
func (s *Service) newSession(ctx context.Context, u userRecord, via *External) (string, Session, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Session{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	now := s.now().UTC()
	sess := Session{ID: tokenID(token), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.ttl()), Epoch: u.SessionEpoch}
	if via != nil {
		sess.External, sess.IDToken = true, via.IDToken
	}
	if _, err := storage.PutJSON(ctx, s.Store, sessionKey(sess.ID), sess, storage.PutOptions{IfAbsent: true}); err != nil {
		return "", Session{}, err
	}
	// A tablet opens its meeting's live socket and pages right after signing
	// in: they find the session and the user in the cache, as just written.
	s.keep(sess, u.User, u.SessionEpoch, now)
	return token, sess, nil
}

func tokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func sessionKey(id string) string { return "sessions/" + id + ".json" }

var errBadToken = phonghop.Fail(phonghop.EUnauthenticated, "bad_token")

// Authenticate returns the session and user of a bearer token.
func (s *Service) Authenticate(ctx context.Context, token string) (Session, phonghop.User, error) {
	if token == "" || len(token) > 128 {
		return Session{}, phonghop.User{}, errBadToken
	}
	now := s.now()
	id := tokenID(token)
	sess, ok := s.cachedSession(id, now)
	if !ok {
		_, err := storage.GetJSON(ctx, s.Store, sessionKey(id), &sess)
		if errors.Is(err, storage.ErrNotFound) {
			return Session{}, phonghop.User{}, errBadToken
		}
		if err != nil {
			return Session{}, phonghop.User{}, err
		}
	}
	if !now.Before(sess.ExpiresAt) {
		s.Forget(sess.ID)
		_ = s.Store.Delete(ctx, sessionKey(sess.ID))
		return Session{}, phonghop.User{}, errBadToken
	}
	u, epoch, uok := s.cachedUser(sess.UserID, now)
	if !uok || !ok {
		rec, err := s.record(ctx, sess.UserID)
		if phonghop.ErrorCode(err) == phonghop.ENotFound {
			return Session{}, phonghop.User{}, errBadToken
		}
		if err != nil {
			return Session{}, phonghop.User{}, err
		}
		u, epoch = rec.User, rec.SessionEpoch
		s.keep(sess, u, epoch, now)
	}
	if sess.Epoch != epoch {
		// Ended by a password change or reset, or by disabling the account.
		s.Forget(sess.ID)
		_ = s.Store.Delete(ctx, sessionKey(sess.ID))
		return Session{}, phonghop.User{}, errBadToken
	}
	if u.Disabled {
		return Session{}, phonghop.User{}, errBadToken
	}
	if sess.External {
		u.MustChangePassword = false // see Session.External
	}
	return sess, u, nil
}

// SweepSessions deletes the records of sessions that expired without being
// presented again (one presented after its expiry is deleted then; the
// others stayed for ever): they serve nobody, and one opened through the
// identity provider holds its ID token (Session.IDToken), which the store's
// backups would otherwise carry on. Records are written once, so only those
// older than the session lifetime are read. It returns how many went; a
// record it cannot read is left and named in the error, the others swept.
func (s *Service) SweepSessions(ctx context.Context) (int, error) {
	infos, err := s.Store.List(ctx, "sessions/")
	if err != nil {
		return 0, err
	}
	now := s.now()
	n, errs := 0, []error(nil)
	for _, in := range infos {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if now.Before(in.ModTime.Add(s.ttl())) {
			continue
		}
		var sess Session
		if _, err := storage.GetJSON(ctx, s.Store, in.Key, &sess); err != nil {
			if !errors.Is(err, storage.ErrNotFound) {
				errs = append(errs, fmt.Errorf("%s: %w", in.Key, err))
			}
			continue
		}
		if now.Before(sess.ExpiresAt) {
			continue
		}
		s.Forget(sess.ID)
		if err := s.Store.Delete(ctx, in.Key); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", in.Key, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// Logout ends the session at once.
func (s *Service) Logout(ctx context.Context, sessionID string) error {
	s.Forget(sessionID)
	return s.Store.Delete(ctx, sessionKey(sessionID))
}

// EnsureAdmin creates the admin account when the store holds no users. It returns
// the password used and whether the account was created now.
func (s *Service) EnsureAdmin(ctx context.Context, password string) (string, bool, error) {
	empty, err := s.Empty(ctx)
	if err != nil || !empty {
		return "", false, err
	}
	if password == "" {
		password = RandomPassword("admin")
	}
	_, err = s.Create(ctx, NewUser{Username: "admin", Password: password, DisplayName: "Quản trị hệ thống", Admin: true})
	if phonghop.ErrorCode(err) == phonghop.EConflict {
		return "", false, nil // another process won the race
	}
	if err != nil {
		return "", false, err
	}
	return password, true, nil
}
