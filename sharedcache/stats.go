package sharedcache

import (
	"context"
	"fmt"
	"sync/atomic"

	"go.opentelemetry.io/otel/metric"
)

// ScopeName is the instrumentation scope of the L2's metrics.
const ScopeName = "github.com/modeplatform/modeplatform/sharedcache"

// Metric names, next to telemetry's modeplatform.cache.* of the local level.
const (
	MetricHits          = "modeplatform.sharedcache.hits"
	MetricMisses        = "modeplatform.sharedcache.misses"
	MetricWaits         = "modeplatform.sharedcache.waits"
	MetricShared        = "modeplatform.sharedcache.shared"
	MetricStores        = "modeplatform.sharedcache.stores"
	MetricStale         = "modeplatform.sharedcache.stale"
	MetricSkipped       = "modeplatform.sharedcache.skipped"
	MetricErrors        = "modeplatform.sharedcache.errors"
	MetricInvalSent     = "modeplatform.sharedcache.invalidations.sent"
	MetricInvalReceived = "modeplatform.sharedcache.invalidations.received"
	MetricAckTimeouts   = "modeplatform.sharedcache.invalidations.ack_timeouts"
	MetricUp            = "modeplatform.sharedcache.up"
	MetricPurges        = "modeplatform.sharedcache.purges"
	MetricInvalReplayed = "modeplatform.sharedcache.invalidations.replayed"
	MetricRecordLosses  = "modeplatform.sharedcache.request_records.losses"
	MetricRestored      = "modeplatform.sharedcache.request_records.restored"
)

type counters struct {
	hits, misses, waits, shared, stores, stale, skipped, errors atomic.Uint64
	invalSent, invalReceived, ackTimeouts                       atomic.Uint64
	purges, replayed                                            atomic.Uint64
	epochs, restored                                            atomic.Uint64
}

// Stats is a snapshot of an L2's counters (they only grow) and of Redis's state.
type Stats struct {
	Hits    uint64 // local misses answered from Redis
	Misses  uint64 // local misses that took the lock and fetched upstream
	Waits   uint64 // local misses that waited on another replica's fetch
	Shared  uint64 // of those, answered by that fetch (the others fetched themselves)
	Stores  uint64 // results stored in Redis
	Stale   uint64 // results not stored: a tag they carry was invalidated while they were fetched
	Skipped uint64 // local misses that did not use Redis: Redis down or a credential without an ID
	Errors  uint64 // Redis operations that failed or timed out

	InvalidationsSent      uint64 // invalidations published to the other replicas
	InvalidationsReceived  uint64 // the other replicas' invalidations applied to the local cache
	AckTimeouts            uint64 // invalidations not acknowledged by every replica within AckTimeout
	Purges                 uint64 // local caches dropped whole when Redis or the subscription came back
	InvalidationsReplayed  uint64 // tags of invalidations sent late, once Redis was back
	RequestRecordLosses    uint64 // times this replica found that Redis had lost the request records
	RequestRecordsRestored uint64 // request records this replica put back into Redis after such a loss

	Up         bool // Redis answered the last operation
	Subscribed bool // the invalidation subscription is live
}

// Stats returns the current counters. It takes no lock.
func (l *L2) Stats() Stats {
	return Stats{
		Hits:                   l.st.hits.Load(),
		Misses:                 l.st.misses.Load(),
		Waits:                  l.st.waits.Load(),
		Shared:                 l.st.shared.Load(),
		Stores:                 l.st.stores.Load(),
		Stale:                  l.st.stale.Load(),
		Skipped:                l.st.skipped.Load(),
		Errors:                 l.st.errors.Load(),
		InvalidationsSent:      l.st.invalSent.Load(),
		InvalidationsReceived:  l.st.invalReceived.Load(),
		AckTimeouts:            l.st.ackTimeouts.Load(),
		Purges:                 l.st.purges.Load(),
		InvalidationsReplayed:  l.st.replayed.Load(),
		RequestRecordLosses:    l.st.epochs.Load(),
		RequestRecordsRestored: l.st.restored.Load(),
		Up:                     l.up.Load(),
		Subscribed:             l.subscribed.Load(),
	}
}

// registerMetrics exports Stats as observable instruments, read when metrics are collected.
func (l *L2) registerMetrics() error {
	m := l.opts.MeterProvider.Meter(ScopeName)
	type def struct {
		name, unit, desc string
		value            func(Stats) uint64
	}
	defs := []def{
		{MetricHits, "{request}", "Local cache misses answered from Redis.", func(s Stats) uint64 { return s.Hits }},
		{MetricMisses, "{request}", "Local cache misses that fetched from Mode for every replica.", func(s Stats) uint64 { return s.Misses }},
		{MetricWaits, "{request}", "Local cache misses that waited on another replica's fetch.", func(s Stats) uint64 { return s.Waits }},
		{MetricShared, "{request}", "Waits answered by the other replica's fetch.", func(s Stats) uint64 { return s.Shared }},
		{MetricStores, "{entry}", "Results stored in Redis.", func(s Stats) uint64 { return s.Stores }},
		{MetricStale, "{entry}", "Results not stored because invalidated while fetched.", func(s Stats) uint64 { return s.Stale }},
		{MetricSkipped, "{request}", "Local cache misses that did not use Redis (Redis down, or a credential without a shared ID).", func(s Stats) uint64 { return s.Skipped }},
		{MetricErrors, "{operation}", "Redis operations that failed or timed out.", func(s Stats) uint64 { return s.Errors }},
		{MetricInvalSent, "{invalidation}", "Invalidations published to the other replicas.", func(s Stats) uint64 { return s.InvalidationsSent }},
		{MetricInvalReceived, "{invalidation}", "Other replicas' invalidations applied to the local cache.", func(s Stats) uint64 { return s.InvalidationsReceived }},
		{MetricAckTimeouts, "{invalidation}", "Invalidations not acknowledged by every replica in time.", func(s Stats) uint64 { return s.AckTimeouts }},
		{MetricPurges, "{purge}", "Local caches dropped whole because Redis or the subscription came back after an outage.", func(s Stats) uint64 { return s.Purges }},
		{MetricInvalReplayed, "{tag}", "Tags of invalidations that could not reach Redis, sent once it was back.", func(s Stats) uint64 { return s.InvalidationsReplayed }},
		{MetricRecordLosses, "{loss}", "Times this replica found that Redis had lost the request_id records (restarted empty).", func(s Stats) uint64 { return s.RequestRecordLosses }},
		{MetricRestored, "{record}", "Request_id records this replica put back into Redis after such a loss.", func(s Stats) uint64 { return s.RequestRecordsRestored }},
	}
	counters := make([]metric.Int64ObservableCounter, len(defs))
	insts := make([]metric.Observable, 0, len(defs)+1)
	for i, d := range defs {
		c, err := m.Int64ObservableCounter(d.name, metric.WithUnit(d.unit), metric.WithDescription(d.desc))
		if err != nil {
			return fmt.Errorf("sharedcache: metric %s: %w", d.name, err)
		}
		counters[i] = c
		insts = append(insts, c)
	}
	up, err := m.Int64ObservableGauge(MetricUp, // no unit: exported as modeplatform_sharedcache_up
		metric.WithDescription("1 while Redis answers (the replicas share their cache), 0 while it does not."))
	if err != nil {
		return fmt.Errorf("sharedcache: metric %s: %w", MetricUp, err)
	}
	insts = append(insts, up)
	l.metricReg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := l.Stats()
		for i, d := range defs {
			o.ObserveInt64(counters[i], int64(d.value(s)))
		}
		v := int64(0)
		if s.Up {
			v = 1
		}
		o.ObserveInt64(up, v)
		return nil
	}, insts...)
	if err != nil {
		return fmt.Errorf("sharedcache: metrics: %w", err)
	}
	return nil
}
