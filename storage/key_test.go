package storage_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/storagetest"
)

func TestCheckKey(t *testing.T) {
	good := []string{"a", "meetings/m1/meeting.json", "docs/2023-12_bao-cao.pdf", ".hidden", "a..b", "x/...", strings.Repeat("k", storage.MaxKeyLen)}
	for _, k := range good {
		if err := storage.CheckKey(k); err != nil {
			t.Errorf("CheckKey(%q) = %v, want nil", k, err)
		}
	}
	bad := append([]string{strings.Repeat("k", storage.MaxKeyLen+1)}, storagetest.BadKeys...)
	for _, k := range bad {
		if err := storage.CheckKey(k); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("CheckKey(%.20q) = %v, want ErrInvalidKey", k, err)
		}
	}
}

func TestCheckPrefix(t *testing.T) {
	for _, p := range []string{"", "a", "a/", "a/b/", "meetings/m1"} {
		if err := storage.CheckPrefix(p); err != nil {
			t.Errorf("CheckPrefix(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range []string{"/", "a//", "../", "a/../", `a\`, "%2e%2e/"} {
		if err := storage.CheckPrefix(p); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("CheckPrefix(%q) = %v, want ErrInvalidKey", p, err)
		}
	}
}

// Every store call checks its key, several per request.
func TestCheckKeyAllocatesNothing(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = storage.CheckKey("sessions/0123456789abcdef.json") }); n != 0 {
		t.Fatalf("CheckKey allocates %v times per call, want 0", n)
	}
}
