// Package errdetail attaches the google.rpc error details modeplatform's
// errors carry (ErrorInfo in the one Domain, RetryInfo, BadRequest) and reads
// them back. Every package that answers callers (service, auth, ratelimit)
// uses it, so that the domain and the shape of the details cannot drift.
package errdetail

import (
	"errors"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Domain is the google.rpc.ErrorInfo domain of every modeplatform error.
const Domain = "modeplatform.internal"

// Add attaches m to e as a detail (a message that cannot be marshalled is
// left out: the error still carries its code and message).
func Add(e *connect.Error, m proto.Message) {
	if d, err := connect.NewErrorDetail(m); err == nil {
		e.AddDetail(d)
	}
}

// AddInfo attaches an ErrorInfo with reason and meta in Domain.
func AddInfo(e *connect.Error, reason string, meta map[string]string) {
	Add(e, &errdetails.ErrorInfo{Reason: reason, Domain: Domain, Metadata: meta})
}

// AddRetry attaches a RetryInfo asking the caller to wait before retrying.
func AddRetry(e *connect.Error, wait time.Duration) {
	Add(e, &errdetails.RetryInfo{RetryDelay: durationpb.New(wait)})
}

// AddBadRequest attaches a BadRequest naming the field at fault and why.
func AddBadRequest(e *connect.Error, field, description string) {
	Add(e, &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: description}}})
}

// Info returns the first ErrorInfo err carries (err may wrap a
// *connect.Error), or nil.
func Info(err error) *errdetails.ErrorInfo {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return nil
	}
	for _, d := range ce.Details() {
		if v, derr := d.Value(); derr == nil {
			if info, ok := v.(*errdetails.ErrorInfo); ok {
				return info
			}
		}
	}
	return nil
}

// HasReason reports whether err carries an ErrorInfo with reason.
func HasReason(err error, reason string) bool {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return false
	}
	for _, d := range ce.Details() {
		if v, derr := d.Value(); derr == nil {
			if info, ok := v.(*errdetails.ErrorInfo); ok && info.GetReason() == reason {
				return true
			}
		}
	}
	return false
}
