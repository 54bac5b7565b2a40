// Package collectorcheck loads deploy/otel-collector.yaml with the OpenTelemetry Collector's own
// configuration code, as `otelcol validate` does: the configuration is resolved (files,
// ${env:…} references with their defaults), decoded strictly into each component's
// configuration type (an unknown or mistyped field fails), validated by each component, and
// every pipeline is checked against the components' factories (a receiver, processor or
// exporter that is not defined, or does not handle the pipeline's signal, fails).
//
// It is its own Go module so that the Collector's dependencies stay out of the server's and
// the deploy module's go.mod. All collector modules are at one release: core v0.165.0 / v1.71.0,
// contrib v0.165.0. Run it with
//
//	cd deploy/collectorcheck && go test ./...
package collectorcheck

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// configPath is the configuration under test.
var configPath = filepath.Join("..", "otel-collector.yaml")

// factories are the components of the contrib distribution the configuration uses.
func factories() (otelcol.Factories, error) {
	var (
		f    otelcol.Factories
		errs [4]error
	)
	f.Receivers, errs[0] = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory())
	f.Processors, errs[1] = otelcol.MakeFactoryMap[processor.Factory](batchprocessor.NewFactory(), memorylimiterprocessor.NewFactory())
	f.Exporters, errs[2] = otelcol.MakeFactoryMap[exporter.Factory](otlpexporter.NewFactory(), prometheusexporter.NewFactory())
	f.Extensions, errs[3] = otelcol.MakeFactoryMap[extension.Factory](healthcheckextension.NewFactory())
	f.Telemetry = otelconftelemetry.NewFactory()
	for _, err := range errs {
		if err != nil {
			return otelcol.Factories{}, err
		}
	}
	return f, nil
}

func collector(t *testing.T, path string) *otelcol.Collector {
	t.Helper()
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-check", Version: "test"},
		Factories: factories,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				URIs:              []string{"file:" + path},
				ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
				DefaultScheme:     "env",
			},
		},
	})
	if err != nil {
		t.Fatalf("NewCollector: %v", err)
	}
	return col
}

// TestCollectorConfig validates the configuration with its defaults and with the environment
// a deployment sets.
func TestCollectorConfig(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"defaults": {}, // both unset
		"tempo":    {"TRACES_ENDPOINT": "tempo.observability.svc:4317", "TRACES_INSECURE": "false"},
	} {
		t.Run(name, func(t *testing.T) {
			for _, k := range []string{"TRACES_ENDPOINT", "TRACES_INSECURE"} {
				t.Setenv(k, "") // restored afterwards
				if v, ok := env[k]; ok {
					t.Setenv(k, v)
				} else if err := os.Unsetenv(k); err != nil {
					t.Fatal(err)
				}
			}
			if err := collector(t, configPath).DryRun(context.Background()); err != nil {
				t.Fatalf("otel-collector.yaml does not validate: %v", err)
			}
		})
	}
}

// TestCollectorCheckCatches: the check is not vacuous: a pipeline naming an undefined
// exporter, a misspelt field and an exporter in a pipeline of a signal it does not handle
// all fail it.
func TestCollectorCheckCatches(t *testing.T) {
	for name, c := range map[string]struct{ yaml, want string }{
		"undefined exporter": {`
receivers: {otlp: {protocols: {http: {}}}}
exporters: {prometheus: {endpoint: "0.0.0.0:8889"}}
service: {pipelines: {metrics: {receivers: [otlp], exporters: [otlp/traces]}}}
`, `exporter "otlp/traces" which is not configured`},
		"unknown field": {`
receivers: {otlp: {protocols: {http: {}}}}
exporters: {prometheus: {endpont: "0.0.0.0:8889"}}
service: {pipelines: {metrics: {receivers: [otlp], exporters: [prometheus]}}}
`, "endpont"},
		"wrong signal": {`
receivers: {otlp: {protocols: {http: {}}}}
exporters: {prometheus: {endpoint: "0.0.0.0:8889"}}
service: {pipelines: {traces: {receivers: [otlp], exporters: [prometheus]}}}
`, `"prometheus" exporter for data type "traces": telemetry type is not supported`},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(path, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			err := collector(t, path).DryRun(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("DryRun = %v, want an error about %q", err, c.want)
			}
		})
	}
}
