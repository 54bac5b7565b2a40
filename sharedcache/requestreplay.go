package sharedcache

import (
	"context"
	"fmt"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/redis/go-redis/v9"
)

// Request records across a Redis that restarts empty. A Redis without persistence forgets
// every request record when it restarts, and a retry reaching a replica that never saw the id
// would then create a second time. So each replica keeps, in memory, the records it claimed,
// completed or read (bounded, for their window), and puts them back when Redis has lost them:
//
//   - Redis holds an epoch, a random value set when a replica first finds none. Each replica
//     knows the epoch it last synchronised with, and every claim names it: a claim that finds
//     another epoch (or none: Redis restarted empty) is not made. The replica then adopts the
//     epoch and puts its records back (SET only where absent), and claims again.
//   - A replica that finds its known epoch gone opens a grace period in Redis
//     (Options.RequestReplayGrace, default 5 s) during which a claim that would create (no
//     record) is refused with ErrUnavailable, and an awaited record that vanished is waited for
//     rather than read abandoned: the other replicas have that long to notice the restart (their
//     invalidation subscription breaks with it, and their next claim checks the epoch) and to
//     restore their records. The caller of a refused claim retries with the same id.
//
// A replica that starts against a Redis without an epoch sets one without a grace period: it
// has nothing to restore. What the guarantee does not cover: a Redis restarted empty while the
// only replica that knew a record is also gone (crashed, or not yet back within the grace
// period). Run Redis with persistence (appendonly) where that matters.

// DefaultRequestReplayGrace is Options.RequestReplayGrace when zero.
const DefaultRequestReplayGrace = 5 * time.Second

// DefaultRequestRecordsKept is Options.RequestRecordsKept when zero.
const DefaultRequestRecordsKept = 100_000

// restoreBatch is how many records one pipelined restore sends.
const restoreBatch = 256

// keptRecord is a replica's copy of a request record, to restore when Redis has lost it.
type keptRecord struct {
	fingerprint string
	token       string // the owner's token while its create runs
	outcome     []byte // nil while the create runs
	expires     time.Time
}

// newKeptRecords returns the bounded store of the records this replica knows.
func newKeptRecords(n int) *lru.Cache[string, keptRecord] {
	c, err := lru.New[string, keptRecord](n)
	if err != nil {
		panic(err) // n > 0: withDefaults ensures it
	}
	return c
}

// keep remembers record id (running when outcome is nil) until window has passed.
func (l *L2) keep(id, fingerprint, token string, outcome []byte, window time.Duration) {
	l.kept.Add(id, keptRecord{fingerprint: fingerprint, token: token, outcome: outcome, expires: time.Now().Add(window)})
}

// knownEpoch is the epoch of Redis's request records this replica last synchronised with ("":
// none yet).
func (l *L2) knownEpoch() string {
	e, _ := l.epoch.Load().(string)
	return e
}

// syncEpoch reads Redis's epoch, setting one if there is none (with a grace period when this
// replica knew another: Redis lost its records), and adopts it. When it differs from the one
// this replica knew, the replica puts its records back, in the background. It reports whether
// the epoch changed.
func (l *L2) syncEpoch(ctx context.Context, why string) (bool, error) {
	known := l.knownEpoch()
	octx, cancel := l.opCtx(ctx)
	v, err := epochScript.Run(octx, l.rdb, []string{l.keys.epoch(), l.keys.grace()},
		known, newToken(), l.opts.RequestReplayGrace.Milliseconds()).Slice()
	cancel()
	if err != nil {
		return false, err
	}
	cur, _ := at[string](v, 0)
	if cur == "" || cur == known {
		return false, nil
	}
	if !l.epoch.CompareAndSwap(known, cur) {
		return false, nil // another goroutine adopted it first: nothing to do twice
	}
	if known != "" {
		l.opts.Logger.Warn("sharedcache: Redis lost its request records (restarted empty?); restoring this replica's",
			"after", why, "records", l.kept.Len())
		l.st.epochs.Add(1)
		l.goBackground(func() { l.restoreRecords(cur) })
	}
	return true, nil
}

// maybeSyncEpoch checks the epoch in the background (Redis or the subscription came back).
func (l *L2) maybeSyncEpoch(why string) {
	if !l.syncing.CompareAndSwap(false, true) {
		return
	}
	if !l.goBackground(func() {
		defer l.syncing.Store(false)
		if _, err := l.syncEpoch(l.ctx, why); err != nil {
			l.failed(l.ctx, "read request epoch", err)
		}
	}) {
		l.syncing.Store(false)
	}
}

// restoreRecords writes this replica's records back into Redis where they are absent, in
// pipelined batches, as long as the epoch stays epoch.
func (l *L2) restoreRecords(epoch string) {
	type item struct {
		id string
		r  keptRecord
	}
	var batch []item
	restored := 0
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		ctx, cancel := context.WithTimeout(l.ctx, 4*l.opts.OpTimeout)
		defer cancel()
		pipe := l.rdb.Pipeline()
		cmds := make([]*redis.Cmd, len(batch))
		now := time.Now()
		for i, it := range batch {
			running := "0"
			if it.r.outcome == nil {
				running = "1"
			}
			ttl := max(it.r.expires.Sub(now), time.Millisecond)
			cmds[i] = restoreScript.Eval(ctx, pipe,
				[]string{l.keys.record(it.id), l.keys.lease(it.id), l.keys.epoch()},
				it.r.fingerprint, it.r.token, it.r.outcome, running, ttl.Milliseconds(),
				l.opts.RequestLease.Milliseconds(), epoch)
		}
		_, err := pipe.Exec(ctx)
		batch = batch[:0]
		if err != nil {
			l.failed(l.ctx, "restore request records", err)
			return false
		}
		for _, c := range cmds {
			n, _ := c.Int64()
			if n < 0 {
				return false // the epoch changed again: the next synchronisation restores
			}
			restored += int(n)
		}
		return true
	}
	now := time.Now()
	for _, id := range l.kept.Keys() {
		r, ok := l.kept.Peek(id)
		if !ok || now.After(r.expires) {
			continue
		}
		batch = append(batch, item{id, r})
		if len(batch) == restoreBatch && !flush() {
			return
		}
	}
	if flush() {
		l.st.restored.Add(uint64(restored))
		l.opts.Logger.Info("sharedcache: request records restored into Redis", "records", restored)
	}
}

// errRecordsSettling is ClaimRequest's answer while Redis's records are being restored.
var errRecordsSettling = fmt.Errorf("%w: Redis lost its request records and the replicas are restoring theirs", ErrUnavailable)

// epochScript returns Redis's epoch of request records, setting it when there is none; when
// the caller knew another (Redis lost its records), it opens the grace period.
//
// KEYS: epoch, grace. ARGV: known epoch ("" for none), a new epoch, grace (ms).
var epochScript = redis.NewScript(`
local e = redis.call('GET', KEYS[1])
if not e then
  e = ARGV[2]
  redis.call('SET', KEYS[1], e)
end
if ARGV[1] ~= '' and e ~= ARGV[1] then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
end
return {e}
`)

// restoreScript puts a record back unless Redis has one; -1 when the epoch is not the
// restorer's any more, else the number of records written (0 or 1).
//
// KEYS: record, lease, epoch. ARGV: fingerprint, token, outcome, running ("1": claimed, with a
// lease), record TTL (ms), lease TTL (ms), epoch.
var restoreScript = redis.NewScript(`
if redis.call('GET', KEYS[3]) ~= ARGV[7] then
  return -1
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], 'f', ARGV[1], 't', ARGV[2])
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[6])
else
  redis.call('HSET', KEYS[1], 'f', ARGV[1], 't', ARGV[2], 'o', ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`)
