package accounts_test

import (
	"context"
	"strings"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
)

// TestPasswordPolicy: before the fix `123456` and password = username were
// accepted (only 6 bytes were required).
func TestPasswordPolicy(t *testing.T) {
	for _, c := range []struct {
		user, password, reason string
	}{
		{"daibieu01", "123456", "password_too_short"},
		{"daibieu01", "daibieu01", "password_too_short"},
		{"daibieu0123", "daibieu0123", "password_has_username"},
		{"chutich", "Chutich-2024!", "password_has_username"},
		{"thuky", "1234567890", "password_common"},
		{"thuky", "qwertyuiop", "password_common"},
		{"thuky", "Password123", "password_common"},
		{"thuky", "matkhau2024!", "password_common"}, // a common word dressed with digits
		{"thuky", "Dragon-2024!!", "password_common"},
		{"thuky", "aaaaaaaaaaaa", "password_common"},
		{"thuky", "ababababab12", "password_common"},
		{"thuky", strings.Repeat("dài quá ", 10), "password_too_long"},
		{"thuky", "mật khẩu\xff\xfe dài", "password_not_utf8"},
		{"thuky", "Tháp Mười mùa nước nổi", ""},
		{"thuky", "hop-khong-giay", ""},
		{"thuky", "cải cách 2023", ""},
		{"admin", "quan-tri-he-thong", ""},
	} {
		err := accounts.CheckPassword(c.user, c.password)
		if e := phonghop.Public(err); (c.reason == "" && err != nil) || (c.reason != "" && (e == nil || e.Reason != c.reason || e.Code != phonghop.EInvalid)) {
			t.Errorf("%s / %q: %v, want %q", c.user, c.password, err, c.reason)
		}
	}
	s := newService(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, accounts.NewUser{Username: "daibieu01", Password: "123456"}); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Errorf("create with 123456: %v", err)
	}
	if _, err := s.Create(ctx, accounts.NewUser{Username: "daibieu0123", Password: "daibieu0123"}); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Errorf("create with password = username: %v", err)
	}
}

// TestPasswordChangeResetDisable: changing one's password needs the old one
// and ends the other sessions (the caller gets a new one); an admin's reset
// ends every session and forces a change; disabling ends the sessions and
// refuses sign-in, enabling allows it again.
func TestPasswordChangeResetDisable(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	u, err := s.Create(ctx, accounts.NewUser{Username: "chutich", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	tabletA, _, _, _ := s.Login(ctx, "chutich", pw)
	tabletB, _, _, _ := s.Login(ctx, "chutich", pw)
	works := func(tok string) bool { _, _, err := s.Authenticate(ctx, tok); return err == nil }

	if _, _, _, err := s.ChangePassword(ctx, u.ID, "not-the-password", "mat-khau-moi-2026"); phonghop.ErrorCode(err) != phonghop.EForbidden {
		t.Fatalf("wrong old password: %v", err)
	}
	if _, _, _, err := s.ChangePassword(ctx, u.ID, pw, "123456"); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Fatalf("weak new password: %v", err)
	}
	if _, _, _, err := s.ChangePassword(ctx, u.ID, pw, pw); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Fatalf("same password: %v", err)
	}
	if !works(tabletA) || !works(tabletB) {
		t.Fatal("refused changes ended sessions")
	}
	tok, sess, _, err := s.ChangePassword(ctx, u.ID, pw, "mat-khau-moi-2026")
	if err != nil {
		t.Fatal(err)
	}
	if works(tabletA) || works(tabletB) || !works(tok) || sess.Epoch != 1 {
		t.Fatalf("after change: A %v B %v new %v epoch %d", works(tabletA), works(tabletB), works(tok), sess.Epoch)
	}
	if _, _, _, err := s.Login(ctx, "chutich", pw); phonghop.ErrorCode(err) != phonghop.EUnauthenticated {
		t.Fatalf("old password still signs in: %v", err)
	}

	ru, epoch, err := s.ResetPassword(ctx, u.ID, "tam-thoi-2026-x")
	if err != nil || !ru.MustChangePassword || epoch != 2 {
		t.Fatalf("reset: %+v %d %v", ru, epoch, err)
	}
	if works(tok) {
		t.Fatal("the reset left a session")
	}
	_, _, lu, err := s.Login(ctx, "chutich", "tam-thoi-2026-x")
	if err != nil || !lu.MustChangePassword {
		t.Fatalf("sign-in after reset: %+v %v", lu, err)
	}
	tok, _, cu, err := s.ChangePassword(ctx, u.ID, "tam-thoi-2026-x", "cua-rieng-toi-2026")
	if err != nil || cu.MustChangePassword {
		t.Fatalf("change after reset: %+v %v", cu, err)
	}

	yes, no := true, false
	_, du, err := s.UpdateProfile(ctx, u.ID, accounts.ProfileChange{Disabled: &yes})
	epoch, _ = s.SessionEpoch(ctx, u.ID)
	if err != nil || !du.Disabled || epoch != 4 || works(tok) {
		t.Fatalf("disable: %+v %d %v, session works %v", du, epoch, err, works(tok))
	}
	if _, _, _, err := s.Login(ctx, "chutich", "cua-rieng-toi-2026"); phonghop.ErrorCode(err) != phonghop.EForbidden {
		t.Fatalf("disabled signs in: %v", err)
	}
	if _, _, _, err := s.Login(ctx, "chutich", "wrong-password-x"); phonghop.ErrorCode(err) != phonghop.EUnauthenticated {
		t.Fatalf("a wrong password on a disabled account must not tell it is disabled: %v", err)
	}
	if _, _, err := s.UpdateProfile(ctx, u.ID, accounts.ProfileChange{Disabled: &no}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.Login(ctx, "chutich", "cua-rieng-toi-2026"); err != nil {
		t.Fatalf("enabled again: %v", err)
	}
}

// TestDeviceTokens: a device token names one account and cannot be forged.
func TestDeviceTokens(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	tok, err := s.DeviceToken(ctx, "chutich")
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := s.KnownDevice(ctx, tok, "ChuTich"); !ok || id == "" {
		t.Fatalf("own token refused: %q", tok)
	}
	if _, ok := s.KnownDevice(ctx, tok, "thuky"); ok {
		t.Fatal("a token of one account passes for another")
	}
	nonce, _, _ := strings.Cut(tok, ".")
	if _, ok := s.KnownDevice(ctx, nonce+".AAAAAAAAAAAAAAAAAAAAAAAA", "chutich"); ok {
		t.Fatal("a forged token passes")
	}
	// Another process on the same store knows the same devices.
	other := &accounts.Service{Store: s.Store}
	if _, ok := other.KnownDevice(ctx, tok, "chutich"); !ok {
		t.Fatal("the key is not shared through the store")
	}
}
