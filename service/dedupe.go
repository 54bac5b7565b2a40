package service

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	lru "github.com/hashicorp/golang-lru/v2"
	"google.golang.org/protobuf/proto"

	"github.com/modeplatform/modeplatform/internal/errdetail"
)

// dedupe makes creating methods safe to retry (AIP-155): within a window, a
// request with the same request_id (or, equivalently, the same
// Idempotency-Key header) answers the first request's result instead of
// creating again. A duplicate arriving while the first is still in flight
// waits for it. The id is scoped by the caller's identity (Options.CallerID),
// the method and the resource, and bound to the request's content: the same
// id with a different request is refused. One caller can therefore never
// obtain another's result by sending its id.
type dedupe struct {
	window time.Duration
	now    func() time.Time
	caller func(context.Context) string // identity of the authenticated caller; "" when anonymous
	mu     sync.Mutex
	byKey  *lru.Cache[string, *dedupeEntry]

	// createTimeout bounds a de-duplicated create, which runs detached from
	// its caller's context (and so from the caller's deadline).
	createTimeout time.Duration
	// store, when set, shares the records with the other replicas (dedupeshared.go); the
	// in-memory records stay in front of it.
	store RequestIDStore
	log   *slog.Logger
}

// IdempotencyKeyHeader is the HTTP header a caller may send instead of a
// create's request_id field (both may be sent when they are equal).
const IdempotencyKeyHeader = "Idempotency-Key"

type idempotencyKeyCtx struct{}

// idempotencyKey is the Idempotency-Key header of a request as the
// requestInterceptor put it in ctx: present reports whether the header
// was sent at all.
type idempotencyKey struct {
	value   string
	present bool
}

// requestKey returns the id that de-duplicates a create: its request_id, or
// the Idempotency-Key header when request_id is empty. The header is
// validated like request_id (an RFC 8941 string's quotes are dropped); both
// present and different is an error.
func requestKey(ctx context.Context, requestID string) (string, error) {
	k, _ := ctx.Value(idempotencyKeyCtx{}).(idempotencyKey)
	if !k.present {
		return requestID, nil
	}
	v := strings.TrimSpace(k.value)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if !validToken(v) {
		return "", invalidArgument(IdempotencyKeyHeader+" header", "must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-' (a UUID, say)")
	}
	if requestID != "" && requestID != v {
		return "", invalidArgument("request_id", "differs from the "+IdempotencyKeyHeader+" header: send one, or both equal")
	}
	return v, nil
}

type dedupeEntry struct {
	fingerprint uint64
	done        chan struct{} // closed when res/err are set
	res         proto.Message
	err         error
	expires     time.Time
	// refused: the shared store settled nothing (its caller gave up waiting, or the store was
	// unreachable): a duplicate waiting on this entry asks again itself.
	refused bool
}

func newDedupe(entries int, window time.Duration, now func() time.Time, caller func(context.Context) string) *dedupe {
	c, err := lru.New[string, *dedupeEntry](entries)
	if err != nil {
		panic(err) // only for entries <= 0, which setDefaults rules out
	}
	if caller == nil {
		caller = func(context.Context) string { return "" }
	}
	return &dedupe{window: window, now: now, caller: caller, byKey: c, createTimeout: DefaultCreateTimeout}
}

// do runs create once per (caller, scope, id) within the window, where id
// is requestID or the request's Idempotency-Key header (requestKey). No id
// runs create every time. fingerprint identifies the request's content.
func do[M proto.Message](ctx context.Context, d *dedupe, scope, requestID string, fingerprint uint64, create func(context.Context) (M, error)) (M, error) {
	var zero M
	requestID, err := requestKey(ctx, requestID)
	if err != nil {
		return zero, err
	}
	if requestID == "" {
		res, err := create(ctx)
		return res, createOutcome(err)
	}
	// The caller's identity comes first, length-prefixed: no caller name can
	// forge another's scope.
	caller := d.caller(ctx)
	key := dedupeKey(caller, scope, requestID)
	d.mu.Lock()
	e, ok := d.byKey.Get(key)
	if ok && !e.expires.IsZero() && d.now().After(e.expires) {
		d.byKey.Remove(key)
		ok = false
	}
	if ok {
		d.mu.Unlock()
		if e.fingerprint != fingerprint {
			return zero, invalidArgument("request_id", "was already used for a different request")
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return zero, upstreamError(ctx.Err(), "request "+requestID)
		}
		if e.refused {
			return do(ctx, d, scope, requestID, fingerprint, create)
		}
		return remembered[M](e)
	}
	e = &dedupeEntry{fingerprint: fingerprint, done: make(chan struct{})}
	d.byKey.Add(key, e)
	d.mu.Unlock()

	var token string // this replica's claim of the shared record
	if d.store != nil {
		var res M
		var outcome sharedOutcome
		token, res, err, outcome = claimShared[M](ctx, d, key, requestID, fingerprint)
		if outcome != sharedCreate {
			d.settleLocal(key, e, res, err, outcome == sharedRecorded)
			if outcome == sharedRefused {
				return zero, err
			}
			return remembered[M](e)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			// A create that panicked may have happened: nobody waits forever for it, and
			// nobody runs it again under this id.
			abandoned := createAbandoned(requestID)
			if token != "" {
				settleShared(ctx, d, key, token, fingerprint, nil, abandoned)
			}
			d.settleLocal(key, e, nil, abandoned, true)
			panic(p)
		}
	}()

	// The create runs to completion even if this caller goes away: others
	// may be waiting for it, and a write half done is worse than one done.
	// Its own deadline keeps a hung Mode from holding it (and the waiters)
	// forever.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.createTimeout)
	res, err := create(cctx)
	cancel()
	err = createOutcome(err) // a create that may have happened answers so, without RetryInfo
	if token != "" {
		settleShared(ctx, d, key, token, fingerprint, res, err)
	}
	d.mu.Lock()
	e.expires = d.now().Add(d.window)
	if err != nil && !maybeProcessed(err) {
		// Mode certainly did nothing: a retry with this id may try again.
		if cur, ok := d.byKey.Peek(key); ok && cur == e {
			d.byKey.Remove(key)
		}
	}
	e.err = err
	if err == nil {
		e.res = proto.Clone(res)
	}
	close(e.done)
	d.mu.Unlock()
	if err == nil && ctx.Err() != nil {
		return zero, upstreamError(ctx.Err(), "request "+requestID)
	}
	return res, err
}

// dedupeKey names the record of requestID for caller in scope (the same in every replica).
func dedupeKey(caller, scope, requestID string) string {
	return strconv.Itoa(len(caller)) + ":" + caller + "\x00" + scope + "\x00" + requestID
}

// remembered answers a duplicate with the outcome of the create e records.
func remembered[M proto.Message](e *dedupeEntry) (M, error) {
	var zero M
	if e.err != nil {
		return zero, e.err
	}
	return proto.Clone(e.res).(M), nil
}

// settleLocal ends e, the in-memory record of key, with an outcome another replica's create
// had (keep: remembered for the window, like a local create's) or with an error that is no
// create's outcome (dropped, so that a retry tries again).
func (d *dedupe) settleLocal(key string, e *dedupeEntry, res proto.Message, err error, keep bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e.expires = d.now().Add(d.window)
	if !keep {
		if cur, ok := d.byKey.Peek(key); ok && cur == e {
			d.byKey.Remove(key)
		}
		e.refused = true
	}
	e.err = err
	if err == nil {
		e.res = proto.Clone(res)
	}
	close(e.done)
}

// maybeProcessed reports whether a failed create may still have happened in
// Mode: those outcomes are remembered for the window, so a retry answers the
// same error (the outcome-unknown answer, outcome.go) rather than creating a
// second time.
func maybeProcessed(err error) bool {
	switch connect.CodeOf(err) {
	case connect.CodeInvalidArgument, connect.CodeNotFound, connect.CodePermissionDenied,
		connect.CodeUnauthenticated, connect.CodeFailedPrecondition, connect.CodeResourceExhausted,
		connect.CodeAlreadyExists, connect.CodeCanceled:
		return false
	case connect.CodeUnavailable:
		// Mode's 429 means it did not process the request; a request refused
		// by our own rate limit or circuit breaker never left; Mode refusing
		// our credential (401) did nothing either.
		return !errdetail.HasReason(err, ReasonUpstreamRateLimited) && !errdetail.HasReason(err, ReasonUpstreamCircuitOpen) &&
			!errdetail.HasReason(err, ReasonUpstreamCredentialRejected)
	case connect.CodeAborted:
		// Mode's 409: it refused the write as conflicting.
		return !errdetail.HasReason(err, ReasonUpstreamConflict)
	}
	return true
}

// requestFingerprint identifies a request's content for request_id reuse:
// the method and the fields that shape what it creates.
func requestFingerprint(method string, fields ...string) uint64 {
	return fingerprint64(append([]string{method}, fields...)...)
}

// fingerprint64 hashes length-prefixed fields, so that no two different
// field lists hash alike by shifting bytes between fields.
func fingerprint64(fields ...string) uint64 {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, f := range fields {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
		h.Write([]byte(f))
	}
	return binary.BigEndian.Uint64(h.Sum(nil))
}
