package cache

import "strconv"

// Outcome says how Get answered.
type Outcome int

// The outcomes of Get.
const (
	// OutcomeMiss: nothing usable was stored; this caller started the fetch.
	OutcomeMiss Outcome = iota
	// OutcomeHit: answered from a stored, unexpired entry without a fetch.
	OutcomeHit
	// OutcomeCoalesced: this caller waited on a fetch another caller started.
	OutcomeCoalesced
	// OutcomeBypass: the caller asked to bypass the cache and this caller
	// started a fresh fetch.
	OutcomeBypass
)

// String returns the outcome's name as used in metric labels: "miss", "hit",
// "coalesced" or "bypass".
func (o Outcome) String() string {
	switch o {
	case OutcomeMiss:
		return "miss"
	case OutcomeHit:
		return "hit"
	case OutcomeCoalesced:
		return "coalesced"
	case OutcomeBypass:
		return "bypass"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// Stats is a snapshot of a Cache's counters, for metrics. Counters only grow;
// Bytes and Entries are gauges. Fields are read one by one without a lock, so
// a snapshot taken under load is not exactly consistent across fields.
//
// Every Get is counted exactly once in Hits, Misses, Coalesced or Bypasses
// (unless it failed before looking, e.g. after Close); Lookup counts in Hits
// or Misses.
type Stats struct {
	Hits      uint64 // answered from a stored entry
	Misses    uint64 // found nothing usable (Get: and started a fetch)
	Coalesced uint64 // Gets that waited on another caller's fetch
	Bypasses  uint64 // Gets that skipped the lookup and fetched fresh

	Evictions     uint64 // entries removed to stay within MaxEntries or MaxBytes
	Expired       uint64 // entries removed because their TTL had passed
	Invalidations uint64 // entries removed by Invalidate
	Rejected      uint64 // results not stored because larger than MaxEntryBytes
	Stale         uint64 // fetch results not stored because a tag they carry was invalidated while they were in flight
	FetchErrors   uint64 // fetches that returned an error or panicked (never stored)

	Bytes   int64 // accounted bytes in use, always <= MaxBytes
	Entries int64 // entries stored, always <= MaxEntries
}

// Stats returns the current counters. It takes no lock and is cheap enough to
// back observable (asynchronous) metric instruments.
func (c *Cache) Stats() Stats {
	return Stats{
		Hits:          c.hits.Load(),
		Misses:        c.misses.Load(),
		Coalesced:     c.coalesced.Load(),
		Bypasses:      c.bypasses.Load(),
		Evictions:     c.evictions.Load(),
		Expired:       c.expired.Load(),
		Invalidations: c.invalidations.Load(),
		Rejected:      c.rejected.Load(),
		Stale:         c.stale.Load(),
		FetchErrors:   c.fetchErrors.Load(),
		Bytes:         c.bytes.Load(),
		Entries:       c.entries.Load(),
	}
}
