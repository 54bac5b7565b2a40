package sharedcache

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// invalMsg is an invalidation as published on the invalidation channel.
type invalMsg struct {
	Origin string   `json:"o"` // the publishing replica
	ID     uint64   `json:"i"` // its sequence among that replica's invalidations
	Tags   []string `json:"t"`
}

// ackWait counts the acknowledgements of one invalidation.
type ackWait struct {
	mu   sync.Mutex
	n    int
	more chan struct{} // signalled on each acknowledgement
}

// Invalidate implements cache.Shared: it makes tags invalid in Redis and in every replica's
// local cache, and returns once every replica subscribed when it was published has applied it
// (or after AckTimeout, counted in Stats.AckTimeouts). With Redis down it does nothing: the
// caller's own cache is invalidated by the caller, the others' entries age out on their TTL.
func (l *L2) Invalidate(tags []string) {
	if len(tags) == 0 {
		return
	}
	if !l.available() {
		l.st.skipped.Add(1)
		l.keepPending(tags)
		return
	}
	_ = l.invalidate(tags)
}

// invalidate sends an invalidation through Redis and waits for its acknowledgements; one that
// fails is kept for the replay (false).
func (l *L2) invalidate(tags []string) bool {
	id := l.msgSeq.Add(1)
	msg, err := json.Marshal(invalMsg{Origin: l.replica, ID: id, Tags: tags})
	if err != nil {
		return true // cannot happen for strings; nothing to replay either
	}
	aw := &ackWait{more: make(chan struct{}, 1)}
	l.mu.Lock()
	l.acks[id] = aw
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.acks, id)
		l.mu.Unlock()
	}()

	args := make([]any, 0, 4+len(tags))
	args = append(args, l.keys.tagPrefix(), minMarkerTTL.Milliseconds(), l.keys.invalChannel(), msg)
	for _, t := range tags {
		args = append(args, t)
	}
	ctx, cancel := l.opCtx(l.ctx)
	receivers, err := invalidateScript.Run(ctx, l.rdb, []string{l.keys.seq()}, args...).Int64()
	cancel()
	if err != nil {
		l.failed(l.ctx, "invalidate", err)
		l.keepPending(tags)
		return false
	}
	l.succeeded()
	l.maybeReplay("invalidation sent")
	l.st.invalSent.Add(1)
	// Every subscriber acknowledges, this replica's own included (without a round trip).
	if !aw.wait(int(receivers), l.opts.AckTimeout) {
		l.st.ackTimeouts.Add(1)
		l.opts.Logger.Warn("sharedcache: not every replica acknowledged an invalidation in time; they may answer from their local cache until its TTL",
			"replicas", receivers, "timeout", l.opts.AckTimeout.String())
	}
	return true
}

// ack counts one acknowledgement.
func (a *ackWait) ack() {
	a.mu.Lock()
	a.n++
	a.mu.Unlock()
	select {
	case a.more <- struct{}{}:
	default:
	}
}

// wait reports whether n acknowledgements arrived within timeout.
func (a *ackWait) wait(n int, timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		a.mu.Lock()
		got := a.n
		a.mu.Unlock()
		if got >= n {
			return true
		}
		select {
		case <-a.more:
		case <-t.C:
			return false
		}
	}
}

// subscribe keeps a subscription to the invalidation, fill and acknowledgement channels until
// Close, reconnecting after failures. ready is closed once first subscribed.
func (l *L2) subscribe(ps *redis.PubSub, ready chan struct{}) {
	defer l.wg.Done()
	channels := []string{l.keys.invalChannel(), l.keys.fillChannel(), l.keys.ackChannel(l.replica)}
	var once sync.Once
	backoff := 50 * time.Millisecond
	// The first Subscribe may fail (Redis down): the receive loop's reconnection subscribes
	// to the channels once they are registered, so register them whatever happens.
	ctx, cancel := context.WithTimeout(l.ctx, max(l.opts.OpTimeout, time.Second))
	_ = ps.Subscribe(ctx, channels...)
	cancel()
	for l.ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(l.ctx, 5*time.Second)
		if err != nil {
			if l.ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && l.subscribed.Load() {
				// Quiet channel: check the connection is alive (its reply comes as a Pong).
				ctx, cancel := l.opCtx(l.ctx)
				err = ps.Ping(ctx)
				cancel()
				if err == nil {
					continue
				}
			}
			if l.subscribed.Swap(false) {
				l.opts.Logger.Warn("sharedcache: lost the subscription to the replicas' invalidations; resubscribing", "error", err.Error())
			}
			l.failed(l.ctx, "subscribe", err)
			select {
			case <-time.After(backoff):
			case <-l.ctx.Done():
				return
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" && m.Count == len(channels) {
				backoff = 50 * time.Millisecond
				l.subscribed.Store(true)
				// Invalidations published while there was no subscription are lost to this
				// replica (at the first subscription the cache is all but empty).
				l.reconnected("subscribed")
				l.succeeded()
				once.Do(func() { close(ready) })
			}
		case *redis.Message:
			l.dispatch(m.Channel, m.Payload)
		}
	}
}

// dispatch handles one message of the subscription.
func (l *L2) dispatch(channel, payload string) {
	switch {
	case channel == l.keys.fillChannel():
		id, _, _ := strings.Cut(payload, " ")
		l.notifyFill(id)
	case channel == l.keys.invalChannel():
		var m invalMsg
		if json.Unmarshal([]byte(payload), &m) != nil {
			return
		}
		if m.Origin == l.replica {
			l.acked(m.ID) // the publisher invalidates its own cache itself
			return
		}
		if box := l.local.Load(); box != nil {
			box.InvalidateLocal(m.Tags...)
		}
		l.st.invalReceived.Add(1)
		ctx, cancel := l.opCtx(l.ctx)
		err := l.rdb.Publish(ctx, l.keys.ackChannel(m.Origin), strconv.FormatUint(m.ID, 10)).Err()
		cancel()
		if err != nil {
			l.failed(l.ctx, "acknowledge", err)
		}
	case channel == l.keys.ackChannel(l.replica):
		if id, err := strconv.ParseUint(payload, 10, 64); err == nil {
			l.acked(id)
		}
	}
}

// acked counts an acknowledgement of this replica's invalidation id.
func (l *L2) acked(id uint64) {
	l.mu.Lock()
	aw := l.acks[id]
	l.mu.Unlock()
	if aw != nil {
		aw.ack()
	}
}
