package accounts

import (
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/phonghop/phonghop"
)

// Password rules (CheckPassword). bcrypt reads at most 72 bytes.
const (
	MinPassword = 10
	MaxPassword = 72
)

// commonPasswords is shipped with the binary: see common-passwords.LICENSE.
//
//go:embed common-passwords.txt
var commonPasswordsTxt string

var (
	commonOnce sync.Once
	common     map[string]struct{}
)

func isCommon(p string) bool {
	commonOnce.Do(func() {
		common = make(map[string]struct{}, 50000)
		for _, l := range strings.Split(commonPasswordsTxt, "\n") {
			if l != "" {
				common[l] = struct{}{}
			}
		}
	})
	_, ok := common[p]
	return ok
}

// CheckPassword says whether password may be username's: at least
// MinPassword characters and at most MaxPassword bytes, not containing the
// username, not one of the common passwords shipped with the binary (nor one
// of them with only digits or symbols around it, like "dragon2024!"), and not
// four characters or fewer repeated.
func CheckPassword(username, password string) error {
	if !utf8.ValidString(password) {
		return phonghop.Fail(phonghop.EInvalid, "password_not_utf8")
	}
	if utf8.RuneCountInString(password) < MinPassword {
		return phonghop.Fail(phonghop.EInvalid, "password_too_short", "min", MinPassword)
	}
	if len(password) > MaxPassword {
		return phonghop.Fail(phonghop.EInvalid, "password_too_long", "max", MaxPassword)
	}
	lower := strings.ToLower(password)
	if name := strings.ToLower(strings.TrimSpace(username)); name != "" && strings.Contains(lower, name) {
		return phonghop.Fail(phonghop.EInvalid, "password_has_username")
	}
	if isCommon(lower) {
		return phonghop.Fail(phonghop.EInvalid, "password_common")
	}
	// A common word dressed with digits or symbols is guessed as fast.
	core := strings.TrimFunc(lower, func(r rune) bool {
		return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
	})
	if core != lower && utf8.RuneCountInString(core) >= 3 && isCommon(core) {
		return phonghop.Fail(phonghop.EInvalid, "password_common")
	}
	distinct := map[rune]bool{}
	for _, r := range lower {
		distinct[r] = true
	}
	if len(distinct) < 5 {
		return phonghop.Fail(phonghop.EInvalid, "password_common")
	}
	return nil
}

// RandomPassword returns a random password that passes CheckPassword for
// username (for accounts nobody signs in to by password, or a first admin).
func RandomPassword(username string) string {
	for {
		var raw [18]byte
		_, _ = rand.Read(raw[:]) // never fails (crypto/rand panics instead)
		if pw := base64.RawURLEncoding.EncodeToString(raw[:]); CheckPassword(username, pw) == nil {
			return pw
		}
	}
}
