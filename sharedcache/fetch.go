package sharedcache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// lookup is what lookupScript answered.
type lookup struct {
	kind string // "hit", "lock", "wait" or "bypass"
	seq  string // the sequence current when looked up (lock, wait, bypass)
	// hit
	body []byte
	tags []string
	ttl  time.Duration
	// wait
	holder string // the lock holder's token
}

// Fetch implements cache.Shared: it answers a local miss from Redis, or makes the one upstream
// fetch for every replica, or waits for the replica making it. Any Redis failure sends it to
// fetch directly.
func (l *L2) Fetch(ctx context.Context, key cache.Key, bypass bool, fetch func(context.Context) (cache.Fetched, error)) (cache.Fetched, error) {
	cred, ok := "", false
	if l.opts.Credentials != nil {
		cred, ok = l.opts.Credentials(key.Credential)
	}
	if !ok || !l.available() {
		l.st.skipped.Add(1)
		return fetch(ctx)
	}
	id := entryID(cred, key)
	token := newToken()
	// Listen for the fill before looking, so a fetch that ends between the look and the wait
	// still wakes this one.
	fill := l.watch(id)
	defer l.unwatch(id, fill)
	waited := false
	for {
		r, err := l.lookup(ctx, id, token, bypass)
		if err != nil {
			l.failed(ctx, "lookup", err)
			if ctx.Err() != nil {
				return cache.Fetched{}, ctx.Err()
			}
			l.st.skipped.Add(1)
			return fetch(ctx)
		}
		l.succeeded()
		switch r.kind {
		case "hit":
			if waited {
				l.st.shared.Add(1)
			} else {
				l.st.hits.Add(1)
			}
			return cache.Fetched{Body: r.body, TTL: r.ttl, Tags: r.tags}, nil
		case "lock", "bypass":
			if !bypass {
				l.st.misses.Add(1)
			}
			return l.fetchAndPublish(ctx, id, token, r.seq, r.kind == "lock", fetch)
		case "wait":
			if r.holder == token {
				// A retried SET NX found the lock it had itself taken.
				l.st.misses.Add(1)
				return l.fetchAndPublish(ctx, id, token, r.seq, true, fetch)
			}
			if !waited {
				waited = true
				l.st.waits.Add(1)
			}
			res, ok, err := l.await(ctx, id, r.holder, fill)
			if err != nil {
				if ctx.Err() != nil {
					return cache.Fetched{}, ctx.Err()
				}
				l.failed(ctx, "wait", err)
				l.st.skipped.Add(1)
				return fetch(ctx)
			}
			if ok {
				l.st.shared.Add(1)
				return res, nil
			}
			// The holder finished without a result for us (it failed, or stored nothing) or lost
			// its lock: look again; one of the waiting replicas takes the lock.
		default:
			return fetch(ctx)
		}
	}
}

// lookup runs lookupScript.
func (l *L2) lookup(ctx context.Context, id, token string, bypass bool) (lookup, error) {
	octx, cancel := l.opCtx(ctx)
	defer cancel()
	b := "0"
	if bypass {
		b = "1"
	}
	v, err := lookupScript.Run(octx, l.rdb, []string{l.keys.entry(id), l.keys.lock(id), l.keys.seq()},
		l.keys.tagPrefix(), token, l.opts.LockTTL.Milliseconds(), b).Slice()
	if err != nil {
		return lookup{}, err
	}
	kind, _ := at[string](v, 0)
	switch kind {
	case "hit":
		body, ok1 := at[string](v, 1)
		tags, ok2 := at[string](v, 2)
		ms, ok3 := at[int64](v, 3)
		if !ok1 || !ok2 || !ok3 {
			return lookup{}, errors.New("sharedcache: malformed lookup reply")
		}
		return lookup{kind: kind, body: []byte(body), tags: splitTags(tags), ttl: time.Duration(ms) * time.Millisecond}, nil
	case "lock", "bypass":
		seq, _ := at[string](v, 1)
		return lookup{kind: kind, seq: seq}, nil
	case "wait":
		holder, _ := at[string](v, 1)
		seq, _ := at[string](v, 2)
		return lookup{kind: kind, holder: holder, seq: seq}, nil
	}
	return lookup{}, fmt.Errorf("sharedcache: unexpected lookup reply %q", kind)
}

// at returns v[i] as a T.
func at[T any](v []any, i int) (T, bool) {
	var zero T
	if i >= len(v) {
		return zero, false
	}
	t, ok := v[i].(T)
	return t, ok
}

// await waits for the holder's fetch to end (its fill notification, or PollInterval should the
// notification be lost), then returns its uncacheable result if it left one (ok). With ok false
// the caller looks again.
func (l *L2) await(ctx context.Context, id, holder string, fill <-chan struct{}) (cache.Fetched, bool, error) {
	t := time.NewTimer(l.opts.PollInterval)
	defer t.Stop()
	select {
	case <-fill:
	case <-t.C:
	case <-ctx.Done():
		return cache.Fetched{}, false, ctx.Err()
	case <-l.ctx.Done():
		return cache.Fetched{}, false, errors.New("sharedcache: closed")
	}
	if holder == "" {
		return cache.Fetched{}, false, nil
	}
	octx, cancel := l.opCtx(ctx)
	defer cancel()
	body, err := l.rdb.Get(octx, l.keys.result(id, holder)).Bytes()
	switch {
	case err == nil:
		return cache.Fetched{Body: body}, true, nil // TTL 0: for the waiters only, not to be cached
	case errors.Is(err, redis.Nil):
		return cache.Fetched{}, false, nil
	}
	return cache.Fetched{}, false, err
}

// fetchAndPublish makes the upstream fetch for every replica and publishes its result. With
// locked, it holds the key's lock and keeps it alive while the fetch runs.
func (l *L2) fetchAndPublish(ctx context.Context, id, token, seq string, locked bool, fetch func(context.Context) (cache.Fetched, error)) (cache.Fetched, error) {
	if !locked {
		token = ""
	}
	published := false
	if locked {
		stop := l.keepLock(id, token)
		defer stop()
	}
	defer func() {
		if !published {
			// The fetch failed or panicked: release the lock and wake the waiters, who try
			// themselves.
			l.publish(ctx, id, token, seq, cache.Fetched{}, "none")
		}
	}()
	res, err := fetch(ctx)
	if err != nil {
		return res, err
	}
	published = true
	mode := "store"
	switch {
	case len(res.Body) > l.opts.MaxEntryBytes:
		mode = "none"
	case res.TTL < time.Millisecond || !storableTags(res.Tags):
		mode = "result"
		if token == "" {
			mode = "none" // nobody waits on a bypass
		}
	}
	l.publish(ctx, id, token, seq, res, mode)
	return res, nil
}

// publish runs storeScript in the given mode; failures are recorded, not returned: the fetch's
// callers have their result either way.
func (l *L2) publish(ctx context.Context, id, token, seq string, res cache.Fetched, mode string) {
	if seq == "" {
		seq = "0"
	}
	// Detached: the result is worth sharing even if this replica's callers left.
	octx, cancel := l.opCtx(context.WithoutCancel(ctx))
	defer cancel()
	resultKey := l.keys.result(id, token)
	n, err := storeScript.Run(octx, l.rdb,
		[]string{l.keys.entry(id), l.keys.lock(id), l.keys.seq(), resultKey},
		l.keys.tagPrefix(), seq, res.TTL.Milliseconds(), strings.Join(res.Tags, "\n"), res.Body,
		token, l.keys.fillChannel(), id+" "+token, mode, l.opts.ResultTTL.Milliseconds()).Int64()
	if err != nil {
		l.failed(context.WithoutCancel(ctx), "store", err)
		return
	}
	l.succeeded()
	switch n {
	case 1:
		l.st.stores.Add(1)
	case -1:
		l.st.stale.Add(1)
	}
}

// keepLock extends the lock every LockTTL/3 until the returned function is called.
func (l *L2) keepLock(id, token string) (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		// Lost, another replica may fetch too, which costs a request, not correctness.
		l.renewUntil(done, l.keys.lock(id), token, l.opts.LockTTL, "refresh lock")
	}()
	return func() {
		close(done)
		<-exited
	}
}

// renewUntil extends key, held with token, to ttl every ttl/3 until done is closed or the L2
// closes. A renewal that fails (logged as op) or finds the key no longer held stops it.
func (l *L2) renewUntil(done <-chan struct{}, key, token string, ttl time.Duration, op string) {
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-l.ctx.Done():
			return
		case <-t.C:
			ctx, cancel := l.opCtx(l.ctx)
			n, err := refreshScript.Run(ctx, l.rdb, []string{key}, token, ttl.Milliseconds()).Int64()
			cancel()
			if err != nil {
				l.failed(l.ctx, op, err)
			}
			if err != nil || n == 0 {
				return
			}
		}
	}
}

// watch registers for the fill notifications of id.
func (l *L2) watch(id string) chan struct{} {
	ch := make(chan struct{}, 1)
	l.mu.Lock()
	set := l.watchers[id]
	if set == nil {
		set = make(map[chan struct{}]struct{})
		l.watchers[id] = set
	}
	set[ch] = struct{}{}
	l.mu.Unlock()
	return ch
}

// unwatch undoes watch.
func (l *L2) unwatch(id string, ch chan struct{}) {
	l.mu.Lock()
	if set := l.watchers[id]; set != nil {
		delete(set, ch)
		if len(set) == 0 {
			delete(l.watchers, id)
		}
	}
	l.mu.Unlock()
}

// notifyFill wakes the local waiters of id.
func (l *L2) notifyFill(id string) {
	l.mu.Lock()
	for ch := range l.watchers[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	l.mu.Unlock()
}

// storableTags reports whether tags survive the "\n"-joined form the scripts read.
func storableTags(tags []string) bool {
	for _, t := range tags {
		if t == "" || strings.ContainsRune(t, '\n') {
			return false
		}
	}
	return true
}

// splitTags undoes strings.Join(tags, "\n").
func splitTags(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
