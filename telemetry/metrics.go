package telemetry

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/metric"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// Metric names of this package's own instruments. The RPC duration
// (MetricRPCServerDuration) follows OpenTelemetry's semantic conventions for
// RPC servers, as otelconnect records it, and the upstream request duration
// (http.client.request.duration, by url.template, http.request.method and
// http.response.status_code) from otelhttp.
const (
	MetricRPCServerDuration   = "rpc.server.call.duration"
	MetricUpstreamRetries     = "modeplatform.upstream.retries"
	MetricUpstreamRateLimited = "modeplatform.upstream.rate_limited"
	MetricStreamMessages      = "modeplatform.stream.messages"
	MetricStreamRows          = "modeplatform.stream.rows"
	MetricStreamBytes         = "modeplatform.stream.bytes"

	MetricCacheHits          = "modeplatform.cache.hits"
	MetricCacheMisses        = "modeplatform.cache.misses"
	MetricCacheCoalesced     = "modeplatform.cache.coalesced"
	MetricCacheBypasses      = "modeplatform.cache.bypasses"
	MetricCacheEvictions     = "modeplatform.cache.evictions"
	MetricCacheExpirations   = "modeplatform.cache.expirations"
	MetricCacheInvalidations = "modeplatform.cache.invalidations"
	MetricCacheFetchErrors   = "modeplatform.cache.fetch_errors"
	MetricCacheBytes         = "modeplatform.cache.size"
	MetricCacheEntries       = "modeplatform.cache.entries"
)

// instruments are the synchronous instruments of this package.
type instruments struct {
	retries        metric.Int64Counter
	rateLimited    metric.Int64Counter
	streamMessages metric.Int64Counter
	streamRows     metric.Int64Counter
	streamBytes    metric.Int64Counter
	waits          metric.Float64Histogram
	streamsActive  metric.Int64UpDownCounter
	rpcDuration    metric.Float64Histogram
}

func newInstruments(m metric.Meter) (instruments, error) {
	var (
		in   instruments
		errs = make([]error, 8)
	)
	in.retries, errs[0] = m.Int64Counter(MetricUpstreamRetries, metric.WithUnit("{retry}"),
		metric.WithDescription("Retries of requests to Mode, by route template and the status that caused them (0: a transport error)."))
	in.rateLimited, errs[1] = m.Int64Counter(MetricUpstreamRateLimited, metric.WithUnit("{response}"),
		metric.WithDescription("429 Too Many Requests responses received from Mode, by route template."))
	in.streamMessages, errs[2] = m.Int64Counter(MetricStreamMessages, metric.WithUnit("{message}"),
		metric.WithDescription("Messages sent on server streams, by RPC method."))
	in.streamRows, errs[3] = m.Int64Counter(MetricStreamRows, metric.WithUnit("{row}"),
		metric.WithDescription("Result rows sent on server streams, by RPC method."))
	in.streamBytes, errs[4] = m.Int64Counter(MetricStreamBytes, metric.WithUnit("By"),
		metric.WithDescription("Encoded size of the messages sent on server streams, by RPC method."))
	in.waits, errs[5] = m.Float64Histogram(MetricWaitDuration, metric.WithUnit("s"),
		metric.WithDescription("Time requests waited before they could go on (RecordWait), by what they waited for."),
		metric.WithExplicitBucketBoundaries(waitBuckets...))
	in.streamsActive, errs[6] = m.Int64UpDownCounter(MetricStreamsActive, metric.WithUnit("{stream}"),
		metric.WithDescription("Streaming RPCs being served, by RPC method."))
	in.rpcDuration, errs[7] = m.Float64Histogram(MetricRPCServerDuration, metric.WithUnit("s"),
		metric.WithDescription("Measures the duration of incoming remote procedure calls."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))
	if err := errors.Join(errs...); err != nil {
		return in, fmt.Errorf("telemetry: instruments: %w", err)
	}
	return in, nil
}

// ObserveCache exports ch's counters (cache.Stats) as metrics: hits,
// misses, coalesced waits, bypasses, evictions, expirations,
// invalidations and fetch errors as counters, accounted bytes and entries
// as gauges. The values are read when metrics are collected; the
// registration ends with Shutdown.
func (t *Telemetry) ObserveCache(ch *cache.Cache) error {
	if ch == nil {
		return errors.New("telemetry: ObserveCache: nil cache")
	}
	m := t.mp.Meter(ScopeName)
	var errs []error
	counter := func(name, unit, desc string) metric.Int64ObservableCounter {
		c, err := m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	gauge := func(name, unit, desc string) metric.Int64ObservableGauge {
		g, err := m.Int64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return g
	}
	hits := counter(MetricCacheHits, "{request}", "Cache lookups answered from a stored entry.")
	misses := counter(MetricCacheMisses, "{request}", "Cache lookups that found nothing usable and fetched from Mode.")
	coalesced := counter(MetricCacheCoalesced, "{request}", "Cache lookups that waited on another caller's fetch.")
	bypasses := counter(MetricCacheBypasses, "{request}", "Cache lookups that skipped the cache on the caller's request (Cache-Control: no-cache).")
	fetchErrors := counter(MetricCacheFetchErrors, "{fetch}", "Fetches behind the cache that failed (never stored).")
	evictions := counter(MetricCacheEvictions, "{entry}", "Entries evicted to stay within the cache's entry or byte bound.")
	expirations := counter(MetricCacheExpirations, "{entry}", "Entries removed because their TTL had passed.")
	invalidations := counter(MetricCacheInvalidations, "{entry}", "Entries removed by invalidation after writes.")
	size := gauge(MetricCacheBytes, "By", "Bytes the cache accounts for (bodies, keys, tags and bookkeeping).")
	entries := gauge(MetricCacheEntries, "{entry}", "Entries stored in the cache.")
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("telemetry: ObserveCache: %w", err)
	}
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := ch.Stats()
		o.ObserveInt64(hits, int64(s.Hits))
		o.ObserveInt64(misses, int64(s.Misses))
		o.ObserveInt64(coalesced, int64(s.Coalesced))
		o.ObserveInt64(bypasses, int64(s.Bypasses))
		o.ObserveInt64(fetchErrors, int64(s.FetchErrors))
		o.ObserveInt64(evictions, int64(s.Evictions))
		o.ObserveInt64(expirations, int64(s.Expired))
		o.ObserveInt64(invalidations, int64(s.Invalidations))
		o.ObserveInt64(size, s.Bytes)
		o.ObserveInt64(entries, s.Entries)
		return nil
	}, hits, misses, coalesced, bypasses, fetchErrors, evictions, expirations, invalidations, size, entries)
	if err != nil {
		return fmt.Errorf("telemetry: ObserveCache: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shutdown {
		return errors.Join(errors.New("telemetry: ObserveCache after Shutdown"), reg.Unregister())
	}
	t.regs = append(t.regs, reg)
	return nil
}
