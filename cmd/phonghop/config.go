package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
)

// setting is one configuration value: its environment variable, the flag that
// mirrors it, its default and what it means. Every setting is declared once, in
// settings below; docs/operations.md lists the same table (`phonghop help`
// prints it).
type setting struct {
	env, flag, def, usage string
	value                 *string
}

type config struct {
	Addr, DataDir                                  string
	S3Endpoint, S3AccessKey, S3SecretKey, S3Bucket string
	S3Region                                       string
	S3Secure                                       bool
	NATSURL                                        string
	NATSReplicas                                   int
	NATSRemoveIdle                                 time.Duration // 0: never
	AdminPassword                                  string
	AllowedOrigins, TrustedProxies                 []string
	DocumentLimit                                  int64
	SpoolDir                                       string
	SessionTTL, ShutdownTimeout                    time.Duration
	BodyTimeout                                    time.Duration
	UploadMinRate                                  int64
	SecureCookies                                  bool
	LogLevel, LogFormat                            string
	SignCert, SignKey                              string
	LiveBuffer, BcryptCost, LiveSocketsPerUser     int
	PublicURL                                      string
	Soffice                                        string
	ConvertWorkers                                 int
	ConvertTimeout                                 time.Duration
	OIDCIssuer, OIDCClientID, OIDCClientSecret     string
	OIDCUserClaim, OIDCGroupsClaim                 string
	OIDCAdminGroup, OIDCUnitPrefix                 string
	OIDCPrompt                                     string
	OIDCLinkLocal                                  bool
	LocalLogin                                     bool
	PprofAddr                                      string
	AuditKey                                       string
	AuditSignInterval                              time.Duration
	AuditLog                                       bool
	// args are what follows the flags (backup and restore: the archive).
	args []string
}

var settings = []setting{
	{env: "PHONGHOP_ADDR", flag: "addr", def: ":8080", usage: "listen address"},
	{env: "PHONGHOP_DATA_DIR", flag: "data-dir", def: "./data", usage: "directory of the embedded store, used when no S3 endpoint is set"},
	{env: "PHONGHOP_S3_ENDPOINT", flag: "s3-endpoint", def: "", usage: "S3 endpoint host:port (MinIO); when set everything is kept there"},
	{env: "PHONGHOP_S3_ACCESS_KEY", flag: "s3-access-key", def: "", usage: "S3 access key"},
	{env: "PHONGHOP_S3_SECRET_KEY", flag: "s3-secret-key", def: "", usage: "S3 secret key"},
	{env: "PHONGHOP_S3_BUCKET", flag: "s3-bucket", def: "phonghop", usage: "S3 bucket, created if missing"},
	{env: "PHONGHOP_S3_SECURE", flag: "s3-secure", def: "false", usage: "use HTTPS to reach S3"},
	{env: "PHONGHOP_S3_REGION", flag: "s3-region", def: "", usage: "S3 region (empty: the server's default)"},
	{env: "PHONGHOP_NATS_URL", flag: "nats-url", def: "", usage: "NATS URL; when set live events are shared by every phonghop process"},
	{env: "PHONGHOP_NATS_REPLICAS", flag: "nats-replicas", def: "1", usage: "JetStream replicas of each meeting's stream (3 on a three-server NATS cluster)"},
	{env: "PHONGHOP_NATS_REMOVE_IDLE", flag: "nats-remove-idle", def: "1h", usage: "remove an ended meeting's stream (closed by the chair, called off, or its day past in UTC+7) after it was idle this long (no tablet connected, no change); it comes back from the journal if anyone returns (0: never)"},
	{env: "PHONGHOP_ADMIN_PASSWORD", flag: "admin-password", def: "", usage: "password of the admin account created when the store has no users (empty: a random one is logged once)"},
	{env: "PHONGHOP_ALLOWED_ORIGINS", flag: "allowed-origins", def: "", usage: "comma-separated browser origins (https://host[:port]) allowed to open live connections and send changes with the session cookie (the server's own origin always is)"},
	{env: "PHONGHOP_TRUSTED_PROXIES", flag: "trusted-proxies", def: "", usage: "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed (empty: none)"},
	{env: "PHONGHOP_DOCUMENT_LIMIT", flag: "document-limit", def: "209715200", usage: "largest document upload in bytes (200 MiB)"},
	{env: "PHONGHOP_SPOOL_DIR", flag: "spool-dir", def: "", usage: "base directory where uploads and conversions are held while they are checked, indexed and converted, in phonghop-spool/ (needs room for the concurrent uploads; what a killed process left is removed at start; empty: the system's temporary directory, $TMPDIR)"},
	{env: "PHONGHOP_BODY_TIMEOUT", flag: "body-timeout", def: "30s", usage: "how long a request body may take to arrive; an upload may take longer while it keeps PHONGHOP_UPLOAD_MIN_RATE (a slower body fails and its connection closes)"},
	{env: "PHONGHOP_UPLOAD_MIN_RATE", flag: "upload-min-rate", def: "16384", usage: "bytes a second an upload must keep on average after its first PHONGHOP_BODY_TIMEOUT"},
	{env: "PHONGHOP_SESSION_TTL", flag: "session-ttl", def: "12h", usage: "how long a sign-in lasts"},
	{env: "PHONGHOP_SECURE_COOKIES", flag: "secure-cookies", def: "false", usage: "mark the session cookie Secure (set it when served over HTTPS)"},
	{env: "PHONGHOP_LOG_LEVEL", flag: "log-level", def: "info", usage: "debug, info, warn or error"},
	{env: "PHONGHOP_LOG_FORMAT", flag: "log-format", def: "json", usage: "json or text"},
	{env: "PHONGHOP_SIGN_CERT", flag: "sign-cert", def: "", usage: "PEM certificate for signing the minutes PDF (with PHONGHOP_SIGN_KEY)"},
	{env: "PHONGHOP_SIGN_KEY", flag: "sign-key", def: "", usage: "PEM private key for signing the minutes PDF"},
	{env: "PHONGHOP_LIVE_SOCKETS_PER_USER", flag: "live-sockets-per-user", def: "16", usage: "live connections one account may hold on one process (a few tablets, a wall display and reconnects overlapping what they replace; 0: no limit, for load tests signing in many tablets as one account)"},
	{env: "PHONGHOP_LIVE_BUFFER", flag: "live-buffer", def: "4096", usage: "events kept per meeting (in memory) to replay to reconnecting tablets"},
	{env: "PHONGHOP_SHUTDOWN_TIMEOUT", flag: "shutdown-timeout", def: "15s", usage: "how long shutdown waits for requests to finish"},
	{env: "PHONGHOP_BCRYPT_COST", flag: "bcrypt-cost", def: "10", usage: "bcrypt cost of password hashes (4 to 31; each step doubles the work of a sign-in)"},
	{env: "PHONGHOP_PUBLIC_URL", flag: "public-url", def: "", usage: "URL people open, printed by demo (empty: derived from the address); required with OIDC (the callback is PUBLIC_URL/api/v1/auth/oidc/callback)"},
	{env: "PHONGHOP_SOFFICE", flag: "soffice", def: "soffice", usage: "LibreOffice's program, which converts Word, Excel and PowerPoint files to PDF (a path, or a name looked up in PATH; \"off\": office files are refused)"},
	{env: "PHONGHOP_CONVERT_WORKERS", flag: "convert-workers", def: "1", usage: "office conversions this process runs at once (each is one LibreOffice process)"},
	{env: "PHONGHOP_CONVERT_TIMEOUT", flag: "convert-timeout", def: "2m", usage: "longest one office conversion may take before it is stopped and reported failed"},
	{env: "PHONGHOP_OIDC_ISSUER", flag: "oidc-issuer", def: "", usage: "OpenID Connect issuer URL of the province's identity provider (https; http only on localhost); when set, people can sign in through it"},
	{env: "PHONGHOP_OIDC_CLIENT_ID", flag: "oidc-client-id", def: "", usage: "this server's client id at the identity provider"},
	{env: "PHONGHOP_OIDC_CLIENT_SECRET", flag: "oidc-client-secret", def: "", usage: "its client secret (empty for a public client: PKCE alone)"},
	{env: "PHONGHOP_OIDC_USER_CLAIM", flag: "oidc-user-claim", def: "preferred_username", usage: "claim users are matched by and created with (its value becomes the username)"},
	{env: "PHONGHOP_OIDC_GROUPS_CLAIM", flag: "oidc-groups-claim", def: "groups", usage: "claim listing the user's groups"},
	{env: "PHONGHOP_OIDC_ADMIN_GROUP", flag: "oidc-admin-group", def: "", usage: "group whose members are administrators, re-read at every sign-in (empty: admin rights are set in phonghop)"},
	{env: "PHONGHOP_OIDC_UNIT_PREFIX", flag: "oidc-unit-prefix", def: "", usage: "prefix of the group naming the user's unit, e.g. unit: for unit:UBND huyện Tháp Mười (empty: units are set in phonghop)"},
	{env: "PHONGHOP_OIDC_PROMPT", flag: "oidc-prompt", def: "", usage: "prompt sent with every sign-in through the identity provider: login makes it ask for credentials every time (kiosks, shared tablets), whatever session it holds; also select_account or consent (empty: the provider decides; after a sign-out the next sign-in from that browser asks anyway)"},
	{env: "PHONGHOP_OIDC_LINK_LOCAL", flag: "oidc-link-local", def: "false", usage: "let a user of the identity provider take the phonghop account of the same name although someone signed in to it with its password, or it has admin rights (the bootstrap admin included), when it is bound to nobody yet (false: those stay their owners'; accounts made or imported beforehand and never signed in to with their password are taken either way)"},
	{env: "PHONGHOP_LOCAL_LOGIN", flag: "local-login", def: "true", usage: "allow sign-in with a phonghop password (false: only through the identity provider)"},
	{env: "PHONGHOP_PPROF_ADDR", flag: "pprof-addr", def: "", usage: "serve Go's profiler (/debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060, for measuring (empty: off; any other host is refused)"},
	{env: "PHONGHOP_AUDIT_KEY", flag: "audit-key", def: "", usage: "PEM file of the Ed25519 key that signs the audit trail's heads (openssl genpkey -algorithm ed25519); empty: one is made and kept in the store (secrets/audit-key.json), so whoever can write the store could re-sign a rewritten trail"},
	{env: "PHONGHOP_AUDIT_SIGN_INTERVAL", flag: "audit-sign-interval", def: "1m", usage: "how often the head of each audit log this process appended to is signed, stored and logged (\"audit head\")"},
	{env: "PHONGHOP_AUDIT_LOG", flag: "audit-log", def: "false", usage: "also write every audit entry to the process's log (an \"audit\" line; JSON lines with PHONGHOP_LOG_FORMAT=json)"},
}

// loadConfig reads flags, falling back to the environment, then the defaults.
// extra declares a command's own flags beside the settings.
func loadConfig(name string, args []string, stderr io.Writer, extra ...func(*flag.FlagSet)) (config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	for _, e := range extra {
		e(fs)
	}
	fs.SetOutput(stderr)
	for i := range settings {
		s := &settings[i]
		v := s.def
		if e, ok := os.LookupEnv(s.env); ok {
			v = e
		}
		s.value = fs.String(s.flag, v, s.usage+" ($"+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	raw := func(env string) string {
		for _, s := range settings {
			if s.env == env {
				return *s.value
			}
		}
		panic("unknown setting " + env)
	}
	get := func(env string) string { return strings.TrimSpace(raw(env)) }
	var errs []string
	boolOf := func(env string) bool {
		b, err := strconv.ParseBool(get(env))
		if err != nil {
			errs = append(errs, env+" must be true or false")
		}
		return b
	}
	durOf := func(env string) time.Duration {
		d, err := time.ParseDuration(get(env))
		if err != nil || d <= 0 {
			errs = append(errs, env+" must be a positive duration like 15s")
		}
		return d
	}
	intOf := func(env string) int64 {
		n, err := strconv.ParseInt(get(env), 10, 64)
		if err != nil || n <= 0 {
			errs = append(errs, env+" must be a positive whole number")
		}
		return n
	}
	c := config{
		Addr: get("PHONGHOP_ADDR"), DataDir: get("PHONGHOP_DATA_DIR"),
		S3Endpoint: get("PHONGHOP_S3_ENDPOINT"), S3AccessKey: get("PHONGHOP_S3_ACCESS_KEY"),
		S3SecretKey: get("PHONGHOP_S3_SECRET_KEY"), S3Bucket: get("PHONGHOP_S3_BUCKET"),
		S3Region: get("PHONGHOP_S3_REGION"), S3Secure: boolOf("PHONGHOP_S3_SECURE"),
		NATSURL: get("PHONGHOP_NATS_URL"), AdminPassword: raw("PHONGHOP_ADMIN_PASSWORD"),
		DocumentLimit: intOf("PHONGHOP_DOCUMENT_LIMIT"), SpoolDir: get("PHONGHOP_SPOOL_DIR"), SessionTTL: durOf("PHONGHOP_SESSION_TTL"),
		ShutdownTimeout: durOf("PHONGHOP_SHUTDOWN_TIMEOUT"), SecureCookies: boolOf("PHONGHOP_SECURE_COOKIES"),
		LogLevel: get("PHONGHOP_LOG_LEVEL"), LogFormat: get("PHONGHOP_LOG_FORMAT"),
		SignCert: get("PHONGHOP_SIGN_CERT"), SignKey: get("PHONGHOP_SIGN_KEY"),
		LiveBuffer: int(intOf("PHONGHOP_LIVE_BUFFER")), PublicURL: get("PHONGHOP_PUBLIC_URL"),
		BcryptCost: int(intOf("PHONGHOP_BCRYPT_COST")), NATSReplicas: int(intOf("PHONGHOP_NATS_REPLICAS")),
		Soffice: get("PHONGHOP_SOFFICE"), ConvertWorkers: int(intOf("PHONGHOP_CONVERT_WORKERS")),
		ConvertTimeout: durOf("PHONGHOP_CONVERT_TIMEOUT"),
		BodyTimeout:    durOf("PHONGHOP_BODY_TIMEOUT"), UploadMinRate: intOf("PHONGHOP_UPLOAD_MIN_RATE"),
		args:       fs.Args(),
		OIDCIssuer: get("PHONGHOP_OIDC_ISSUER"), OIDCClientID: get("PHONGHOP_OIDC_CLIENT_ID"),
		OIDCClientSecret: get("PHONGHOP_OIDC_CLIENT_SECRET"), OIDCUserClaim: get("PHONGHOP_OIDC_USER_CLAIM"),
		OIDCGroupsClaim: get("PHONGHOP_OIDC_GROUPS_CLAIM"), OIDCAdminGroup: get("PHONGHOP_OIDC_ADMIN_GROUP"),
		OIDCUnitPrefix: get("PHONGHOP_OIDC_UNIT_PREFIX"), OIDCPrompt: get("PHONGHOP_OIDC_PROMPT"), LocalLogin: boolOf("PHONGHOP_LOCAL_LOGIN"),
		OIDCLinkLocal: boolOf("PHONGHOP_OIDC_LINK_LOCAL"),
		AuditKey:      get("PHONGHOP_AUDIT_KEY"), AuditSignInterval: durOf("PHONGHOP_AUDIT_SIGN_INTERVAL"),
		AuditLog: boolOf("PHONGHOP_AUDIT_LOG"),
	}
	if a := get("PHONGHOP_PPROF_ADDR"); a != "" {
		if !loopbackAddr(a) {
			errs = append(errs, "PHONGHOP_PPROF_ADDR must be a loopback address like 127.0.0.1:6060 (the profiler shows the command line and memory)")
		} else {
			c.PprofAddr = a
		}
	}
	if n, err := strconv.Atoi(get("PHONGHOP_LIVE_SOCKETS_PER_USER")); err != nil || n < 0 {
		errs = append(errs, "PHONGHOP_LIVE_SOCKETS_PER_USER must be 0 (no limit) or a positive whole number")
	} else {
		c.LiveSocketsPerUser = n
	}
	if v := get("PHONGHOP_NATS_REMOVE_IDLE"); v != "0" {
		if d, err := time.ParseDuration(v); err != nil || d < time.Minute {
			errs = append(errs, "PHONGHOP_NATS_REMOVE_IDLE must be 0 or a duration of at least 1m like 1h")
		} else {
			c.NATSRemoveIdle = d
		}
	}
	for _, o := range strings.Split(get("PHONGHOP_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			o = strings.TrimSuffix(o, "/")
			// Compared with a browser's Origin header exactly: scheme and host
			// (and port), nothing else.
			if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
				errs = append(errs, "PHONGHOP_ALLOWED_ORIGINS: "+strconv.Quote(o)+" is not an origin like https://host[:port]")
				continue
			}
			c.AllowedOrigins = append(c.AllowedOrigins, strings.ToLower(o))
		}
	}
	for _, p := range strings.Split(get("PHONGHOP_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	if c.AdminPassword != "" {
		// Refused at start rather than creating an admin anyone can guess.
		if err := accounts.CheckPassword("admin", c.AdminPassword); err != nil {
			errs = append(errs, "PHONGHOP_ADMIN_PASSWORD is refused: "+phonghop.ErrorMessage(err)+
				fmt.Sprintf(" (at least %d characters, not containing \"admin\", not a common password)", accounts.MinPassword))
		}
	}
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		errs = append(errs, "PHONGHOP_BCRYPT_COST must be between 4 and 31")
	}
	if (c.SignCert == "") != (c.SignKey == "") {
		errs = append(errs, "PHONGHOP_SIGN_CERT and PHONGHOP_SIGN_KEY go together")
	}
	if c.S3Endpoint != "" && (c.S3AccessKey == "" || c.S3SecretKey == "") {
		errs = append(errs, "PHONGHOP_S3_ACCESS_KEY and PHONGHOP_S3_SECRET_KEY are required with PHONGHOP_S3_ENDPOINT")
	}
	if c.OIDCIssuer != "" && (c.OIDCClientID == "" || c.PublicURL == "") {
		errs = append(errs, "PHONGHOP_OIDC_CLIENT_ID and PHONGHOP_PUBLIC_URL are required with PHONGHOP_OIDC_ISSUER")
	}
	if c.OIDCIssuer != "" {
		// Discovery, the signing keys, the code, the client secret and the
		// tokens cross it: over plain http a neighbour on the network could
		// hand phonghop keys of its own and sign anyone in, admins included.
		if u, err := url.Parse(c.OIDCIssuer); err != nil || u.Host == "" ||
			!(u.Scheme == "https" || u.Scheme == "http" && loopbackAddr(net.JoinHostPort(u.Hostname(), "0"))) {
			errs = append(errs, "PHONGHOP_OIDC_ISSUER must be an https URL (http only on this machine: localhost, 127.0.0.1)")
		}
		if u, err := url.Parse(c.PublicURL); c.PublicURL != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") ||
			u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "") {
			errs = append(errs, "PHONGHOP_PUBLIC_URL must be a URL like https://host[:port] (the provider's callback and post-logout address are made from it)")
		}
	}
	switch c.OIDCPrompt {
	case "", "login", "select_account", "consent":
	default:
		errs = append(errs, "PHONGHOP_OIDC_PROMPT must be login, select_account, consent or empty")
	}
	if !c.LocalLogin && c.OIDCIssuer == "" {
		errs = append(errs, "PHONGHOP_LOCAL_LOGIN=false needs PHONGHOP_OIDC_ISSUER (nobody could sign in)")
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// printSettings writes the settings table (for `phonghop help` and the docs).
func printSettings(w io.Writer) { printTable(w, settings) }

func printTable(w io.Writer, list []setting) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENVIRONMENT\tFLAG\tDEFAULT\tMEANING")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t-%s\t%s\t%s\n", s.env, s.flag, s.def, s.usage)
	}
	tw.Flush()
}
