package accounts_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// landsThenFails writes objects under prefix, then reports the write failed,
// as a store that timed out after the PUT landed does.
type landsThenFails struct {
	storage.Store
	prefix string
}

func (s *landsThenFails) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	info, err := s.Store.Put(ctx, key, r, size, o)
	if err == nil && strings.HasPrefix(key, s.prefix) {
		return storage.Info{}, fmt.Errorf("timeout awaiting the answer: %w", storage.ErrUnavailable)
	}
	return info, err
}

// A username claim that landed although the store reported failure: the
// user exists and can sign in (issue #18, item 4: the user record was deleted,
// leaving the name pointing at nothing: "taken" for ever, no sign-in).
func TestCreateKeepsAUserWhoseClaimLanded(t *testing.T) {
	ctx := context.Background()
	base, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := &accounts.Service{Store: &landsThenFails{Store: base, prefix: "usernames/"}, BcryptCost: bcrypt.MinCost}
	u, err := s.Create(ctx, accounts.NewUser{Username: "daibieu07", Password: "mat-khau-dai-7"})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, _, got, err := s.Login(ctx, "daibieu07", "mat-khau-dai-7"); err != nil || got.ID != u.ID {
		t.Fatalf("sign-in of the created user: %v %+v", err, got)
	}
}

// A claim that did not land (someone else's name) still removes the record.
func TestCreateUndoesAUserWhoseClaimFailed(t *testing.T) {
	ctx := context.Background()
	base, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := &accounts.Service{Store: base, BcryptCost: bcrypt.MinCost}
	if _, err := s.Create(ctx, accounts.NewUser{Username: "thuky", Password: "mat-khau-dai-7"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, accounts.NewUser{Username: "thuky", Password: "mat-khau-khac"}); phonghop.ErrorCode(err) != phonghop.EConflict {
		t.Fatalf("second create: %v", err)
	}
	users, err := base.List(ctx, "users/")
	if err != nil || len(users) != 1 {
		t.Fatalf("user records: %d %v, want 1 (the loser's removed)", len(users), err)
	}
}
