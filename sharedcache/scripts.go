package sharedcache

import "github.com/redis/go-redis/v9"

// The Lua scripts that keep each step atomic in Redis. Every key a script touches shares the
// namespace's hash tag ("{ns}"), so they live in one slot.
//
// Sequence numbers: KEYS seq holds the last invalidation's sequence number, a microsecond
// timestamp from Redis's clock made strictly increasing (max(last+1, now)), so that it keeps
// increasing even if the key is lost. A tag marker ("t:<tag>") holds the sequence number of the
// last invalidation of its tag (or the sequence current when an entry first carried it); an entry
// records the sequence current when its fetch began, and is fresh while every one of its tags'
// markers exists and is not newer than that. A missing marker (expired, evicted) makes the entries
// carrying the tag stale: losing state costs misses, never stale answers.

// lookupScript answers a local miss in one round trip: a fresh stored entry ("hit", body, tags,
// ms left), or the lock for this key taken for the caller ("lock", seq), or the token of the
// replica holding it ("wait", token, seq); with bypass, only the current sequence ("bypass",
// seq).
//
// KEYS: entry, lock, seq. ARGV: tag key prefix, token, lock TTL (ms), bypass ("1" or "0").
var lookupScript = redis.NewScript(`
if ARGV[4] == '0' then
  local v = redis.call('HMGET', KEYS[1], 's', 't', 'b')
  if v[3] then
    local s0 = tonumber(v[1])
    local fresh = true
    for tag in string.gmatch(v[2], '[^\n]+') do
      local g = redis.call('GET', ARGV[1] .. tag)
      if not g or tonumber(g) > s0 then
        fresh = false
        break
      end
    end
    if fresh then
      return {'hit', v[3], v[2], redis.call('PTTL', KEYS[1])}
    end
    redis.call('DEL', KEYS[1])
  end
end
local seq = redis.call('GET', KEYS[3]) or '0'
if ARGV[4] == '1' then
  return {'bypass', seq}
end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then
  return {'lock', seq}
end
return {'wait', redis.call('GET', KEYS[2]) or '', seq}
`)

// storeScript publishes a fetch's result: mode "store" keeps it as an entry unless a tag it
// carries was invalidated since the fetch began (or a fresher entry is already there), mode
// "result" keeps it briefly for the replicas waiting on this fetch only (a response that must
// not be cached, such as a run in progress), mode "none" keeps nothing. In every mode it
// releases the caller's lock and announces the fetch's end to the waiting replicas. It returns
// 1 stored, -1 refused as stale, 2 kept for the waiters, 0 nothing kept.
//
// KEYS: entry, lock, seq, result. ARGV: tag key prefix, fetch's sequence, TTL (ms), tags
// ("\n"-joined), body, token ("" for none), fill channel, fill message, mode, result TTL (ms).
var storeScript = redis.NewScript(`
local outcome = 0
if ARGV[9] == 'store' then
  local s0 = tonumber(ARGV[2])
  local seq = tonumber(redis.call('GET', KEYS[3]) or '0')
  local ttl = tonumber(ARGV[3])
  local markers = {}
  local fresh = true
  for tag in string.gmatch(ARGV[4], '[^\n]+') do
    local k = ARGV[1] .. tag
    markers[#markers + 1] = k
    local g = redis.call('GET', k)
    if g then
      if tonumber(g) > s0 then
        fresh = false
        break
      end
    elseif seq > s0 then
      fresh = false
      break
    end
  end
  local cur = redis.call('HGET', KEYS[1], 's')
  if cur and tonumber(cur) > s0 then
    fresh = false
  end
  if fresh then
    for _, k in ipairs(markers) do
      local left = redis.call('PTTL', k)
      if left == -2 then
        redis.call('SET', k, string.format('%d', seq), 'PX', ttl)
      elseif left >= 0 and left < ttl then
        redis.call('PEXPIRE', k, ttl)
      end
    end
    redis.call('DEL', KEYS[1])
    redis.call('HSET', KEYS[1], 's', ARGV[2], 't', ARGV[4], 'b', ARGV[5])
    redis.call('PEXPIRE', KEYS[1], ttl)
    outcome = 1
  else
    outcome = -1
  end
elseif ARGV[9] == 'result' then
  redis.call('SET', KEYS[4], ARGV[5], 'PX', ARGV[10])
  outcome = 2
end
if ARGV[6] ~= '' and redis.call('GET', KEYS[2]) == ARGV[6] then
  redis.call('DEL', KEYS[2])
end
redis.call('PUBLISH', ARGV[7], ARGV[8])
return outcome
`)

// refreshScript extends the caller's lock while its fetch runs (1), or reports it lost (0).
//
// KEYS: lock. ARGV: token, lock TTL (ms).
var refreshScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// invalidateScript makes tags invalid: it advances the sequence, stamps each tag's marker with
// it (keeping the marker at least as long as the entries that carry it, and at least the given
// TTL for the fetches in flight), and publishes the invalidation to every replica. It returns
// how many subscribers received the message.
//
// KEYS: seq. ARGV: tag key prefix, marker TTL (ms), channel, message, tags...
var invalidateScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local seq = math.max(last + 1, now)
local s = string.format('%d', seq)
redis.call('SET', KEYS[1], s)
local minTTL = tonumber(ARGV[2])
for i = 5, #ARGV do
  local k = ARGV[1] .. ARGV[i]
  redis.call('SET', k, s, 'PX', math.max(minTTL, redis.call('PTTL', k)))
end
return redis.call('PUBLISH', ARGV[3], ARGV[4])
`)

// limitScript is the generic cell rate algorithm (GCRA): one key holds the theoretical arrival
// time of the next request, in microseconds of Redis's clock. It returns 0 when a request may go
// now (and accounts for it), else how many microseconds to wait before asking again.
//
// KEYS: limiter key. ARGV: emission interval (µs), burst tolerance (µs).
var limitScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then
  tat = now
end
local wait = tat - tonumber(ARGV[2]) - now
if wait > 0 then
  return wait
end
local next = tat + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', next), 'PX', math.floor((next - now) / 1000) + 1)
return 0
`)
