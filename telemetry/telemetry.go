// Package telemetry sets up OpenTelemetry for modeplatform and instruments
// its layers, so that one trace runs from a caller's span through the
// Connect handler and the response cache down to the HTTP request sent to
// Mode, and so that the same work shows up in metrics and logs:
//
//   - Setup configures tracing and metrics from the standard OTEL_*
//     environment variables (through go.opentelemetry.io/contrib/exporters/autoexport),
//     installs the W3C tracecontext and baggage propagators globally and
//     describes the process as a resource (service.name, service.version,
//     service.instance.id). Telemetry.Shutdown flushes what is buffered.
//   - Telemetry.HandlerOptions instruments the Connect handlers (a server
//     span continuing the caller's trace, the RPC duration histogram, the
//     access log) with one interceptor.
//   - Telemetry.ModeClientOptions instruments modeclient: HTTP client spans
//     named after route templates, traceparent on every request to Mode, a
//     span around every cached read, retries as span events, upstream
//     metrics.
//   - Telemetry.ObserveCache exports the response cache's counters.
//   - RecordWait (and Telemetry.RecordWait) records time spent waiting
//     before a request could go on (the upstream rate limit, a concurrency
//     slot) as a span event and a histogram.
//   - Telemetry.AdminHandler serves /metrics (Prometheus text) and
//     /debug/pprof/.
//   - NewLogHandler adds trace_id and span_id to every log record made
//     inside a traced request.
//
// Nothing here records a credential: no header is copied into spans,
// URLs lose their userinfo, metric labels are route templates and codes.
package telemetry

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of the spans and metrics this
// package creates itself.
const ScopeName = "github.com/modeplatform/modeplatform/telemetry"

// DefaultServiceName is service.name when neither Config.ServiceName nor
// OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES set one.
const DefaultServiceName = "modeplatform"

// Config adjusts Setup. The zero value is ready to use: everything else
// comes from the OTEL_* environment variables.
type Config struct {
	// ServiceName is service.name unless OTEL_SERVICE_NAME or
	// OTEL_RESOURCE_ATTRIBUTES set it (the environment wins); default
	// DefaultServiceName.
	ServiceName string
	// ServiceVersion is service.version; default the main module's version
	// from the build info, or "dev".
	ServiceVersion string
	// InstanceID is service.instance.id; default a random UUID.
	InstanceID string

	// Stdout receives what the "console" trace and metric exporters write;
	// default os.Stdout.
	Stdout io.Writer
	// Logger receives OpenTelemetry's own errors (a failed export, say);
	// default slog.Default().
	Logger *slog.Logger

	// SpanExporters are added besides the exporters chosen by the
	// environment, and fed the same way: through a batch span processor
	// (OTEL_BSP_* apply) that receives ended spans in bursts.
	SpanExporters []sdktrace.SpanExporter
	// SpanProcessors are added to the tracer provider as they are (tests:
	// an in-memory exporter behind a simple span processor).
	SpanProcessors []sdktrace.SpanProcessor
	// MetricReaders are added to the meter provider besides the Prometheus
	// reader behind AdminHandler and the readers chosen by the environment.
	MetricReaders []sdkmetric.Reader
}

// Telemetry holds the tracer and meter providers Setup built and the
// instruments of this package. Its methods are safe for concurrent use.
type Telemetry struct {
	res      *resource.Resource
	tp       *sdktrace.TracerProvider
	tracing  trace.TracerProvider // tp, or a no-op provider when no span goes anywhere
	mp       *sdkmetric.MeterProvider
	prop     propagation.TextMapPropagator
	registry *prometheus.Registry
	inst     instruments
	logger   *slog.Logger

	mu       sync.Mutex
	regs     []metric.Registration
	shutdown bool
}

// Setup builds the tracer and meter providers from cfg and the environment,
// installs them and the W3C tracecontext + baggage propagator as
// OpenTelemetry's globals, and returns the handle for instrumenting the
// server. Call Shutdown before the process exits to flush buffered spans and
// metrics.
//
// Traces go where OTEL_TRACES_EXPORTER says: "otlp" (to
// OTEL_EXPORTER_OTLP_ENDPOINT, protocol OTEL_EXPORTER_OTLP_PROTOCOL,
// "http/protobuf" by default, or "grpc"), "console" (JSON lines to
// Config.Stdout) or "none"; a comma-separated list combines them. Unlike the
// specification's default, an unset OTEL_TRACES_EXPORTER means "otlp" only
// when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and "none" otherwise, so that a
// server started with nothing configured does not report failed exports to
// localhost:4318 forever. OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG,
// OTEL_BSP_* and OTEL_RESOURCE_ATTRIBUTES are honoured by the SDK. Each
// exporter is fed by the SDK's batch span processor, which receives ended
// spans in bursts (up to 64 spans, or 100 ms) rather than one by one, so
// that ending a span does not wake the processor's goroutine every time.
//
// Metrics are always kept for AdminHandler's /metrics (Prometheus text);
// OTEL_METRICS_EXPORTER adds "otlp" or "console" readers with the same
// defaulting as traces ("prometheus" adds nothing: /metrics serves it).
func Setup(ctx context.Context, cfg Config) (*Telemetry, error) {
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	res, err := newResource(ctx, cfg)
	if err != nil {
		return nil, err
	}

	spanExporters, err := spanExportersFromEnv(ctx, cfg.Stdout)
	if err != nil {
		return nil, err
	}
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	processors := 0
	for _, e := range append(spanExporters, cfg.SpanExporters...) {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(newSpanBuffer(sdktrace.NewBatchSpanProcessor(e), spanBurst, spanBufferDelay)))
		processors++
	}
	for _, p := range cfg.SpanProcessors {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(p))
		processors++
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)
	// Spans are recorded only when they go somewhere: with no exporter and no
	// processor, the instrumentation gets a no-op tracer provider, whose spans
	// cost nothing and carry on the caller's span context (so a caller's
	// traceparent still reaches Mode and the logs still name its trace).
	var tracing trace.TracerProvider = tp
	if processors == 0 {
		tracing = tracenoop.NewTracerProvider()
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	promReader, err := otelprom.New(otelprom.WithRegisterer(registry))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("telemetry: prometheus exporter: %w", err), tp.Shutdown(ctx))
	}
	envReaders, err := metricReadersFromEnv(ctx, cfg.Stdout)
	if err != nil {
		return nil, errors.Join(err, tp.Shutdown(ctx), promReader.Shutdown(ctx))
	}
	mpOpts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(promReader)}
	for _, r := range envReaders {
		mpOpts = append(mpOpts, sdkmetric.WithReader(r))
	}
	for _, r := range cfg.MetricReaders {
		mpOpts = append(mpOpts, sdkmetric.WithReader(r))
	}
	mp := sdkmetric.NewMeterProvider(mpOpts...)

	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	t := &Telemetry{
		res: res, tp: tp, tracing: tracing, mp: mp, prop: prop, registry: registry,
		logger: cfg.Logger,
	}
	fail := func(err error) (*Telemetry, error) {
		return nil, errors.Join(err, tp.Shutdown(ctx), mp.Shutdown(ctx))
	}
	if t.inst, err = newInstruments(mp.Meter(ScopeName)); err != nil {
		return fail(err)
	}

	otel.SetTracerProvider(tracing)
	otel.SetMeterProvider(mp)
	current.Store(t)
	otel.SetTextMapPropagator(prop)
	logger := cfg.Logger
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.LogAttrs(context.Background(), slog.LevelWarn, "opentelemetry", slog.String("error", err.Error()))
	}))
	return t, nil
}

// newResource describes this process. Attributes from the environment
// (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) win over cfg's.
func newResource(ctx context.Context, cfg Config) (*resource.Resource, error) {
	name := cfg.ServiceName
	if name == "" {
		name = DefaultServiceName
	}
	version := cfg.ServiceVersion
	if version == "" {
		version = buildVersion()
	}
	id := cfg.InstanceID
	if id == "" {
		id = newUUID()
	}
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithProcessPID(),
		resource.WithProcessRuntimeName(),
		resource.WithProcessRuntimeVersion(),
		resource.WithAttributes(
			semconv.ServiceName(name),
			semconv.ServiceVersion(version),
			semconv.ServiceInstanceID(id),
		),
		resource.WithFromEnv(), // last: the environment overrides the defaults above
	)
	if err != nil && res == nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	// A partial resource (a detector failed, e.g. no hostname) is still usable.
	return res, nil
}

// buildVersion is the main module's version, or "dev".
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// TracerProvider returns the tracer provider (also installed globally): the
// SDK's, or a no-op provider when no span would be exported (no exporter
// configured, no Config.SpanExporters or Config.SpanProcessors), so that
// nothing is recorded for nobody.
func (t *Telemetry) TracerProvider() trace.TracerProvider { return t.tracing }

// MeterProvider returns the meter provider (also installed globally).
func (t *Telemetry) MeterProvider() metric.MeterProvider { return t.mp }

// Propagator returns the W3C tracecontext + baggage propagator (also
// installed globally).
func (t *Telemetry) Propagator() propagation.TextMapPropagator { return t.prop }

// Resource returns the resource describing this process.
func (t *Telemetry) Resource() *resource.Resource { return t.res }

// ForceFlush exports every finished span and the current metrics now.
func (t *Telemetry) ForceFlush(ctx context.Context) error {
	return errors.Join(t.tp.ForceFlush(ctx), t.mp.ForceFlush(ctx))
}

// Shutdown flushes and stops the tracer and meter providers and their
// exporters. Spans and metrics recorded afterwards are dropped. It is safe
// to call more than once; ctx bounds how long flushing may take.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	t.mu.Lock()
	if t.shutdown {
		t.mu.Unlock()
		return nil
	}
	t.shutdown = true
	current.CompareAndSwap(t, nil)
	regs := t.regs
	t.regs = nil
	t.mu.Unlock()
	// The meter provider's final collection still reads the cache; the
	// callbacks go afterwards.
	errs := []error{t.tp.Shutdown(ctx), t.mp.Shutdown(ctx)}
	for _, r := range regs {
		errs = append(errs, r.Unregister())
	}
	return errors.Join(errs...)
}
