package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// MaxJSONSize bounds a JSON record read back from the store.
const MaxJSONSize = 64 << 20

// GetJSON reads the object at key into v and returns its ETag.
func GetJSON(ctx context.Context, s Store, key string, v any) (string, error) {
	rc, info, err := s.Get(ctx, key, nil)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, MaxJSONSize+1))
	if err != nil {
		return "", fmt.Errorf("storage: read %s: %w", key, err)
	}
	if len(data) > MaxJSONSize {
		return "", fmt.Errorf("storage: %s is larger than %d bytes", key, MaxJSONSize)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return "", fmt.Errorf("storage: decode %s: %w", key, err)
	}
	return info.ETag, nil
}

// PutJSON writes v at key with the options' conditions and returns the new ETag.
func PutJSON(ctx context.Context, s Store, key string, v any, opts PutOptions) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("storage: encode %s: %w", key, err)
	}
	if opts.ContentType == "" {
		opts.ContentType = "application/json"
	}
	info, err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		return "", err
	}
	return info.ETag, nil
}

// ErrStop, returned by an UpdateJSON callback, ends the update without writing.
var ErrStop = errors.New("storage: no change")

// UpdateJSON applies fn to the record at key with compare-and-swap, retrying when
// another writer got there first, so concurrent updates are never lost. A missing
// record is passed to fn as the zero value when create is true (and the write is
// then create-only), else ErrNotFound is returned. fn may return ErrStop to leave
// the record as it is; UpdateJSON then returns nil. T is the record type.
func UpdateJSON[T any](ctx context.Context, s Store, key string, create bool, fn func(*T) error) (T, error) {
	for attempt := 0; ; attempt++ {
		var v T
		etag, err := GetJSON(ctx, s, key, &v)
		opts := PutOptions{IfMatch: etag}
		if errors.Is(err, ErrNotFound) && create {
			opts = PutOptions{IfAbsent: true}
		} else if err != nil {
			return v, err
		}
		if err := fn(&v); err != nil {
			if errors.Is(err, ErrStop) {
				return v, nil
			}
			return v, err
		}
		_, err = PutJSON(ctx, s, key, v, opts)
		if errors.Is(err, ErrPrecondition) && attempt < 100 {
			// Others keep winning: step aside a little, longer each time and
			// at random, so racing writers stop colliding.
			if attempt >= 1 {
				t := time.NewTimer(time.Duration(rand.Int64N(int64(min(attempt, 10)) * int64(time.Millisecond))))
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return v, ctx.Err()
				}
			}
			if err := ctx.Err(); err != nil {
				return v, err
			}
			continue
		}
		return v, err
	}
}
