package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Exporters are chosen from OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER.
// A single value other than "console" and "none" goes to autoexport, which
// also knows names registered with autoexport.Register*. "console" is built
// here so that it writes to Config.Stdout (autoexport's writes to os.Stdout).
// Comma-separated lists are split here, since autoexport reads one name;
// their "otlp" member is built with the same protocol rules as autoexport.

const (
	envTracesExporter  = "OTEL_TRACES_EXPORTER"
	envMetricsExporter = "OTEL_METRICS_EXPORTER"
)

// envList splits a comma-separated environment variable into trimmed,
// lower-cased, non-empty names.
func envList(key string) []string {
	var out []string
	for _, s := range strings.Split(os.Getenv(key), ",") {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// otlpEndpointSet reports whether an OTLP endpoint is configured for signal
// ("TRACES" or "METRICS").
func otlpEndpointSet(signal string) bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_"+signal+"_ENDPOINT") != ""
}

// otlpProtocol is the OTLP protocol configured for signal: "http/protobuf"
// (default) or "grpc".
func otlpProtocol(signal string) (string, error) {
	p := os.Getenv("OTEL_EXPORTER_OTLP_" + signal + "_PROTOCOL")
	if p == "" {
		p = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch p {
	case "", "http/protobuf":
		return "http/protobuf", nil
	case "grpc":
		return "grpc", nil
	}
	return "", fmt.Errorf("telemetry: OTLP protocol %q is not supported (use http/protobuf or grpc)", p)
}

// spanExportersFromEnv returns the span exporters OTEL_TRACES_EXPORTER asks for.
func spanExportersFromEnv(ctx context.Context, stdout io.Writer) ([]sdktrace.SpanExporter, error) {
	names := envList(envTracesExporter)
	if len(names) == 0 {
		if !otlpEndpointSet("TRACES") {
			return nil, nil
		}
		names = []string{"otlp"}
	}
	var out []sdktrace.SpanExporter
	fail := func(err error) ([]sdktrace.SpanExporter, error) {
		for _, e := range out {
			err = errors.Join(err, e.Shutdown(ctx))
		}
		return nil, fmt.Errorf("telemetry: %s: %w", envTracesExporter, err)
	}
	for _, name := range names {
		var (
			e   sdktrace.SpanExporter
			err error
		)
		switch {
		case name == "none":
			continue
		case name == "console":
			e, err = stdouttrace.New(stdouttrace.WithWriter(stdout))
		case len(names) == 1:
			// One name (or none, with an OTLP endpoint set: autoexport's default is otlp).
			e, err = autoexport.NewSpanExporter(ctx)
		case name == "otlp":
			e, err = otlpSpanExporter(ctx)
		default:
			err = fmt.Errorf("exporter %q is not supported in a list", name)
		}
		if err != nil {
			return fail(err)
		}
		if autoexport.IsNoneSpanExporter(e) {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// otlpSpanExporter builds an OTLP span exporter as autoexport's "otlp" does.
func otlpSpanExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	p, err := otlpProtocol("TRACES")
	if err != nil {
		return nil, err
	}
	if p == "grpc" {
		return otlptracegrpc.New(ctx)
	}
	return otlptracehttp.New(ctx)
}

// metricReadersFromEnv returns the metric readers OTEL_METRICS_EXPORTER asks
// for, besides the Prometheus reader that is always there.
func metricReadersFromEnv(ctx context.Context, stdout io.Writer) ([]sdkmetric.Reader, error) {
	names := envList(envMetricsExporter)
	if len(names) == 0 {
		if !otlpEndpointSet("METRICS") {
			return nil, nil
		}
		names = []string{"otlp"}
	}
	var out []sdkmetric.Reader
	fail := func(err error) ([]sdkmetric.Reader, error) {
		for _, r := range out {
			err = errors.Join(err, r.Shutdown(ctx))
		}
		return nil, fmt.Errorf("telemetry: %s: %w", envMetricsExporter, err)
	}
	for _, name := range names {
		var (
			r   sdkmetric.Reader
			err error
		)
		switch {
		case name == "none", name == "prometheus":
			// "prometheus" is served by AdminHandler's /metrics, not by a server of autoexport's.
			continue
		case name == "console":
			var e sdkmetric.Exporter
			if e, err = stdoutmetric.New(stdoutmetric.WithWriter(stdout)); err == nil {
				r = sdkmetric.NewPeriodicReader(e)
			}
		case len(names) == 1:
			r, err = autoexport.NewMetricReader(ctx)
		case name == "otlp":
			r, err = otlpMetricReader(ctx)
		default:
			err = fmt.Errorf("exporter %q is not supported in a list", name)
		}
		if err != nil {
			return fail(err)
		}
		if autoexport.IsNoneMetricReader(r) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// otlpMetricReader builds a periodic OTLP metric reader as autoexport's "otlp" does.
func otlpMetricReader(ctx context.Context) (sdkmetric.Reader, error) {
	p, err := otlpProtocol("METRICS")
	if err != nil {
		return nil, err
	}
	var e sdkmetric.Exporter
	if p == "grpc" {
		e, err = otlpmetricgrpc.New(ctx)
	} else {
		e, err = otlpmetrichttp.New(ctx)
	}
	if err != nil {
		return nil, err
	}
	return sdkmetric.NewPeriodicReader(e), nil
}
