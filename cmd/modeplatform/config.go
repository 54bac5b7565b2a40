package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/modeplatform/modeplatform/internal/httpserver"
	"github.com/modeplatform/modeplatform/service"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// Defaults of the settings that have one.
const (
	defaultBaseURL       = "https://app.mode.com"
	defaultListen        = "127.0.0.1:8080"
	defaultAdminListen   = "127.0.0.1:9090"
	defaultCacheBytes    = 256 << 20
	defaultShutdownGrace = 25 * time.Second
	defaultUnaryTimeout  = service.DefaultUnaryTimeout

	defaultCreateTimeout         = service.DefaultCreateTimeout
	defaultUpstreamHeaderTimeout = httpserver.UpstreamResponseHeaderTimeout

	defaultUpstreamRPS         = 4 // Mode's own limit per credential
	defaultUpstreamConcurrency = 8 // requests in flight per credential
	defaultBreakerFailures     = 5 // consecutive failures that open the breaker
	defaultBreakerOpen         = 30 * time.Second
	// defaultCallerRPS is the ceiling on calls per second per caller, whatever they cost: a
	// runaway-client guard, not Mode's budget (which the upstream limits share fairly among the
	// callers waiting for it, per credential). A cache-hit GetReport costs a replica ~200-400 µs
	// of CPU, so one 2-core replica answers ~5-10k of them per second; 20,000/s (bursts of twice
	// that) sits above what a replica of a few cores can serve, so one caller's cache hits are
	// never refused by it, and still stops a client stuck in a loop on a big machine.
	defaultCallerRPS     = 20_000
	defaultCallerStreams = 32 // open server streams per caller
)

// Defaults of the stream settings (streamConfig).
const (
	defaultUpstreamStreams   = 16 // streamed result bodies open toward Mode per credential
	defaultStreamIdleTimeout = time.Minute
	defaultStreamMaxLifetime = time.Hour
	defaultResultMaxRow      = 3 << 20
	defaultResultMaxValue    = 1 << 20
)

// streamConfig is the settings of server streams (WatchReportRun, StreamQueryResults,
// ExportQueryResults) and of the Mode results they read.
type streamConfig struct {
	upstreamStreams int           // streamed result bodies open per credential, apart from upstreamConcurrency; < 0: no limit
	idleTimeout     time.Duration // how long one Send may wait for the caller to read
	maxLifetime     time.Duration // how long a stream may stay open
	maxRowBytes     int64         // the largest result row a row stream carries
	maxValueBytes   int64         // the largest value in it
}

// config is the server's settings: defaults, overridden by environment variables, overridden by
// flags.
type config struct {
	baseURL   string
	token     string // never logged
	secret    string // never logged
	workspace string // informational: the workspace callers are expected to use
	listen    string
	// adminListen serves /metrics and /debug/pprof/; "off" disables it. Keep it off the public
	// network: pprof shows the process's internals.
	adminListen string

	corsOrigins []string // nil: CORS disabled; ["*"]: any origin

	cacheEntries  int
	cacheBytes    int64
	shutdownGrace time.Duration
	unaryTimeout  time.Duration // 0: no default deadline
	// createTimeout bounds a create with a request_id, which runs detached from its caller.
	createTimeout time.Duration
	// upstreamHeaderTimeout bounds the wait for the headers of Mode's answer (not its body).
	upstreamHeaderTimeout time.Duration

	logLevel  slog.Level
	logFormat string // "json" or "text"

	// policy is the caller policy file (package auth); "" serves without caller authentication,
	// on loopback addresses only.
	policy string
	// credentials is the Mode credentials file (package upstream): workspace → token/secret.
	credentials string

	tlsCert, tlsKey string // serve TLS (HTTP/1.1 and HTTP/2) with this certificate and key
	clientCA        string // verify client certificates against these CAs (mTLS, optional per caller)

	upstreamRPS         float64       // requests per second toward Mode per credential
	upstreamBurst       int           // 0: ceil(upstreamRPS)
	upstreamConcurrency int           // requests in flight per credential
	breakerFailures     int           // consecutive failures that open the circuit breaker
	breakerOpen         time.Duration // how long it stays open before a probe

	callerRPS     float64 // calls per second per caller, cached or not (a ceiling); 0: no limit
	callerBurst   int     // 0: 2 × callerRPS
	callerStreams int     // open server streams per caller; 0: no limit

	streams streamConfig

	// redisURL is the Redis of the cache the replicas share (redis.go, package sharedcache); ""
	// keeps the cache per process. It may hold a password: never logged.
	redisURL string
}

// useEmulator reports whether the server runs the built-in Mode emulator (no credentials given).
func (c config) useEmulator() bool { return c.token == "" && c.secret == "" && c.credentials == "" }

// setting is one flag and its environment variable.
type setting struct {
	flag, env string
}

// settings pairs every flag with its environment variable, in help order.
var settings = []setting{
	{"mode-base-url", "MODE_BASE_URL"},
	{"mode-api-token", "MODE_API_TOKEN"},
	{"mode-api-secret", "MODE_API_SECRET"},
	{"mode-workspace", "MODE_WORKSPACE"},
	{"listen", "LISTEN_ADDR"},
	{"admin-listen", "ADMIN_ADDR"},
	{"cors-origins", "CORS_ORIGINS"},
	{"cache-entries", "CACHE_ENTRIES"},
	{"cache-bytes", "CACHE_BYTES"},
	{"shutdown-grace", "SHUTDOWN_GRACE"},
	{"unary-timeout", "UNARY_TIMEOUT"},
	{"create-timeout", "CREATE_TIMEOUT"},
	{"upstream-header-timeout", "MODE_RESPONSE_HEADER_TIMEOUT"},
	{"log-level", "LOG_LEVEL"},
	{"log-format", "LOG_FORMAT"},
	{"policy", "POLICY_FILE"},
	{"credentials", "MODE_CREDENTIALS_FILE"},
	{"tls-cert", "TLS_CERT"},
	{"tls-key", "TLS_KEY"},
	{"client-ca", "TLS_CLIENT_CA"},
	{"upstream-rps", "MODE_RATE_LIMIT"},
	{"upstream-burst", "MODE_RATE_BURST"},
	{"upstream-concurrency", "MODE_CONCURRENCY"},
	{"upstream-breaker-failures", "MODE_BREAKER_FAILURES"},
	{"upstream-breaker-open", "MODE_BREAKER_OPEN"},
	{"caller-rps", "CALLER_RATE_LIMIT"},
	{"caller-burst", "CALLER_RATE_BURST"},
	{"caller-streams", "CALLER_STREAMS"},
	{"redis-url", "REDIS_URL"},
	{"upstream-streams", "MODE_STREAMS"},
	{"stream-idle-timeout", "STREAM_IDLE_TIMEOUT"},
	{"stream-max-lifetime", "STREAM_MAX_LIFETIME"},
	{"result-max-row-bytes", "RESULT_MAX_ROW_BYTES"},
	{"result-max-value-bytes", "RESULT_MAX_VALUE_BYTES"},
}

// envFor returns the environment variable of a flag.
func envFor(flagName string) string {
	for _, s := range settings {
		if s.flag == flagName {
			return s.env
		}
	}
	return ""
}

// parseConfig reads flags over environment variables over defaults. Help and flag errors go to
// stderr; -h answers flag.ErrHelp.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	c := config{
		baseURL:       defaultBaseURL,
		listen:        defaultListen,
		adminListen:   defaultAdminListen,
		cacheEntries:  cache.DefaultMaxEntries,
		cacheBytes:    defaultCacheBytes,
		shutdownGrace: defaultShutdownGrace,
		unaryTimeout:  defaultUnaryTimeout,

		createTimeout:         defaultCreateTimeout,
		upstreamHeaderTimeout: defaultUpstreamHeaderTimeout,
		logLevel:              slog.LevelInfo,
		logFormat:             "json",

		upstreamRPS:         defaultUpstreamRPS,
		upstreamConcurrency: defaultUpstreamConcurrency,
		breakerFailures:     defaultBreakerFailures,
		breakerOpen:         defaultBreakerOpen,
		callerRPS:           defaultCallerRPS,
		callerStreams:       defaultCallerStreams,

		streams: defaultStreamConfig(),
	}
	var corsOrigins string
	cacheBytes := byteSize(c.cacheBytes)
	maxRowBytes, maxValueBytes := byteSize(c.streams.maxRowBytes), byteSize(c.streams.maxValueBytes)

	fs := flag.NewFlagSet("modeplatform", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// The flags' defaults are the built-in ones, never an environment variable's value: -h must
	// not print a secret from the environment.
	fs.StringVar(&c.baseURL, "mode-base-url", c.baseURL, "Mode's base URL; the API is under /api/ on it")
	fs.StringVar(&c.token, "mode-api-token", "", "Mode API token; without a token and secret the built-in emulator is served (prefer the environment variable: flags show in process lists)")
	fs.StringVar(&c.secret, "mode-api-secret", "", "Mode API secret (prefer the environment variable)")
	fs.StringVar(&c.workspace, "mode-workspace", "", "default Mode workspace, informational (the emulator's is parch_and_posey)")
	fs.StringVar(&c.listen, "listen", c.listen, "address to serve gRPC, Connect and gRPC-Web on (HTTP/1.1 and h2c)")
	fs.StringVar(&c.adminListen, "admin-listen", c.adminListen, `address of the admin listener (/metrics, /debug/pprof/); "off" disables it; keep it private`)
	fs.StringVar(&corsOrigins, "cors-origins", "", `comma-separated browser origins allowed by CORS, e.g. "https://app.example.com"; "*" allows any; empty disables CORS`)
	fs.IntVar(&c.cacheEntries, "cache-entries", c.cacheEntries, "most entries in the Mode response cache")
	fs.Var(&cacheBytes, "cache-bytes", "most memory of the Mode response cache: a `size` in bytes or with a unit (\"256MiB\", \"1GiB\", \"500MB\")")
	fs.DurationVar(&c.shutdownGrace, "shutdown-grace", c.shutdownGrace, "how long in-flight calls may take to finish after SIGTERM")
	fs.DurationVar(&c.unaryTimeout, "unary-timeout", c.unaryTimeout, "deadline of a unary call whose caller set none (0: none); streams are exempt")
	fs.DurationVar(&c.createTimeout, "create-timeout", c.createTimeout, "deadline of a create with a request_id (RunReport, CloneReportRun, …), which runs on even if its caller goes away")
	fs.DurationVar(&c.upstreamHeaderTimeout, "upstream-header-timeout", c.upstreamHeaderTimeout, "how long Mode may take to start answering a request (status and headers); a body, such as a long result download, is not bounded by it")
	fs.TextVar(&c.logLevel, "log-level", c.logLevel, "log `level`: debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", c.logFormat, "log format: json or text")
	fs.StringVar(&c.policy, "policy", "", "caller policy `file` (YAML: callers, SHA-256 key hashes, workspaces, scopes); reloaded on SIGHUP and when it changes; without it the server trusts every caller and listens on loopback only")
	fs.StringVar(&c.credentials, "credentials", "", "Mode credentials `file` (YAML: workspace → token/secret or *_env variables); MODE_API_TOKEN/SECRET, if set, serve the other workspaces")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "serve TLS with this certificate `file` (PEM; with --tls-key); reloaded on SIGHUP")
	fs.StringVar(&c.tlsKey, "tls-key", "", "private key `file` of --tls-cert (PEM)")
	fs.StringVar(&c.clientCA, "client-ca", "", "verify client certificates against these CAs (PEM `file`); callers may then authenticate with a certificate named in the policy")
	fs.Float64Var(&c.upstreamRPS, "upstream-rps", c.upstreamRPS, "requests per second toward Mode per credential, retries included (Mode allows about 4); negative: no limit")
	fs.IntVar(&c.upstreamBurst, "upstream-burst", 0, "requests toward Mode that may go at once after a quiet spell (0: the rate, rounded up)")
	fs.IntVar(&c.upstreamConcurrency, "upstream-concurrency", c.upstreamConcurrency, "requests in flight toward Mode per credential; negative: no limit")
	fs.IntVar(&c.breakerFailures, "upstream-breaker-failures", c.breakerFailures, "consecutive Mode failures (5xx, connection errors) that open the circuit breaker")
	fs.DurationVar(&c.breakerOpen, "upstream-breaker-open", c.breakerOpen, "how long the open circuit breaker fails calls fast before it lets one probe through")
	fs.Float64Var(&c.callerRPS, "caller-rps", c.callerRPS, "ceiling on calls per second per caller (the policy's caller, else the peer address), cache hits included: a guard against runaway clients; Mode's budget is shared among callers by --upstream-rps; 0: no limit")
	fs.IntVar(&c.callerBurst, "caller-burst", 0, "calls a caller may make at once after idling (0: twice --caller-rps)")
	fs.IntVar(&c.callerStreams, "caller-streams", c.callerStreams, "server streams a caller may hold open at once; 0: no limit")
	fs.StringVar(&c.redisURL, "redis-url", "", "`URL` of the Redis the replicas share their cache, fetches, invalidations and Mode rate limit through (redis://[:password@]host:port/db, rediss:// for TLS); empty: each replica on its own (prefer the environment variable: flags show in process lists)")
	// Streams.
	fs.IntVar(&c.streams.upstreamStreams, "upstream-streams", c.streams.upstreamStreams, "query results read from Mode at once per credential (exports and row streams), apart from --upstream-concurrency; negative: no limit")
	fs.DurationVar(&c.streams.idleTimeout, "stream-idle-timeout", c.streams.idleTimeout, "how long a server stream waits for a caller that stopped reading before it resets the stream")
	fs.DurationVar(&c.streams.maxLifetime, "stream-max-lifetime", c.streams.maxLifetime, "how long a server stream may stay open; then it ends with Unavailable and the offset to resume from")
	fs.Var(&maxRowBytes, "result-max-row-bytes", "largest result row StreamQueryResults carries, a `size` (at most 3.5MiB; larger rows: use ExportQueryResults)")
	fs.Var(&maxValueBytes, "result-max-value-bytes", "largest value in a row StreamQueryResults carries, a `size`")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: modeplatform [flags]\n\n"+
			"Serves the modeplatform.v1 API (gRPC, Connect, gRPC-Web) over Mode's REST API.\n"+
			"Each flag has an environment variable (shown); a flag wins over its variable.\n\n")
		fs.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(fs.Output(), "  --%s %s\t(env %s)\n    \t%s", f.Name, name, envFor(f.Name), usage)
			if f.DefValue != "" && f.DefValue != "0" {
				fmt.Fprintf(fs.Output(), " (default %s)", f.DefValue)
			}
			fmt.Fprintln(fs.Output())
		})
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}

	// Environment variables fill in the flags that were not given.
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, s := range settings {
		if given[s.flag] {
			continue
		}
		v := getenv(s.env)
		if v == "" {
			continue
		}
		if err := fs.Set(s.flag, v); err != nil {
			if s.env == "MODE_API_TOKEN" || s.env == "MODE_API_SECRET" {
				return c, fmt.Errorf("invalid %s", s.env) // never echo a secret (string flags cannot fail, but still)
			}
			return c, fmt.Errorf("invalid %s %q: %w", s.env, v, err)
		}
	}
	c.cacheBytes = int64(cacheBytes)
	c.streams.maxRowBytes, c.streams.maxValueBytes = int64(maxRowBytes), int64(maxValueBytes)

	var err error
	if c.corsOrigins, err = parseOrigins(corsOrigins); err != nil {
		return c, err
	}
	return c, c.validate()
}

// validate checks the settings together. Its messages name the setting, never a secret's value.
func (c config) validate() error {
	var errs []error
	switch {
	case c.token != "" && c.secret == "":
		errs = append(errs, errors.New("MODE_API_TOKEN (--mode-api-token) is set but MODE_API_SECRET (--mode-api-secret) is not: Mode needs both; unset both to serve the built-in emulator"))
	case c.token == "" && c.secret != "":
		errs = append(errs, errors.New("MODE_API_SECRET (--mode-api-secret) is set but MODE_API_TOKEN (--mode-api-token) is not: Mode needs both; unset both to serve the built-in emulator"))
	}
	if c.policy == "" && c.listen != "" && !loopback(c.listen) {
		errs = append(errs, fmt.Errorf("refusing to listen on %s without a caller policy: anyone who reaches that address could use this server's Mode credentials; "+
			"give POLICY_FILE (--policy) to authenticate callers, or listen on a loopback address such as %s", c.listen, defaultListen))
	}
	switch {
	case (c.tlsCert == "") != (c.tlsKey == ""):
		errs = append(errs, errors.New("TLS_CERT (--tls-cert) and TLS_KEY (--tls-key) go together: give both or neither"))
	case c.clientCA != "" && c.tlsCert == "":
		errs = append(errs, errors.New("TLS_CLIENT_CA (--client-ca) needs TLS: give TLS_CERT (--tls-cert) and TLS_KEY (--tls-key)"))
	}
	if math.IsNaN(c.upstreamRPS) || math.IsInf(c.upstreamRPS, 0) || c.upstreamRPS == 0 {
		errs = append(errs, fmt.Errorf("MODE_RATE_LIMIT (--upstream-rps) must be a positive rate (or negative for none), not %v", c.upstreamRPS))
	}
	if c.upstreamBurst < 0 || c.callerBurst < 0 || c.callerStreams < 0 {
		errs = append(errs, errors.New("MODE_RATE_BURST, CALLER_RATE_BURST and CALLER_STREAMS must not be negative"))
	}
	if c.upstreamConcurrency == 0 {
		errs = append(errs, errors.New("MODE_CONCURRENCY (--upstream-concurrency) must be positive (or negative for no limit)"))
	}
	if c.breakerFailures <= 0 || c.breakerOpen <= 0 {
		errs = append(errs, errors.New("MODE_BREAKER_FAILURES and MODE_BREAKER_OPEN must be positive"))
	}
	if math.IsNaN(c.callerRPS) || math.IsInf(c.callerRPS, 0) || c.callerRPS < 0 {
		errs = append(errs, fmt.Errorf("CALLER_RATE_LIMIT (--caller-rps) must be 0 (no limit) or positive, not %v", c.callerRPS))
	}
	if err := checkBaseURL(c.baseURL); err != nil {
		errs = append(errs, err)
	}
	if c.listen == "" {
		errs = append(errs, errors.New("LISTEN_ADDR (--listen) is empty"))
	}
	if c.adminListen == "" {
		errs = append(errs, errors.New(`ADMIN_ADDR (--admin-listen) is empty: give an address or "off"`))
	}
	if c.cacheEntries <= 0 {
		errs = append(errs, fmt.Errorf("CACHE_ENTRIES (--cache-entries) must be positive, not %d", c.cacheEntries))
	}
	if c.cacheBytes <= 0 {
		errs = append(errs, fmt.Errorf("CACHE_BYTES (--cache-bytes) must be positive, not %d", c.cacheBytes))
	}
	if c.shutdownGrace < 0 {
		errs = append(errs, fmt.Errorf("SHUTDOWN_GRACE (--shutdown-grace) must not be negative, not %v", c.shutdownGrace))
	}
	if c.unaryTimeout < 0 {
		errs = append(errs, fmt.Errorf("UNARY_TIMEOUT (--unary-timeout) must not be negative, not %v", c.unaryTimeout))
	}
	if c.createTimeout <= 0 {
		errs = append(errs, fmt.Errorf("CREATE_TIMEOUT (--create-timeout) must be positive, not %v", c.createTimeout))
	}
	if c.upstreamHeaderTimeout <= 0 {
		errs = append(errs, fmt.Errorf("MODE_RESPONSE_HEADER_TIMEOUT (--upstream-header-timeout) must be positive, not %v", c.upstreamHeaderTimeout))
	}
	if c.logFormat != "json" && c.logFormat != "text" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT (--log-format) must be json or text, not %q", c.logFormat))
	}
	if err := redisURLError(c.redisURL); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.streams.validate()...)
	return errors.Join(errs...)
}

// defaultStreamConfig is the stream settings' defaults.
func defaultStreamConfig() streamConfig {
	return streamConfig{
		upstreamStreams: defaultUpstreamStreams,
		idleTimeout:     defaultStreamIdleTimeout,
		maxLifetime:     defaultStreamMaxLifetime,
		maxRowBytes:     defaultResultMaxRow,
		maxValueBytes:   defaultResultMaxValue,
	}
}

// validate checks the stream settings.
func (s streamConfig) validate() []error {
	var errs []error
	if s.upstreamStreams == 0 {
		errs = append(errs, errors.New("MODE_STREAMS (--upstream-streams) must be positive (or negative for no limit)"))
	}
	if s.idleTimeout <= 0 || s.maxLifetime <= 0 {
		errs = append(errs, errors.New("STREAM_IDLE_TIMEOUT (--stream-idle-timeout) and STREAM_MAX_LIFETIME (--stream-max-lifetime) must be positive"))
	}
	if s.maxRowBytes <= 0 || s.maxRowBytes > service.MaxStreamMessageBytes {
		errs = append(errs, fmt.Errorf("RESULT_MAX_ROW_BYTES (--result-max-row-bytes) must be between 1 and %d (3.5MiB: gRPC clients read messages up to 4MiB), not %d", service.MaxStreamMessageBytes, s.maxRowBytes))
	}
	if s.maxValueBytes <= 0 || s.maxValueBytes > s.maxRowBytes {
		errs = append(errs, fmt.Errorf("RESULT_MAX_VALUE_BYTES (--result-max-value-bytes) must be positive and at most RESULT_MAX_ROW_BYTES, not %d", s.maxValueBytes))
	}
	return errs
}

// loopback reports whether a listen address binds a loopback interface only: localhost or a
// loopback IP. An empty host (all interfaces) and other names are not.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkBaseURL accepts an http(s) URL with a host and no credentials, query or fragment. The URL
// is never quoted in the error: a mistaken one may carry a secret.
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("MODE_BASE_URL (--mode-base-url) does not parse as a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("MODE_BASE_URL (--mode-base-url) must be an http or https URL")
	case u.Host == "":
		return errors.New("MODE_BASE_URL (--mode-base-url) has no host")
	case u.User != nil:
		return errors.New("MODE_BASE_URL (--mode-base-url) must not carry credentials: use MODE_API_TOKEN and MODE_API_SECRET")
	case u.RawQuery != "" || u.Fragment != "":
		return errors.New("MODE_BASE_URL (--mode-base-url) must not have a query or fragment")
	}
	return nil
}

// baseURLHost is the scheme and host of a checked base URL, for logs.
func baseURLHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// parseOrigins reads a comma-separated origin list. "*" anywhere allows any origin. An origin is
// scheme://host[:port] (rs/cors also takes one "*" inside, e.g. https://*.example.com); a path or
// trailing slash is refused because browsers never send one, so it would never match.
func parseOrigins(s string) ([]string, error) {
	var out []string
	for o := range strings.SplitSeq(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o == "*" {
			return []string{"*"}, nil
		}
		scheme, rest, ok := strings.Cut(o, "://")
		if !ok || (scheme != "http" && scheme != "https") || rest == "" || strings.ContainsAny(rest, "/?#@ ") {
			return nil, fmt.Errorf("CORS_ORIGINS (--cors-origins): %q is not an origin like https://app.example.com", o)
		}
		out = append(out, strings.ToLower(o))
	}
	return out, nil
}

// byteSize is a flag.Value of bytes: a number with an optional unit (B, KB, MB, GB, KiB, MiB,
// GiB; case-insensitive).
type byteSize int64

// String formats the size with the largest binary unit that divides it.
func (b *byteSize) String() string {
	n := int64(*b)
	switch {
	case n != 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n != 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n != 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}

// Set parses a size such as "256MiB", "500MB" or "1048576".
func (b *byteSize) Set(s string) error {
	units := []struct {
		suffix string
		mult   int64
	}{
		{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"b", 1},
	}
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range units {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("not a size in bytes (try 256MiB)")
	}
	*b = byteSize(n * mult)
	return nil
}
