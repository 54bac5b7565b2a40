package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/service"
	"github.com/modeplatform/modeplatform/sharedcache"
	"github.com/modeplatform/modeplatform/sharedcache/redistest"
)

func TestRedisURLSetting(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{name: "unset: no shared cache", want: ""},
		{name: "from the environment", env: map[string]string{"REDIS_URL": "redis://redis:6379/0"}, want: "redis://redis:6379/0"},
		{name: "TLS with a password", env: map[string]string{"REDIS_URL": "rediss://:s3cret-pw@redis:6380/1"}, want: "rediss://:s3cret-pw@redis:6380/1"},
		{name: "the flag wins", args: []string{"--redis-url", "redis://a:1/0"}, env: map[string]string{"REDIS_URL": "redis://b:2/0"}, want: "redis://a:1/0"},
		{name: "not a URL", env: map[string]string{"REDIS_URL": "redis-host:6379"}, wantErr: true},
		{name: "a bad port, with a password", env: map[string]string{"REDIS_URL": "redis://:s3cret-pw@redis:port/0"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args, envMap(tt.env), io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseConfig: %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "REDIS_URL") || strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error %q: want it to name REDIS_URL and not echo the URL", err)
				}
				return
			}
			if c.redisURL != tt.want {
				t.Errorf("redisURL = %q, want %q", c.redisURL, tt.want)
			}
		})
	}
}

// countingTransport answers 204 and counts requests.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.n.Add(1)
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody}, nil
}

func TestSharedLimitTransport(t *testing.T) {
	rs := redistest.Start(t)
	l2, err := sharedcache.New(sharedcache.Options{URL: rs.URL, Namespace: "cmd-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	lim, err := l2.NewLimiter(1.0/3600, 1, nil) // one request, then one an hour
	if err != nil {
		t.Fatal(err)
	}
	next := &countingTransport{}
	s := &sharedCache{l2: l2, limit: lim}
	var wrapped atomic.Bool
	rt := s.wrapTransport(func(rt http.RoundTripper) http.RoundTripper { wrapped.Store(true); return rt })(next)
	if !wrapped.Load() {
		t.Error("the other wrapper (telemetry's) was dropped")
	}

	send := func(token string) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://mode.invalid/api/ws", nil)
		req.SetBasicAuth(token, "secret")
		resp, err := rt.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	tests := []struct {
		token    string
		wantSent bool
	}{
		{"token-a", true},
		{"token-a", false}, // the credential's budget is spent: refused at once, not sent
		{"token-b", true},  // another credential has its own
	}
	for i, tt := range tests {
		before := next.n.Load()
		err := send(tt.token)
		sent := next.n.Load() > before
		if sent != tt.wantSent {
			t.Errorf("request %d (%s): sent %v, want %v (err %v)", i, tt.token, sent, tt.wantSent, err)
		}
		if !tt.wantSent {
			var ns *modeclient.NotSentError
			if !errors.As(err, &ns) || ns.Reason != modeclient.NotSentRateLimited || ns.RetryAfter <= 0 {
				t.Errorf("request %d: error %v, want a rate-limited NotSentError with RetryAfter", i, err)
			}
		}
	}
}

func TestSharedCacheWithoutRedis(t *testing.T) {
	s, err := startSharedCache(config{}, nil, modeTarget{}, nil)
	if err != nil || s.l2 != nil || s.limit != nil {
		t.Fatalf("without REDIS_URL: %+v, %v; want an inert shared cache", s, err)
	}
	wrap := func(rt http.RoundTripper) http.RoundTripper { return rt }
	if got := s.wrapTransport(wrap); got == nil {
		t.Error("wrapTransport dropped the wrapper")
	}
	if st := s.requestIDStore(); st != nil {
		t.Errorf("without REDIS_URL the request_id store is %#v, want nil (each replica remembers its own)", st)
	}
	s.reportHealth(nil)
	s.close()
}

// TestRequestIDRecordStates: every state of a sharedcache request record has its service
// counterpart, and nothing else is lost in the conversion.
func TestRequestIDRecordStates(t *testing.T) {
	tests := []struct {
		in   sharedcache.RecordState
		want service.RequestIDState
	}{
		{0, 0},
		{sharedcache.RecordClaimed, service.RequestIDClaimed},
		{sharedcache.RecordPending, service.RequestIDPending},
		{sharedcache.RecordDone, service.RequestIDDone},
		{sharedcache.RecordAbandoned, service.RequestIDAbandoned},
	}
	for _, tt := range tests {
		t.Run(tt.in.String(), func(t *testing.T) {
			got := requestIDRecord(sharedcache.RequestRecord{State: tt.in, Fingerprint: "f", Outcome: []byte("o"), Token: "k"})
			want := service.RequestIDRecord{State: tt.want, Fingerprint: "f", Outcome: []byte("o"), Token: "k"}
			if got.State != want.State || got.Fingerprint != want.Fingerprint || string(got.Outcome) != string(want.Outcome) || got.Token != want.Token {
				t.Errorf("requestIDRecord = %+v, want %+v", got, want)
			}
		})
	}
}
