package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/storage"
)

// auditSettings are phonghop audit verify's own.
var auditSettings = []setting{
	{env: "PHONGHOP_AUDIT_PUBLIC_KEY", flag: "public-key", usage: "public key (base64, as the \"audit trail\" log line at start shows it) every signed head must be made with; empty: that of PHONGHOP_AUDIT_KEY, else of the key kept in the store (which proves nothing against whoever can write the store)"},
	{env: "PHONGHOP_AUDIT_ONLY", flag: "only", usage: "comma-separated logs to verify (accounts, meetings/<id>); empty: every log"},
}

// auditCommand runs `phonghop audit verify`: it reads every audit log of the
// store the settings name (data directory or S3), prints a line per log and
// fails when any log is broken.
func auditCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("usage: phonghop audit verify [flags]")
	}
	own := map[string]*string{}
	cfg, err := loadConfig("phonghop audit verify", args[1:], stderr, func(fs *flag.FlagSet) {
		for _, s := range auditSettings {
			v := s.def
			if e, ok := os.LookupEnv(s.env); ok {
				v = e
			}
			own[s.env] = fs.String(s.flag, v, s.usage+" ($"+s.env+")")
		}
	})
	if err != nil {
		return err
	}
	st, name, err := openStore(ctx, cfg.storeConfig())
	if err != nil {
		return err
	}
	key, from, err := verifyKey(ctx, cfg, strings.TrimSpace(*own["PHONGHOP_AUDIT_PUBLIC_KEY"]), st)
	if err != nil {
		return err
	}
	var only []string
	for _, l := range strings.Split(*own["PHONGHOP_AUDIT_ONLY"], ",") {
		if l = strings.TrimSpace(l); l != "" {
			only = append(only, l)
		}
	}
	fmt.Fprintf(stdout, "audit trail of %s, heads checked against %s (%s)\n", name, audit.PublicKeyString(key), from)
	reports, err := audit.Verify(ctx, st, key, only...)
	if err != nil {
		return err
	}
	broken := 0
	for _, r := range reports {
		state := "ok"
		if !r.OK() {
			state = "BROKEN"
			broken++
		}
		fmt.Fprintf(stdout, "%-8s %s: %d entries, signed through %d, last hash %s\n", state, r.Log, r.Entries, r.Signed, r.Hash)
		if r.Entries > r.Signed && r.OK() {
			fmt.Fprintf(stdout, "         entries %d to %d are not signed yet: compare the last hash with the newest \"audit head\" log line\n", r.Signed+1, r.Entries)
		}
		for _, p := range r.Problems {
			fmt.Fprintf(stdout, "         %s\n", p)
		}
	}
	if broken > 0 {
		return fmt.Errorf("audit verify: %d of %d logs are broken", broken, len(reports))
	}
	fmt.Fprintf(stdout, "%d logs verified\n", len(reports))
	return nil
}

// verifyKey is the public key heads must be signed with, and where it came
// from.
func verifyKey(ctx context.Context, cfg config, given string, st storage.Store) (ed25519.PublicKey, string, error) {
	switch {
	case given != "":
		k, err := audit.ParsePublicKey(given)
		return k, "given", err
	case cfg.AuditKey != "":
		k, err := audit.LoadKey(cfg.AuditKey)
		if err != nil {
			return nil, "", fmt.Errorf("audit key: %w", err)
		}
		return k.Public().(ed25519.PublicKey), "PHONGHOP_AUDIT_KEY", nil
	}
	k, err := audit.ReadStoredKey(ctx, st)
	if err != nil {
		return nil, "", fmt.Errorf("no -public-key given and no key in the store (%s): %w", audit.StoredKeyName, err)
	}
	return k.Public().(ed25519.PublicKey), "the key kept in the store: pin it with -public-key", nil
}
