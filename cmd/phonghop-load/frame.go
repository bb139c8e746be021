package main

import (
	"errors"
	"strconv"
)

// errFrame reports a frame that is not the JSON object the live protocol promises.
var errFrame = errors.New("malformed frame")

// scanTypeSeq reads only the top-level "type" and "seq" members of the JSON object
// at the start of b. Nested values (the snapshot's state, a poll) are skipped
// without being decoded, so a reader of 10,000 sockets spends almost nothing per
// frame; it stops as soon as both members are found. hasSeq is false for frames
// without a seq (the protocol's "error").
func scanTypeSeq(b []byte) (typ string, seq int64, hasSeq bool, err error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return "", 0, false, errFrame
	}
	i++
	haveType := false
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return "", 0, false, errFrame
		}
		if b[i] == '}' {
			return typ, seq, hasSeq, nil
		}
		if b[i] != '"' {
			return "", 0, false, errFrame
		}
		end := skipString(b, i)
		if end < 0 {
			return "", 0, false, errFrame
		}
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return "", 0, false, errFrame
		}
		i = skipSpace(b, i+1)
		switch string(key) { // no allocation: the compiler special-cases this conversion
		case "type":
			end = skipString(b, i)
			if i >= len(b) || b[i] != '"' || end < 0 {
				return "", 0, false, errFrame
			}
			typ, haveType = string(b[i+1:end-1]), true
			i = end
		case "seq":
			end = skipLiteral(b, i)
			n, perr := strconv.ParseInt(string(b[i:end]), 10, 64)
			if perr != nil {
				return "", 0, false, errFrame
			}
			seq, hasSeq = n, true
			i = end
		default:
			end = skipValue(b, i)
			if end < 0 {
				return "", 0, false, errFrame
			}
			i = end
		}
		if haveType && hasSeq {
			return typ, seq, true, nil
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return "", 0, false, errFrame
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return typ, seq, hasSeq, nil
		default:
			return "", 0, false, errFrame
		}
	}
}

// findMember returns the offset of the value of the top-level member key of the
// object at the start of b, or -1. Centrifugo wraps our payload in
// {"push":{"channel":..,"pub":{"data":{..}}}}; this digs it out without decoding.
func findMember(b []byte, key string) int {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return -1
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		end := skipString(b, i)
		if end < 0 {
			return -1
		}
		k := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		i = skipSpace(b, i+1)
		if string(k) == key {
			return i
		}
		i = skipValue(b, i)
		if i < 0 {
			return -1
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ',' {
			return -1
		}
		i++
	}
}

// memberAt follows a path of member names through nested objects.
func memberAt(b []byte, path ...string) []byte {
	for _, k := range path {
		i := findMember(b, k)
		if i < 0 {
			return nil
		}
		b = b[i:]
	}
	return b
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the offset just past the string starting at b[i] == '"', or -1.
func skipString(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipLiteral returns the offset just past a number, true, false or null.
func skipLiteral(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\n', '\r', '\t':
			return i
		}
		i++
	}
	return i
}

// skipValue returns the offset just past the JSON value at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				if i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default:
		end := skipLiteral(b, i)
		if end == i {
			return -1
		}
		return end
	}
}
