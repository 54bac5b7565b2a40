// Package cache is the response cache in front of Mode's REST API, where
// upstream requests (about 4 per second per credential) are the scarcest
// resource.
//
// A Cache is an LRU bounded by entry count and by accounted bytes, keyed by
// (credential fingerprint, method, path, query) so that two credentials never
// share an entry. Each entry carries its own TTL and a set of tags;
// Invalidate drops every entry carrying a tag, for every credential, and keeps
// fetches that were already in flight from storing what they read before the
// invalidation. Get coalesces concurrent identical misses into one fetch that
// runs detached from the callers' contexts.
//
// Bodies are returned as stored, without copying: callers must not modify a
// slice they get from, or hand to, the cache. Beside its body an entry may
// hold the body's decoded form (Fetched.Value, Attach), so that a hit is
// served without decoding again; values are shared the same way.
package cache

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// ErrClosed is returned by Get after Close.
var ErrClosed = errors.New("cache: closed")

// Key identifies a cached response. Credential is the caller credential's
// fingerprint (never the secret itself), so one caller's responses are never
// served to another credential. Query should be in a canonical form (e.g.
// url.Values.Encode) so equal requests get equal keys.
type Key struct {
	Credential string
	Method     string
	Path       string
	Query      string
}

// Fetched is what a fetch function hands to Get.
type Fetched struct {
	// Body is the response body; the cache keeps it without copying.
	Body []byte
	// TTL is how long the body may be served; <= 0 means do not store it
	// (it is still shared with the callers coalesced on this fetch).
	TTL time.Duration
	// Tags name what the body depends on, for Invalidate.
	Tags []string
	// Value, when not nil, is Body in decoded form, kept beside it and handed
	// to every caller that gets Body from this entry (GetEntry), so that hits
	// need not decode again. It is shared: nobody may modify it. A second
	// level (Shared) stores only Body; values are never sent there.
	Value any
	// ValueSize is the memory Value holds beyond Body, accounted against
	// MaxBytes with the entry.
	ValueSize int64
}

// Entry is a stored or fetched response: its body and, when known, its
// decoded form. Both are shared with the cache: do not modify them.
type Entry struct {
	Body  []byte
	Value any // nil until someone decoded Body and handed it over (Fetched.Value, Attach)
}

// Memory accounted per entry on top of its key, body capacity and tag
// strings. BenchmarkScale measures about 480 B of live heap per entry with
// two tags beyond those: the golang-lru list element holding our entry inline
// (144 B), its map slot (24 B at a load factor between 7/16 and 7/8), one
// 48-B node per tag, the tag index slot, and size-class rounding. The
// constants are set about 20% above that so the accounted bytes bound the
// live heap, not just the bodies.
const (
	entryOverhead = 256
	tagOverhead   = 96
)

// Why an entry leaves the LRU; selects the counter the eviction callback bumps.
type removeReason uint8

const (
	reasonEvicted removeReason = iota // capacity (the default: golang-lru evicting on Add)
	reasonExpired
	reasonInvalidated
	reasonReplaced // a fresher result replaced or removed it
	reasonClosed
)

// entry is one stored response, held by value in the LRU's list element.
type entry struct {
	body    []byte
	value   any       // body decoded, or nil
	tags    []tagNode // one per distinct tag, linked into Cache.tags
	expires int64     // nanoseconds since Cache.epoch
	size    int64     // accounted bytes
	tick    uint64    // logical time of the fetch (or Store) that produced it
}

// tagNode links an entry into the list of entries carrying one tag. An
// intrusive list costs one node per (entry, tag); a set per tag would cost a
// whole map for the many tags (resource paths) that only one entry carries.
type tagNode struct {
	tag        string
	key        string // the entry's LRU key, for Invalidate
	prev, next *tagNode
}

// Cache is a bounded, tag-invalidated, coalescing response cache. It is safe
// for concurrent use. Create it with New and release it with Close.
type Cache struct {
	maxBytes      int64
	maxEntryBytes int64
	fetchTimeout  time.Duration
	now           func() time.Time
	epoch         time.Time
	closing       context.Context // done after Close: cancels in-flight fetches
	stop          context.CancelFunc

	mu     sync.Mutex
	closed bool
	shared Shared // second level shared with other caches (SetShared); nil: none
	// lru is keyed by the compact encoding of Key (see Key.AppendEncoded): a 16-byte
	// string header instead of a 64-byte struct in every map slot and list
	// element, and one hash call per lookup.
	lru     *simplelru.LRU[string, entry]
	scratch []byte              // encodes lookup keys without allocating
	tags    map[string]*tagNode // tag -> head of the list of entries carrying it
	reason  removeReason        // why the LRU callback is being called
	flights map[Key]*flight     // fetches a caller may join
	running map[*flight]struct{}
	// tick is a logical clock, advanced by every fetch start, Store and
	// Invalidate. tagGen records the tick at which a tag was last invalidated
	// while fetches were running; a fetch that started before that tick must
	// not store a result carrying the tag. Entries older than every running
	// fetch are pruned, so tagGen stays as small as the invalidations of the
	// last FetchTimeout.
	tick      uint64
	lastInval uint64
	tagGen    map[string]uint64
	purged    uint64 // tick of the last PurgeLocal: fetches started before it store nothing
	pruneAt   int

	bytes, entries                    atomic.Int64
	hits, misses, coalesced, bypasses atomic.Uint64
	evictions, expired, invalidations atomic.Uint64
	rejected, stale, fetchErrors      atomic.Uint64
}

const minPruneAt = 64

// New returns an empty cache configured by opts (zero fields take defaults).
func New(opts Options) (*Cache, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Cache{
		maxBytes:      o.MaxBytes,
		maxEntryBytes: o.MaxEntryBytes,
		fetchTimeout:  o.FetchTimeout,
		now:           o.Now,
		tags:          make(map[string]*tagNode),
		flights:       make(map[Key]*flight),
		running:       make(map[*flight]struct{}),
		tagGen:        make(map[string]uint64),
		pruneAt:       minPruneAt,
	}
	c.epoch = c.now()
	c.closing, c.stop = context.WithCancel(context.Background())
	c.lru, err = simplelru.NewLRU(o.MaxEntries, c.onRemove)
	if err != nil {
		return nil, fmt.Errorf("cache: creating LRU: %w", err)
	}
	return c, nil
}

// clock returns the cache's current time in nanoseconds since its epoch.
func (c *Cache) clock() int64 { return int64(c.now().Sub(c.epoch)) }

// AppendEncoded appends the compact encoding the cache keys its entries by:
// each field preceded by its length, so that no field's content can make two
// keys encode alike (the encoding is injective).
func (k Key) AppendEncoded(b []byte) []byte {
	for _, s := range [...]string{k.Credential, k.Method, k.Path, k.Query} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// viewKeyLocked encodes k into c.scratch and returns a string aliasing it,
// valid until the next viewKeyLocked. It is only passed to golang-lru's Get,
// Peek and Remove, which look the key up and never retain it; anything stored
// uses a real copy (storedKey).
//
// This is the package's one use of unsafe, kept because it pays (issue 14
// measured the alternative): keying the LRU by Key itself, four strings
// hashed and compared one by one, made BenchmarkGetHit 16% slower (136 ->
// 158 ns, 8 alternated runs each), scenario 5's hits 21-27% slower from
// 1,000 to 200,000 entries, and every entry 256 B larger (the 64-B Key sits
// in the map slot, the list element and each tag node: BenchmarkScale 1,008
// -> 1,264 B of live heap per 512-B entry, 21% fewer entries in 256 MB).
// A plain string(c.scratch) allocates on every hit: BenchmarkGetHit 135 ->
// 179 ns (+33%) and 64 B per hit.
func (c *Cache) viewKeyLocked(k Key) string {
	c.scratch = k.AppendEncoded(c.scratch[:0])
	return unsafe.String(unsafe.SliceData(c.scratch), len(c.scratch))
}

// storedKey returns k's encoding as a string of its own.
func (c *Cache) storedKeyLocked(k Key) string {
	c.scratch = k.AppendEncoded(c.scratch[:0])
	return string(c.scratch)
}

// Lookup returns the stored, unexpired body for key, without fetching. The
// returned slice is shared: do not modify it.
func (c *Cache) Lookup(key Key) ([]byte, bool) {
	now := c.clock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, false
	}
	e, ok := c.lookupLocked(key, now)
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return e.Body, ok
}

// LookupHit returns the stored, unexpired entry for key, without fetching,
// counting a hit when there is one and nothing when there is none (the Get
// that follows a miss counts it). Its body and value are shared: do not
// modify them.
func (c *Cache) LookupHit(key Key) (Entry, bool) {
	now := c.clock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return Entry{}, false
	}
	e, ok := c.lookupLocked(key, now)
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
	}
	return e, ok
}

// lookupLocked finds key, dropping it if it has expired.
func (c *Cache) lookupLocked(key Key, now int64) (Entry, bool) {
	k := c.viewKeyLocked(key)
	e, ok := c.lru.Get(k)
	if !ok {
		return Entry{}, false
	}
	if now >= e.expires {
		c.removeLocked(k, reasonExpired)
		return Entry{}, false
	}
	return Entry{Body: e.body, Value: e.value}, true
}

// Attach keeps value, body in decoded form, beside the entry stored for key,
// if that entry still holds body (the same slice, as returned by the cache),
// accounting size more bytes for it; later hits (GetEntry) return it. It is
// how a value decoded from a body that came without one (from Store, or from
// a second level) is kept. It does nothing when the entry is gone, holds
// another body or a value already, or would outgrow MaxEntryBytes.
func (c *Cache) Attach(key Key, body []byte, value any, size int64) {
	if value == nil || len(body) == 0 {
		return
	}
	size = max(size, 0)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	now := c.clock()
	k := c.viewKeyLocked(key)
	e, ok := c.lru.Get(k) // to the hot end: making room below cannot evict it
	// The same body is the same memory: both slices are non-empty here.
	if !ok || now >= e.expires || e.value != nil || len(e.body) != len(body) ||
		&e.body[0] != &body[0] || size > c.maxEntryBytes-e.size {
		return
	}
	k = c.storedKeyLocked(key) // makeRoomLocked may reuse the scratch buffer
	c.makeRoomLocked(size, now)
	e.value = value
	e.size += size
	c.bytes.Add(size)
	c.lru.Add(k, e) // replaces the entry in place: no eviction callback
}

// Store puts body under key for ttl, replacing what was there; ttl <= 0
// removes the stored entry instead (the caller has seen something fresher
// that must not be kept). Bodies whose accounted size exceeds MaxEntryBytes
// are not stored. The cache keeps body without copying: do not modify it
// afterwards.
func (c *Cache) Store(key Key, body []byte, ttl time.Duration, tags []string) {
	now := c.clock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.tick++
	c.putLocked(key, body, nil, 0, ttl, tags, c.tick, now)
}

// Tick returns the cache's logical time, for StoreSince.
func (c *Cache) Tick() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tick
}

// StoreSince is Store for a body derived from what a fetch read after
// logical time since (Tick before the fetch): it stores nothing when one of
// tags was invalidated, or the cache purged, after since while fetches were
// running, as a fetch's own result would not be stored (a body derived from
// it must not outlive the invalidation either).
func (c *Cache) StoreSince(key Key, body []byte, ttl time.Duration, tags []string, since uint64) {
	now := c.clock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if since < c.purged {
		c.stale.Add(1)
		return
	}
	for _, t := range tags {
		if g, ok := c.tagGen[t]; ok && g > since {
			c.stale.Add(1)
			return
		}
	}
	c.tick++
	c.putLocked(key, body, nil, 0, ttl, tags, c.tick, now)
}

// putLocked stores (or, for ttl <= 0 and oversize bodies, removes) key.
func (c *Cache) putLocked(key Key, body []byte, value any, valueSize int64, ttl time.Duration, tags []string, tick uint64, now int64) {
	k := c.storedKeyLocked(key)
	c.removeLocked(k, reasonReplaced)
	if ttl <= 0 {
		return
	}
	body = trimBody(body)
	nodes, tagBytes := newTagNodes(k, tags)
	size := int64(entryOverhead+len(k)+cap(body)) + tagBytes
	if value != nil {
		size += min(max(valueSize, 0), c.maxEntryBytes) // min: no overflow; the sum is checked below
	}
	if size > c.maxEntryBytes {
		c.rejected.Add(1)
		return
	}
	c.makeRoomLocked(size, now)
	expires := int64(math.MaxInt64)
	if ttl < time.Duration(math.MaxInt64-now) {
		expires = now + int64(ttl)
	}
	for i := range nodes {
		n := &nodes[i]
		n.next = c.tags[n.tag]
		if n.next != nil {
			n.next.prev = n
		}
		c.tags[n.tag] = n
	}
	c.addLocked(k, entry{body: body, value: value, tags: nodes, expires: expires, size: size, tick: tick})
}

// makeRoomLocked removes entries from the cold end until size more bytes
// fit: expired ones first (as expirations), then the least recently used.
// Room is made before adding, so Bytes never exceeds MaxBytes, not even
// between two statements; size <= MaxBytes, so this terminates.
func (c *Cache) makeRoomLocked(size, now int64) {
	for {
		old, e, ok := c.lru.GetOldest()
		if !ok || e.expires > now {
			break
		}
		c.removeLocked(old, reasonExpired)
	}
	for c.bytes.Load()+size > c.maxBytes {
		c.lru.RemoveOldest() // reasonEvicted
	}
}

// addLocked adds e, whose tag nodes are linked already, under k.
func (c *Cache) addLocked(k string, e entry) {
	c.bytes.Add(e.size)
	c.entries.Add(1)
	// May evict the oldest entry by count, through onRemove.
	c.lru.Add(k, e)
}

// removeLocked removes key, if present, counting it under reason.
func (c *Cache) removeLocked(key string, reason removeReason) {
	c.reason = reason
	c.lru.Remove(key)
	c.reason = reasonEvicted
}

// onRemove is golang-lru's eviction callback, called (under c.mu) for every
// entry that leaves the LRU, whatever the reason: it keeps the byte count and
// the tag index exact.
func (c *Cache) onRemove(_ string, e entry) {
	c.bytes.Add(-e.size)
	c.entries.Add(-1)
	for i := range e.tags {
		n := &e.tags[i]
		switch {
		case n.prev != nil:
			n.prev.next = n.next
		case n.next != nil:
			c.tags[n.tag] = n.next
		default:
			delete(c.tags, n.tag)
		}
		if n.next != nil {
			n.next.prev = n.prev
		}
		n.prev, n.next = nil, nil
	}
	switch c.reason {
	case reasonEvicted:
		c.evictions.Add(1)
	case reasonExpired:
		c.expired.Add(1)
	case reasonInvalidated:
		c.invalidations.Add(1)
	}
}

// InvalidateLocal drops every entry, of any credential, that carries one of
// tags, and keeps fetches already in flight from storing results that carry
// one of them. Callers that arrive after it never join a fetch that started
// before it. Unlike Invalidate it does not tell the shared level: it is what
// a Shared implementation calls when another cache invalidated tags.
func (c *Cache) InvalidateLocal(tags ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(tags) == 0 {
		return
	}
	c.tick++
	c.lastInval = c.tick
	for _, t := range tags {
		if len(c.running) > 0 {
			c.tagGen[t] = c.tick
		}
		for n := c.tags[t]; n != nil; {
			next := n.next // another entry's node: removing n's entry leaves it linked
			c.removeLocked(n.key, reasonInvalidated)
			n = next
		}
	}
	if len(c.tagGen) >= c.pruneAt {
		c.pruneTagGenLocked()
	}
}

// PurgeLocal drops every entry, of every credential, and keeps fetches
// already in flight from storing their results; callers that arrive after it
// never join a fetch that started before it. Like InvalidateLocal it does not
// tell the shared level: it is what a Shared implementation calls when it may
// have missed other caches' invalidations (it lost its connection to them).
func (c *Cache) PurgeLocal() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.tick++
	c.lastInval = c.tick
	c.purged = c.tick
	c.reason = reasonInvalidated
	c.lru.Purge()
	c.reason = reasonEvicted
}

// pruneTagGenLocked forgets invalidations older than every running fetch:
// they can no longer make a result stale.
func (c *Cache) pruneTagGenLocked() {
	oldest := uint64(math.MaxUint64)
	for f := range c.running {
		oldest = min(oldest, f.start)
	}
	for t, g := range c.tagGen {
		if g < oldest {
			delete(c.tagGen, t)
		}
	}
	c.pruneAt = max(minPruneAt, 2*len(c.tagGen))
}

// Close drops every entry and cancels the fetches in flight (their waiters
// get the fetch's error). Later calls are safe: Get returns ErrClosed,
// Lookup misses, Store and Invalidate do nothing. Close is idempotent.
func (c *Cache) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.reason = reasonClosed
	c.lru.Purge()
	c.lru, c.tags, c.tagGen, c.scratch = nil, nil, nil, nil
	c.mu.Unlock()
	c.stop()
}

// trimBody copies body when its spare capacity (which the entry would keep
// alive) is significant, e.g. after io.ReadAll.
func trimBody(body []byte) []byte {
	if spare := cap(body) - len(body); spare > 64 && spare > len(body)/8 {
		return append([]byte(nil), body...)
	}
	return body
}

// newTagNodes returns one unlinked node per distinct tag, their tag strings
// copied into one allocation (so a tag sliced out of a larger string cannot
// keep it alive behind the accounting), and the bytes to account for them.
func newTagNodes(key string, tags []string) ([]tagNode, int64) {
	if len(tags) == 0 {
		return nil, 0
	}
	nodes := make([]tagNode, 0, len(tags))
	n := 0
	for _, t := range tags {
		if !slices.ContainsFunc(nodes, func(x tagNode) bool { return x.tag == t }) {
			nodes = append(nodes, tagNode{tag: t, key: key})
			n += len(t)
		}
	}
	var b strings.Builder
	b.Grow(n)
	for i := range nodes {
		b.WriteString(nodes[i].tag)
	}
	all := b.String()
	for i, off := 0, 0; i < len(nodes); i++ {
		l := len(nodes[i].tag)
		nodes[i].tag = all[off : off+l]
		off += l
	}
	return nodes, int64(len(nodes)*tagOverhead + n)
}
