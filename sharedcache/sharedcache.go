// Package sharedcache is the second level of modeplatform's response cache: one Redis shared by
// every replica, behind each replica's in-process LRU (package modeclient/cache, through its
// Shared extension point), so that the replicas behave as one cache toward Mode:
//
//   - Keys are isolated exactly as in the LRU: (credential, method, path, query), where the
//     credential is CredentialID, a hash that every replica computes alike from the Mode token
//     and secret (modeclient's fingerprint is keyed per process). A credential the L2 has no ID
//     for is served from the LRU and Mode only.
//   - Entries keep their TTL from the fetch (the LRU gets what is left of it) and their tags.
//     Tag invalidation is shared: an invalidation advances a sequence number in Redis and stamps
//     each tag's marker with it; an entry is fresh while none of its tags' markers is newer than
//     the sequence its fetch began at. The same script publishes the invalidation, every replica
//     applies it to its LRU and acknowledges it, and the writer waits (briefly, bounded by
//     Options.AckTimeout) for those acknowledgements, so a write through one replica is seen
//     fresh through the others as soon as it returns.
//   - Concurrent misses of one key on different replicas make one upstream call: the first takes
//     a short lock in Redis (SET NX PX, kept alive while its fetch runs, expiring if its holder
//     dies), the others wait for its "fill" notification (with polling as a fallback) and read
//     the stored entry, or the fetch's result kept briefly for them when it may not be cached.
//   - Limiter shares a rate limit (GCRA) among the replicas through the same Redis.
//   - Request records (ClaimRequest and the methods beside it) let the replicas de-duplicate
//     creates by request id together: one claims and creates, the others answer its outcome.
//     Each replica keeps the records it knows and restores them should Redis restart empty
//     (requestreplay.go).
//
// Redis down never fails a request: every operation has a short timeout, a failure makes the L2
// step aside for Options.RetryAfter (requests go to the LRU and Mode, as without Redis), the
// failure is logged (rate-limited) and counted, Stats and the metrics report it, and
// Options.OnHealth hears of each change. While Redis is down replicas cannot see each other's
// invalidations: their LRU entries then age out on their TTL. When Redis (or the subscription)
// is back, the replica drops its whole LRU, whose entries may have missed invalidations, and
// replays to the others the invalidations it could not send (reconnect.go).
package sharedcache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// Defaults of the zero Options fields.
const (
	DefaultLockTTL       = 5 * time.Second
	DefaultPollInterval  = 100 * time.Millisecond
	DefaultAckTimeout    = 500 * time.Millisecond
	DefaultOpTimeout     = 250 * time.Millisecond
	DefaultRetryAfter    = time.Second
	DefaultResultTTL     = 5 * time.Second
	DefaultMaxEntryBytes = 4 << 20
	// minMarkerTTL keeps an invalidation's markers at least this long for fetches in flight.
	minMarkerTTL = time.Minute
	// logEvery spaces the repeated "Redis is down" log records.
	logEvery = 30 * time.Second
)

// Options configures an L2. Zero fields take the defaults above.
type Options struct {
	// URL is the Redis URL: redis://[[user]:password@]host:port[/db] or rediss:// for TLS.
	URL string
	// Namespace prefixes every key and channel (default DefaultNamespace), so that several
	// deployments can share one Redis without sharing entries.
	Namespace string
	// Credentials maps the Credential of a cache.Key (the per-process fingerprint) to the
	// credential's shared ID (see CredentialID). Keys whose credential it does not know (or a
	// nil Credentials) bypass the L2.
	Credentials func(fingerprint string) (id string, ok bool)

	LockTTL       time.Duration // how long a fetch's lock outlives its holder (refreshed while it runs)
	PollInterval  time.Duration // how often a waiting replica looks, should a notification be lost
	AckTimeout    time.Duration // how long Invalidate waits for the other replicas to apply it
	OpTimeout     time.Duration // bound of one Redis operation
	RetryAfter    time.Duration // how long the L2 steps aside after Redis failed
	ResultTTL     time.Duration // how long an uncacheable result is kept for the waiting replicas
	MaxEntryBytes int           // larger bodies are not put in Redis
	RequestLease  time.Duration // how long a create's claim of a request record outlives its owner (requests.go)
	// RequestReplayGrace is how long, after a replica found that Redis lost the request
	// records, claims that would create are refused while the replicas restore theirs
	// (requestreplay.go).
	RequestReplayGrace time.Duration
	// RequestRecordsKept bounds the request records a replica keeps in memory to restore.
	RequestRecordsKept int

	// Logger receives the L2's own records (default slog.Default()).
	Logger *slog.Logger
	// OnHealth, if set, is called with false when Redis becomes unreachable and with true when it
	// is reachable again (e.g. to set a gRPC health status). It must not block.
	OnHealth func(up bool)
	// MeterProvider receives the L2's metrics (default: the global one, otel.GetMeterProvider).
	MeterProvider metric.MeterProvider
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.LockTTL, DefaultLockTTL)
	def(&o.PollInterval, DefaultPollInterval)
	def(&o.AckTimeout, DefaultAckTimeout)
	def(&o.OpTimeout, DefaultOpTimeout)
	def(&o.RetryAfter, DefaultRetryAfter)
	def(&o.ResultTTL, DefaultResultTTL)
	def(&o.RequestLease, DefaultRequestLease)
	def(&o.RequestReplayGrace, DefaultRequestReplayGrace)
	if o.RequestRecordsKept <= 0 {
		o.RequestRecordsKept = DefaultRequestRecordsKept
	}
	if o.MaxEntryBytes <= 0 {
		o.MaxEntryBytes = DefaultMaxEntryBytes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MeterProvider == nil {
		o.MeterProvider = otel.GetMeterProvider()
	}
	return o
}

// Local is the replica's own cache, which the L2 tells about the other replicas'
// invalidations. *cache.Cache implements it.
type Local interface {
	// InvalidateLocal applies another replica's invalidation.
	InvalidateLocal(tags ...string)
	// PurgeLocal drops every entry: the L2 calls it when it may have missed invalidations
	// (Redis or the subscription came back after an outage).
	PurgeLocal()
}

// L2 is the Redis level shared by the replicas. It implements cache.Shared: install it with
// (*cache.Cache).SetShared after Start. It is safe for concurrent use.
type L2 struct {
	opts    Options
	rdb     *redis.Client
	keys    keyspace
	replica string // this process's random ID, the origin of its invalidations

	local atomic.Pointer[localBox]

	mu       sync.Mutex
	watchers map[string]map[chan struct{}]struct{} // entry ID -> fill notifications
	acks     map[uint64]*ackWait                   // invalidation ID -> acknowledgements
	leases   map[string]chan struct{}              // request claim token -> stop renewing its lease
	ps       *redis.PubSub                         // the subscription, once started
	msgSeq   atomic.Uint64

	ctx       context.Context // background work; cancelled by Close
	stop      context.CancelFunc
	wg        sync.WaitGroup
	started   atomic.Bool
	closeOnce sync.Once
	metricReg metric.Registration

	// health
	downUntil  atomic.Int64 // unix nanoseconds before which Redis is not tried
	up         atomic.Bool
	lastLog    atomic.Int64
	suppressed atomic.Uint64
	subscribed atomic.Bool

	// invalidations this replica could not send while Redis was down, replayed when it is back
	// (reconnect.go)
	pendingMu       sync.Mutex
	pending         map[string]struct{}
	pendingOverflow bool
	replaying       atomic.Bool

	// request records this replica knows, and the epoch of Redis's it last synchronised with,
	// to restore them when Redis lost them (requestreplay.go)
	kept    *lru.Cache[string, keptRecord]
	epoch   atomic.Value // string
	syncing atomic.Bool

	st counters
}

type localBox struct{ Local }

var _ cache.Shared = (*L2)(nil)

// New returns an L2 for the Redis at opts.URL. It does not connect: Start does, and Redis being
// unreachable then is not an error (the L2 steps aside until it is back). It fails only on
// settings that cannot work, such as a malformed URL.
func New(opts Options) (*L2, error) {
	o := opts.withDefaults()
	ro, err := redis.ParseURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("sharedcache: REDIS_URL: %w", err)
	}
	keys, err := newKeyspace(o.Namespace)
	if err != nil {
		return nil, err
	}
	ro.ClientName = "modeplatform"
	ro.DialTimeout = max(o.OpTimeout, time.Second)
	ro.ReadTimeout = o.OpTimeout
	ro.WriteTimeout = o.OpTimeout
	ro.ContextTimeoutEnabled = true
	ro.MaxRetries = 1 // one retry for a pooled connection Redis closed; the scripts tolerate it
	ro.MinRetryBackoff, ro.MaxRetryBackoff = time.Millisecond, 10*time.Millisecond
	ro.DisableIdentity = true // no CLIENT SETINFO: older servers answer it with an error
	l := &L2{
		opts:     o,
		rdb:      redis.NewClient(ro),
		keys:     keys,
		replica:  newToken(),
		watchers: make(map[string]map[chan struct{}]struct{}),
		acks:     make(map[uint64]*ackWait),
		leases:   make(map[string]chan struct{}),
		pending:  make(map[string]struct{}),
		kept:     newKeptRecords(o.RequestRecordsKept),
	}
	l.epoch.Store("")
	l.up.Store(true)
	l.ctx, l.stop = context.WithCancel(context.Background())
	if err := l.registerMetrics(); err != nil {
		_ = l.rdb.Close()
		return nil, err
	}
	return l, nil
}

// Start connects the L2 to the replica's own cache: it subscribes to the other replicas'
// invalidations (applied to local) and fill notifications, waiting up to wait for the
// subscription so that invalidations work from the first request. Redis being unreachable is
// logged, not returned: the subscription keeps retrying in the background.
func (l *L2) Start(local Local, wait time.Duration) {
	if local == nil || !l.started.CompareAndSwap(false, true) {
		return
	}
	l.local.Store(&localBox{local})
	ready := make(chan struct{})
	// No channels yet, so no connection: the goroutine subscribes. Close closes ps, which ends
	// a read in progress (a read does not watch its context).
	ps := l.rdb.Subscribe(l.ctx)
	l.mu.Lock()
	l.ps = ps
	l.mu.Unlock()
	l.wg.Add(1)
	go l.subscribe(ps, ready)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ready:
	case <-t.C:
		l.opts.Logger.Warn("sharedcache: not yet subscribed to Redis; serving from the local cache and Mode meanwhile", "after", wait.String())
	}
}

// Close stops the background work and closes the Redis client. Fetches still running fall back
// to their own fetch function. Close is idempotent.
func (l *L2) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.stop()
		l.mu.Lock()
		if l.ps != nil {
			_ = l.ps.Close()
		}
		l.mu.Unlock()
		l.wg.Wait()
		if l.metricReg != nil {
			err = l.metricReg.Unregister()
		}
		err = errors.Join(err, l.rdb.Close())
	})
	return err
}

// Up reports whether Redis answered the last time it was asked.
func (l *L2) Up() bool { return l.up.Load() }

// available reports whether Redis may be asked now: not within RetryAfter of a failure.
func (l *L2) available() bool {
	return time.Now().UnixNano() >= l.downUntil.Load() && l.ctx.Err() == nil
}

// succeeded records a Redis operation that worked.
func (l *L2) succeeded() {
	if !l.up.Load() && l.up.CompareAndSwap(false, true) {
		l.opts.Logger.Info("sharedcache: Redis is reachable again; the replicas share their cache again",
			"failures_not_logged", l.suppressed.Swap(0))
		l.reconnected("Redis reachable again")
		if l.opts.OnHealth != nil {
			l.opts.OnHealth(true)
		}
	}
}

// failed records a Redis operation that did not work (ctx is the caller's context, not the
// operation's: when the caller gave up, Redis is not to blame). The L2 steps aside for RetryAfter, the first failure is logged, the next ones at most every logEvery.
func (l *L2) failed(ctx context.Context, op string, err error) {
	if ctx.Err() != nil || l.ctx.Err() != nil {
		return // the caller gave up, or the L2 is closing: Redis did nothing wrong
	}
	l.st.errors.Add(1)
	l.downUntil.Store(time.Now().Add(l.opts.RetryAfter).UnixNano())
	now := time.Now().UnixNano()
	if l.up.CompareAndSwap(true, false) {
		l.lastLog.Store(now)
		l.opts.Logger.Warn("sharedcache: Redis is unreachable; serving from the local cache and Mode until it is back",
			"op", op, "error", err.Error(), "retry_after", l.opts.RetryAfter.String())
		if l.opts.OnHealth != nil {
			l.opts.OnHealth(false)
		}
		return
	}
	last := l.lastLog.Load()
	if now-last >= int64(logEvery) && l.lastLog.CompareAndSwap(last, now) {
		l.opts.Logger.Warn("sharedcache: Redis is still unreachable", "op", op, "error", err.Error(),
			"failures_not_logged", l.suppressed.Swap(0))
		return
	}
	l.suppressed.Add(1)
}

// opCtx bounds one Redis operation.
func (l *L2) opCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, l.opts.OpTimeout)
}

// newToken returns 16 random hex characters.
func newToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
