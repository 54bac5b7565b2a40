package modeclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// APIError is a non-2xx answer from Mode. Mode's error body
// {"id": …, "message": …} fills ID and Message when present; other bodies
// are tolerated and not quoted. Route is the path template
// ("/api/{workspace}/reports/{report}"), never the requested URL.
// Use errors.As to get it from any error the client returns.
type APIError struct {
	StatusCode int           // HTTP status, e.g. 404
	ID         string        // Mode's error kind, e.g. "not_found"; "" if the body had none
	Message    string        // Mode's message, or the status text
	RetryAfter time.Duration // from a Retry-After header; 0 if absent
	Method     string        // HTTP method
	Route      string        // path template of the call
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "modeclient: %s %s: %d", e.Method, e.Route, e.StatusCode)
	if e.ID != "" {
		b.WriteString(" " + e.ID)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Temporary reports whether retrying the same call later may succeed
// (429 and 502/503/504).
func (e *APIError) Temporary() bool {
	switch e.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// WrongState reports whether Mode refused the request because of the state
// of the resource it names rather than because of the request's content: a
// run of a report whose manual runs are disabled, say. Mode's spec gives such
// a 400 no id of its own ("bad_request" like any other), so it is recognised
// by the markers in wrongStateMarkers, in the error's id or message; a wording
// not listed there stays an ordinary bad request.
func (e *APIError) WrongState() bool {
	if e.StatusCode != http.StatusBadRequest && e.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	id, msg := strings.ToLower(e.ID), strings.ToLower(e.Message)
	for _, m := range wrongStateMarkers {
		if id == m || strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// wrongStateMarkers are the ids and message fragments (lower case) of Mode's
// refusals for a resource's state: the Report field manual_run_disabled, as
// an id or named in a message, and the sentence the emulator (modetest)
// answers with.
var wrongStateMarkers = []string{
	"manual_run_disabled",
	"manual runs are disabled",
}

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 4 << 10

// maxErrorMessage bounds the message kept from Mode's error body.
const maxErrorMessage = 512

// newAPIError builds an APIError from a response whose body holds at most
// maxErrorBody bytes of it.
func newAPIError(method, route string, status int, header http.Header, body []byte, now time.Time) *APIError {
	e := &APIError{StatusCode: status, Method: method, Route: route}
	var mb struct {
		ID      String `json:"id"`
		Message String `json:"message"`
		Error   String `json:"error"`
	}
	if json.Unmarshal(body, &mb) == nil {
		e.ID = clean(string(mb.ID), 64)
		e.Message = clean(string(mb.Message), maxErrorMessage)
		if e.Message == "" {
			e.Message = clean(string(mb.Error), maxErrorMessage)
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	e.RetryAfter = parseRetryAfter(header.Get("Retry-After"), now)
	return e
}

// clean keeps valid, printable text of at most n bytes.
func clean(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > n {
		s = s[:n]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return strings.TrimSpace(s)
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
// Invalid or past values give 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// DecodeError means a successful (2xx) response body could not be decoded as
// the expected resource: Mode answered something this client does not
// understand, or a body larger than the configured cap. Its message never
// contains body bytes.
type DecodeError struct {
	Method string // HTTP method
	Route  string // path template of the call
	Reason string // what was wrong, without body content
	Offset int64  // byte offset of a syntax error, when known
	Err    error  // the underlying error (its text may quote the body: do not log it)
}

// Error implements error.
func (e *DecodeError) Error() string {
	s := fmt.Sprintf("modeclient: %s %s: undecodable response: %s", e.Method, e.Route, e.Reason)
	if e.Offset > 0 {
		s += fmt.Sprintf(" at byte %d", e.Offset)
	}
	return s
}

// Unwrap returns the underlying error.
func (e *DecodeError) Unwrap() error { return e.Err }

// newDecodeError describes a json error without quoting the input.
func newDecodeError(method, route string, err error) *DecodeError {
	d := &DecodeError{Method: method, Route: route, Reason: "invalid JSON", Err: err}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		d.Offset = syn.Offset
	case errors.As(err, &typ):
		d.Offset = typ.Offset
		if typ.Field != "" {
			d.Reason = fmt.Sprintf("field %q has an unexpected JSON type", typ.Field)
		} else {
			d.Reason = "unexpected JSON type"
		}
	case errors.Is(err, errBadInt), errors.Is(err, errBadFloat), errors.Is(err, errBadBool),
		errors.Is(err, errBadString), errors.Is(err, errBadTime):
		d.Reason = "a field has an unexpected value (" + strings.TrimPrefix(err.Error(), "modeclient: ") + ")"
	}
	return d
}

// InvalidArgumentError means an argument was rejected before any request was
// made: a path segment that is not a valid workspace name or token, an
// unknown list filter, a missing required field.
type InvalidArgumentError struct {
	Field  string // argument name, e.g. "report"
	Reason string // why it was rejected; never echoes the value
}

// Error implements error.
func (e *InvalidArgumentError) Error() string {
	return fmt.Sprintf("modeclient: invalid %s: %s", e.Field, e.Reason)
}

// TransportError means no HTTP answer was obtained (connection refused or
// reset, TLS failure, truncated body …). Route is the path template.
type TransportError struct {
	Method string
	Route  string
	Err    error
}

// Error implements error.
func (e *TransportError) Error() string {
	return fmt.Sprintf("modeclient: %s %s: %v", e.Method, e.Route, e.Err)
}

// Unwrap returns the underlying error (context errors stay visible to errors.Is).
func (e *TransportError) Unwrap() error { return e.Err }

// Reasons a transport may give in a NotSentError.
const (
	// NotSentCircuitOpen: a circuit breaker in front of Mode is open (or
	// half-open and already probing) after consecutive failures.
	NotSentCircuitOpen = "circuit_open"
	// NotSentRateLimited: the local rate limiter toward Mode would make the
	// request wait past the caller's deadline.
	NotSentRateLimited = "rate_limited"
)

// NotSentError is the error an http.RoundTripper placed under the client
// (WithHTTPClient) returns to refuse a request without sending it: an open
// circuit breaker, or a rate limiter whose wait would outlast the caller's
// deadline. Mode never saw the request, so the client neither retries it (it
// would only be refused again) nor treats a write refused this way as
// possibly processed. The client returns it wrapped in a *TransportError;
// use errors.As.
type NotSentError struct {
	Reason     string        // NotSentCircuitOpen, NotSentRateLimited or another short token
	RetryAfter time.Duration // when sending may succeed again; 0 if unknown
}

// Error implements error.
func (e *NotSentError) Error() string {
	s := "request to Mode not sent: " + e.Reason
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter.Round(time.Millisecond))
	}
	return s
}
