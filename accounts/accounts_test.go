package accounts_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// pw passes the password policy.
const pw = "mat-khau-thu-nghiem"

func newService(t *testing.T) *accounts.Service {
	t.Helper()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &accounts.Service{Store: st, BcryptCost: bcrypt.MinCost}
}

func TestCreateLoginLogout(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	u, err := s.Create(ctx, accounts.NewUser{Username: "DaiBieu01", Password: pw, DisplayName: "Lê Minh Tuấn"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "daibieu01" || u.DisplayName != "Lê Minh Tuấn" || u.Admin {
		t.Fatalf("user = %+v", u)
	}
	if _, _, _, err := s.Login(ctx, "daibieu01", "wrong!!"); phonghop.ErrorCode(err) != phonghop.EUnauthenticated {
		t.Fatalf("wrong password: %v", err)
	}
	if _, _, _, err := s.Login(ctx, "nobody", pw); phonghop.ErrorCode(err) != phonghop.EUnauthenticated {
		t.Fatalf("unknown user: %v", err)
	}
	token, sess, lu, err := s.Login(ctx, "DAIBIEU01", pw)
	if err != nil || lu.ID != u.ID {
		t.Fatalf("login: %v %+v", err, lu)
	}
	if _, au, err := s.Authenticate(ctx, token); err != nil || au.ID != u.ID {
		t.Fatalf("authenticate: %v", err)
	}
	if err := s.Logout(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticate(ctx, token); phonghop.ErrorCode(err) != phonghop.EUnauthenticated {
		t.Fatalf("token works after logout: %v", err)
	}
}

func TestSessionExpires(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	s.SessionTTL = time.Hour
	if _, err := s.Create(ctx, accounts.NewUser{Username: "thuky", Password: pw}); err != nil {
		t.Fatal(err)
	}
	token, _, _, err := s.Login(ctx, "thuky", pw)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(59 * time.Minute)
	if _, _, err := s.Authenticate(ctx, token); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	now = now.Add(2 * time.Minute)
	if _, _, err := s.Authenticate(ctx, token); phonghop.ErrorCode(err) != phonghop.EUnauthenticated {
		t.Fatalf("after expiry: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	for _, name := range []string{"", "a", "../etc", "%2e%2e", `a\b`, "a\x00b", "Nguyễn", string(make([]byte, 10000))} {
		if _, err := s.Create(ctx, accounts.NewUser{Username: name, Password: pw}); phonghop.ErrorCode(err) != phonghop.EInvalid {
			t.Errorf("username %q: %v", name, err)
		}
	}
	if _, err := s.Create(ctx, accounts.NewUser{Username: "short", Password: "123"}); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Errorf("short password: %v", err)
	}
	for _, tok := range []string{"", "../x", string(make([]byte, 5000))} {
		if _, _, err := s.Authenticate(ctx, tok); phonghop.ErrorCode(err) != phonghop.EUnauthenticated {
			t.Errorf("token %q: %v", tok, err)
		}
	}
}

func TestRacingCreateOneWins(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	var wg sync.WaitGroup
	var ok, conflict atomic.Int32
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Create(ctx, accounts.NewUser{Username: "chutich", Password: pw})
			switch phonghop.ErrorCode(err) {
			case "":
				ok.Add(1)
			case phonghop.EConflict:
				conflict.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || conflict.Load() != 19 {
		t.Fatalf("ok=%d conflict=%d", ok.Load(), conflict.Load())
	}
	us, err := s.List(ctx)
	if err != nil || len(us) != 1 {
		t.Fatalf("list: %v %d", err, len(us))
	}
}

func TestEnsureAdmin(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	pw, created, err := s.EnsureAdmin(ctx, "")
	if err != nil || !created || len(pw) < 12 {
		t.Fatalf("first: %v %v %q", err, created, pw)
	}
	if _, _, _, err := s.Login(ctx, "admin", pw); err != nil {
		t.Fatal(err)
	}
	if _, created, err := s.EnsureAdmin(ctx, "other"); err != nil || created {
		t.Fatalf("second: %v %v", err, created)
	}
}

// Sessions that expired without being presented again are swept from the
// store, with the provider's ID token they held; live ones stay. Before,
// their records (and so the ID tokens, in every backup) stayed for ever.
func TestSweepSessions(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	now := time.Now()
	s.Now = func() time.Time { return now }
	s.SessionTTL = time.Hour
	if _, err := s.Create(ctx, accounts.NewUser{Username: "thuky", Password: pw}); err != nil {
		t.Fatal(err)
	}
	old, _, _, err := s.SignInExternal(ctx, accounts.External{Issuer: "https://sso.example", Subject: "sub-an", Username: "an.nv", IDToken: "eyJ.ID-TOKEN.sig"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.Login(ctx, "thuky", pw); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SweepSessions(ctx); n != 0 || err != nil {
		t.Fatalf("live sessions swept: %d %v", n, err)
	}
	now = now.Add(61 * time.Minute)
	fresh, _, _, err := s.Login(ctx, "thuky", pw)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.SweepSessions(ctx); n != 2 || err != nil {
		t.Fatalf("expired sessions swept: %d %v", n, err)
	}
	infos, err := s.Store.List(ctx, "sessions/")
	if err != nil || len(infos) != 1 {
		t.Fatalf("left: %v %v", infos, err)
	}
	if _, _, err := s.Authenticate(ctx, fresh); err != nil {
		t.Fatalf("the live session: %v", err)
	}
	if _, _, err := s.Authenticate(ctx, old); phonghop.ErrorCode(err) != phonghop.EUnauthenticated {
		t.Fatalf("a swept session: %v", err)
	}
}
