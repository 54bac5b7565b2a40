package telemetry_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// collectorConfigPath is the OpenTelemetry Collector configuration the
// deployment runs (deploy/README.md). deploy/collectorcheck, a module of
// its own, loads it with the Collector's own code; this test checks its
// structure, and that it fits what this package sends, without the
// Collector's dependencies.
var collectorConfigPath = filepath.Join("..", "deploy", "otel-collector.yaml")

// collectorConfig is the part of a Collector configuration checked here.
type collectorConfig struct {
	Receivers  map[string]map[string]any `yaml:"receivers"`
	Processors map[string]map[string]any `yaml:"processors"`
	Exporters  map[string]map[string]any `yaml:"exporters"`
	Extensions map[string]map[string]any `yaml:"extensions"`
	Connectors map[string]map[string]any `yaml:"connectors"`
	Service    struct {
		Extensions []string `yaml:"extensions"`
		Pipelines  map[string]struct {
			Receivers  []string `yaml:"receivers"`
			Processors []string `yaml:"processors"`
			Exporters  []string `yaml:"exporters"`
		} `yaml:"pipelines"`
		Telemetry map[string]any `yaml:"telemetry"`
	} `yaml:"service"`
}

// componentType is the type of a component id ("otlp/traces" → "otlp").
func componentType(id string) string {
	t, _, _ := strings.Cut(id, "/")
	return t
}

// lookup returns the value at a dotted path of nested maps.
func lookup(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

func loadCollectorConfig(t *testing.T) collectorConfig {
	t.Helper()
	b, err := os.ReadFile(collectorConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	var cfg collectorConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // a misspelt top-level or service key fails
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("%s: %v", collectorConfigPath, err)
	}
	return cfg
}

// TestCollectorConfig checks deploy/otel-collector.yaml: every pipeline
// references components that are defined, every defined component is used,
// each pipeline is memory_limiter → … → batch, OTLP comes in on the
// standard ports (4317 gRPC, 4318 HTTP: what this package's OTLP exporters
// send to), traces go out over OTLP to an endpoint taken from the
// environment, metrics to a Prometheus exporter, and health_check runs.
func TestCollectorConfig(t *testing.T) {
	cfg := loadCollectorConfig(t)
	sections := map[string]map[string]map[string]any{
		"receiver": cfg.Receivers, "processor": cfg.Processors, "exporter": cfg.Exporters,
	}
	used := map[string]map[string]bool{"receiver": {}, "processor": {}, "exporter": {}}
	idPattern := regexp.MustCompile(`^[a-z][a-z0-9_]*(/[A-Za-z0-9_.\-]+)?$`)
	for kind, defined := range sections {
		for id := range defined {
			if !idPattern.MatchString(id) {
				t.Errorf("%s id %q is not type[/name]", kind, id)
			}
		}
	}
	if len(cfg.Connectors) > 0 {
		t.Errorf("connectors are defined but this check does not know them: %v", cfg.Connectors)
	}

	signals := map[string]bool{}
	for name, p := range cfg.Service.Pipelines {
		signal := componentType(name)
		if !slices.Contains([]string{"traces", "metrics", "logs"}, signal) {
			t.Errorf("pipeline %q: %q is not a signal", name, signal)
		}
		signals[signal] = true
		if len(p.Receivers) == 0 || len(p.Exporters) == 0 {
			t.Errorf("pipeline %q needs receivers and exporters", name)
		}
		for kind, ids := range map[string][]string{"receiver": p.Receivers, "processor": p.Processors, "exporter": p.Exporters} {
			for _, id := range ids {
				if _, ok := sections[kind][id]; !ok {
					t.Errorf("pipeline %q references %s %q, which is not defined", name, kind, id)
				}
				used[kind][id] = true
			}
		}
		if len(p.Processors) < 2 || p.Processors[0] != "memory_limiter" || componentType(p.Processors[len(p.Processors)-1]) != "batch" {
			t.Errorf("pipeline %q processors %v: want memory_limiter first and batch last", name, p.Processors)
		}
		for _, id := range p.Exporters {
			if typ := componentType(id); signal != "metrics" && (typ == "prometheus" || typ == "prometheusremotewrite") {
				t.Errorf("pipeline %q exports to %q, which takes metrics only", name, id)
			}
		}
	}
	for kind, defined := range sections {
		for id := range defined {
			if !used[kind][id] {
				t.Errorf("%s %q is defined but no pipeline uses it", kind, id)
			}
		}
	}
	if !signals["traces"] || !signals["metrics"] {
		t.Errorf("pipelines %v: want traces and metrics", cfg.Service.Pipelines)
	}

	// Extensions: defined ⇔ enabled; health_check among them.
	for _, id := range cfg.Service.Extensions {
		if _, ok := cfg.Extensions[id]; !ok {
			t.Errorf("service enables extension %q, which is not defined", id)
		}
	}
	for id := range cfg.Extensions {
		if !slices.Contains(cfg.Service.Extensions, id) {
			t.Errorf("extension %q is defined but not enabled in service.extensions", id)
		}
	}
	if !slices.ContainsFunc(cfg.Service.Extensions, func(id string) bool { return componentType(id) == "health_check" }) {
		t.Error("no health_check extension")
	}

	// OTLP in, on the standard ports, reachable from other hosts (pods).
	otlp, ok := cfg.Receivers["otlp"]
	if !ok {
		t.Fatal("no otlp receiver")
	}
	for proto, port := range map[string]string{"grpc": "4317", "http": "4318"} {
		ep, _ := lookup(otlp, "protocols."+proto+".endpoint").(string)
		host, p, err := net.SplitHostPort(ep)
		if err != nil || p != port || (host != "0.0.0.0" && host != "" && host != "[::]" && host != "::") {
			t.Errorf("otlp receiver %s endpoint %q: want 0.0.0.0:%s", proto, ep, port)
		}
	}

	// Traces out over OTLP, to an endpoint from the environment; metrics to Prometheus.
	for name, p := range cfg.Service.Pipelines {
		for _, id := range p.Exporters {
			exp := cfg.Exporters[id]
			switch typ := componentType(id); {
			case componentType(name) == "traces" && (typ == "otlp" || typ == "otlphttp"):
				ep, _ := exp["endpoint"].(string)
				if !regexp.MustCompile(`^\$\{env:[A-Z_][A-Z0-9_]*(:-[^}]+)?\}$`).MatchString(ep) {
					t.Errorf("traces exporter %q endpoint %q: want ${env:VAR:-default}", id, ep)
				}
			case componentType(name) == "metrics" && typ == "prometheus":
				ep, _ := exp["endpoint"].(string)
				if _, port, err := net.SplitHostPort(ep); err != nil || port != "8889" {
					t.Errorf("prometheus exporter endpoint %q: want port 8889", ep)
				}
			}
		}
	}
	tracesOut := slices.ContainsFunc(cfg.Service.Pipelines["traces"].Exporters, func(id string) bool {
		return componentType(id) == "otlp" || componentType(id) == "otlphttp"
	})
	metricsOut := slices.ContainsFunc(cfg.Service.Pipelines["metrics"].Exporters, func(id string) bool {
		return componentType(id) == "prometheus" || componentType(id) == "prometheusremotewrite"
	})
	if !tracesOut || !metricsOut {
		t.Errorf("want traces exported over OTLP (%v) and metrics to Prometheus (%v)", tracesOut, metricsOut)
	}
}
