package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/phonghop/phonghop/storage"
)

// StoredKeyName is where the signing key is kept when none is configured.
// Outside audit/, so a copy of the trail given to an auditor does not carry
// it. Anyone who can write the store can then re-sign a rewritten trail:
// configure a key kept elsewhere (PHONGHOP_AUDIT_KEY) when that matters.
const StoredKeyName = "secrets/audit-key.json"

type keyRecord struct {
	Seed []byte `json:"seed"`
}

func encodeKey(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// LoadKey reads an Ed25519 private key from a PEM file (PKCS#8, as
// `openssl genpkey -algorithm ed25519` writes it).
func LoadKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s is not an Ed25519 key", path)
	}
	return ek, nil
}

// StoredKey returns the signing key kept in the store, making it (once, for
// every process) when there is none.
func StoredKey(ctx context.Context, st storage.Store) (ed25519.PrivateKey, error) {
	var rec keyRecord
	_, err := storage.GetJSON(ctx, st, StoredKeyName, &rec)
	if errors.Is(err, storage.ErrNotFound) {
		rec.Seed = make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(rec.Seed); err != nil {
			return nil, err
		}
		_, err = storage.PutJSON(ctx, st, StoredKeyName, rec, storage.PutOptions{IfAbsent: true})
		if errors.Is(err, storage.ErrPrecondition) {
			_, err = storage.GetJSON(ctx, st, StoredKeyName, &rec) // another process made it first
		}
	}
	if err != nil {
		return nil, err
	}
	if len(rec.Seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s holds no Ed25519 seed", StoredKeyName)
	}
	return ed25519.NewKeyFromSeed(rec.Seed), nil
}

// ReadStoredKey returns the key kept in the store, making none (verify reads
// only).
func ReadStoredKey(ctx context.Context, st storage.Store) (ed25519.PrivateKey, error) {
	var rec keyRecord
	if _, err := storage.GetJSON(ctx, st, StoredKeyName, &rec); err != nil {
		return nil, err
	}
	if len(rec.Seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s holds no Ed25519 seed", StoredKeyName)
	}
	return ed25519.NewKeyFromSeed(rec.Seed), nil
}

// PublicKeyString is how a public key is shown (logs, heads, -public-key).
func PublicKeyString(k ed25519.PublicKey) string { return encodeKey(k) }

// ParsePublicKey reads a public key as PublicKeyString shows it.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("not an Ed25519 public key in base64 (32 bytes)")
	}
	return ed25519.PublicKey(b), nil
}
