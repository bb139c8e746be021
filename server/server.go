// Package server is phonghop's HTTP face: the Gin router, authentication,
// handlers for the REST API and the glue that hands live connections to the live
// room. What it keeps itself is per process and may be lost at any time: the
// sign-in throttle and the gzipped web-app assets. It calls the live room,
// votes and minutes through interfaces declared here, and accounts and
// meetings as the concrete services (*accounts.Service, *meetings.Service,
// *meetings.Notes); cmd/phonghop wires them all.
package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/consult"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/minutes"
	"github.com/phonghop/phonghop/roster"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/vote"
)

// Live is the live room as the HTTP layer uses it.
type Live interface {
	ServeWS(w http.ResponseWriter, r *http.Request, c live.Client)
	Present(ctx context.Context, meetingID string, by phonghop.User, p live.Presentation) (uint64, error)
	CheckIn(ctx context.Context, meetingID, userID string) (uint64, error)
	CheckOut(ctx context.Context, meetingID, userID string) (uint64, error)
	RequestToSpeak(ctx context.Context, meetingID, userID string) (uint64, error)
	Withdraw(ctx context.Context, meetingID, userID string) (uint64, error)
	GiveFloor(ctx context.Context, meetingID string, by phonghop.User, userID string) (uint64, error)
	NextSpeaker(ctx context.Context, meetingID string, by phonghop.User) (uint64, error)
	EndSpeech(ctx context.Context, meetingID string, by phonghop.User) (uint64, error)
	OpenMeeting(ctx context.Context, meetingID string, by phonghop.User) (uint64, error)
	CloseMeeting(ctx context.Context, meetingID string, by phonghop.User) (uint64, error)
	SetSpeechLimit(ctx context.Context, meetingID string, by phonghop.User, seconds int) (uint64, error)
	MarkAttendance(ctx context.Context, meetingID string, by phonghop.User, userID string, present bool, reason string) (uint64, error)
	SendNotice(ctx context.Context, meetingID string, by phonghop.User, text string) (uint64, error)
	WithdrawNotice(ctx context.Context, meetingID string, by phonghop.User) (uint64, error)
	State(ctx context.Context, meetingID string) (live.State, uint64, error)
	CloseSession(sessionID string)
	CloseUser(meetingID, userID string)
	// CloseAccount closes the user's sockets opened with sessions older than
	// epoch (the account's sessions ended: password changed or reset, disabled).
	CloseAccount(userID string, epoch int)
}

// Votes is the voting service as the HTTP layer uses it.
type Votes interface {
	Create(ctx context.Context, meetingID string, by phonghop.User, req vote.CreateRequest) (phonghop.Poll, error)
	Open(ctx context.Context, meetingID, pollID string, by phonghop.User, overrideQuorum bool) (phonghop.Poll, error)
	Close(ctx context.Context, meetingID, pollID string, by phonghop.User) (phonghop.Poll, error)
	Cast(ctx context.Context, meetingID, pollID string, by phonghop.User, option int) (vote.Receipt, error)
	CastAnswers(ctx context.Context, meetingID, pollID string, by phonghop.User, answers [][]int) (vote.Receipt, error)
	SetCommittee(ctx context.Context, meetingID, pollID string, by phonghop.User, members []phonghop.Counter) ([]phonghop.Counter, error)
	Committee(ctx context.Context, meetingID, pollID string) ([]phonghop.Counter, error)
	SavePhoto(ctx context.Context, meetingID string, by phonghop.User, r io.Reader) (vote.Photo, error)
	OpenPhoto(ctx context.Context, meetingID, photoID string) (io.ReadCloser, storage.Info, error)
	Get(ctx context.Context, meetingID, pollID string) (phonghop.Poll, error)
	List(ctx context.Context, meetingID string) ([]phonghop.Poll, error)
	ExportCSV(ctx context.Context, meetingID, pollID string, w io.Writer) error
	UpdateDraft(ctx context.Context, meetingID, pollID string, by phonghop.User, req vote.CreateRequest) (phonghop.Poll, error)
	DeleteDraft(ctx context.Context, meetingID, pollID string, by phonghop.User) error
}

// Minutes is the minutes service as the HTTP layer uses it.
type Minutes interface {
	Get(ctx context.Context, meetingID string) (minutes.Draft, error)
	Update(ctx context.Context, meetingID string, by phonghop.User, d minutes.Draft) (minutes.Draft, error)
	RenderAndStore(ctx context.Context, meetingID string, by phonghop.User) (minutes.Version, error)
	Versions(ctx context.Context, meetingID string) ([]minutes.Version, error)
	Open(ctx context.Context, meetingID string, version int) (io.ReadCloser, minutes.Version, error)
	WriteArchive(ctx context.Context, meetingID string, w io.Writer, docs minutes.DocumentSource) error
	Preview(ctx context.Context, meetingID string, by phonghop.User, d minutes.Draft) ([]byte, error)
	Approve(ctx context.Context, meetingID string, by phonghop.User, version int) (minutes.Version, error)
	Docx(ctx context.Context, meetingID string, version int) ([]byte, minutes.Version, error)
}

// Observer records what the server does, for metrics. metrics.Metrics
// satisfies it.
type Observer interface {
	Request(route, method string, status int, d time.Duration)
	Error(code string)
	Ballot(result string)
}

type noObserver struct{}

func (noObserver) Request(string, string, int, time.Duration) {}
func (noObserver) Error(string)                               {}
func (noObserver) Ballot(string)                              {}

// Pinger is a dependency /readyz asks.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config wires the server. Zero values: Logger slog.Default(); SecureCookies false
// (set it behind HTTPS); Frontend nil serves no web app.
type Config struct {
	Accounts *accounts.Service
	Meetings *meetings.Service
	Notes    *meetings.Notes
	Live     Live
	Votes    Votes
	Minutes  Minutes
	Roster   *roster.Service
	// Ready lists what /readyz checks: the store and, in a cluster, the broker.
	Ready         map[string]Pinger
	Logger        *slog.Logger
	SecureCookies bool
	Frontend      fs.FS
	// TrustedProxies are the addresses or CIDRs of reverse proxies whose
	// X-Forwarded-For is believed; nil trusts none.
	TrustedProxies []string
	// Observer records requests, errors and ballots; nil records nothing.
	Observer Observer
	// Metrics, when set, is served at /metrics.
	Metrics http.Handler
	// AllowedOrigins are browser origins ("https://host[:port]") trusted, as
	// well as the server's own, to send unsafe requests (POST, PUT, PATCH,
	// DELETE); the live room takes the same list for its sockets.
	AllowedOrigins []string
	// OIDC, when set, signs people in through the province's identity
	// provider (GET /api/v1/auth/oidc/login and .../callback).
	OIDC OIDC
	// LocalLoginDisabled refuses password sign-ins (everyone signs in through
	// OIDC).
	LocalLoginDisabled bool
	// Audit, when set, keeps the audit trail of what requests did (see
	// auditTrail).
	Audit Auditor
	// BodyTimeout is how long a request body may take to arrive (0:
	// DefaultBodyTimeout); an upload's after which it must keep
	// UploadMinRate bytes a second on average (0: DefaultUploadMinRate).
	// See bodyDeadline.
	BodyTimeout   time.Duration
	UploadMinRate int64
	// SignInClock is the clock the sign-in throttle's waits are counted by
	// (nil: time.Now); tests hold it still so a loaded machine's delays do not
	// end a wait early.
	SignInClock func() time.Time
	// Consult holds the consultations on drafts; nil: none (404).
	Consult *consult.Service
}

// Server is the HTTP handler.
type Server struct {
	cfg    Config
	engine *gin.Engine
	log    *slog.Logger
	signIn *signInThrottle
	gz     sync.Map // asset name → gzipped bytes
	// openings tells a document's opening from the range requests after it.
	openings audit.Openings
	// crossOrigin refuses unsafe requests a browser sends from another origin
	// (another site, subdomain or port: a page there could otherwise act with
	// the session cookie).
	crossOrigin *http.CrossOriginProtection
}

const (
	ctxLogger  = "phonghop.logger"
	ctxUser    = "phonghop.user"
	ctxSession = "phonghop.session"
	// ctxErrorCode holds the error code a request was answered with.
	ctxErrorCode = "phonghop.errorCode"
	cookieName   = "phonghop_session"
	maxJSON      = 1 << 20
)

// New builds the router.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{cfg: cfg, engine: gin.New(), log: cfg.Logger, signIn: newSignInThrottle(cfg.Logger)}
	if cfg.SignInClock != nil {
		s.signIn.now = cfg.SignInClock
	}
	s.engine.ContextWithFallback = true
	s.engine.HandleMethodNotAllowed = false
	s.engine.RemoveExtraSlash = false
	s.engine.UseRawPath = true
	s.engine.UnescapePathValues = true
	// The client address (login lockout, logs) comes from X-Forwarded-For only
	// when the request arrives from a listed proxy.
	if err := s.engine.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		s.log.Error("ignoring invalid trusted proxies", "err", err)
		_ = s.engine.SetTrustedProxies(nil)
	}
	s.crossOrigin = http.NewCrossOriginProtection()
	for _, o := range cfg.AllowedOrigins {
		if err := s.crossOrigin.AddTrustedOrigin(o); err != nil {
			s.log.Error("ignoring an invalid allowed origin", "origin", o, "err", err)
		}
	}
	s.engine.Use(s.requestLog, s.recover, s.sameOrigin)
	s.engine.Use(s.bodyDeadline)
	s.routes()
	return s
}

// sameOrigin refuses a browser's unsafe request from another origin, before
// anything reads its body or its credentials. The standard library decides from
// Sec-Fetch-Site, or Origin against Host for browsers without it; requests with
// neither (curl, scripts, the load tool) are not a browser's and pass.
func (s *Server) sameOrigin(c *gin.Context) {
	if err := s.crossOrigin.Check(c.Request); err != nil {
		writeError(c, phonghop.Fail(phonghop.EForbidden, "cross_origin_refused"))
		return
	}
	c.Next()
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

func (s *Server) requestLog(c *gin.Context) {
	start := time.Now()
	id := c.GetHeader("X-Request-Id")
	if id == "" || len(id) > 64 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Header("X-Request-Id", id)
	l := &requestLogger{base: s.log, attrs: []any{"requestId", id}}
	c.Set(ctxLogger, l)
	c.Next()
	d := time.Since(start)
	s.cfg.Observer.Request(c.FullPath(), c.Request.Method, c.Writer.Status(), d)
	if code := c.GetString(ctxErrorCode); code != "" {
		s.cfg.Observer.Error(code)
	}
	if s.log.Enabled(c.Request.Context(), slog.LevelInfo) {
		l.get().Info("request", "method", c.Request.Method, "path", loggedPath(c),
			"status", c.Writer.Status(), "duration", d.Round(time.Microsecond).String())
	}
}

// requestLogger is a request's logger, built on first use: slog's With
// formats the attributes at once, and most requests (every live socket's
// upgrade among them) log nothing at the default level.
type requestLogger struct {
	base  *slog.Logger
	attrs []any // set by the middleware before the handler runs; the request id first
	built atomic.Pointer[slog.Logger]
	// unnamed: the request's lines from here on name no user (see unnamed).
	unnamed atomic.Bool
}

// unnamed makes the rest of the request's log lines carry its request id
// only: a ballot that may be stored is written with the time it was cast, so
// a line naming the voter at that time would join them to it, and to its
// option once the poll is closed (the audit trail leaves ballots out for the
// same reason; who voted is one entry at the close).
func unnamed(c *gin.Context) {
	if l, ok := c.Get(ctxLogger); ok {
		l.(*requestLogger).unnamed.Store(true)
	}
}

// with adds attributes; only middleware calls it, before the handler.
func (l *requestLogger) with(args ...any) {
	l.attrs = append(l.attrs, args...)
	l.built.Store(nil)
}

func (l *requestLogger) get() *slog.Logger {
	if l.unnamed.Load() {
		return l.base.With(l.attrs[:2]...)
	}
	if b := l.built.Load(); b != nil {
		return b
	}
	b := l.base.With(l.attrs...)
	l.built.Store(b)
	return b
}

// loggedPath is the request's path as the log may keep it: a receipt's
// SHA-256 is stored in its secret ballot beside the option, so the receipt
// check's path (…/receipts/<sha256>) would name the asker's choice.
func loggedPath(c *gin.Context) string {
	if sum := c.Param("sha256"); sum != "" {
		return strings.Replace(c.Request.URL.Path, sum, "[receipt]", 1)
	}
	return c.Request.URL.Path
}

func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			logger(c).Error("panic", "value", v)
			writeError(c, phonghop.Fail(phonghop.EInternal, "internal"))
		}
	}()
	c.Next()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// bindJSON decodes a JSON body of at most limit bytes into v. Unknown fields are
// allowed (clients may be newer), wrong types are not.
//
// The body must say it is JSON (Content-Type: application/json): a form on
// another site can send text/plain or form bodies without a preflight, never
// JSON, so this refuses what the cross-origin check might let through.
func bindJSON(c *gin.Context, v any, limit int64) error {
	if c.ContentType() != "application/json" {
		return phonghop.Fail(phonghop.EUnsupportedType, "json_content_type_required")
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case asMaxBytes(err, &mbe):
		return phonghop.Fail(phonghop.ETooLarge, "body_too_large", "limit", limit)
	case err != nil:
		return phonghop.Fail(phonghop.EInvalid, "upload_interrupted")
	case !utf8.Valid(raw):
		// encoding/json would replace the bytes with U+FFFD and go on: a name
		// would be stored other than it was sent.
		return phonghop.Fail(phonghop.EInvalid, "json_not_utf8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		if err == io.EOF {
			return phonghop.Fail(phonghop.EInvalid, "body_empty")
		}
		return phonghop.Fail(phonghop.EInvalid, "json_malformed", "problem", jsonProblem(err))
	}
	if dec.More() {
		return phonghop.Fail(phonghop.EInvalid, "json_trailing")
	}
	return nil
}
