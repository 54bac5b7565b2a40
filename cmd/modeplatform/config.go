package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// Defaults of the settings that have one.
const (
	defaultBaseURL       = "https://app.mode.com"
	defaultListen        = "127.0.0.1:8080"
	defaultAdminListen   = "127.0.0.1:9090"
	defaultCacheBytes    = 256 << 20
	defaultShutdownGrace = 25 * time.Second
	defaultUnaryTimeout  = 60 * time.Second
)

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

	logLevel  slog.Level
	logFormat string // "json" or "text"
}

// useEmulator reports whether the server runs the built-in Mode emulator (no credentials given).
func (c config) useEmulator() bool { return c.token == "" && c.secret == "" }

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
	{"log-level", "LOG_LEVEL"},
	{"log-format", "LOG_FORMAT"},
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
		logLevel:      slog.LevelInfo,
		logFormat:     "json",
	}
	var corsOrigins string
	cacheBytes := byteSize(c.cacheBytes)

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
	fs.TextVar(&c.logLevel, "log-level", c.logLevel, "log `level`: debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", c.logFormat, "log format: json or text")
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
	if c.logFormat != "json" && c.logFormat != "text" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT (--log-format) must be json or text, not %q", c.logFormat))
	}
	return errors.Join(errs...)
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
