package convert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/phonghop/phonghop"
)

// Converter runs LibreOffice headless, one process per conversion, each with
// a fresh profile directory (copied from a template made once), its own
// temporary directory, a timeout and resource limits, so a hostile or huge
// file costs one bounded process and leaves nothing behind. How many run at
// once is the caller's choice (the Queue's workers).
type Converter struct {
	// Soffice is LibreOffice's program: a path, or a name looked up in PATH.
	// Empty: "soffice".
	Soffice string
	// Timeout bounds one conversion; 0: 2 minutes.
	Timeout time.Duration
	// MaxOutput bounds the size of any file LibreOffice writes, the PDF
	// included (RLIMIT_FSIZE); 0: 200 MiB.
	MaxOutput int64
	// MaxMemory bounds LibreOffice's address space (RLIMIT_AS); 0: 2 GiB.
	MaxMemory int64
	// TempDir holds the work directories; empty: the system's.
	TempDir string
	Logger  *slog.Logger
}

// templates are profiles LibreOffice has started with once, by program and
// temporary directory, made once per process.
var templates struct {
	sync.Mutex
	m map[[2]string]*template
}

type template struct {
	once sync.Once
	dir  string
	err  error
}

func (c *Converter) template(prog string) (string, error) {
	templates.Lock()
	if templates.m == nil {
		templates.m = map[[2]string]*template{}
	}
	key := [2]string{prog, c.TempDir}
	t := templates.m[key]
	if t == nil {
		t = &template{}
		templates.m[key] = t
	}
	templates.Unlock()
	t.once.Do(func() { t.dir, t.err = c.makeTemplate(prog) })
	return t.dir, t.err
}

// Defaults of the zero Converter.
const (
	DefaultTimeout   = 2 * time.Minute
	DefaultMaxOutput = 200 << 20
	DefaultMaxMemory = 2 << 30
)

func (c *Converter) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func (c *Converter) maxOutput() int64 {
	if c.MaxOutput > 0 {
		return c.MaxOutput
	}
	return DefaultMaxOutput
}

func (c *Converter) maxMemory() int64 {
	if c.MaxMemory > 0 {
		return c.MaxMemory
	}
	return DefaultMaxMemory
}

func (c *Converter) log() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Program returns the path of LibreOffice's program, or an error when it
// cannot be found.
func (c *Converter) Program() (string, error) {
	p := c.Soffice
	if p == "" {
		p = "soffice"
	}
	return exec.LookPath(p)
}

// profileSettings go into every profile: no macros, no links followed to other
// files or hosts (a document could otherwise make the server fetch a URL).
const profileSettings = `<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>2</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>2</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseLocking" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
`

// Errors a conversion ends with, as clients see them.
func errTimeout(d time.Duration) *phonghop.Error {
	return phonghop.Fail(phonghop.EInvalid, "conversion_timeout", "limit", d.String())
}

func errTooLarge(limit int64) *phonghop.Error {
	return phonghop.Fail(phonghop.EInvalid, "conversion_too_large", "limit", fmt.Sprintf("%d MiB", limit>>20))
}

var errFailed = phonghop.Fail(phonghop.EInvalid, "conversion_failed")

// Result is a converted PDF in its work directory; Close removes both.
type Result struct {
	File *os.File
	Size int64
	dir  string
}

// Close removes the PDF and the work directory.
func (r *Result) Close() error {
	if r.File != nil {
		r.File.Close()
	}
	return os.RemoveAll(r.dir)
}

// Convert writes src (a file in format f) to a fresh work directory and has
// LibreOffice turn it into a PDF. Errors a client may see are *phonghop.Error:
// conversion_timeout, conversion_too_large, conversion_failed; others are the
// server's (LibreOffice missing, disk full).
func (c *Converter) Convert(ctx context.Context, src io.Reader, f Format) (*Result, error) {
	prog, err := c.Program()
	if err != nil {
		return nil, fmt.Errorf("convert: LibreOffice not found: %w", err)
	}
	tmpl, err := c.template(prog)
	if err != nil {
		c.log().Warn("convert: no profile template, each conversion starts LibreOffice afresh", "err", err)
	}
	dir, err := os.MkdirTemp(c.TempDir, "phonghop-convert-*")
	if err != nil {
		return nil, fmt.Errorf("convert: work directory: %w", err)
	}
	res := &Result{dir: dir}
	fail := func(err error) (*Result, error) {
		res.Close()
		return nil, err
	}
	// The input's name is ours: a user's file name never reaches a command line.
	in := filepath.Join(dir, "input"+f.Ext)
	if err := writeFile(in, src); err != nil {
		return fail(fmt.Errorf("convert: input: %w", err))
	}
	profile := filepath.Join(dir, "profile")
	if tmpl != "" {
		err = copyDir(tmpl, profile)
	} else {
		err = writeProfile(profile)
	}
	if err != nil {
		return fail(fmt.Errorf("convert: profile: %w", err))
	}
	outDir := filepath.Join(dir, "out")
	if err := os.Mkdir(outDir, 0o700); err != nil {
		return fail(err)
	}
	start := time.Now()
	out, err := c.run(ctx, c.timeout(), prog, dir, profile, outDir, in)
	pdf := filepath.Join(outDir, "input.pdf")
	fi, statErr := os.Stat(pdf)
	switch {
	case ctx.Err() != nil:
		return fail(ctx.Err())
	case errors.Is(err, errKilledTimeout):
		return fail(errTimeout(c.timeout()))
	case statErr == nil && fi.Size() >= c.maxOutput(), fileSizeExceeded(err, out):
		return fail(errTooLarge(c.maxOutput()))
	case err != nil || statErr != nil || fi.Size() == 0:
		c.log().Info("convert: LibreOffice failed", "format", f.Ext, "err", err, "output", string(clipBytes(out, 2000)))
		return fail(errFailed)
	}
	c.log().Debug("convert: done", "format", f.Ext, "duration", time.Since(start).Round(time.Millisecond).String(), "size", fi.Size())
	file, err := os.Open(pdf)
	if err != nil {
		return fail(err)
	}
	res.File, res.Size = file, fi.Size()
	return res, nil
}

var errKilledTimeout = errors.New("convert: timed out")

// run starts LibreOffice in its own process group under ulimits and waits
// for it; on timeout or cancel the whole group is killed (soffice starts
// oosplash, which starts soffice.bin).
func (c *Converter) run(ctx context.Context, timeout time.Duration, prog, dir, profile, outDir, in string) ([]byte, error) {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// ulimit -f counts 512-byte blocks; -v KiB.
	script := fmt.Sprintf(`ulimit -f %d && ulimit -v %d && exec "$0" "$@"`, c.maxOutput()/512, c.maxMemory()/1024)
	args := []string{"-c", script, prog,
		"--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck", "--nofirststartwizard",
		"-env:UserInstallation=" + fileURL(profile),
		"--convert-to", "pdf", "--outdir", outDir, in}
	cmd := exec.Command("/bin/sh", args...)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "TMPDIR=" + dir, "PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=C.UTF-8", "SAL_USE_VCLPLUGIN=svp"}
	var out bytes.Buffer
	// One writer for both, so exec writes from one goroutine at a time.
	w := &limitedBuffer{b: &out, n: 64 << 10}
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		killGroup(cmd.Process.Pid) // anything it left behind
		return out.Bytes(), err
	case <-tctx.Done():
		killGroup(cmd.Process.Pid)
		<-done
		if ctx.Err() != nil {
			return out.Bytes(), ctx.Err()
		}
		return out.Bytes(), errKilledTimeout
	}
}

func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }

// fileSizeExceeded reports a process that wrote past MaxOutput: killed by
// SIGXFSZ, or soffice.bin's own handler reporting it (oosplash then exits
// with a status of its own).
func fileSizeExceeded(err error, out []byte) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGXFSZ {
		return true
	}
	return bytes.Contains(out, []byte("Fatal exception: Signal "+strconv.Itoa(int(syscall.SIGXFSZ))))
}

// makeTemplate starts LibreOffice once on a tiny document so its first-start
// work (about a second here) is done once; each conversion copies the result.
func (c *Converter) makeTemplate(prog string) (string, error) {
	dir, err := os.MkdirTemp(c.TempDir, "phonghop-convert-template-*")
	if err != nil {
		return "", err
	}
	profile := filepath.Join(dir, "profile")
	if err := writeProfile(profile); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	in := filepath.Join(dir, "warmup.txt")
	if err := os.WriteFile(in, []byte("phonghop\n"), 0o600); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	out, err := c.run(context.Background(), time.Minute, prog, dir, profile, dir, in)
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("%w: %s", err, clipBytes(out, 500))
	}
	return profile, nil
}

func writeProfile(profile string) error {
	user := filepath.Join(profile, "user")
	if err := os.MkdirAll(user, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(user, "registrymodifications.xcu"), []byte(profileSettings), 0o600)
}

func fileURL(p string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
}

func writeFile(name string, src io.Reader) error {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// copyDir copies a profile: regular files and directories only.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o700)
		case d.Type().IsRegular():
			in, err := os.Open(p)
			if err != nil {
				return err
			}
			defer in.Close()
			return writeFile(target, in)
		}
		return nil
	})
}

type limitedBuffer struct {
	b *bytes.Buffer
	n int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.n - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func clipBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// Describe names the settings for logs.
func (c *Converter) Describe() string {
	return "timeout " + c.timeout().String() + ", max output " + strconv.FormatInt(c.maxOutput()>>20, 10) + " MiB"
}
