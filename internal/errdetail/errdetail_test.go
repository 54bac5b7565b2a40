package errdetail

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
)

func TestDetailsRoundTrip(t *testing.T) {
	e := connect.NewError(connect.CodeUnavailable, errors.New("busy"))
	AddInfo(e, "FIRST", map[string]string{"k": "v"})
	AddInfo(e, "SECOND", nil)
	AddRetry(e, 2*time.Second)
	AddBadRequest(e, "name", "must be set")
	wrapped := fmt.Errorf("call: %w", e)

	info := Info(wrapped)
	if info.GetReason() != "FIRST" || info.GetDomain() != Domain || info.GetMetadata()["k"] != "v" {
		t.Errorf("Info = %v", info)
	}
	for _, tt := range []struct {
		reason string
		want   bool
	}{{"FIRST", true}, {"SECOND", true}, {"THIRD", false}} {
		if got := HasReason(wrapped, tt.reason); got != tt.want {
			t.Errorf("HasReason(%s) = %v", tt.reason, got)
		}
	}
	var retry *errdetails.RetryInfo
	var bad *errdetails.BadRequest
	for _, d := range e.Details() {
		switch v, _ := d.Value(); v := v.(type) {
		case *errdetails.RetryInfo:
			retry = v
		case *errdetails.BadRequest:
			bad = v
		}
	}
	if retry.GetRetryDelay().AsDuration() != 2*time.Second {
		t.Errorf("RetryInfo = %v", retry)
	}
	if len(bad.GetFieldViolations()) != 1 || bad.GetFieldViolations()[0].GetField() != "name" {
		t.Errorf("BadRequest = %v", bad)
	}
	if Info(errors.New("plain")) != nil || HasReason(errors.New("plain"), "FIRST") {
		t.Error("a plain error carries no details")
	}
}
