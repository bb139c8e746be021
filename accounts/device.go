package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"sync"

	"github.com/phonghop/phonghop/storage"
)

// Device tokens mark a browser as a known-good client of an account: one is
// given after a successful sign-in and shown back with later ones (a cookie).
// The sign-in throttle keeps such a client's attempts apart from everyone
// else's, so failures by someone else — even behind the same address — never
// delay the account's own tablet (the "device cookie" defence against
// lock-out). A token is a random nonce and an HMAC binding it to the
// username under a key kept in the store (created once, shared by every
// process); it proves nothing but that this browser signed in as that
// account before.

const deviceKeyName = "secrets/device-key.json"

type deviceKeyRecord struct {
	Key []byte `json:"key"`
}

type deviceKeys struct {
	mu  sync.Mutex
	key []byte
}

func (s *Service) deviceKey(ctx context.Context) ([]byte, error) {
	s.devices.mu.Lock()
	defer s.devices.mu.Unlock()
	if s.devices.key != nil {
		return s.devices.key, nil
	}
	var rec deviceKeyRecord
	_, err := storage.GetJSON(ctx, s.Store, deviceKeyName, &rec)
	if errors.Is(err, storage.ErrNotFound) {
		rec.Key = make([]byte, 32)
		if _, err := rand.Read(rec.Key); err != nil {
			return nil, err
		}
		_, err = storage.PutJSON(ctx, s.Store, deviceKeyName, rec, storage.PutOptions{IfAbsent: true})
		if errors.Is(err, storage.ErrPrecondition) {
			_, err = storage.GetJSON(ctx, s.Store, deviceKeyName, &rec) // another process made it first
		}
	}
	if err != nil {
		return nil, err
	}
	s.devices.key = rec.Key
	return rec.Key, nil
}

func deviceMAC(key []byte, username, nonce string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(strings.ToLower(strings.TrimSpace(username)) + "|" + nonce))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18])
}

// DeviceToken returns a new device token for username.
func (s *Service) DeviceToken(ctx context.Context, username string) (string, error) {
	key, err := s.deviceKey(ctx)
	if err != nil {
		return "", err
	}
	var raw [12]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	nonce := base64.RawURLEncoding.EncodeToString(raw[:])
	return nonce + "." + deviceMAC(key, username, nonce), nil
}

// KnownDevice reports whether token is a device token of username, and the
// device's id (its nonce) when it is.
func (s *Service) KnownDevice(ctx context.Context, token, username string) (string, bool) {
	nonce, mac, ok := strings.Cut(token, ".")
	if !ok || len(nonce) != 16 || len(mac) != 24 {
		return "", false
	}
	key, err := s.deviceKey(ctx)
	if err != nil {
		return "", false
	}
	if !hmac.Equal([]byte(mac), []byte(deviceMAC(key, username, nonce))) {
		return "", false
	}
	return nonce, true
}
