package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/modeclient"
)

// details returns the error's details by type.
func details(t *testing.T, err error) (info *errdetails.ErrorInfo, retry *errdetails.RetryInfo, res *errdetails.ResourceInfo, bad *errdetails.BadRequest) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("not a connect error: %v", err)
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			t.Fatalf("detail %s: %v", d.Type(), derr)
		}
		switch v := v.(type) {
		case *errdetails.ErrorInfo:
			info = v
		case *errdetails.RetryInfo:
			retry = v
		case *errdetails.ResourceInfo:
			res = v
		case *errdetails.BadRequest:
			bad = v
		}
	}
	return info, retry, res, bad
}

func TestUpstreamErrorTable(t *testing.T) {
	const resource = "workspaces/w/reports/abc"
	api := func(status int, retryAfter time.Duration) error {
		return fmt.Errorf("get report: %w", &modeclient.APIError{StatusCode: status, ID: "some_id", Message: "Mode says no", RetryAfter: retryAfter, Method: "GET", Route: "/api/{workspace}/reports/{report}"})
	}
	apiMsg := func(status int, id, msg string) error {
		return &modeclient.APIError{StatusCode: status, ID: id, Message: msg, Method: "POST", Route: "/api/{workspace}/reports/{report}/runs"}
	}
	tests := []struct {
		name       string
		err        error
		code       connect.Code
		reason     string
		retryDelay time.Duration // 0 = no RetryInfo expected
		msgHas     string
	}{
		{"400", api(400, 0), connect.CodeInvalidArgument, ReasonUpstreamRejected, 0, "Mode says no"},
		{"400 for a wrong state", apiMsg(400, "bad_request", "Manual runs are disabled for this report."), connect.CodeFailedPrecondition, ReasonUpstreamFailedPrecondition, 0, "Manual runs are disabled"},
		{"400 manual_run_disabled id", apiMsg(400, "manual_run_disabled", "not now"), connect.CodeFailedPrecondition, ReasonUpstreamFailedPrecondition, 0, resource},
		{"422", api(422, 0), connect.CodeInvalidArgument, ReasonUpstreamRejected, 0, "Mode says no"},
		{"422 for a wrong state", apiMsg(422, "bad_request", "manual_run_disabled"), connect.CodeFailedPrecondition, ReasonUpstreamFailedPrecondition, 0, resource},
		{"401", api(401, 0), connect.CodeUnavailable, ReasonUpstreamCredentialRejected, 0, "credential"},
		{"401 quoting a credential", apiMsg(401, "unauthorized", "token tok-0123 with secret sec-4567 is not valid"), connect.CodeUnavailable, ReasonUpstreamCredentialRejected, 0, "operator"},
		{"403", api(403, 0), connect.CodePermissionDenied, ReasonUpstreamPermission, 0, resource},
		{"404", api(404, 0), connect.CodeNotFound, ReasonUpstreamNotFound, 0, resource},
		{"405", api(405, 0), connect.CodeUnknown, ReasonUpstreamRejected, 0, "405"},
		{"408", api(408, 0), connect.CodeDeadlineExceeded, ReasonUpstreamUnavailable, 0, resource},
		{"409", api(409, 0), connect.CodeAborted, ReasonUpstreamConflict, 0, resource},
		{"410", api(410, 0), connect.CodeNotFound, ReasonUpstreamNotFound, 0, resource},
		{"412", api(412, 0), connect.CodeFailedPrecondition, ReasonUpstreamFailedPrecondition, 0, resource},
		{"413", apiMsg(413, "payload_too_large", "Payload too large"), connect.CodeInvalidArgument, ReasonUpstreamPayloadTooLarge, 0, "too large"},
		{"429 with Retry-After", api(429, 7*time.Second), connect.CodeUnavailable, ReasonUpstreamRateLimited, 7 * time.Second, "rate limit"},
		{"429 without Retry-After", api(429, 0), connect.CodeUnavailable, ReasonUpstreamRateLimited, defaultRetryDelay, "rate limit"},
		{"500", api(500, 0), connect.CodeUnavailable, ReasonUpstreamUnavailable, defaultRetryDelay, "500"},
		{"501", api(501, 0), connect.CodeUnavailable, ReasonUpstreamUnavailable, defaultRetryDelay, "501"},
		{"502", api(502, 0), connect.CodeUnavailable, ReasonUpstreamUnavailable, defaultRetryDelay, "502"},
		{"503 with Retry-After", api(503, 3*time.Second), connect.CodeUnavailable, ReasonUpstreamUnavailable, 3 * time.Second, "503"},
		{"504", api(504, 0), connect.CodeUnavailable, ReasonUpstreamUnavailable, defaultRetryDelay, "504"},
		{"transport", &modeclient.TransportError{Method: "GET", Route: "/api/{workspace}", Err: errors.New("connection reset by peer")}, connect.CodeUnavailable, ReasonUpstreamUnavailable, defaultRetryDelay, "could not be reached"},
		{"decode", &modeclient.DecodeError{Method: "GET", Route: "/api/{workspace}", Reason: "invalid JSON", Err: errors.New(`invalid character 's' in "secret body"`)}, connect.CodeInternal, ReasonUpstreamBadResponse, 0, "cannot read"},
		{"deadline", fmt.Errorf("wrapped: %w", context.DeadlineExceeded), connect.CodeDeadlineExceeded, "", 0, "deadline"},
		{"canceled", context.Canceled, connect.CodeCanceled, "", 0, "canceled"},
		{"invalid argument", &modeclient.InvalidArgumentError{Field: "report", Reason: "must be a token"}, connect.CodeInvalidArgument, "", 0, "report"},
		{"unknown", errors.New("boom"), connect.CodeInternal, "", 0, resource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := upstreamError(tt.err, resource)
			if got := connect.CodeOf(err); got != tt.code {
				t.Fatalf("code = %v, want %v (%v)", got, tt.code, err)
			}
			if !strings.Contains(err.Error(), tt.msgHas) {
				t.Errorf("message %q does not contain %q", err.Error(), tt.msgHas)
			}
			if strings.Contains(err.Error(), "secret body") || strings.Contains(err.Error(), "tok-0123") || strings.Contains(err.Error(), "sec-4567") {
				t.Errorf("message leaks the response body: %q", err.Error())
			}
			info, retry, res, _ := details(t, err)
			if tt.reason != "" {
				if info == nil || info.GetReason() != tt.reason || info.GetDomain() != ErrorDomain {
					t.Errorf("ErrorInfo = %v, want reason %s in %s", info, tt.reason, ErrorDomain)
				}
			}
			if tt.retryDelay > 0 {
				if retry == nil || retry.GetRetryDelay().AsDuration() != tt.retryDelay {
					t.Errorf("RetryInfo = %v, want %v", retry, tt.retryDelay)
				}
			} else if retry != nil {
				t.Errorf("unexpected RetryInfo %v", retry)
			}
			if tt.code == connect.CodeNotFound && (res == nil || res.GetResourceName() != resource) {
				t.Errorf("ResourceInfo = %v, want %s", res, resource)
			}
		})
	}
}

func TestInvalidArgumentNamesField(t *testing.T) {
	err := invalidArgument("page_token", "is not valid")
	if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "page_token") {
		t.Fatalf("err = %v", err)
	}
	_, _, _, bad := details(t, err)
	if bad == nil || len(bad.GetFieldViolations()) != 1 || bad.GetFieldViolations()[0].GetField() != "page_token" {
		t.Fatalf("BadRequest = %v", bad)
	}
}

func TestDedupe(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	d := newDedupe(100, time.Minute, clock, nil)
	ctx := context.Background()

	var calls atomic.Int32
	create := func(v string) func(context.Context) (*wrapperspb.StringValue, error) {
		return func(context.Context) (*wrapperspb.StringValue, error) {
			calls.Add(1)
			return wrapperspb.String(v), nil
		}
	}

	t.Run("no request id runs every time", func(t *testing.T) {
		calls.Store(0)
		for range 3 {
			if _, err := do(ctx, d, "s", "", 1, create("x")); err != nil {
				t.Fatal(err)
			}
		}
		if calls.Load() != 3 {
			t.Fatalf("calls = %d, want 3", calls.Load())
		}
	})

	t.Run("same id answers the first result", func(t *testing.T) {
		calls.Store(0)
		first, err := do(ctx, d, "s", "id-1", 1, create("first"))
		if err != nil {
			t.Fatal(err)
		}
		second, err := do(ctx, d, "s", "id-1", 1, create("second"))
		if err != nil {
			t.Fatal(err)
		}
		if first.GetValue() != "first" || second.GetValue() != "first" || calls.Load() != 1 {
			t.Fatalf("first %q second %q calls %d", first.GetValue(), second.GetValue(), calls.Load())
		}
		if _, err := do(ctx, d, "other-scope", "id-1", 1, create("x")); err != nil || calls.Load() != 2 {
			t.Fatalf("another scope shares the id: err %v calls %d", err, calls.Load())
		}
	})

	t.Run("same id different request is refused", func(t *testing.T) {
		_, err := do(ctx, d, "s", "id-1", 2, create("x"))
		if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "request_id") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("window expires", func(t *testing.T) {
		calls.Store(0)
		if _, err := do(ctx, d, "s", "id-2", 1, create("a")); err != nil {
			t.Fatal(err)
		}
		advance(2 * time.Minute)
		got, err := do(ctx, d, "s", "id-2", 1, create("b"))
		if err != nil || got.GetValue() != "b" || calls.Load() != 2 {
			t.Fatalf("after the window: %v %v calls %d", got, err, calls.Load())
		}
	})

	t.Run("concurrent duplicates wait for the first", func(t *testing.T) {
		calls.Store(0)
		release := make(chan struct{})
		slow := func(context.Context) (*wrapperspb.StringValue, error) {
			calls.Add(1)
			<-release
			return wrapperspb.String("slow"), nil
		}
		var wg sync.WaitGroup
		results := make([]string, 20)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := do(ctx, d, "s", "id-3", 1, slow)
				if err == nil {
					results[i] = v.GetValue()
				}
			}()
		}
		time.Sleep(10 * time.Millisecond) // let them pile up; correctness does not depend on it
		close(release)
		wg.Wait()
		for i, r := range results {
			if r != "slow" {
				t.Fatalf("result %d = %q", i, r)
			}
		}
		if calls.Load() != 1 {
			t.Fatalf("calls = %d, want 1", calls.Load())
		}
	})

	t.Run("a failure Mode did not process can be retried", func(t *testing.T) {
		calls.Store(0)
		fail := func(context.Context) (*wrapperspb.StringValue, error) {
			calls.Add(1)
			return nil, upstreamError(&modeclient.APIError{StatusCode: 429, Method: "POST", Route: "/r"}, "r")
		}
		if _, err := do(ctx, d, "s", "id-4", 1, fail); connect.CodeOf(err) != connect.CodeUnavailable {
			t.Fatalf("err = %v", err)
		}
		got, err := do(ctx, d, "s", "id-4", 1, create("ok"))
		if err != nil || got.GetValue() != "ok" {
			t.Fatalf("retry after 429: %v %v", got, err)
		}
	})

	t.Run("a failure that may have been processed is not repeated", func(t *testing.T) {
		calls.Store(0)
		fail := func(context.Context) (*wrapperspb.StringValue, error) {
			calls.Add(1)
			return nil, upstreamError(&modeclient.APIError{StatusCode: 503, Method: "POST", Route: "/r"}, "r")
		}
		// The first answer and the retry's say the outcome is unknown, and
		// neither invites a retry (no RetryInfo, unlike the 503's own).
		_, err1 := do(ctx, d, "s", "id-5", 1, fail)
		_, err2 := do(ctx, d, "s", "id-5", 1, create("again"))
		if calls.Load() != 1 {
			t.Fatalf("retry repeated the create: calls %d", calls.Load())
		}
		for i, err := range []error{err1, err2} {
			if connect.CodeOf(err) != connect.CodeAborted || !errdetail.HasReason(err, ReasonCreateOutcomeUnknown) {
				t.Fatalf("answer %d = %v, want Aborted %s", i+1, err, ReasonCreateOutcomeUnknown)
			}
			if _, retry, _, _ := details(t, err); retry != nil {
				t.Errorf("answer %d has RetryInfo %v", i+1, retry)
			}
		}
		if err1.Error() != err2.Error() {
			t.Errorf("the retry's answer %q differs from the first %q", err2, err1)
		}
	})
}
