package storage

import "strings"

// MaxKeyLen bounds keys well under S3's 1024-byte limit.
const MaxKeyLen = 512

// CheckKey returns ErrInvalidKey unless key is a clean relative path of segments
// made of letters, digits, '.', '_' and '-', with no empty, "." or ".." segment.
// Both stores call it, so a key that works on disk works on S3 and back.
func CheckKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return ErrInvalidKey
	}
	// Segment by segment without splitting: every store call checks its key,
	// so this runs several times per request and allocates nothing.
	for rest := key; ; {
		seg, tail, more := strings.Cut(rest, "/")
		if seg == "" || seg == "." || seg == ".." {
			return ErrInvalidKey
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
			if !ok {
				return ErrInvalidKey
			}
		}
		if !more {
			return nil
		}
		rest = tail
	}
}

// CheckPrefix is CheckKey for list prefixes, which may be empty or end in '/'.
func CheckPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return CheckKey(strings.TrimSuffix(prefix, "/"))
}
