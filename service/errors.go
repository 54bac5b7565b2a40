package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/modeclient"
)

// ErrorDomain is the google.rpc.ErrorInfo domain of this service's errors
// (the same for every modeplatform error: errdetail.Domain).
const ErrorDomain = errdetail.Domain

// ErrorInfo reasons this service sets. They are part of the contract:
// callers may switch on them.
const (
	ReasonUpstreamRateLimited = "UPSTREAM_RATE_LIMITED"
	ReasonUpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
	ReasonUpstreamRejected    = "UPSTREAM_INVALID_ARGUMENT"
	ReasonUpstreamPermission  = "UPSTREAM_PERMISSION_DENIED"
	ReasonUpstreamNotFound    = "UPSTREAM_NOT_FOUND"
	ReasonUpstreamConflict    = "UPSTREAM_CONFLICT"
	ReasonUpstreamBadResponse = "UPSTREAM_BAD_RESPONSE"
	ReasonRunFailed           = "RUN_FAILED"
	ReasonRunNotFinished      = "RUN_NOT_FINISHED"
)

// More reasons, part of the contract like the ones above.
const (
	// ReasonReportNeverRun: the report has never run, and Mode gives a
	// report's parameters only for a run (GetReportParameters,
	// FailedPrecondition): run it once.
	ReasonReportNeverRun = "REPORT_NEVER_RUN"

	// ReasonUpstreamCredentialRejected: Mode refused this service's own
	// credential (its 401). The caller's credentials are not in question, so
	// the code is Unavailable, never Unauthenticated; an operator must fix
	// the configured Mode credential. Mode did nothing.
	ReasonUpstreamCredentialRejected = "UPSTREAM_CREDENTIAL_REJECTED"
	// ReasonUpstreamPayloadTooLarge: Mode refused the request as too large
	// (its 413); InvalidArgument.
	ReasonUpstreamPayloadTooLarge = "UPSTREAM_PAYLOAD_TOO_LARGE"
	// ReasonUpstreamFailedPrecondition: Mode refused the request because of
	// the resource's state (a 412, or a 400 such as a run of a report whose
	// manual runs are disabled); FailedPrecondition.
	ReasonUpstreamFailedPrecondition = "UPSTREAM_FAILED_PRECONDITION"
)

// ReasonUpstreamCircuitOpen: the circuit breaker toward Mode is open after
// consecutive failures; nothing was sent to Mode. Part of the contract like
// the reasons above.
const ReasonUpstreamCircuitOpen = "UPSTREAM_CIRCUIT_OPEN"

// defaultRetryDelay is the RetryInfo delay suggested when Mode said
// nothing better.
const defaultRetryDelay = 2 * time.Second

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// upstreamError maps an error from modeclient (or the context) to a Connect
// error, following ARCHITECTURE.md's table. resource is the resource name the
// caller asked for; it is named in NotFound errors. Messages never carry
// response bodies or credentials.
func upstreamError(err error, resource string) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce
	}
	var inv *modeclient.InvalidArgumentError
	var api *modeclient.APIError
	var dec *modeclient.DecodeError
	var tr *modeclient.TransportError
	var ns *modeclient.NotSentError
	switch {
	case errors.As(err, &api):
		return apiError(api, resource)
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, errorf("deadline exceeded waiting for Mode (%s)", resource))
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, errorf("call canceled"))
	case errors.As(err, &inv):
		return invalidArgument(inv.Field, inv.Reason)
	case errors.As(err, &dec):
		e := connect.NewError(connect.CodeInternal, errorf("Mode answered %s %s with a response this service cannot read: %s", dec.Method, dec.Route, dec.Reason))
		errdetail.AddInfo(e, ReasonUpstreamBadResponse, map[string]string{"route": dec.Route})
		return e
	case errors.As(err, &ns):
		return notSentError(ns)
	case errors.As(err, &tr):
		e := connect.NewError(connect.CodeUnavailable, errorf("Mode could not be reached (%s %s)", tr.Method, tr.Route))
		errdetail.AddInfo(e, ReasonUpstreamUnavailable, map[string]string{"route": tr.Route})
		errdetail.AddRetry(e, defaultRetryDelay)
		return e
	}
	return connect.NewError(connect.CodeInternal, errorf("internal error reading %s", resource))
}

// notSentError maps a request refused before it left for Mode: an open
// circuit breaker, or our own rate limit toward Mode that would have made the
// caller wait past its deadline. Both are Unavailable with RetryInfo: the
// caller may retry later, and Mode did nothing. Our own limit shares the
// UPSTREAM_RATE_LIMITED reason with Mode's 429 (metadata limiter=local).
func notSentError(ns *modeclient.NotSentError) *connect.Error {
	wait := ns.RetryAfter
	if wait <= 0 {
		wait = defaultRetryDelay
	}
	var e *connect.Error
	switch ns.Reason {
	case modeclient.NotSentRateLimited:
		e = connect.NewError(connect.CodeUnavailable, errorf("the rate limit toward Mode would delay this call past its deadline; retry later"))
		errdetail.AddInfo(e, ReasonUpstreamRateLimited, map[string]string{"limiter": "local"})
	default:
		e = connect.NewError(connect.CodeUnavailable, errorf("Mode is failing: requests to it are paused for a while (circuit breaker open); retry later"))
		errdetail.AddInfo(e, ReasonUpstreamCircuitOpen, nil)
	}
	errdetail.AddRetry(e, wait)
	return e
}

// apiError maps Mode's HTTP status to a code.
func apiError(api *modeclient.APIError, resource string) *connect.Error {
	meta := map[string]string{"http_status": strconv.Itoa(api.StatusCode), "route": api.Route}
	if api.ID != "" {
		meta["mode_error_id"] = api.ID
	}
	modeMsg := api.Message
	if modeMsg == "" {
		modeMsg = http.StatusText(api.StatusCode)
	}
	var e *connect.Error
	switch s := api.StatusCode; {
	case (s == http.StatusBadRequest || s == http.StatusUnprocessableEntity) && api.WrongState():
		e = connect.NewError(connect.CodeFailedPrecondition, errorf("Mode refused %s in its current state: %s", resource, modeMsg))
		errdetail.AddInfo(e, ReasonUpstreamFailedPrecondition, meta)
	case s == http.StatusBadRequest || s == http.StatusUnprocessableEntity:
		e = connect.NewError(connect.CodeInvalidArgument, errorf("Mode rejected the request for %s: %s", resource, modeMsg))
		errdetail.AddInfo(e, ReasonUpstreamRejected, meta)
	case s == http.StatusRequestEntityTooLarge:
		e = connect.NewError(connect.CodeInvalidArgument, errorf("Mode refused the request for %s as too large", resource))
		errdetail.AddInfo(e, ReasonUpstreamPayloadTooLarge, meta)
	case s == http.StatusUnauthorized:
		// Mode refused this service's credential, not the caller's: not
		// Unauthenticated, which would tell the caller to sign in again.
		// Mode's message is not quoted (it may describe the credential).
		e = connect.NewError(connect.CodeUnavailable, errorf("Mode refused this service's credential for %s; the service's Mode credential must be fixed by its operator", resource))
		errdetail.AddInfo(e, ReasonUpstreamCredentialRejected, meta)
	case s == http.StatusForbidden:
		e = connect.NewError(connect.CodePermissionDenied, errorf("Mode denied access to %s", resource))
		errdetail.AddInfo(e, ReasonUpstreamPermission, meta)
	case s == http.StatusNotFound || s == http.StatusGone:
		e = connect.NewError(connect.CodeNotFound, errorf("%s not found", resource))
		errdetail.AddInfo(e, ReasonUpstreamNotFound, meta)
		if d, err := connect.NewErrorDetail(&errdetails.ResourceInfo{ResourceName: resource, Description: "not found in Mode"}); err == nil {
			e.AddDetail(d)
		}
	case s == http.StatusConflict:
		e = connect.NewError(connect.CodeAborted, errorf("Mode reported a conflict on %s: %s", resource, modeMsg))
		errdetail.AddInfo(e, ReasonUpstreamConflict, meta)
	case s == http.StatusTooManyRequests:
		e = connect.NewError(connect.CodeUnavailable, errorf("Mode's rate limit was reached; retry later"))
		errdetail.AddInfo(e, ReasonUpstreamRateLimited, meta)
		wait := api.RetryAfter
		if wait <= 0 {
			wait = defaultRetryDelay
		}
		errdetail.AddRetry(e, wait)
	case s == http.StatusRequestTimeout:
		e = connect.NewError(connect.CodeDeadlineExceeded, errorf("Mode timed out on %s", resource))
		errdetail.AddInfo(e, ReasonUpstreamUnavailable, meta)
	case s >= 500:
		e = connect.NewError(connect.CodeUnavailable, errorf("Mode is unavailable (HTTP %d) for %s", s, resource))
		errdetail.AddInfo(e, ReasonUpstreamUnavailable, meta)
		wait := api.RetryAfter
		if wait <= 0 {
			wait = defaultRetryDelay
		}
		errdetail.AddRetry(e, wait)
	case s == http.StatusPreconditionFailed:
		e = connect.NewError(connect.CodeFailedPrecondition, errorf("Mode refused %s: %s", resource, modeMsg))
		errdetail.AddInfo(e, ReasonUpstreamFailedPrecondition, meta)
	default:
		e = connect.NewError(connect.CodeUnknown, errorf("Mode answered HTTP %d for %s", s, resource))
		errdetail.AddInfo(e, ReasonUpstreamRejected, meta)
	}
	return e
}
