package cache

import "context"

// Shared is a second cache level behind a Cache, shared with the caches of
// other processes (for instance every replica of a service in front of one
// Redis: package sharedcache), so that they make one upstream request per
// key between them and see each other's invalidations.
//
// A Cache consults it only where it would otherwise call its fetch function:
// local hits never reach it. Implementations must be safe for concurrent use.
type Shared interface {
	// Fetch answers a local miss (or, with bypass, a local bypass) of key:
	// from the shared level when it holds a fresh value (unless bypass), else
	// by calling fetch — once across all the sharing caches for concurrent
	// misses of key — and publishing its result there. A value answered from
	// the shared level carries its remaining TTL and its tags.
	//
	// Fetch must call fetch on its own goroutine, at most once, and pass its
	// panics through (the Cache recovers them). When the shared level is
	// unavailable it must degrade to calling fetch: it may make a request
	// slower, never fail it.
	Fetch(ctx context.Context, key Key, bypass bool, fetch func(context.Context) (Fetched, error)) (Fetched, error)
	// Invalidate makes tags invalid in the shared level and in the other
	// sharing caches (which apply it with InvalidateLocal). It returns once
	// that is done, or once it gave up trying.
	Invalidate(tags []string)
}

// SetShared puts s behind c as its second level (nil removes it). Fetches
// already in flight keep the level they started with.
func (c *Cache) SetShared(s Shared) {
	c.mu.Lock()
	c.shared = s
	c.mu.Unlock()
}

// Invalidate drops every entry, of any credential, that carries one of tags,
// and keeps fetches already in flight from storing results that carry one of
// them. Callers that arrive after Invalidate never join a fetch that started
// before it.
//
// With a Shared level, the shared level is invalidated first and the local
// entries after: a local miss in between cannot read an entry back from the
// shared level that the invalidation was meant to drop.
func (c *Cache) Invalidate(tags ...string) {
	if len(tags) == 0 {
		return
	}
	c.mu.Lock()
	shared := c.shared
	closed := c.closed
	c.mu.Unlock()
	if shared != nil && !closed {
		shared.Invalidate(tags)
	}
	c.InvalidateLocal(tags...)
}

// sharedFetch routes one local fetch through the shared level.
func sharedFetch(s Shared, key Key, bypass bool, fetch func(context.Context) (Fetched, error)) func(context.Context) (Fetched, error) {
	return func(ctx context.Context) (Fetched, error) { return s.Fetch(ctx, key, bypass, fetch) }
}
