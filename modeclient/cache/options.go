package cache

import (
	"errors"
	"fmt"
	"time"
)

// Defaults applied by New to zero-valued Options fields.
const (
	// DefaultMaxEntries bounds the number of entries when Options.MaxEntries is 0. The byte
	// bound is what limits memory; this one is high enough that a workspace of tens of thousands
	// of reports, whose Metadata API listing keeps one small entry per report (modeclient's basic
	// view), fits beside the other entries.
	DefaultMaxEntries = 100_000
	// DefaultMaxBytes bounds the accounted memory when Options.MaxBytes is 0.
	DefaultMaxBytes int64 = 64 << 20
	// DefaultFetchTimeout bounds one upstream fetch when Options.FetchTimeout is 0.
	DefaultFetchTimeout = 30 * time.Second
)

// Options configures a Cache. The zero value is usable: every zero field takes
// its default.
type Options struct {
	// MaxEntries is the most entries kept (default DefaultMaxEntries).
	MaxEntries int
	// MaxBytes is the most memory the entries may account for: bodies, keys,
	// tags and a fixed per-entry bookkeeping overhead (default DefaultMaxBytes).
	MaxBytes int64
	// MaxEntryBytes is the largest accounted size of a single entry; larger
	// responses are returned to their callers but never stored
	// (default MaxBytes/8, never more than MaxBytes).
	MaxEntryBytes int64
	// FetchTimeout bounds one fetch, which runs detached from its callers'
	// contexts (default DefaultFetchTimeout).
	FetchTimeout time.Duration
	// Now is the clock used for expiry; nil means time.Now. Tests inject a
	// fake clock here.
	Now func() time.Time
}

// withDefaults validates o and fills in its zero fields.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	if o.MaxEntries < 0 {
		errs = append(errs, fmt.Errorf("MaxEntries %d is negative", o.MaxEntries))
	}
	if o.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxBytes %d is negative", o.MaxBytes))
	}
	if o.MaxEntryBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxEntryBytes %d is negative", o.MaxEntryBytes))
	}
	if o.FetchTimeout < 0 {
		errs = append(errs, fmt.Errorf("FetchTimeout %v is negative", o.FetchTimeout))
	}
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("cache: invalid options: %w", err)
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxEntryBytes == 0 {
		o.MaxEntryBytes = o.MaxBytes / 8
	}
	o.MaxEntryBytes = min(o.MaxEntryBytes, o.MaxBytes)
	if o.FetchTimeout == 0 {
		o.FetchTimeout = DefaultFetchTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}
