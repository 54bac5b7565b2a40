package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"connectrpc.com/connect"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/modeplatform/modeplatform/internal/errdetail"
)

// RequestIDStore keeps the records of creates' request ids where every replica of the service
// sees them (Options.RequestIDStore; cmd/modeplatform puts them in Redis with package
// sharedcache), so that a retry reaching another replica answers the first create's outcome
// instead of creating again. Each replica still keeps its own records in memory in front of it.
//
// The keys it is given name the caller, the method and the request id: an implementation must
// not store them in clear. Outcomes are a create's result or error as the caller got it, never a
// credential.
type RequestIDStore interface {
	// Claim takes the record of key for a create of the request with fingerprint, kept for
	// window, or returns the record another create holds (RequestIDPending, RequestIDDone or
	// RequestIDAbandoned). A claimed record must be settled with Complete or Release.
	Claim(ctx context.Context, key, fingerprint string, window time.Duration) (RequestIDRecord, error)
	// Complete stores outcome as the record the caller claimed with token, for window, and
	// wakes the replicas awaiting it.
	Complete(ctx context.Context, key, token, fingerprint string, outcome []byte, window time.Duration) error
	// Release drops the record the caller claimed with token: its create certainly did nothing.
	Release(ctx context.Context, key, token string) error
	// Await waits, until ctx ends, for the record of key to leave RequestIDPending, and returns
	// it (State 0: released, nobody holds it).
	Await(ctx context.Context, key string) (RequestIDRecord, error)
}

// RequestIDState is the state of a RequestIDStore record.
type RequestIDState int

// The states of a RequestIDStore record; 0 is "none".
const (
	RequestIDClaimed   RequestIDState = iota + 1 // the caller owns it now: create, then Complete or Release
	RequestIDPending                             // another replica's create is running
	RequestIDDone                                // the create ended: Outcome
	RequestIDAbandoned                           // its owner stopped (crashed) before storing an outcome, or it vanished while awaited
)

// RequestIDRecord is one RequestIDStore record.
type RequestIDRecord struct {
	State       RequestIDState
	Fingerprint string // of the request that claimed it
	Outcome     []byte // RequestIDDone
	Token       string // RequestIDClaimed: the caller's ownership, for Complete and Release
}

// ReasonRequestIDUnavailable: a create with a request_id (or Idempotency-Key) was refused
// because the replicas' shared record of request ids could not be reached; nothing was created,
// retry with the same id.
const ReasonRequestIDUnavailable = "REQUEST_ID_UNAVAILABLE"

// requestIDRetryAfter is the RetryInfo of ReasonRequestIDUnavailable: about the time the shared
// cache steps aside after a Redis failure.
const requestIDRetryAfter = time.Second

// sharedOutcome is how claimShared settled a request without creating.
type sharedOutcome int

const (
	sharedCreate   sharedOutcome = iota // this replica owns the record: create
	sharedRecorded                      // another create's outcome: remember it like a local one
	sharedRefused                       // not an outcome (store down, ctx ended, id reused): forget
)

// claimShared claims key in d.store before this replica creates. It returns the owner's token
// (sharedCreate), or the outcome of the create another replica ran or is running under the id
// (sharedRecorded, waiting for it within ctx), or an error that is no create's outcome
// (sharedRefused). The store being unreachable refuses the create: the id's guarantee cannot be
// kept, and the caller retries with the same id.
func claimShared[M proto.Message](ctx context.Context, d *dedupe, key, requestID string, fingerprint uint64) (string, M, error, sharedOutcome) {
	var zero M
	fp := strconv.FormatUint(fingerprint, 16)
	for {
		r, err := d.store.Claim(ctx, key, fp, d.window)
		if err != nil {
			return "", zero, requestIDUnavailable(ctx, requestID, err), sharedRefused
		}
		if r.State == RequestIDClaimed {
			return r.Token, zero, nil, sharedCreate
		}
		if r.Fingerprint != fp {
			return "", zero, invalidArgument("request_id", "was already used for a different request"), sharedRefused
		}
		if r.State == RequestIDPending {
			if r, err = d.store.Await(ctx, key); err != nil {
				return "", zero, requestIDUnavailable(ctx, requestID, err), sharedRefused
			}
			if r.State == 0 {
				continue // its create did nothing and let it go: claim it
			}
			if r.State == RequestIDDone && r.Fingerprint != fp { // claimed anew since
				return "", zero, invalidArgument("request_id", "was already used for a different request"), sharedRefused
			}
		}
		switch r.State {
		case RequestIDDone:
			res, err := decodeOutcome[M](r.Outcome)
			return "", res, err, sharedRecorded
		case RequestIDAbandoned:
			return "", zero, createAbandoned(requestID), sharedRecorded
		}
		return "", zero, requestIDUnavailable(ctx, requestID, fmt.Errorf("unexpected record state %d", r.State)), sharedRefused
	}
}

// settleShared stores this replica's create outcome in d.store: a result or an error that may
// have been processed is kept for the window, an error that certainly was not is released so
// that a retry may create. A failure is logged: the record's lease then expires and the other
// replicas answer "outcome unknown" while this one remembers the outcome itself.
func settleShared(ctx context.Context, d *dedupe, key, token string, fingerprint uint64, res proto.Message, err error) {
	if err != nil && !maybeProcessed(err) {
		if rerr := d.store.Release(ctx, key, token); rerr != nil {
			d.logWarn("request_id: could not release a create's shared record; retries through other replicas answer outcome unknown until it expires", "error", rerr.Error())
		}
		return
	}
	out, eerr := encodeOutcome(res, err)
	if eerr == nil {
		eerr = d.store.Complete(ctx, key, token, strconv.FormatUint(fingerprint, 16), out, d.window)
	}
	if eerr != nil {
		d.logWarn("request_id: could not store a create's outcome for the other replicas; they answer outcome unknown for its id", "error", eerr.Error())
	}
}

// encodeOutcome is a create's outcome as a google.rpc.Status: code OK with the result as its
// one detail, or the error's code, message and details.
func encodeOutcome(res proto.Message, err error) ([]byte, error) {
	st := &spb.Status{}
	if err == nil {
		a, aerr := anypb.New(res)
		if aerr != nil {
			return nil, fmt.Errorf("encoding a create's result: %w", aerr)
		}
		st.Details = []*anypb.Any{a}
	} else {
		ce := new(connect.Error)
		if !errors.As(err, &ce) {
			ce = connect.NewError(connect.CodeUnknown, err)
		}
		st.Code, st.Message = int32(ce.Code()), ce.Message()
		for _, dt := range ce.Details() {
			st.Details = append(st.Details, &anypb.Any{TypeUrl: "type.googleapis.com/" + dt.Type(), Value: dt.Bytes()})
		}
	}
	b, merr := proto.Marshal(st)
	if merr != nil {
		return nil, fmt.Errorf("encoding a create's outcome: %w", merr)
	}
	return b, nil
}

// decodeOutcome undoes encodeOutcome for a result of type M.
func decodeOutcome[M proto.Message](b []byte) (M, error) {
	var zero M
	st := &spb.Status{}
	if err := proto.Unmarshal(b, st); err != nil {
		return zero, connect.NewError(connect.CodeInternal, fmt.Errorf("reading another replica's outcome of this request: %w", err))
	}
	if st.GetCode() == 0 {
		res := zero.ProtoReflect().New().Interface().(M)
		if len(st.GetDetails()) != 1 {
			return zero, connect.NewError(connect.CodeInternal, errors.New("reading another replica's outcome of this request: no result"))
		}
		if err := st.GetDetails()[0].UnmarshalTo(res); err != nil {
			// The same id for another method's request cannot reach here (keys are scoped by
			// method), so this is a version skew between replicas.
			return zero, connect.NewError(connect.CodeInternal, fmt.Errorf("reading another replica's outcome of this request: %w", err))
		}
		return res, nil
	}
	e := connect.NewError(connect.Code(st.GetCode()), errors.New(st.GetMessage()))
	for _, a := range st.GetDetails() {
		if dt, err := connect.NewErrorDetail(a); err == nil {
			e.AddDetail(dt)
		}
	}
	return zero, e
}

// requestIDUnavailable is the answer to a create whose id the shared store could not check.
func requestIDUnavailable(ctx context.Context, requestID string, err error) error {
	if ctx.Err() != nil {
		return upstreamError(ctx.Err(), "request "+requestID)
	}
	e := connect.NewError(connect.CodeUnavailable, fmt.Errorf(
		"request %s: the replicas' shared record of request ids is unreachable, so this create cannot be made exactly once; nothing was created, retry with the same request_id", requestID))
	errdetail.AddInfo(e, ReasonRequestIDUnavailable, nil)
	errdetail.AddRetry(e, requestIDRetryAfter)
	return e
}

// createAbandoned is the answer to a create whose id another replica claimed and never settled
// (it stopped mid-create): its outcome is unknown, and it is not run again under that id.
func createAbandoned(requestID string) error {
	e := connect.NewError(connect.CodeAborted, fmt.Errorf(
		"request %s: the create with this request_id was started by a replica that stopped before it finished; whether it happened is unknown: look for it before creating again with a new request_id", requestID))
	errdetail.AddInfo(e, ReasonCreateOutcomeUnknown, nil)
	return e
}

// logWarn logs through the service's logger, when there is one.
func (d *dedupe) logWarn(msg string, args ...any) {
	if d.log != nil {
		d.log.Warn(msg, args...)
	}
}
