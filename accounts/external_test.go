package accounts_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/storage"
)

// The province's provider, as the verified ID token names it.
const iss = "https://sso.dongthap.gov.vn/realms/canbo"

func TestExternalUsername(t *testing.T) {
	for in, want := range map[string]string{
		"Nguyen.Van.An":         "nguyen.van.an",
		"an.nv@thapmuoi.gov.vn": "an.nv-thapmuoi.gov.vn",
		" khoa lv ":             "khoa-lv",
		// Look-alikes are not letters here: before, the Kelvin sign's
		// lowercase "k" made this the name khoa.lv.
		"\u212Ahoa.lv": "-hoa.lv",
		"ΚΗΟΑ.lv":      "----.lv",
		"Khoa.LV":      "khoa.lv",
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
	tok, _, u, err := s.SignInExternal(ctx, accounts.External{Issuer: iss, Subject: "sub-an", Username: "an.nv@thapmuoi.gov.vn", DisplayName: "Nguyễn Văn An", Email: "an.nv@thapmuoi.gov.vn", Admin: &yes, Unit: &unit})
	if err != nil || tok == "" || !u.Admin || u.Unit != unit || u.DisplayName != "Nguyễn Văn An" || u.Username != "an.nv-thapmuoi.gov.vn" {
		t.Fatalf("first sign-in: %+v %v", u, err)
	}
	if _, au, err := s.Authenticate(ctx, tok); err != nil || au.ID != u.ID {
		t.Fatalf("its session: %+v %v", au, err)
	}
	_, _, again, err := s.SignInExternal(ctx, accounts.External{Issuer: iss, Subject: "sub-an", Username: "AN.NV@thapmuoi.gov.vn", Admin: &no})
	if err != nil || again.ID != u.ID || again.Admin || again.DisplayName != "Nguyễn Văn An" {
		t.Fatalf("second sign-in: %+v %v", again, err)
	}
	local, err := s.Create(ctx, accounts.NewUser{Username: "chutich", Password: "mat-khau-dia-phuong", DisplayName: "Chủ tịch"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, m, err := s.SignInExternal(ctx, accounts.External{Issuer: iss, Subject: "sub-chutich", Username: "chutich"}); err != nil || m.ID != local.ID {
		t.Fatalf("matched to the local account: %+v %v", m, err)
	}
	disabled := true
	if _, _, err := s.UpdateProfile(ctx, u.ID, accounts.ProfileChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.SignInExternal(ctx, accounts.External{Issuer: iss, Subject: "sub-an", Username: "an.nv@thapmuoi.gov.vn"}); phonghop.ErrorCode(err) != phonghop.EForbidden {
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

func reason(err error) string {
	if pe := phonghop.Public(err); pe != nil {
		return pe.Reason
	}
	return ""
}

// signIn is a sign-in through the provider as sub, under the name name.
func signIn(t *testing.T, s *accounts.Service, sub, name string) (phonghop.User, error) {
	t.Helper()
	_, _, u, err := s.SignInExternal(context.Background(), accounts.External{Issuer: iss, Subject: sub, Username: name})
	return u, err
}

// An account is bound to the provider's user (iss, sub) at its first
// sign-in through the provider; after that only that user signs in to it
// through the provider, found by subject first (a rename at the provider
// keeps the account), and another provider user of the same name is refused
// with a reason of its own that names the account for the audit trail.
// Before, whoever the provider called "chutich" was the account chutich.
func TestSignInExternalBindsTheSubject(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	u, err := signIn(t, s, "sub-1", "chutich")
	if err != nil || u.ExternalIssuer != iss || u.ExternalSubject != "sub-1" {
		t.Fatalf("first sign-in: %+v %v", u, err)
	}
	if again, err := signIn(t, s, "sub-1", "chutich"); err != nil || again.ID != u.ID {
		t.Fatalf("the same provider user again: %+v %v", again, err)
	}
	// A second person at the provider given the same name.
	_, err = signIn(t, s, "sub-2", "chutich")
	var refused *accounts.RefusedLinkError
	if phonghop.ErrorCode(err) != phonghop.EForbidden || reason(err) != "oidc_subject_mismatch" || !errors.As(err, &refused) || refused.Username != "chutich" {
		t.Fatalf("another subject under the bound account's name: %v", err)
	}
	// The same subject from another issuer is another person too.
	if _, _, _, err := s.SignInExternal(ctx, accounts.External{Issuer: "https://other.example", Subject: "sub-1", Username: "chutich"}); reason(err) != "oidc_subject_mismatch" {
		t.Fatalf("the same subject at another provider: %v", err)
	}
	// Renamed at the provider: still the same account, by subject.
	if renamed, err := signIn(t, s, "sub-1", "chu.tich.moi"); err != nil || renamed.ID != u.ID || renamed.Username != "chutich" {
		t.Fatalf("renamed at the provider: %+v %v", renamed, err)
	}
	if _, err := s.ByUsername(ctx, "chu.tich.moi"); phonghop.ErrorCode(err) != phonghop.ENotFound {
		t.Fatalf("a rename made a second account: %v", err)
	}
	// Even with name matches allowed, a bound account stays bound.
	s.ExternalLinkLocal = true
	if _, err := signIn(t, s, "sub-2", "chutich"); reason(err) != "oidc_subject_mismatch" {
		t.Fatalf("linking local accounts took a bound one: %v", err)
	}
}

// Which unbound accounts a name match takes: those made or imported
// beforehand for officials (never signed in to with their password) are,
// and bound; a local account whose password was used, and an admin account
// (the bootstrap admin), are not, unless the operator allows it
// (ExternalLinkLocal). Before, a provider user named "admin" was the admin.
func TestSignInExternalLeavesLocalAccountsAlone(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	if _, _, err := s.EnsureAdmin(ctx, "mat-khau-quan-tri-01"); err != nil {
		t.Fatal(err)
	}
	_, err := signIn(t, s, "sub-admin", "admin")
	var refused *accounts.RefusedLinkError
	if phonghop.ErrorCode(err) != phonghop.EForbidden || reason(err) != "oidc_account_local" || !errors.As(err, &refused) || refused.Username != "admin" {
		t.Fatalf("a provider user named admin: %v", err)
	}
	if a, _ := s.ByUsername(ctx, "admin"); a.ExternalSubject != "" {
		t.Fatalf("the refused sign-in bound the admin: %+v", a)
	}
	// Made beforehand (imported: a password handed out, must be changed) and
	// never used: the official's first sign-in through the provider takes it.
	imported, err := s.Create(ctx, accounts.NewUser{Username: "pho.chu.tich", Password: "mat-khau-tam-thoi-1", DisplayName: "Phó Chủ tịch", MustChangePassword: true})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := signIn(t, s, "sub-pct", "pho.chu.tich"); err != nil || m.ID != imported.ID || m.ExternalSubject != "sub-pct" {
		t.Fatalf("an account made beforehand: %+v %v", m, err)
	}
	// A local account its owner signs in to with a password.
	if _, err := s.Create(ctx, accounts.NewUser{Username: "thuky", Password: "mat-khau-thu-ky-1", DisplayName: "Thư ký"}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.Login(ctx, "thuky", "mat-khau-thu-ky-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := signIn(t, s, "sub-thuky", "thuky"); reason(err) != "oidc_account_local" {
		t.Fatalf("a local account in use: %v", err)
	}
	// Changing one's password counts as using it.
	changer, err := s.Create(ctx, accounts.NewUser{Username: "daibieu", Password: "mat-khau-tam-thoi-2", DisplayName: "Đại biểu", MustChangePassword: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.ChangePassword(ctx, changer.ID, "mat-khau-tam-thoi-2", "mat-khau-rieng-cua-toi"); err != nil {
		t.Fatal(err)
	}
	if _, err := signIn(t, s, "sub-daibieu", "daibieu"); reason(err) != "oidc_account_local" {
		t.Fatalf("an account whose password its owner chose: %v", err)
	}
	// An admin account never signed in to by password: still not by name.
	if _, err := s.Create(ctx, accounts.NewUser{Username: "quantri2", Password: "mat-khau-quan-tri-02", DisplayName: "Quản trị 2", Admin: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := signIn(t, s, "sub-qt2", "quantri2"); reason(err) != "oidc_account_local" {
		t.Fatalf("an admin account: %v", err)
	}
	// The operator says the provider's names are the same people.
	s.ExternalLinkLocal = true
	for _, name := range []string{"admin", "thuky"} {
		if m, err := signIn(t, s, "sub-"+name, name); err != nil || m.Username != name || m.ExternalSubject != "sub-"+name {
			t.Fatalf("%s with linking allowed: %+v %v", name, m, err)
		}
	}
	// A refused sign-in records nothing; the password still works.
	if _, _, _, err := s.Login(ctx, "thuky", "mat-khau-thu-ky-1"); err != nil {
		t.Fatal(err)
	}
	// An admin's unbinding lets the next name match take the account, an
	// admin account or one in use included (the province re-created the
	// person at its provider), once.
	s.ExternalLinkLocal = false
	admin, err := s.ByUsername(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Unbind(ctx, admin.ID); err != nil {
		t.Fatal(err)
	}
	if m, err := signIn(t, s, "sub-admin-new", "admin"); err != nil || m.ID != admin.ID || m.ExternalSubject != "sub-admin-new" {
		t.Fatalf("the admin account after unbinding: %+v %v", m, err)
	}
	if _, err := signIn(t, s, "sub-admin", "admin"); reason(err) != "oidc_subject_mismatch" {
		t.Fatalf("the old subject after the admin account was bound again: %v", err)
	}
}

// An account stored before bindings existed (no binding, no record of its
// password being used: created through the provider, or made beforehand)
// is bound at its next sign-in through the provider; a backup copied object
// by object carries the binding and its index; an admin can remove the
// binding (Unbind), after which the account is found by name again; deleting
// the account frees its provider user.
func TestSignInExternalStoredAccounts(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	// As an earlier version stored a provider-created account.
	old := []byte(`{"id":"0123456789abcdef01234567","username":"nguyen.van.an","displayName":"Nguyễn Văn An","passwordHash":"$2a$04$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ","createdAt":"2026-01-05T08:00:00Z"}`)
	if _, err := s.Store.Put(ctx, "users/0123456789abcdef01234567.json", bytes.NewReader(old), int64(len(old)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	ref := []byte(`{"userId":"0123456789abcdef01234567"}`)
	if _, err := s.Store.Put(ctx, "usernames/nguyen.van.an.json", bytes.NewReader(ref), int64(len(ref)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	u, err := signIn(t, s, "sub-an", "nguyen.van.an")
	if err != nil || u.ID != "0123456789abcdef01234567" || u.ExternalSubject != "sub-an" {
		t.Fatalf("an account stored before bindings: %+v %v", u, err)
	}
	// A copy of the store (backup, restore) is the same accounts.
	restored := newService(t)
	infos, err := s.Store.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		rc, _, err := s.Store.Get(ctx, in.Key, nil)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(rc)
		rc.Close()
		if _, err := restored.Store.Put(ctx, in.Key, bytes.NewReader(b.Bytes()), int64(b.Len()), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if m, err := signIn(t, restored, "sub-an", "an.renamed"); err != nil || m.ID != u.ID {
		t.Fatalf("restored, by subject: %+v %v", m, err)
	}
	if _, err := signIn(t, restored, "sub-x", "nguyen.van.an"); reason(err) != "oidc_subject_mismatch" {
		t.Fatalf("restored, another subject: %v", err)
	}
	// Unbound by an admin: the next sign-in by name binds again (the
	// province's provider re-created the official under a new subject).
	before, after, err := s.Unbind(ctx, u.ID)
	if err != nil || before.ExternalSubject != "sub-an" || after.ExternalSubject != "" || after.ExternalIssuer != "" {
		t.Fatalf("unbind: %+v %+v %v", before, after, err)
	}
	if m, err := signIn(t, s, "sub-an-new", "nguyen.van.an"); err != nil || m.ID != u.ID || m.ExternalSubject != "sub-an-new" {
		t.Fatalf("after unbinding: %+v %v", m, err)
	}
	// The old subject no longer finds it, and under its name is refused.
	if _, err := signIn(t, s, "sub-an", "nguyen.van.an"); reason(err) != "oidc_subject_mismatch" {
		t.Fatalf("the old subject after rebinding: %v", err)
	}
	// Deleted: the provider user is free, and makes a new account.
	if _, err := s.Delete(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if m, err := signIn(t, s, "sub-an-new", "nguyen.van.an"); err != nil || m.ID == u.ID || m.ExternalSubject != "sub-an-new" {
		t.Fatalf("after deletion: %+v %v", m, err)
	}
}

// raceStore runs between, once: after the read of a subjects/ index entry
// and before what its reader does with it (a fault induced at that point).
type raceStore struct {
	storage.Store
	between func()
}

func (r *raceStore) Get(ctx context.Context, key string, rng *storage.Range) (io.ReadCloser, storage.Info, error) {
	rc, info, err := r.Store.Get(ctx, key, rng)
	if err != nil || !strings.HasPrefix(key, "subjects/") || r.between == nil {
		return rc, info, err
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	run := r.between
	r.between = nil
	run()
	return io.NopCloser(bytes.NewReader(b)), info, err
}

// An admin unbinding an account while its provider user signs in under
// another name: the sign-in binds the account of that name and indexes it
// between the unbinding's read of the index entry and its removal. The entry
// must survive (the removal is a compare-and-swap), so the provider's user
// keeps that account by subject when renamed again at the provider. Before,
// the unbinding deleted the new entry, and the next sign-in under a third
// name made a third account.
func TestUnbindRacingASignIn(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	old, err := signIn(t, s, "sub-an", "an.old")
	if err != nil {
		t.Fatal(err)
	}
	// Made beforehand by an admin for the official: a name match takes it.
	made, err := s.Create(ctx, accounts.NewUser{Username: "an.new", Password: pw, DisplayName: "Nguyễn Văn An"})
	if err != nil {
		t.Fatal(err)
	}
	rs := &raceStore{Store: s.Store}
	admin := &accounts.Service{Store: rs, BcryptCost: s.BcryptCost}
	rs.between = func() {
		if u, err := signIn(t, s, "sub-an", "an.new"); err != nil || u.ID != made.ID {
			t.Errorf("the sign-in racing the unbinding: %+v %v", u, err)
		}
	}
	if _, _, err := admin.Unbind(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	if rs.between != nil {
		t.Fatal("the race was not run")
	}
	if u, err := signIn(t, s, "sub-an", "an.third"); err != nil || u.ID != made.ID {
		t.Fatalf("renamed again at the provider: %+v %v, want the account %s", u, err, made.ID)
	}
	if _, err := s.ByUsername(ctx, "an.third"); phonghop.ErrorCode(err) != phonghop.ENotFound {
		t.Fatalf("a third account: %v", err)
	}
	// Deleting the account empties its entry: the provider user is free.
	if _, err := s.Delete(ctx, made.ID); err != nil {
		t.Fatal(err)
	}
	if u, err := signIn(t, s, "sub-an", "an.fourth"); err != nil || u.ID == made.ID || u.ExternalSubject != "sub-an" {
		t.Fatalf("after deletion: %+v %v", u, err)
	}
}

// A provider's display name phonghop would not take (over 200 characters)
// does not refuse the official's first sign-in: the account is made under
// the username, as later sign-ins leave such a name out. Before, the
// sign-in failed with "{field} is longer than {max} characters" on the
// sign-in screen, its placeholders unfilled. A name, unit or e-mail holding
// characters that draw nothing or turn the text (a NUL, U+202E, a zero-width
// space, a line break) is kept without them, at the first sign-in and later
// (issue #11: "Nguyễn Văn A" read "A năV nễyugN" on every tablet): the
// person cannot retype it in phonghop.
func TestSignInExternalOddDisplayName(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	for sub, c := range map[string]struct{ display, want string }{
		"sub-long": {strings.Repeat("Nguyễn ", 40), "sub-long"},
		"sub-nul":  {"An\x00", "An"},
		"sub-rlo":  {"\u202eNguyễn Văn A\u202c", "Nguyễn Văn A"},
		"sub-zw":   {"Lê\u200b Thị\nBình\ufeff", "Lê Thị Bình"},
		"sub-iso":  {"\u2067Trần\u2069 \u200fHà", "Trần Hà"},
	} {
		_, _, u, err := s.SignInExternal(ctx, accounts.External{Issuer: iss, Subject: sub, Username: sub, DisplayName: c.display})
		if err != nil || u.DisplayName != c.want {
			t.Fatalf("%s: %+v %v", sub, u, err)
		}
	}
	unit := "UBND\u202e xã Mỹ An"
	_, _, u, err := s.SignInExternal(ctx, accounts.External{Issuer: iss, Subject: "sub-rlo", Username: "sub-rlo",
		DisplayName: "Nguyễn\u2066 Văn A", Email: "a\u200b@dongthap.gov.vn", Unit: &unit})
	if err != nil || u.DisplayName != "Nguyễn Văn A" || u.Unit != "UBND xã Mỹ An" || u.Email != "a@dongthap.gov.vn" {
		t.Fatalf("a later sign-in: %+v %v", u, err)
	}
}

// First sign-ins of one provider user racing each other (a double tap, two
// tablets), under one name or under two (renamed at the provider meanwhile):
// every one of them opens the same account, and later sign-ins find it by
// subject.
func TestFirstSignInsRacing(t *testing.T) {
	for _, names := range [][]string{{"an.nv"}, {"an.nv", "an.moi"}} {
		s := newService(t)
		ids := make(chan string, 8)
		errs := make(chan error, 8)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, _, u, err := s.SignInExternal(context.Background(), accounts.External{Issuer: iss, Subject: "sub-an", Username: names[i%len(names)]})
				if err != nil {
					errs <- err
					return
				}
				ids <- u.ID
			})
		}
		wg.Wait()
		close(ids)
		close(errs)
		for err := range errs {
			t.Errorf("%v: %v", names, err)
		}
		first := ""
		for id := range ids {
			if first == "" {
				first = id
			}
			if id != first {
				t.Fatalf("%v: two accounts for one provider user: %s, %s", names, first, id)
			}
		}
		if u, err := signIn(t, s, "sub-an", "an.third"); err != nil || u.ID != first {
			t.Fatalf("%v: later, by subject: %+v %v", names, u, err)
		}
	}
}
