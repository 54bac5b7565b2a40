package modetest

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateLimiter allows n requests per sliding window per credential, like Mode's per-user limit.
type rateLimiter struct {
	n   int
	per time.Duration

	mu   sync.Mutex
	hits map[string][]time.Time // per token: times of the requests inside the window, oldest first
}

func newRateLimiter(n int, per time.Duration) *rateLimiter {
	if per <= 0 {
		per = defaultRatePer
	}
	return &rateLimiter{n: n, per: per, hits: map[string][]time.Time{}}
}

// allow counts one request for token. It sets the rate-limit headers and, when the limit is
// spent, answers 429 with Mode's rate_limited body and Retry-After, and returns false.
func (l *rateLimiter) allow(w http.ResponseWriter, token string) bool {
	if l.n <= 0 {
		return true
	}
	now := time.Now()
	l.mu.Lock()
	hits := l.hits[token]
	cut := 0
	for cut < len(hits) && now.Sub(hits[cut]) >= l.per {
		cut++
	}
	hits = hits[cut:]
	var retry time.Duration
	ok := len(hits) < l.n
	if ok {
		hits = append(hits, now)
	} else {
		retry = l.per - now.Sub(hits[0])
	}
	l.hits[token] = hits
	remaining := l.n - len(hits)
	l.mu.Unlock()

	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.n))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	if ok {
		return true
	}
	secs := max(1, int(math.Ceil(retry.Seconds())))
	h.Set("Retry-After", strconv.Itoa(secs))
	writeError(w, http.StatusTooManyRequests,
		"Rate limit exceeded: "+strconv.Itoa(l.n)+" requests per "+l.per.String()+". Please retry later.")
	return false
}
