// Command phonghop is the paperless meeting-room server.
//
//	phonghop serve   run the server
//	phonghop demo    seed the demo meeting (idempotent), print the accounts, then serve
//	phonghop ready   probe a running server's /readyz (a container's health check)
//	phonghop audit verify   check the audit trail
//	phonghop help    list the settings
package main

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/consult"
	"github.com/phonghop/phonghop/convert"
	"github.com/phonghop/phonghop/demo"
	"github.com/phonghop/phonghop/frontend"
	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/metrics"
	"github.com/phonghop/phonghop/minutes"
	"github.com/phonghop/phonghop/oidcauth"
	"github.com/phonghop/phonghop/roster"
	"github.com/phonghop/phonghop/server"
	"github.com/phonghop/phonghop/spool"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storecopy"
	"github.com/phonghop/phonghop/vote"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "phonghop:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve", "demo":
	case "ready":
		return probeReady(ctx, args, stdout)
	case "migrate", "backup", "restore":
		return storeCommand(ctx, cmd, args, stdout, stderr)
	case "audit":
		return auditCommand(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage+"\n\nSettings (flags mirror the environment):")
		printSettings(stdout)
		fmt.Fprintln(stdout, "\nThe target of phonghop migrate (flags mirror the environment):")
		printTable(stdout, targetSettings)
		fmt.Fprintln(stdout, "\nphonghop audit verify's own (flags mirror the environment):")
		printTable(stdout, auditSettings)
		return nil
	default:
		return fmt.Errorf("unknown command %q (%s)", cmd, commands)
	}
	cfg, err := loadConfig("phonghop "+cmd, args, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	app, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if cfg.PprofAddr != "" {
		pln, err := net.Listen("tcp", cfg.PprofAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("PHONGHOP_PPROF_ADDR: %w", err)
		}
		go servePprof(ctx, pln, log)
	}
	if cmd == "demo" {
		info, err := demo.Seed(ctx, app.accounts, app.meetings)
		if err != nil {
			ln.Close()
			return fmt.Errorf("seeding the demo: %w", err)
		}
		printDemo(stdout, publicURL(cfg, ln.Addr()), info)
	}
	return app.serve(ctx, ln, cfg.ShutdownTimeout)
}

const (
	commands = "serve, demo, ready, migrate, backup, restore, audit or help"
	usage    = `usage: phonghop [serve|demo|help] [flags]
       phonghop ready [URL]   exit 0 when URL (default: http://127.0.0.1:<port of PHONGHOP_ADDR>/readyz) answers 200
       phonghop migrate [flags] -to-data-dir DIR | -to-s3-endpoint HOST:PORT ...   copy the store (as the settings name it) to another
       phonghop backup [flags] FILE.tar[.gz]    write the store into one archive
       phonghop restore [flags] FILE.tar[.gz]   write an archive into the (empty) store
       phonghop audit verify [flags]            check the audit trail's chains and signed heads (exit 1 when broken)
The store commands refuse a store a server is using: stop the servers first.`
)

// probeReady is the health check of images without a shell or curl (the
// distroless one): it exits 0 when the server's /readyz answers 200.
func probeReady(ctx context.Context, args []string, stdout io.Writer) error {
	url := ""
	if len(args) > 0 {
		url = args[0]
	} else {
		addr := os.Getenv("PHONGHOP_ADDR")
		if addr == "" {
			addr = ":8080"
		}
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("PHONGHOP_ADDR %q: %w", addr, err)
		}
		url = "http://" + net.JoinHostPort("127.0.0.1", port) + "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d: %s", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(stdout, "%s\n", strings.TrimSpace(string(body)))
	return nil
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

type app struct {
	log      *slog.Logger
	store    storage.Store
	accounts *accounts.Service
	meetings *meetings.Service
	hub      *live.Hub
	votes    *vote.Service
	audit    *audit.Service
	broker   live.Broker
	// stopControl ends the cluster control subscription.
	stopControl func()
	// stopBeat ends the store heartbeat and deletes it.
	stopBeat func()
	handler  http.Handler
	// conversions runs office conversions while the server serves; nil when
	// LibreOffice is off or missing.
	conversions *convert.Queue
	// retire removes ended meetings' NATS streams while the server serves.
	retire func(ctx context.Context)
	// spool holds uploads and conversions; removed at close.
	spool *spool.Dir
	// consult sends the consultations' reminders and deadline closes.
	consult *consult.Service
}

// build wires the concrete implementations; only this package knows them all.
func build(ctx context.Context, cfg config, log *slog.Logger) (_ *app, err error) {
	// The signing key first: a bad one stops the start before anything runs.
	var signer crypto.Signer
	var cert *x509.Certificate
	if cfg.SignCert != "" {
		if signer, cert, err = minutes.LoadSigner(cfg.SignCert, cfg.SignKey); err != nil {
			return nil, fmt.Errorf("minutes signing: %w", err)
		}
	}
	var auditKey ed25519.PrivateKey
	if cfg.AuditKey != "" {
		if auditKey, err = audit.LoadKey(cfg.AuditKey); err != nil {
			return nil, fmt.Errorf("audit key: %w", err)
		}
	}
	store, name, err := openStore(ctx, cfg.storeConfig())
	if err != nil {
		return nil, err
	}
	log.Info("store", "at", name)
	keyFrom := "PHONGHOP_AUDIT_KEY"
	if auditKey == nil {
		keyFrom = "store"
		if auditKey, err = audit.StoredKey(ctx, store); err != nil {
			return nil, fmt.Errorf("audit key in the store: %w", err)
		}
	}
	ready := map[string]server.Pinger{"store": store}
	// Tells migrate, backup and restore that this store is in use.
	stopBeat := storecopy.Beat(ctx, store, storecopy.HeartbeatInterval, log)
	obs := metrics.New()
	store = obs.Store(store)
	au := &audit.Service{Store: store, Key: auditKey, SignInterval: cfg.AuditSignInterval, Ship: cfg.AuditLog,
		Logger: log.With("component", "audit")}
	obs.Audit(au.Stats)
	// The public key verifies the heads: keep it apart from the store.
	log.Info("audit trail", "publicKey", audit.PublicKeyString(auditKey.Public().(ed25519.PublicKey)), "keyFrom", keyFrom)

	acc := &accounts.Service{Store: store, SessionTTL: cfg.SessionTTL, BcryptCost: cfg.BcryptCost, ExternalLinkLocal: cfg.OIDCLinkLocal}
	if pw, created, err := acc.EnsureAdmin(ctx, cfg.AdminPassword); err != nil {
		return nil, fmt.Errorf("admin account: %w", err)
	} else if created && cfg.AdminPassword == "" {
		log.Warn("created the admin account with a random password; change it or set PHONGHOP_ADMIN_PASSWORD", "username", "admin", "password", pw)
	} else if created {
		log.Info("created the admin account", "username", "admin")
	}
	// Uploads and conversions are held in a directory of this process's own;
	// what a process killed mid-upload left is removed now.
	spoolDir, removed, err := spool.Open(cfg.SpoolDir)
	if err != nil {
		stopBeat()
		return nil, err
	}
	if removed > 0 {
		log.Info("spool: removed what dead processes left", "directories", removed)
	}
	defer func() {
		if err != nil {
			spoolDir.Close()
		}
	}()
	mtg := &meetings.Service{Store: store, Users: acc, DocumentLimit: cfg.DocumentLimit, SpoolDir: spoolDir.Path,
		Logger: log.With("component", "meetings")}
	jr := &journal.Journal{Store: store}

	broker, err := newBrokerFn(ctx, cfg, jr, log)
	if err != nil {
		stopBeat()
		return nil, err
	}
	defer func() {
		if err != nil { // a later step failed: let go of the broker's connection
			_ = broker.Close()
		}
	}()
	if p, ok := broker.(server.Pinger); ok && cfg.NATSURL != "" {
		ready["nats"] = p
	}
	hub := live.NewHub(live.Config{Broker: broker, Meetings: mtg, Journal: jr, Logger: log.With("component", "live"),
		AllowedOrigins: cfg.AllowedOrigins, ReturnAfterUpgrade: true,
		MaxSocketsPerUser: cfg.LiveSocketsPerUser, Actions: au})
	changes := audit.ChangeRecorder{Next: hub, Audit: au}
	mtg.Changes, mtg.Room, mtg.History = changes, hub, jr
	obs.Live(hub.Stats)
	liveAPI, stopControl, err := withControl(hub, broker, log, acc)
	if err != nil {
		stopBeat()
		return nil, fmt.Errorf("cluster control messages: %w", err)
	}
	mtg.Events = hub
	conversions := newConversions(cfg, store, mtg, spoolDir.Path, log)
	if conversions != nil {
		mtg.Conversions = conversions
	}
	votes := &vote.Service{Store: store, Meetings: mtg, Attendance: attendanceOf{hub}, Publisher: hub, Room: hub, Logger: log.With("component", "vote")}
	// A close cut short by a crash is finished before anyone is served: the
	// poll gets its result and its secret key is deleted.
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	if n, err := votes.Recover(rctx); err != nil {
		log.Warn("unfinished poll closes not all finished; loading those polls finishes them", "finished", n, "err", err)
	} else if n > 0 {
		log.Info("finished poll closes left by a crash", "polls", n)
	}
	cancel()
	mtg.Polls, votes.Changes, votes.Voters = votes, changes, au
	mins := &minutes.Service{Store: store, Journal: jr, Meetings: mtg, Polls: votes}
	if signer != nil {
		mins.Signer, mins.Certificate = signer, cert
		log.Info("minutes are signed", "subject", cert.Subject.String())
	}
	var web fs.FS
	if sub, err := fs.Sub(frontend.Dist, "dist"); err == nil {
		if _, err := fs.Stat(sub, "index.html"); err == nil {
			web = sub
		} else {
			log.Warn("the web app is not built into this binary; run make build")
		}
	}
	var idp server.OIDC
	if cfg.OIDCIssuer != "" {
		rp, err := oidcauth.New(oidcauth.Config{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret,
			RedirectURL: strings.TrimSuffix(cfg.PublicURL, "/") + "/api/v1/auth/oidc/callback", UserClaim: cfg.OIDCUserClaim,
			GroupsClaim: cfg.OIDCGroupsClaim, AdminGroup: cfg.OIDCAdminGroup, UnitPrefix: cfg.OIDCUnitPrefix,
			Prompt: cfg.OIDCPrompt, PostLogoutRedirectURL: strings.TrimSuffix(cfg.PublicURL, "/") + "/"})
		if err != nil {
			stopBeat()
			return nil, err
		}
		idp = rp
		log.Info("sign-in through the identity provider", "issuer", cfg.OIDCIssuer, "localLogin", cfg.LocalLogin)
	}
	cons := &consult.Service{Store: store, Events: hub, Meetings: mtg, Logger: log.With("component", "consult")}
	h := server.New(server.Config{Accounts: acc, Meetings: mtg, Notes: &meetings.Notes{Store: store}, Live: liveAPI,
		Votes: votes, Minutes: mins, Roster: &roster.Service{Accounts: acc, Meetings: mtg, History: jr, Logger: log.With("component", "roster")}, Ready: ready, Logger: log, SecureCookies: cfg.SecureCookies, Frontend: web,
		Observer: obs, Metrics: obs.Handler(), TrustedProxies: cfg.TrustedProxies, AllowedOrigins: cfg.AllowedOrigins,
		OIDC: idp, LocalLoginDisabled: !cfg.LocalLogin, Audit: au, BodyTimeout: cfg.BodyTimeout, UploadMinRate: cfg.UploadMinRate,
		Consult: cons})
	return &app{log: log, store: store, accounts: acc, meetings: mtg, hub: hub, votes: votes, broker: broker, audit: au,
		stopControl: stopControl, stopBeat: stopBeat, handler: h, conversions: conversions, spool: spoolDir,
		retire: func(ctx context.Context) { retireStreams(ctx, cfg, broker, mtg) }, consult: cons}, nil
}

// newConversions returns the queue of office conversions, or nil (office
// files refused) when LibreOffice is off or cannot be found.
func newConversions(cfg config, store storage.Store, mtg *meetings.Service, spoolDir string, log *slog.Logger) *convert.Queue {
	if cfg.Soffice == "off" || cfg.Soffice == "" {
		log.Info("office conversion is off: only PDF documents are accepted")
		return nil
	}
	conv := &convert.Converter{Soffice: cfg.Soffice, Timeout: cfg.ConvertTimeout, MaxOutput: cfg.DocumentLimit,
		TempDir: spoolDir, Logger: log.With("component", "convert")}
	prog, err := conv.Program()
	if err != nil {
		log.Warn("LibreOffice not found: office documents are refused until it is installed (see docs/operations.md)", "soffice", cfg.Soffice, "err", err)
		return nil
	}
	log.Info("office documents are converted to PDF", "soffice", prog, "workers", cfg.ConvertWorkers, "limits", conv.Describe())
	return &convert.Queue{Store: store, Converter: conv, Handler: mtg, Workers: cfg.ConvertWorkers,
		Logger: log.With("component", "convert")}
}

// attendanceOf adapts the live room's attendance to what voting needs.
type attendanceOf struct{ hub *live.Hub }

func (a attendanceOf) Present(ctx context.Context, meetingID string) ([]string, error) {
	at, err := a.hub.Attendance(ctx, meetingID)
	return at.Present, err
}

func (a *app) serve(ctx context.Context, ln net.Listener, timeout time.Duration) error {
	srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// Conversions run beside the server; jobs left by a process that died
	// are taken up as their leases run out.
	convCtx, stopConv := context.WithCancel(context.Background())
	convDone := make(chan struct{})
	go func() {
		defer close(convDone)
		if a.conversions != nil {
			a.conversions.Run(convCtx)
		}
	}()
	retireDone := make(chan struct{})
	go func() {
		defer close(retireDone)
		if a.retire != nil {
			a.retire(convCtx)
		}
	}()
	// Consultations' reminders and deadline closes: every process ticks,
	// one sends each (claimed in the store).
	consultDone := make(chan struct{})
	go func() {
		defer close(consultDone)
		if a.consult != nil {
			a.consult.Run(convCtx, 15*time.Second)
		}
	}()
	// Sessions that expired unused leave the store (with any provider's ID
	// token they held): every process sweeps, a delete twice is nothing.
	sweepDone := make(chan struct{})
	go func() { defer close(sweepDone); sweepSessions(convCtx, a.accounts, a.log) }()
	defer func() {
		// A conversion cut short is handed back uncounted, for the next start.
		stopConv()
		<-convDone
		<-retireDone
		<-consultDone
		<-sweepDone
	}()
	// The audit trail retries what the store refused and signs its heads.
	auditCtx, stopAudit := context.WithCancel(context.Background())
	auditDone := make(chan struct{})
	go func() { defer close(auditDone); a.audit.Run(auditCtx) }()
	defer func() {
		stopAudit()
		<-auditDone
		fctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		a.audit.Flush(fctx)
	}()
	a.log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Live sockets are hijacked, so http.Server.Shutdown does not wait for them:
	// close them first with "going away" so tablets reconnect elsewhere.
	if err := a.hub.Shutdown(sctx); err != nil {
		a.log.Warn("live shutdown", "err", err)
	}
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// Pending turnout counts go out before the process ends.
	if err := a.votes.Flush(sctx); err != nil {
		a.log.Warn("vote flush", "err", err)
	}
	return nil
}

// sessionSweepEvery is how often sweepSessions runs (first a minute after
// the start).
const sessionSweepEvery = time.Hour

// sweepSessions removes expired sessions' records (accounts.SweepSessions)
// until ctx ends.
func sweepSessions(ctx context.Context, acc *accounts.Service, log *slog.Logger) {
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := acc.SweepSessions(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("sweeping expired sessions", "swept", n, "err", err)
		} else if n > 0 {
			log.Info("expired sessions swept", "swept", n)
		}
		t.Reset(sessionSweepEvery)
	}
}

func (a *app) close() {
	if a.stopControl != nil {
		a.stopControl()
	}
	if a.broker != nil {
		_ = a.broker.Close()
	}
	if a.stopBeat != nil {
		a.stopBeat()
	}
	if a.spool != nil {
		_ = a.spool.Close()
	}
}

func publicURL(cfg config, addr net.Addr) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	host, port, _ := net.SplitHostPort(addr.String())
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func printDemo(w io.Writer, url string, info demo.Info) {
	fmt.Fprintf(w, "\nphonghop demo: %s\n", url)
	fmt.Fprintf(w, "meeting: %s (%s)\n", info.MeetingTitle, url+"/#/m/"+info.MeetingID)
	fmt.Fprintln(w, "accounts (username / password / role):")
	for _, a := range info.Accounts {
		fmt.Fprintf(w, "  %-12s %-16s %s\n", a.Username, a.Password, a.Role)
	}
	fmt.Fprintln(w, "  admin        (PHONGHOP_ADMIN_PASSWORD, or the random one logged at first start)")
	fmt.Fprintln(w)
}
