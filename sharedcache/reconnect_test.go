package sharedcache_test

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/sharedcache"
	"github.com/modeplatform/modeplatform/sharedcache/redistest"
)

// TestReconnectPurgesLocal: a replica cut off from Redis misses the invalidations the others
// publish meanwhile; once it is back, it drops its local cache, so it answers the writes made
// during the cut rather than what it held before (the entry in Redis was invalidated).
func TestReconnectPurgesLocal(t *testing.T) {
	rs := redistest.Start(t)
	px := newProxy(t, rs.Addr)
	fast := func(o *sharedcache.Options) { o.RetryAfter = 10 * time.Millisecond }
	ns := func(o *sharedcache.Options) { o.Namespace = "test-" + t.Name() }
	a := newReplica(t, rs.URL, fast, ns)
	b := newReplica(t, "redis://"+px.addr+"/0", fast, ns) // b reaches Redis through the proxy
	u := &upstream{body: "r", ttl: time.Hour, tags: []string{"/api/ws/reports/r1"}}
	k := key("alice", "/api/ws/reports/r1")
	get(t, a, k, u)
	if got := get(t, b, k, u); got != "r#1" {
		t.Fatalf("b answered %q, want the shared r#1", got)
	}

	px.cut()
	waitFor(t, "b to lose its subscription", func() bool { return !b.l2.Stats().Subscribed })
	a.cache.Invalidate("/api/ws/reports/r1") // the write through a: b cannot hear of it
	if got := get(t, b, k, u); got != "r#1" {
		t.Fatalf("b answered %q while cut off, want its local r#1 (stale within the TTL, as documented)", got)
	}
	px.restore()
	waitFor(t, "b to resubscribe and purge", func() bool {
		s := b.l2.Stats()
		return s.Subscribed && s.Purges >= 2 // the first subscription, then the one after the cut
	})
	if got := get(t, b, k, u); got != "r#2" {
		t.Errorf("b answered %q once back, want r#2 fetched after the write", got)
	}
}

// TestReconnectReplaysInvalidations: a replica cut off from a Redis the others still reach sends
// the invalidations of its writes once it is back, so the others drop their entries (local and
// in Redis) without waiting for their TTL.
func TestReconnectReplaysInvalidations(t *testing.T) {
	rs := redistest.Start(t)
	px := newProxy(t, rs.Addr)
	fast := func(o *sharedcache.Options) { o.RetryAfter = 10 * time.Millisecond }
	ns := func(o *sharedcache.Options) { o.Namespace = "test-" + t.Name() }
	a := newReplica(t, "redis://"+px.addr+"/0", fast, ns) // a reaches Redis through the proxy
	b := newReplica(t, rs.URL, fast, ns)
	u := &upstream{body: "r", ttl: time.Hour, tags: []string{"/api/ws/reports/r1"}}
	k := key("alice", "/api/ws/reports/r1")
	get(t, a, k, u)
	get(t, b, k, u)

	px.cut()
	waitFor(t, "a to see Redis down", func() bool {
		a.cache.Invalidate("/api/ws/reports/r1") // the write through a, which cannot reach Redis
		return !a.l2.Up()
	})
	if got := get(t, b, k, u); got != "r#1" {
		t.Fatalf("b answered %q while a was cut off, want r#1 (b never lost Redis)", got)
	}
	px.restore()
	waitFor(t, "a to replay its invalidation", func() bool { return a.l2.Stats().InvalidationsReplayed >= 1 })
	if _, ok := b.cache.Lookup(k); ok {
		t.Error("b still holds the entry after a's invalidation was replayed")
	}
	if got := get(t, b, k, u); got != "r#2" {
		t.Errorf("b answered %q after a came back, want r#2 (neither its LRU nor Redis may answer the old r#1)", got)
	}
	if s := b.l2.Stats(); s.Purges != 1 {
		t.Errorf("b purged %d times, want only at its first subscription (it never lost Redis)", s.Purges)
	}
}

// proxy forwards TCP connections to Redis and can cut them all: one replica losing Redis while
// the others keep it.
type proxy struct {
	addr   string
	target string
	ln     net.Listener
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			_, _ = io.Copy(dst, src)
			_ = dst.Close()
			_ = src.Close()
		}
		go pipe(up, c)
		go pipe(c, up)
	}
}

// cut closes every connection and refuses new ones until restore.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

func (p *proxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}
