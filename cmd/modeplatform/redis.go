package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"time"

	"connectrpc.com/grpchealth"
	"github.com/redis/go-redis/v9"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/service"
	"github.com/modeplatform/modeplatform/sharedcache"
	"github.com/modeplatform/modeplatform/upstream"
)

// sharedCacheHealth is the gRPC health service that reports the shared cache: SERVING while
// Redis answers, NOT_SERVING while the replicas fall back to their own caches. The server's
// overall health ("") does not depend on it: a replica serves without Redis.
const sharedCacheHealth = "modeplatform.sharedcache"

// subscribeWait bounds how long start-up waits for the invalidation subscription.
const subscribeWait = 2 * time.Second

// sharedCache is the Redis level of the response cache (package sharedcache), with REDIS_URL:
// the replicas' shared entries, cross-replica coalescing and invalidation, and one rate limit
// toward Mode for all of them. Without REDIS_URL every method does nothing.
type sharedCache struct {
	l2    *sharedcache.L2
	limit *sharedcache.Limiter

	mu     sync.Mutex
	health *grpchealth.StaticChecker
	up     bool
}

// redisURLError checks REDIS_URL without echoing it (it may hold a password).
func redisURLError(raw string) error {
	if raw == "" {
		return nil
	}
	if _, err := redis.ParseURL(raw); err != nil {
		return errors.New("REDIS_URL (--redis-url) is not a redis:// or rediss:// URL")
	}
	return nil
}

// startSharedCache puts the Redis level behind ch when cfg.redisURL is set. Its keys name each
// of up's credentials by sharedcache.CredentialID, the same in every replica; Redis being
// unreachable is logged, not an error.
func startSharedCache(cfg config, ch *cache.Cache, up modeTarget, logger *slog.Logger) (*sharedCache, error) {
	s := &sharedCache{up: true}
	if cfg.redisURL == "" {
		return s, nil
	}
	redisLoggerOnce.Do(func() { redis.SetLogger(redisLogger{logger.With("component", "redis")}) })
	ids := map[string]string{}
	for _, c := range append([]modeclient.Credential{up.cred}, credentialsOf(up.workspaces)...) {
		if c.Token != "" && c.Secret != "" {
			ids[c.Fingerprint()] = sharedcache.CredentialID(c.Token, c.Secret)
		}
	}
	l2, err := sharedcache.New(sharedcache.Options{
		URL:         cfg.redisURL,
		Credentials: func(fp string) (string, bool) { id, ok := ids[fp]; return id, ok },
		Logger:      logger,
		OnHealth:    s.setUp,
	})
	if err != nil {
		return nil, err
	}
	s.l2 = l2
	l2.Start(ch, subscribeWait)
	ch.SetShared(l2)
	if rps := cfg.upstreamRPS; rps >= 0 {
		if rps == 0 {
			rps = upstream.DefaultRPS
		}
		burst := cfg.upstreamBurst
		if burst <= 0 {
			burst = max(1, int(math.Ceil(rps)))
		}
		if s.limit, err = l2.NewLimiter(rps, burst, nil); err != nil {
			_ = l2.Close()
			return nil, err
		}
	}
	logger.Info("shared cache on Redis: the replicas share entries, fetches, invalidations and the rate limit toward Mode",
		"redis", redactedRedis(cfg.redisURL), "credentials", len(ids), "subscribed", l2.Stats().Subscribed)
	return s, nil
}

// credentialsOf lists the per-workspace credentials.
func credentialsOf(ws upstream.Credentials) []modeclient.Credential {
	out := make([]modeclient.Credential, 0, len(ws))
	for _, c := range ws {
		out = append(out, c)
	}
	return out
}

// redactedRedis is the Redis URL's host, for logs.
func redactedRedis(raw string) string {
	o, err := redis.ParseURL(raw)
	if err != nil {
		return ""
	}
	return o.Addr
}

// close detaches nothing (the cache closes after it) and stops the L2's background work.
func (s *sharedCache) close() {
	if s.l2 != nil {
		_ = s.l2.Close()
	}
}

// reportHealth publishes Redis's state as the health of sharedCacheHealth from now on.
func (s *sharedCache) reportHealth(h *grpchealth.StaticChecker) {
	if s.l2 == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.health = h
	s.publishLocked()
}

// setUp is the L2's OnHealth.
func (s *sharedCache) setUp(up bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.up = up
	s.publishLocked()
}

func (s *sharedCache) publishLocked() {
	if s.health == nil {
		return
	}
	status := grpchealth.StatusServing
	if !s.up {
		status = grpchealth.StatusNotServing
	}
	s.health.SetStatus(sharedCacheHealth, status)
}

// wrapTransport puts the shared rate limit under each credential's transport (below its local
// guard, above wrap, e.g. telemetry's): every request to Mode, from any replica, waits for the
// credential's shared budget. While Redis is down only the local guard limits.
func (s *sharedCache) wrapTransport(wrap func(http.RoundTripper) http.RoundTripper) func(http.RoundTripper) http.RoundTripper {
	if s.limit == nil {
		return wrap
	}
	return func(next http.RoundTripper) http.RoundTripper {
		if wrap != nil {
			next = wrap(next)
		}
		return &sharedLimitTransport{next: next, limit: s.limit}
	}
}

// sharedLimitTransport waits for the shared rate limit of the request's credential.
type sharedLimitTransport struct {
	next  http.RoundTripper
	limit *sharedcache.Limiter
}

// RoundTrip implements http.RoundTripper. A wait past the request's deadline is refused at once
// as not sent, so modeclient does not retry it and the caller gets Unavailable with RetryInfo.
func (t *sharedLimitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	token, secret, ok := req.BasicAuth()
	if ok {
		if err := t.limit.Wait(req.Context(), sharedcache.CredentialID(token, secret)); err != nil {
			if req.Body != nil {
				_ = req.Body.Close()
			}
			var de *sharedcache.DeadlineError
			if errors.As(err, &de) {
				return nil, &modeclient.NotSentError{Reason: modeclient.NotSentRateLimited, RetryAfter: de.Wait}
			}
			return nil, err
		}
	}
	return t.next.RoundTrip(req)
}

var redisLoggerOnce sync.Once

// redisLogger sends go-redis's own messages (reconnections, pool errors) to the server's log at
// debug level: the shared cache already logs Redis's failures, rate-limited.
type redisLogger struct{ log *slog.Logger }

// Printf implements go-redis's internal logging interface.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...))
}

// requestIDStore shares the creates' request_id records among the replicas through Redis
// (service.Options.RequestIDStore); nil without REDIS_URL.
func (s *sharedCache) requestIDStore() service.RequestIDStore {
	if s.l2 == nil {
		return nil
	}
	return requestIDStore{s.l2}
}

// requestIDStore adapts the L2's request records to service.RequestIDStore (service and
// sharedcache know nothing of each other).
type requestIDStore struct{ l2 *sharedcache.L2 }

// Claim implements service.RequestIDStore.
func (r requestIDStore) Claim(ctx context.Context, key, fingerprint string, window time.Duration) (service.RequestIDRecord, error) {
	rec, err := r.l2.ClaimRequest(ctx, key, fingerprint, window)
	return requestIDRecord(rec), err
}

// Complete implements service.RequestIDStore.
func (r requestIDStore) Complete(ctx context.Context, key, token, fingerprint string, outcome []byte, window time.Duration) error {
	return r.l2.CompleteRequest(ctx, key, token, fingerprint, outcome, window)
}

// Release implements service.RequestIDStore.
func (r requestIDStore) Release(ctx context.Context, key, token string) error {
	return r.l2.ReleaseRequest(ctx, key, token)
}

// Await implements service.RequestIDStore.
func (r requestIDStore) Await(ctx context.Context, key string) (service.RequestIDRecord, error) {
	rec, err := r.l2.AwaitRequest(ctx, key)
	return requestIDRecord(rec), err
}

// requestIDRecord converts a record.
func requestIDRecord(r sharedcache.RequestRecord) service.RequestIDRecord {
	var st service.RequestIDState
	switch r.State {
	case sharedcache.RecordClaimed:
		st = service.RequestIDClaimed
	case sharedcache.RecordPending:
		st = service.RequestIDPending
	case sharedcache.RecordDone:
		st = service.RequestIDDone
	case sharedcache.RecordAbandoned:
		st = service.RequestIDAbandoned
	}
	return service.RequestIDRecord{State: st, Fingerprint: r.Fingerprint, Outcome: r.Outcome, Token: r.Token}
}
