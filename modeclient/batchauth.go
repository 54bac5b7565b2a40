package modeclient

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// The Metadata API (/batch/{workspace}/…) does not take the client's Basic credential: its
// reads are signed with a signature token of the workspace ("Authorization: Bearer
// base64(token:access_key:access_secret)", Mode's Discovery API documentation), which a workspace
// admin's credential creates. The client makes one per workspace the first time it reads that
// workspace's Metadata API, keeps it in memory only (never in the cache, never in an error,
// never printed) and uses it for every read until it is about to expire; a read Mode refuses
// with 401 (the token was deleted, or expired early) makes a new one and is sent once more.
// Each token is created with a lifetime of WithBatchTokenLifetime (default an hour) and left to
// expire on Mode; ReleaseBatchTokens deletes them, for a client that is shutting down. Creating
// one costs one request to Mode, once per lifetime per workspace.

// DefaultBatchTokenLifetime is how long the signature tokens the client makes for its own
// Metadata API reads last (WithBatchTokenLifetime).
const DefaultBatchTokenLifetime = time.Hour

// minBatchTokenLifetime is the shortest lifetime WithBatchTokenLifetime takes: Mode's
// documented expires_at has minutes.
const minBatchTokenLifetime = time.Minute

// batchTokenNamePrefix starts the name of every signature token the client makes for itself.
const batchTokenNamePrefix = "modeplatform-"

// WithBatchTokenLifetime sets how long each signature token the client makes for its Metadata
// API reads lasts (default DefaultBatchTokenLifetime, at least a minute). The client makes a new
// one a little before the old one expires (a tenth of the lifetime before, at most five minutes).
func WithBatchTokenLifetime(d time.Duration) Option {
	return func(c *Client) error {
		if d < minBatchTokenLifetime {
			return fmt.Errorf("batch token lifetime %v shorter than %v", d, minBatchTokenLifetime)
		}
		c.batchLifetime = d
		return nil
	}
}

// batchSessions holds the client's signature token of each workspace.
type batchSessions struct {
	mu sync.Mutex
	ws map[string]*batchSession
}

// batchSession is the signature token of one workspace. Its mutex is held while a token is
// made, so that concurrent reads of the workspace make one between them.
type batchSession struct {
	mu      sync.Mutex
	token   string
	key     string
	secret  string
	expires time.Time
}

// session returns the session of workspace ws, made on first use.
func (b *batchSessions) session(ws string) *batchSession {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ws == nil {
		b.ws = map[string]*batchSession{}
	}
	s := b.ws[ws]
	if s == nil {
		s = &batchSession{}
		b.ws[ws] = s
	}
	return s
}

// forget drops the session of ws when its token is token (it was deleted).
func (b *batchSessions) forget(ws, token string) {
	b.mu.Lock()
	s := b.ws[ws]
	b.mu.Unlock()
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == token {
		s.clear()
	}
}

// clear forgets the token. Call with s.mu held.
func (s *batchSession) clear() { s.token, s.key, s.secret, s.expires = "", "", "", time.Time{} }

// authorization is the Authorization header of a read signed with the token. Call with s.mu held.
func (s *batchSession) authorization() string {
	return "Bearer " + base64.StdEncoding.EncodeToString([]byte(s.token+":"+s.key+":"+s.secret))
}

// renewMargin is how long before its expiry a token is replaced.
func (c *Client) renewMargin() time.Duration { return min(5*time.Minute, c.batchLifetime/10) }

// batchSignature returns the Authorization header that signs a Metadata API read of ws, and the
// token it names, making a token when there is none, it is about to expire, or it is stale (the
// token a read just saw refused).
func (c *Client) batchSignature(ctx context.Context, ws, stale string) (authorization, token string, err error) {
	s := c.batchAuth.session(ws)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := c.now()
	if s.token != "" && s.token != stale && now.Add(c.renewMargin()).Before(s.expires) {
		return s.authorization(), s.token, nil
	}
	expires := now.Add(c.batchLifetime)
	t, err := c.createSignatureToken(ctx, ws, batchTokenNamePrefix+randomName(), expires, false)
	if err != nil {
		return "", "", err
	}
	s.token, s.key, s.secret, s.expires = t.Token, t.AccessKey, t.AccessSecret, expires
	if !t.ExpiresAt.IsZero() && t.ExpiresAt.Before(expires) {
		s.expires = t.ExpiresAt.Time // Mode's word on it, when sooner
	}
	t.AccessSecret = ""
	return s.authorization(), s.token, nil
}

// randomName returns 12 random hex characters, to tell the client's tokens apart in Mode.
func randomName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// fetchBatch sends a Metadata API read signed with the workspace's signature token and returns
// its body. A 401 (the token was deleted or has expired) makes a new token and sends the read
// once more.
func (c *Client) fetchBatch(ctx context.Context, cl *call) ([]byte, error) {
	stale := ""
	for try := 0; ; try++ {
		auth, token, err := c.batchSignature(ctx, cl.workspace, stale)
		if err != nil {
			return nil, err
		}
		cl.authorization = auth
		body, err := c.fetchBody(ctx, cl)
		var ae *APIError
		if try == 0 && errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized {
			stale = token
			continue
		}
		return body, err
	}
}

// ReleaseBatchTokens deletes the signature tokens the client made for its Metadata API reads
// (DELETE /batch/{workspace}/signature_tokens/{token}, one request per workspace read), for a
// client about to be dropped; otherwise they expire on Mode by themselves. A later read makes a
// new one. A token Mode no longer knows (404) counts as deleted.
func (c *Client) ReleaseBatchTokens(ctx context.Context) error {
	c.batchAuth.mu.Lock()
	sessions := make(map[string]*batchSession, len(c.batchAuth.ws))
	for ws, s := range c.batchAuth.ws {
		sessions[ws] = s
	}
	c.batchAuth.mu.Unlock()
	var errs []error
	for ws, s := range sessions {
		s.mu.Lock()
		token := s.token
		s.clear()
		s.mu.Unlock()
		if token == "" {
			continue
		}
		_, _, err := c.sendUncached(ctx, http.MethodDelete, signatureTokensPath(ws).tok("signature_token", token), nil)
		var ae *APIError
		if err != nil && !(errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
