package main

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
	"github.com/phonghop/phonghop/storage/s3store"
	"github.com/phonghop/phonghop/storecopy"
)

// storeConfig names one object store: a data directory, or S3 when an
// endpoint is set.
type storeConfig struct {
	DataDir                                        string
	S3Endpoint, S3AccessKey, S3SecretKey, S3Bucket string
	S3Region                                       string
	S3Secure                                       bool
}

func (c config) storeConfig() storeConfig {
	return storeConfig{DataDir: c.DataDir, S3Endpoint: c.S3Endpoint, S3AccessKey: c.S3AccessKey, S3SecretKey: c.S3SecretKey,
		S3Bucket: c.S3Bucket, S3Region: c.S3Region, S3Secure: c.S3Secure}
}

// openStore opens the store sc names and describes it (no secrets).
func openStore(ctx context.Context, sc storeConfig) (storage.Store, string, error) {
	if sc.S3Endpoint != "" {
		s, err := s3store.New(ctx, s3store.Config{Endpoint: sc.S3Endpoint, AccessKey: sc.S3AccessKey,
			SecretKey: sc.S3SecretKey, Bucket: sc.S3Bucket, Secure: sc.S3Secure, Region: sc.S3Region})
		if err != nil {
			return nil, "", fmt.Errorf("S3 store: %w", err)
		}
		scheme := "s3"
		if sc.S3Secure {
			scheme = "s3s"
		}
		return s, scheme + "://" + sc.S3Endpoint + "/" + sc.S3Bucket, nil
	}
	s, err := fsstore.New(sc.DataDir)
	if err != nil {
		return nil, "", fmt.Errorf("data directory: %w", err)
	}
	abs, err := filepath.Abs(sc.DataDir)
	if err != nil {
		abs = sc.DataDir
	}
	return s, "dir://" + abs, nil
}

// targetSettings name the store `phonghop migrate` copies into; the source is
// the store the ordinary settings name.
var targetSettings = []setting{
	{env: "PHONGHOP_TO_DATA_DIR", flag: "to-data-dir", usage: "migrate into this data directory (the embedded store)"},
	{env: "PHONGHOP_TO_S3_ENDPOINT", flag: "to-s3-endpoint", usage: "migrate into the S3 server at host:port"},
	{env: "PHONGHOP_TO_S3_ACCESS_KEY", flag: "to-s3-access-key", usage: "its access key"},
	{env: "PHONGHOP_TO_S3_SECRET_KEY", flag: "to-s3-secret-key", usage: "its secret key"},
	{env: "PHONGHOP_TO_S3_BUCKET", flag: "to-s3-bucket", def: "phonghop", usage: "its bucket, created if missing"},
	{env: "PHONGHOP_TO_S3_SECURE", flag: "to-s3-secure", def: "false", usage: "use HTTPS to reach it"},
	{env: "PHONGHOP_TO_S3_REGION", flag: "to-s3-region", usage: "its region"},
	{env: "PHONGHOP_MIGRATE_STATE", flag: "state", usage: "the migration's progress file, which resumes it (default: phonghop-migrate-<source and target>.state here)"},
}

// storeCommand runs migrate, backup or restore.
func storeCommand(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	target := map[string]*string{}
	cfg, err := loadConfig("phonghop "+cmd, args, stderr, func(fs *flag.FlagSet) {
		if cmd != "migrate" {
			return
		}
		for _, s := range targetSettings {
			v := s.def
			if e, ok := os.LookupEnv(s.env); ok {
				v = e
			}
			target[s.env] = fs.String(s.flag, v, s.usage+" ($"+s.env+")")
		}
	})
	if err != nil {
		return err
	}
	log := newLogger(config{LogLevel: cfg.LogLevel, LogFormat: "text"}, stderr)
	opt := storecopy.Options{Log: log}
	src, srcName, err := openStore(ctx, cfg.storeConfig())
	if err != nil {
		return err
	}
	var rep storecopy.Report
	switch cmd {
	case "migrate":
		get := func(env string) string { return strings.TrimSpace(*target[env]) }
		secure, err := strconv.ParseBool(get("PHONGHOP_TO_S3_SECURE"))
		if err != nil {
			return errors.New("PHONGHOP_TO_S3_SECURE must be true or false")
		}
		to := storeConfig{DataDir: get("PHONGHOP_TO_DATA_DIR"), S3Endpoint: get("PHONGHOP_TO_S3_ENDPOINT"),
			S3AccessKey: get("PHONGHOP_TO_S3_ACCESS_KEY"), S3SecretKey: get("PHONGHOP_TO_S3_SECRET_KEY"),
			S3Bucket: get("PHONGHOP_TO_S3_BUCKET"), S3Region: get("PHONGHOP_TO_S3_REGION"), S3Secure: secure}
		if (to.DataDir == "") == (to.S3Endpoint == "") {
			return errors.New("migrate: give the target, either -to-data-dir DIR or -to-s3-endpoint HOST:PORT (with its keys)")
		}
		if to.S3Endpoint != "" && (to.S3AccessKey == "" || to.S3SecretKey == "") {
			return errors.New("migrate: PHONGHOP_TO_S3_ACCESS_KEY and PHONGHOP_TO_S3_SECRET_KEY are required with -to-s3-endpoint")
		}
		dst, dstName, err := openStore(ctx, to)
		if err != nil {
			return err
		}
		if dstName == srcName {
			return fmt.Errorf("migrate: the target %s is the source", dstName)
		}
		state := get("PHONGHOP_MIGRATE_STATE")
		if state == "" {
			sum := sha256.Sum256([]byte(srcName + "\x00" + dstName))
			state = "phonghop-migrate-" + hex.EncodeToString(sum[:6]) + ".state"
		}
		log.Info("migrate", "from", srcName, "to", dstName, "state", state)
		rep, err = storecopy.Migrate(ctx, src, dst, srcName, dstName, state, opt)
		if err != nil {
			return fmt.Errorf("migrate: %w (run it again to resume; progress is in %s)", err, state)
		}
		fmt.Fprintf(stdout, "migrated %s to %s: %d objects, %d bytes (%d copied now, %d copied before, %d removed), every one read back and equal by SHA-256, in %s\n",
			srcName, dstName, rep.Objects, rep.Bytes, rep.Copied, rep.Skipped, rep.Removed, rep.Elapsed.Round(1e6))
	case "backup":
		if len(cfg.args) != 1 {
			return errors.New("backup: give the archive's file name: phonghop backup FILE.tar.gz")
		}
		rep, err = backupTo(ctx, src, srcName, cfg.args[0], opt)
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		fmt.Fprintf(stdout, "backed up %s into %s: %d objects, %d bytes, in %s\n", srcName, cfg.args[0], rep.Objects, rep.Bytes, rep.Elapsed.Round(1e6))
	case "restore":
		if len(cfg.args) != 1 {
			return errors.New("restore: give the archive's file name: phonghop restore FILE.tar.gz")
		}
		file := cfg.args[0]
		rep, err = storecopy.Restore(ctx, func() (io.ReadCloser, error) { return openArchive(file) }, src, opt)
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		fmt.Fprintf(stdout, "restored %s into %s: %d objects, %d bytes (%d written now, %d already there), checked against the archive's SHA-256, in %s\n",
			file, srcName, rep.Objects, rep.Bytes, rep.Copied, rep.Skipped, rep.Elapsed.Round(1e6))
	}
	return nil
}

func gzipped(name string) bool {
	return strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, ".tgz")
}

// backupTo writes the archive to a temporary file beside name and renames it
// into place once complete and synced: a failed backup leaves no archive.
func backupTo(ctx context.Context, src storage.Store, srcName, name string, opt storecopy.Options) (storecopy.Report, error) {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.partial")
	if err != nil {
		return storecopy.Report{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	var w io.Writer = f
	var zw *gzip.Writer
	if gzipped(name) {
		zw = gzip.NewWriter(f)
		w = zw
	}
	rep, err := storecopy.Backup(ctx, src, srcName, w, opt)
	if err != nil {
		return rep, err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return rep, err
		}
	}
	if err := f.Sync(); err != nil {
		return rep, err
	}
	if err := f.Close(); err != nil {
		return rep, err
	}
	return rep, os.Rename(f.Name(), name)
}

type archiveFile struct {
	io.Reader
	closers []io.Closer
}

func (a archiveFile) Close() error {
	for _, c := range a.closers {
		c.Close()
	}
	return nil
}

func openArchive(name string) (io.ReadCloser, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if !gzipped(name) {
		return f, nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w: %w", name, storecopy.ErrMismatch, err)
	}
	return archiveFile{Reader: zr, closers: []io.Closer{zr, f}}, nil
}
