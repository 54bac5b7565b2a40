package sharedcache

// maxPending bounds the tags of the invalidations kept for the replay while Redis is down.
const maxPending = 10_000

// replayBatch is how many tags one replayed invalidation carries.
const replayBatch = 256

// keepPending remembers tags whose invalidation could not reach Redis, to replay them when it is
// back. Past maxPending tags the rest are dropped (and logged at the replay): the other replicas
// then see those writes only once their entries' TTL has passed, as they would without the
// replay.
func (l *L2) keepPending(tags []string) {
	l.pendingMu.Lock()
	defer l.pendingMu.Unlock()
	for _, t := range tags {
		if len(l.pending) >= maxPending {
			l.pendingOverflow = true
			return
		}
		l.pending[t] = struct{}{}
	}
}

// reconnected handles Redis (or the subscription) coming back after an outage. The local cache
// may hold entries that other replicas' writes made stale while their invalidations could not
// reach this replica, and nothing says which: it drops them all (immutable entries included: the
// cache cannot tell them apart, and each costs one more read, shared with the other replicas
// through Redis). Then it replays, in the background, the invalidations this replica could not
// send, so that the other replicas and the entries in Redis see its writes too.
func (l *L2) reconnected(why string) {
	if box := l.local.Load(); box != nil {
		box.PurgeLocal()
		l.st.purges.Add(1)
	}
	l.maybeReplay(why)
	l.maybeSyncEpoch(why)
}

// maybeReplay starts the replay of the invalidations kept while Redis was down, if there are
// any and no replay runs.
func (l *L2) maybeReplay(why string) {
	l.pendingMu.Lock()
	n := len(l.pending)
	l.pendingMu.Unlock()
	if n == 0 || !l.replaying.CompareAndSwap(false, true) {
		return
	}
	if !l.goBackground(func() {
		defer l.replaying.Store(false)
		l.replay(why)
	}) {
		l.replaying.Store(false)
	}
}

// replay sends the invalidations kept while Redis was down, in batches; a batch that fails again
// goes back to the pending set (invalidate keeps it) for the next reconnection.
func (l *L2) replay(why string) {
	l.pendingMu.Lock()
	tags := make([]string, 0, len(l.pending))
	for t := range l.pending {
		tags = append(tags, t)
	}
	clear(l.pending)
	overflow := l.pendingOverflow
	l.pendingOverflow = false
	l.pendingMu.Unlock()
	if overflow {
		l.opts.Logger.Warn("sharedcache: more invalidations than could be kept were missed while Redis was down; the other replicas see some writes only once their entries' TTL has passed",
			"kept", maxPending)
	}
	l.opts.Logger.Info("sharedcache: replaying the invalidations Redis missed", "after", why, "tags", len(tags))
	for len(tags) > 0 && l.ctx.Err() == nil {
		n := min(replayBatch, len(tags))
		if !l.invalidate(tags[:n]) { // kept that batch again
			l.keepPending(tags[n:]) // down again: at the next reconnection
			return
		}
		l.st.replayed.Add(uint64(n))
		tags = tags[n:]
	}
}

// goBackground runs f on a goroutine Close waits for, unless the L2 is closing (false).
func (l *L2) goBackground(f func()) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx.Err() != nil {
		return false
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		f()
	}()
	return true
}
