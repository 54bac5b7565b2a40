package telemetry

import (
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultAdminAddr is where the binary should serve AdminHandler unless
// ADMIN_ADDR says otherwise: loopback only, since pprof and metrics are not
// for the world.
const DefaultAdminAddr = "127.0.0.1:9090"

// MetricsHandler serves every metric in the Prometheus text format: this
// package's, otelconnect's and otelhttp's instruments (through the
// OpenTelemetry Prometheus exporter; names get unit and _total suffixes,
// e.g. rpc_server_call_duration_seconds, http_client_request_duration_seconds,
// modeplatform_cache_hits_total) plus the Go runtime and process collectors.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{})
}

// AdminHandler returns the admin mux: /metrics (MetricsHandler) and the
// net/http/pprof handlers under /debug/pprof/ (index, named profiles such as
// heap and goroutine, profile, symbol, trace). /debug/pprof/cmdline is left
// out on purpose: the command line may carry a credential passed as a flag.
// Serve it on its own, private listener (DefaultAdminAddr).
func (t *Telemetry) AdminHandler() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", t.MetricsHandler())
	mux.HandleFunc("/debug/pprof/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/debug/pprof/cmdline" {
			http.NotFound(w, r)
			return
		}
		pprof.Index(w, r)
	})
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
