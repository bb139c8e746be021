package accounts_test

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
)

type readCounter struct {
	storage.Store
	gets atomic.Int64
}

func (c *readCounter) Get(ctx context.Context, key string, rng *storage.Range) (io.ReadCloser, storage.Info, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, key, rng)
}

// Authenticate reads a session and its user once per AuthCacheTTL, not on
// every request; a logout or a change of the user on this process takes
// effect at once, on another process within the TTL, or at once when it is
// told (Forget, which the cluster's control stream calls for logouts).
func TestAuthenticateCachesAndRevocationHolds(t *testing.T) {
	ctx := context.Background()
	base, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &readCounter{Store: base}
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := &accounts.Service{Store: st, BcryptCost: bcrypt.MinCost, Now: clock}
	b := &accounts.Service{Store: st, BcryptCost: bcrypt.MinCost, Now: clock} // another process
	if _, err := a.Create(ctx, accounts.NewUser{Username: "chutich", Password: "mat-khau-dai-1", DisplayName: "Chủ tịch"}); err != nil {
		t.Fatal(err)
	}
	tok, _, u, err := a.Login(ctx, "chutich", "mat-khau-dai-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*accounts.Service{a, b} {
		if _, _, err := s.Authenticate(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	st.gets.Store(0)
	for range 20 {
		if _, got, err := a.Authenticate(ctx, tok); err != nil || got.ID != u.ID {
			t.Fatal(got, err)
		}
	}
	if n := st.gets.Load(); n != 0 {
		t.Fatalf("20 requests read the store %d times, want 0 within the TTL", n)
	}

	name := "Chủ tịch UBND"
	if _, _, err := a.UpdateProfile(ctx, u.ID, accounts.ProfileChange{DisplayName: &name}); err != nil {
		t.Fatal(err)
	}
	if _, got, _ := a.Authenticate(ctx, tok); got.DisplayName != name {
		t.Fatalf("a profile change here is not seen at once: %q", got.DisplayName)
	}

	sess, _, _ := a.Authenticate(ctx, tok)
	if err := a.Logout(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Authenticate(ctx, tok); phonghop.ErrorCode(err) != phonghop.EUnauthenticated {
		t.Fatalf("after logout here: %v", err)
	}
	if _, _, err := b.Authenticate(ctx, tok); err != nil {
		t.Fatalf("another process within the TTL: %v (it may still serve the session)", err)
	}
	now = now.Add(accounts.DefaultAuthCacheTTL)
	if _, _, err := b.Authenticate(ctx, tok); phonghop.ErrorCode(err) != phonghop.EUnauthenticated {
		t.Fatalf("another process after the TTL: %v", err)
	}

	tok2, sess2, _, err := a.Login(ctx, "chutich", "mat-khau-dai-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Authenticate(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if err := a.Logout(ctx, sess2.ID); err != nil {
		t.Fatal(err)
	}
	b.Forget(sess2.ID) // the control stream's logout message
	if _, _, err := b.Authenticate(ctx, tok2); phonghop.ErrorCode(err) != phonghop.EUnauthenticated {
		t.Fatalf("another process told of the logout: %v", err)
	}
}

// A sign-in keeps the new session and its user in the cache: the tablet's
// first requests and its live socket right after it read nothing.
func TestSignInWarmsTheCache(t *testing.T) {
	ctx := context.Background()
	base, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &readCounter{Store: base}
	a := &accounts.Service{Store: st, BcryptCost: bcrypt.MinCost}
	if _, err := a.Create(ctx, accounts.NewUser{Username: "daibieu01", Password: "mat-khau-dai-1", DisplayName: "Đại biểu 01"}); err != nil {
		t.Fatal(err)
	}
	tok, _, u, err := a.Login(ctx, "daibieu01", "mat-khau-dai-1")
	if err != nil {
		t.Fatal(err)
	}
	st.gets.Store(0)
	if _, got, err := a.Authenticate(ctx, tok); err != nil || got.ID != u.ID {
		t.Fatal(got, err)
	}
	if n := st.gets.Load(); n != 0 {
		t.Fatalf("the first request after sign-in read the store %d times, want 0", n)
	}
}
