package sharedcache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Request records: the de-duplication of creating requests (AIP-155 request_id) across the
// replicas. A create with a request id first claims the id's record in Redis; the replica that
// claims it runs the create and stores its outcome there; a replica that finds the record claimed
// waits for that outcome (fill notification, or polling should it be lost) and answers it. The
// claim is a lease the owner keeps alive while its create runs: an owner that dies (a replica
// crashed mid-create) stops renewing it, and once it has expired the record reads "abandoned":
// the create may or may not have happened, and nobody runs it again under that id.
//
// Redis holds, per record, a hash of the caller's key (never the key itself, which names the
// caller), the request's fingerprint, the owner's random token and the outcome bytes the caller
// hands over. No credential is ever passed here.

// ErrUnavailable is returned by the request record methods while Redis is down (or the L2 steps
// aside after a failure, or is closed): the caller must not assume anything about the record.
var ErrUnavailable = errors.New("sharedcache: Redis is unavailable")

// DefaultRequestLease is how long a create's claim outlives its owner when Options.RequestLease
// is zero: the owner renews it every third of that while the create runs.
const DefaultRequestLease = 15 * time.Second

// RecordState is the state of a request record as ClaimRequest or AwaitRequest found it.
type RecordState int

// The states of a request record.
const (
	// RecordClaimed: there was no record; the caller now owns one and must run the create, then
	// CompleteRequest or ReleaseRequest it with RequestRecord.Token.
	RecordClaimed RecordState = iota + 1
	// RecordPending: another replica owns the record and its create is running: AwaitRequest.
	RecordPending
	// RecordDone: the create ended; RequestRecord.Outcome is what its owner stored.
	RecordDone
	// RecordAbandoned: the owner's lease expired before it stored an outcome (it crashed, or
	// lost Redis), or the record vanished while it was awaited (Redis restarted empty): the
	// create's outcome is unknown. Fingerprint is empty in the latter case.
	RecordAbandoned
)

// String names the state.
func (s RecordState) String() string {
	switch s {
	case RecordClaimed:
		return "claimed"
	case RecordPending:
		return "pending"
	case RecordDone:
		return "done"
	case RecordAbandoned:
		return "abandoned"
	}
	return fmt.Sprintf("RecordState(%d)", int(s))
}

// RequestRecord is a request record as read from Redis.
type RequestRecord struct {
	State       RecordState
	Fingerprint string // of the request that claimed the record (not set for RecordClaimed)
	Outcome     []byte // RecordDone: the create's outcome as its owner stored it
	Token       string // RecordClaimed: the caller's ownership token
}

// recordID names a request key in Redis: a hash, so the key's parts (the caller's identity
// among them) never appear in Redis.
func recordID(key string) string {
	h := sha256.Sum256([]byte("modeplatform/sharedcache request v1\x00" + key))
	return hex.EncodeToString(h[:16])
}

// ClaimRequest claims the record of key for a create of the request with fingerprint, or, when
// another create claimed it within window, returns that record (pending, done or abandoned).
// A claimed record is kept for window; the claim's lease is renewed until CompleteRequest or
// ReleaseRequest. Any Redis failure returns an error wrapping ErrUnavailable.
func (l *L2) ClaimRequest(ctx context.Context, key, fingerprint string, window time.Duration) (RequestRecord, error) {
	if !l.available() {
		return RequestRecord{}, ErrUnavailable
	}
	id := recordID(key)
	token := newToken()
	for attempt := 0; ; attempt++ {
		octx, cancel := l.opCtx(ctx)
		v, err := claimScript.Run(octx, l.rdb,
			[]string{l.keys.record(id), l.keys.lease(id), l.keys.epoch(), l.keys.grace()},
			fingerprint, token, l.opts.RequestLease.Milliseconds(), max(window, l.opts.RequestLease).Milliseconds(),
			l.knownEpoch()).Slice()
		cancel()
		if err != nil {
			l.failed(ctx, "claim request", err)
			return RequestRecord{}, fmt.Errorf("%w: claiming a request record: %w", ErrUnavailable, err)
		}
		l.succeeded()
		if kind, _ := at[string](v, 0); kind == "epoch" {
			// Redis's records are not those this replica synchronised with: adopt its epoch
			// (restoring this replica's records), then claim again.
			if _, err := l.syncEpoch(ctx, "claim"); err != nil {
				l.failed(ctx, "read request epoch", err)
				return RequestRecord{}, fmt.Errorf("%w: reading the request records' epoch: %w", ErrUnavailable, err)
			}
			if attempt == 0 {
				continue
			}
			return RequestRecord{}, errRecordsSettling
		} else if kind == "settling" {
			return RequestRecord{}, errRecordsSettling
		}
		r, err := parseRecord(v)
		if err != nil {
			return RequestRecord{}, err
		}
		switch r.State {
		case RecordClaimed:
			r.Token = token
			l.keep(id, fingerprint, token, nil, max(window, l.opts.RequestLease))
			l.keepLease(id, token)
		case RecordDone:
			l.keep(id, r.Fingerprint, "", r.Outcome, window)
		}
		return r, nil
	}
}

// CompleteRequest stores outcome as the record of key, which the caller claimed with token, for
// window, and wakes the replicas awaiting it. Should the record have vanished (Redis restarted
// empty) it is written anew; should another create own it now, nothing is written. Either way
// the lease is no longer renewed.
func (l *L2) CompleteRequest(ctx context.Context, key, token, fingerprint string, outcome []byte, window time.Duration) error {
	id := recordID(key)
	l.dropLease(token)
	l.keep(id, fingerprint, token, outcome, window)
	if !l.available() {
		return ErrUnavailable
	}
	octx, cancel := l.opCtx(context.WithoutCancel(ctx))
	err := completeScript.Run(octx, l.rdb, []string{l.keys.record(id), l.keys.lease(id)},
		token, fingerprint, outcome, window.Milliseconds(), l.keys.fillChannel(), "q:"+id+" ").Err()
	cancel()
	if err != nil {
		l.failed(context.WithoutCancel(ctx), "complete request", err)
		return fmt.Errorf("%w: storing a request's outcome: %w", ErrUnavailable, err)
	}
	l.succeeded()
	return nil
}

// ReleaseRequest drops the record of key that the caller claimed with token (its create
// certainly did nothing, so a retry may run it) and wakes the replicas awaiting it.
func (l *L2) ReleaseRequest(ctx context.Context, key, token string) error {
	id := recordID(key)
	l.dropLease(token)
	l.kept.Remove(id)
	if !l.available() {
		return ErrUnavailable
	}
	octx, cancel := l.opCtx(context.WithoutCancel(ctx))
	err := releaseScript.Run(octx, l.rdb, []string{l.keys.record(id), l.keys.lease(id)},
		token, l.keys.fillChannel(), "q:"+id+" ").Err()
	cancel()
	if err != nil {
		l.failed(context.WithoutCancel(ctx), "release request", err)
		return fmt.Errorf("%w: releasing a request record: %w", ErrUnavailable, err)
	}
	l.succeeded()
	return nil
}

// AwaitRequest waits, until ctx ends, for the record of key to leave the pending state, and
// returns it: done, abandoned (also when the record vanished: Redis restarted empty, say), or
// released by its owner (State 0: the caller may claim it). It is woken by the owner's notification, and looks every PollInterval should that be
// lost.
func (l *L2) AwaitRequest(ctx context.Context, key string) (RequestRecord, error) {
	id := recordID(key)
	fill := l.watch("q:" + id)
	defer l.unwatch("q:"+id, fill)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-fill:
		case <-t.C:
		case <-ctx.Done():
			return RequestRecord{}, ctx.Err()
		case <-l.ctx.Done():
			return RequestRecord{}, ErrUnavailable
		}
		if !l.available() {
			return RequestRecord{}, ErrUnavailable
		}
		octx, cancel := l.opCtx(ctx)
		v, err := peekScript.Run(octx, l.rdb, []string{l.keys.record(id), l.keys.lease(id), l.keys.grace()}).Slice()
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return RequestRecord{}, ctx.Err()
			}
			l.failed(ctx, "await request", err)
			return RequestRecord{}, fmt.Errorf("%w: reading a request record: %w", ErrUnavailable, err)
		}
		l.succeeded()
		r, err := parseRecord(v)
		if err != nil {
			return RequestRecord{}, err
		}
		if r.State == RecordDone {
			l.keep(id, r.Fingerprint, "", r.Outcome, l.opts.RequestLease)
		}
		if r.State != RecordPending {
			return r, nil
		}
		t.Reset(l.opts.PollInterval)
	}
}

// parseRecord reads the reply of claimScript or peekScript.
func parseRecord(v []any) (RequestRecord, error) {
	kind, _ := at[string](v, 0)
	fp, _ := at[string](v, 1)
	switch kind {
	case "claimed":
		return RequestRecord{State: RecordClaimed}, nil
	case "released":
		return RequestRecord{}, nil
	case "gone":
		// Awaited, so it was pending: its create may have happened.
		return RequestRecord{State: RecordAbandoned}, nil
	case "pending":
		return RequestRecord{State: RecordPending, Fingerprint: fp}, nil
	case "abandoned":
		return RequestRecord{State: RecordAbandoned, Fingerprint: fp}, nil
	case "done":
		out, ok := at[string](v, 2)
		if !ok {
			return RequestRecord{}, errors.New("sharedcache: malformed request record")
		}
		return RequestRecord{State: RecordDone, Fingerprint: fp, Outcome: []byte(out)}, nil
	}
	return RequestRecord{}, fmt.Errorf("sharedcache: unexpected request record reply %q", kind)
}

// keepLease renews the lease of record id every RequestLease/3 until dropLease(token) or Close.
// A renewal that fails or finds the lease lost stops: the awaiting replicas then read the record
// as abandoned, which costs them an "outcome unknown" answer, never a second create.
func (l *L2) keepLease(id, token string) {
	done := make(chan struct{})
	l.mu.Lock()
	l.leases[token] = done
	l.mu.Unlock()
	l.goBackground(func() { l.renewUntil(done, l.keys.lease(id), token, l.opts.RequestLease, "renew request lease") })
}

// dropLease stops renewing the lease of token.
func (l *L2) dropLease(token string) {
	l.mu.Lock()
	done := l.leases[token]
	delete(l.leases, token)
	l.mu.Unlock()
	if done != nil {
		close(done)
	}
}

// claimScript claims a request record, or reads the one there. It claims nothing when Redis's
// epoch is not the caller's ("epoch"), nor a record Redis has none of during the grace period
// after Redis lost its records ("settling"; requestreplay.go).
//
// KEYS: record, lease, epoch, grace. ARGV: fingerprint, token, lease TTL (ms), record TTL (ms),
// the caller's epoch.
var claimScript = redis.NewScript(`
if redis.call('GET', KEYS[3]) ~= ARGV[5] then
  return {'epoch'}
end
local v = redis.call('HMGET', KEYS[1], 'f', 'o', 'r')
if not v[1] and redis.call('EXISTS', KEYS[4]) == 1 then
  return {'settling'}
end
if not v[1] or v[3] then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'f', ARGV[1], 't', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  return {'claimed'}
end
if v[2] then
  return {'done', v[1], v[2]}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {'pending', v[1]}
end
return {'abandoned', v[1]}
`)

// peekScript reads a request record: "released" when its owner released it, "gone" when there
// is none (it expired, or Redis lost it), "pending" when there is none during the grace period
// after Redis lost its records (its owner may restore it).
//
// KEYS: record, lease, grace.
var peekScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'f', 'o', 'r')
if v[3] then
  return {'released'}
end
if not v[1] then
  if redis.call('EXISTS', KEYS[3]) == 1 then
    return {'pending', ''}
  end
  return {'gone'}
end
if v[2] then
  return {'done', v[1], v[2]}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {'pending', v[1]}
end
return {'abandoned', v[1]}
`)

// completeScript stores the outcome of the caller's create, unless another create owns the
// record now, and announces it. It returns 1 stored, 0 not.
//
// KEYS: record, lease. ARGV: token, fingerprint, outcome, record TTL (ms), channel, message.
var completeScript = redis.NewScript(`
local owner = redis.call('HGET', KEYS[1], 't')
if owner and owner ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'f', ARGV[2], 't', ARGV[1], 'o', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
`)

// releaseScript marks the caller's record released (the next claim takes it; a replica
// awaiting it tells this from a record Redis lost), drops the lease and announces it. It returns
// 1 released, 0 not (another create owns the record).
//
// KEYS: record, lease. ARGV: token, channel, message.
var releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'r', '1')
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`)
