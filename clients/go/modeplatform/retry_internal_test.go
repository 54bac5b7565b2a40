package modeplatform

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/durationpb"
)

func TestRetryDelay(t *testing.T) {
	withRetryInfo := func(code connect.Code, d time.Duration) error {
		e := connect.NewError(code, errors.New("the stream was open for its maximum lifetime"))
		detail, err := connect.NewErrorDetail(&errdetails.RetryInfo{RetryDelay: durationpb.New(d)})
		if err != nil {
			t.Fatal(err)
		}
		e.AddDetail(detail)
		return e
	}
	tests := []struct {
		name      string
		err       error
		wantRetry bool
		wantDelay time.Duration
	}{
		{name: "Unavailable with RetryInfo", err: withRetryInfo(connect.CodeUnavailable, 2*time.Second), wantRetry: true, wantDelay: 2 * time.Second},
		{name: "wrapped", err: fmt.Errorf("watch: %w", withRetryInfo(connect.CodeUnavailable, time.Second)), wantRetry: true, wantDelay: time.Second},
		{name: "Unavailable without RetryInfo", err: connect.NewError(connect.CodeUnavailable, errors.New("draining")), wantRetry: true, wantDelay: defaultRetryDelay},
		{name: "a delay too long is bounded", err: withRetryInfo(connect.CodeUnavailable, time.Hour), wantRetry: true, wantDelay: maxRetryDelay},
		{name: "a negative delay is none", err: withRetryInfo(connect.CodeUnavailable, -time.Second), wantRetry: true, wantDelay: 0},
		{name: "ResourceExhausted is not retried", err: withRetryInfo(connect.CodeResourceExhausted, time.Second)},
		{name: "NotFound", err: connect.NewError(connect.CodeNotFound, errors.New("no such run"))},
		{name: "not a Connect error", err: errors.New("dial tcp: refused")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			delay, retry := retryDelay(tt.err)
			if retry != tt.wantRetry || delay != tt.wantDelay {
				t.Errorf("retryDelay = %v, %v; want %v, %v", delay, retry, tt.wantDelay, tt.wantRetry)
			}
		})
	}
}
