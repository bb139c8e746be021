package accounts_test

import (
	"context"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
)

func TestExternalUsername(t *testing.T) {
	for in, want := range map[string]string{
		"Nguyen.Van.An":         "nguyen.van.an",
		"an.nv@thapmuoi.gov.vn": "an.nv-thapmuoi.gov.vn",
		" khoa lv ":             "khoa-lv",
	} {
		if got, err := accounts.ExternalUsername(in); err != nil || got != want {
			t.Errorf("%q → %q %v, want %q", in, got, err, want)
		}
	}
	if _, err := accounts.ExternalUsername("x"); err == nil {
		t.Error("a one-letter name accepted")
	}
}

// A provider's user is created at the first sign-in, matched at the next (and
// a local account made beforehand under the same name is theirs), follows the
// provider's admin and unit, and is refused once disabled, as by password.
func TestSignInExternal(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	yes, no, unit := true, false, "UBND huyện Tháp Mười"
	tok, _, u, err := s.SignInExternal(ctx, accounts.External{Username: "an.nv@thapmuoi.gov.vn", DisplayName: "Nguyễn Văn An", Email: "an.nv@thapmuoi.gov.vn", Admin: &yes, Unit: &unit})
	if err != nil || tok == "" || !u.Admin || u.Unit != unit || u.DisplayName != "Nguyễn Văn An" || u.Username != "an.nv-thapmuoi.gov.vn" {
		t.Fatalf("first sign-in: %+v %v", u, err)
	}
	if _, au, err := s.Authenticate(ctx, tok); err != nil || au.ID != u.ID {
		t.Fatalf("its session: %+v %v", au, err)
	}
	_, _, again, err := s.SignInExternal(ctx, accounts.External{Username: "AN.NV@thapmuoi.gov.vn", Admin: &no})
	if err != nil || again.ID != u.ID || again.Admin || again.DisplayName != "Nguyễn Văn An" {
		t.Fatalf("second sign-in: %+v %v", again, err)
	}
	local, err := s.Create(ctx, accounts.NewUser{Username: "chutich", Password: "mat-khau-dia-phuong", DisplayName: "Chủ tịch"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, m, err := s.SignInExternal(ctx, accounts.External{Username: "chutich"}); err != nil || m.ID != local.ID {
		t.Fatalf("matched to the local account: %+v %v", m, err)
	}
	disabled := true
	if _, _, err := s.UpdateProfile(ctx, u.ID, accounts.ProfileChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.SignInExternal(ctx, accounts.External{Username: "an.nv@thapmuoi.gov.vn"}); phonghop.ErrorCode(err) != phonghop.EForbidden {
		t.Fatalf("disabled, through the provider: %v", err)
	}
	if _, _, err := s.Authenticate(ctx, tok); phonghop.ErrorCode(err) != phonghop.EUnauthenticated {
		t.Fatalf("a disabled user's session still works: %v", err)
	}
	if _, _, err := s.UpdateProfile(ctx, local.ID, accounts.ProfileChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.Login(ctx, "chutich", "mat-khau-dia-phuong"); phonghop.ErrorCode(err) != phonghop.EForbidden {
		t.Fatalf("disabled, by password: %v", err)
	}
	if _, _, _, err := s.Login(ctx, "chutich", "wrong-password"); phonghop.ErrorCode(err) != phonghop.EUnauthenticated {
		t.Fatalf("a wrong password on a disabled account must say only that: %v", err)
	}
}
