package modeclient_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// spyTransport records, for every request, the span context and route the
// request's context carries (what a tracing transport such as otelhttp sees),
// and can hold requests until released.
type spyTransport struct {
	next http.RoundTripper

	mu      sync.Mutex
	parents []trace.SpanContext
	routes  []string
	arrived chan struct{} // receives once per request, when set
	release chan struct{} // requests wait for it, when set
}

func (s *spyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	method, route, _ := modeclient.RouteFromContext(r.Context())
	s.mu.Lock()
	s.parents = append(s.parents, trace.SpanContextFromContext(r.Context()))
	s.routes = append(s.routes, method+" "+route)
	arrived, release := s.arrived, s.release
	s.mu.Unlock()
	if arrived != nil {
		arrived <- struct{}{}
	}
	if release != nil {
		<-release
	}
	return s.next.RoundTrip(r)
}

type tracingFixture struct {
	mode   *modetest.Server
	spy    *spyTransport
	spans  *tracetest.InMemoryExporter
	tp     *sdktrace.TracerProvider
	cache  *cache.Cache
	client *modeclient.Client
}

func newTracingFixture(t *testing.T, tracing bool) *tracingFixture {
	t.Helper()
	mode := modetest.NewServer(t, modetest.WithRateLimit(0, 0))
	f := &tracingFixture{mode: mode, spy: &spyTransport{next: mode.Client().Transport}, spans: tracetest.NewInMemoryExporter()}
	f.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.spans))
	t.Cleanup(func() { _ = f.tp.Shutdown(context.Background()) })
	ch, err := cache.New(cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ch.Close)
	f.cache = ch
	opts := []modeclient.Option{modeclient.WithCache(ch), modeclient.WithHTTPClient(&http.Client{Transport: f.spy})}
	if tracing {
		opts = append(opts, modeclient.WithTracerProvider(f.tp))
	}
	f.client, err = modeclient.New(mode.URL, modeclient.Credential{Token: mode.Token, Secret: mode.Secret}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func spanAttr(sp tracetest.SpanStub, key string) string {
	for _, kv := range sp.Attributes {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// TestCacheSpan: a cached GET is wrapped in a span carrying the cache
// outcome, the route template and the upstream request count, child of the
// caller's span; the HTTP request of a miss runs in that span's context (so
// a tracing transport makes its span a child) with the route on its context.
func TestCacheSpan(t *testing.T) {
	f := newTracingFixture(t, true)
	demo := f.mode.Demo()
	ctx, parent := f.tp.Tracer("test").Start(t.Context(), "rpc")
	get := func(ctx context.Context) {
		t.Helper()
		if _, err := f.client.GetReport(ctx, demo.Workspace, demo.Reports[0]); err != nil {
			t.Fatalf("GetReport: %v", err)
		}
	}
	get(ctx)
	get(ctx)
	get(modeclient.WithCacheBypass(ctx))
	parent.End()

	spans := f.spans.GetSpans()
	var cacheSpans tracetest.SpanStubs
	for _, sp := range spans {
		if sp.Name == modeclient.CacheSpanName {
			cacheSpans = append(cacheSpans, sp)
		}
	}
	// The hit between them has no span of its own.
	if len(cacheSpans) != 2 {
		t.Fatalf("%d cache spans, want 2 (a miss, a bypass; none for the hit)", len(cacheSpans))
	}
	for i, want := range []struct{ outcome, requests string }{{"miss", "1"}, {"bypass", "1"}} {
		sp := cacheSpans[i]
		if got := spanAttr(sp, "cache.outcome"); got != want.outcome {
			t.Errorf("span %d cache.outcome = %q, want %q", i, got, want.outcome)
		}
		if got := spanAttr(sp, "modeclient.upstream_requests"); got != want.requests {
			t.Errorf("span %d upstream requests = %q, want %s", i, got, want.requests)
		}
		if got := spanAttr(sp, "url.template"); got != "/api/{workspace}/reports/{report}" {
			t.Errorf("span %d url.template = %q", i, got)
		}
		if sp.Parent.SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("span %d is not a child of the caller's span", i)
		}
	}
	f.spy.mu.Lock()
	defer f.spy.mu.Unlock()
	if len(f.spy.parents) != 2 {
		t.Fatalf("%d upstream requests, want 2", len(f.spy.parents))
	}
	for i := range 2 {
		if got, want := f.spy.parents[i].SpanID(), cacheSpans[i].SpanContext.SpanID(); got != want {
			t.Errorf("request %d runs in span %s, want the cache span %s", i, got, want)
		}
		if f.spy.routes[i] != "GET /api/{workspace}/reports/{report}" {
			t.Errorf("request %d route %q", i, f.spy.routes[i])
		}
	}
}

// TestCacheSpanCoalesced: a caller that waits on another's fetch gets a
// cache span with outcome coalesced and no upstream request.
func TestCacheSpanCoalesced(t *testing.T) {
	f := newTracingFixture(t, true)
	demo := f.mode.Demo()
	f.spy.arrived, f.spy.release = make(chan struct{}, 1), make(chan struct{})
	errs := make(chan error, 2)
	go func() {
		_, err := f.client.GetReport(t.Context(), demo.Workspace, demo.Reports[0])
		errs <- err
	}()
	<-f.spy.arrived // the first caller's fetch is in flight
	go func() {
		_, err := f.client.GetReport(t.Context(), demo.Workspace, demo.Reports[0])
		errs <- err
	}()
	for f.cache.Stats().Coalesced == 0 {
		time.Sleep(time.Millisecond) // until the second caller has joined the fetch
	}
	close(f.spy.release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("GetReport: %v", err)
		}
	}
	outcomes := map[string]string{}
	for _, sp := range f.spans.GetSpans() {
		outcomes[spanAttr(sp, "cache.outcome")] = spanAttr(sp, "modeclient.upstream_requests")
	}
	if outcomes["miss"] != "1" || outcomes["coalesced"] != "0" || len(outcomes) != 2 {
		t.Errorf("cache spans (outcome: upstream requests) %v, want miss: 1, coalesced: 0", outcomes)
	}
}

// TestCacheSpanError: a failed read marks the span as an error with Mode's
// status, and nothing in it carries the credential.
func TestCacheSpanError(t *testing.T) {
	f := newTracingFixture(t, true)
	demo := f.mode.Demo()
	if _, err := f.client.GetReport(t.Context(), demo.Workspace, "ffffffffffff"); err == nil {
		t.Fatal("GetReport of a missing report succeeded")
	}
	spans := f.spans.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	sp := spans[0]
	if sp.Status.Code != codes.Error || spanAttr(sp, "http.response.status_code") != "404" || spanAttr(sp, "cache.outcome") != "miss" {
		t.Errorf("span status %v, attributes %v", sp.Status, sp.Attributes)
	}
	all := sp.Status.Description
	for _, kv := range sp.Attributes {
		all += " " + kv.Value.Emit()
	}
	for _, secret := range []string{f.mode.Token, f.mode.Secret} {
		if strings.Contains(all, secret) {
			t.Errorf("span carries a credential: %s", all)
		}
	}
}

// TestNoTracerNoSpan: without WithTracerProvider the client starts no span,
// even with a global tracer provider installed.
func TestNoTracerNoSpan(t *testing.T) {
	f := newTracingFixture(t, false)
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(f.tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	demo := f.mode.Demo()
	for range 2 {
		if _, err := f.client.GetReport(t.Context(), demo.Workspace, demo.Reports[0]); err != nil {
			t.Fatalf("GetReport: %v", err)
		}
	}
	if n := len(f.spans.GetSpans()); n != 0 {
		t.Errorf("%d spans without WithTracerProvider", n)
	}
}

// TestCacheSpanRoutes: the cache span of each route carries that route's
// template and method, also when the same routes are read again bypassing
// the cache (the start options are kept per route), and is an internal span;
// the hits in between have none.
func TestCacheSpanRoutes(t *testing.T) {
	f := newTracingFixture(t, true)
	demo := f.mode.Demo()
	for i := range 3 {
		ctx := t.Context()
		if i == 2 {
			ctx = modeclient.WithCacheBypass(ctx)
		}
		if _, err := f.client.GetReport(ctx, demo.Workspace, demo.Reports[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := f.client.GetWorkspace(ctx, demo.Workspace); err != nil {
			t.Fatal(err)
		}
		if _, err := f.client.GetSpace(ctx, demo.Workspace, demo.Spaces[0]); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"/api/{workspace}/reports/{report}", "/api/{workspace}", "/api/{workspace}/spaces/{space}"}
	spans := f.spans.GetSpans()
	if len(spans) != 6 {
		t.Fatalf("%d spans, want 6", len(spans))
	}
	for i, sp := range spans {
		if got := spanAttr(sp, "url.template"); got != want[i%3] {
			t.Errorf("span %d url.template = %q, want %q", i, got, want[i%3])
		}
		if got := spanAttr(sp, "http.request.method"); got != http.MethodGet {
			t.Errorf("span %d http.request.method = %q", i, got)
		}
		if sp.SpanKind != trace.SpanKindInternal {
			t.Errorf("span %d kind %v", i, sp.SpanKind)
		}
		if got, want := spanAttr(sp, "cache.outcome"), map[bool]string{false: "miss", true: "bypass"}[i >= 3]; got != want {
			t.Errorf("span %d cache.outcome = %q, want %q", i, got, want)
		}
	}
}

// TestCacheSpanUnsampled: under a parent that is not sampled no cache span
// is recorded, and the request still carries the parent's trace (what a
// tracing transport propagates).
func TestCacheSpanUnsampled(t *testing.T) {
	f := newTracingFixture(t, true)
	demo := f.mode.Demo()
	unsampled := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	ctx, parent := unsampled.Tracer("test").Start(t.Context(), "rpc")
	for range 2 {
		if _, err := f.client.GetReport(ctx, demo.Workspace, demo.Reports[0]); err != nil {
			t.Fatal(err)
		}
	}
	parent.End()
	if n := len(f.spans.GetSpans()); n != 0 {
		t.Errorf("%d spans recorded under an unsampled parent", n)
	}
	f.spy.mu.Lock()
	defer f.spy.mu.Unlock()
	if len(f.spy.parents) != 1 || f.spy.parents[0].TraceID() != parent.SpanContext().TraceID() || f.spy.parents[0].IsSampled() {
		t.Errorf("request span contexts %v, want the unsampled parent's trace", f.spy.parents)
	}
}

// discardSpans is a span exporter that drops what it gets.
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }

// BenchmarkCacheSpanHit measures a cache hit (GetReport, decoding
// included) without and with the cache span (every span sampled and handed
// synchronously to an exporter that drops it).
func BenchmarkCacheSpanHit(b *testing.B) {
	for _, tracing := range []bool{false, true} {
		b.Run(map[bool]string{false: "tracing=off", true: "tracing=on"}[tracing], func(b *testing.B) {
			mode := modetest.NewServer(b, modetest.WithRateLimit(0, 0))
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(discardSpans{}))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			ch, err := cache.New(cache.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(ch.Close)
			opts := []modeclient.Option{modeclient.WithCache(ch), modeclient.WithHTTPClient(mode.Client())}
			if tracing {
				opts = append(opts, modeclient.WithTracerProvider(tp))
			}
			client, err := modeclient.New(mode.URL, modeclient.Credential{Token: mode.Token, Secret: mode.Secret}, opts...)
			if err != nil {
				b.Fatal(err)
			}
			demo := mode.Demo()
			ctx := b.Context()
			if _, err := client.GetReport(ctx, demo.Workspace, demo.Reports[0]); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.GetReport(ctx, demo.Workspace, demo.Reports[0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
