package modeclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// call is one logical client call, possibly sent several times.
type call struct {
	method string
	path   string
	route  string
	query  url.Values
	// workspace is the workspace the call is about: every object Mode
	// answers must belong to it (see checkOwner).
	workspace string
	body      []byte // JSON request body, nil for none
	accept    string
	// authorization, when set, is the Authorization header instead of the client's Basic
	// credential: a Metadata API read's signature token (batchauth.go). Never printed.
	authorization string
	// rangeFrom, when positive, asks for the body from that byte on (Range:
	// bytes=N-), if it is still the file ifRange names (If-Range), when set.
	rangeFrom int64
	ifRange   string
	attempts  atomic.Int32 // requests sent (updated by a detached cache fetch)
	status    atomic.Int32 // last status received
}

func (c *Client) newCall(method string, p *apiPath, q url.Values) (*call, error) {
	path, route, err := p.build()
	if err != nil {
		return nil, err
	}
	return &call{method: method, path: path, route: route, query: q, workspace: p.workspace, accept: mediaHAL}, nil
}

// observe reports cl to the context's call observer, if any.
func observe(ctx context.Context, cl *call, cached bool, o cache.Outcome) {
	fn, _ := ctx.Value(observerKey).(func(CallInfo))
	if fn == nil || cl == nil {
		return
	}
	fn(CallInfo{
		Method: cl.method, Route: cl.route, Cached: cached, Outcome: o,
		Attempts: int(cl.attempts.Load()), StatusCode: int(cl.status.Load()),
	})
}

// newRequest builds one attempt of cl; wrote is set once the request has
// been written to the connection.
func (c *Client) newRequest(ctx context.Context, cl *call, wrote *atomic.Bool) (*http.Request, error) {
	ctx = context.WithValue(ctx, routeKey, [2]string{cl.method, cl.route})
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	})
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, c.urlFor(cl.path, cl.query).String(), body)
	if err != nil {
		return nil, &TransportError{Method: cl.method, Route: cl.route, Err: errors.New("building request failed")}
	}
	if cl.authorization != "" {
		req.Header.Set("Authorization", cl.authorization)
	} else {
		req.SetBasicAuth(c.cred.Token, c.cred.Secret)
	}
	req.Header.Set("Accept", cl.accept)
	req.Header.Set("User-Agent", c.userAgent)
	if cl.body != nil {
		req.Header.Set("Content-Type", mediaJSON)
	}
	if cl.rangeFrom > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", cl.rangeFrom))
		if cl.ifRange != "" {
			req.Header.Set("If-Range", cl.ifRange)
		}
	}
	return req, nil
}

// readLimited reads at most limit bytes of r; more is an error.
func readLimited(r io.Reader, limit int64) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(b)) > limit {
		return nil, true, nil
	}
	return b, false, nil
}

// fetchBody sends cl and returns its whole (capped) 2xx body.
func (c *Client) fetchBody(ctx context.Context, cl *call) ([]byte, error) {
	var body []byte
	_, err := c.send(ctx, cl, func(resp *http.Response) error {
		b, tooBig, err := readLimited(resp.Body, c.maxResponseBytes)
		if err != nil {
			return &bodyReadError{err}
		}
		if tooBig {
			return &DecodeError{Method: cl.method, Route: cl.route,
				Reason: fmt.Sprintf("body larger than %d bytes", c.maxResponseBytes)}
		}
		body = b
		return nil
	})
	return body, err
}

// decode unmarshals a JSON body into out.
func decode(cl *call, body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		return newDecodeError(cl.method, cl.route, err)
	}
	return nil
}

// decodeJSON unmarshals a JSON body into a new T.
func decodeJSON[T any](cl *call, body []byte) (*T, error) {
	v := new(T)
	if err := decode(cl, body, v); err != nil {
		return nil, err
	}
	return v, nil
}

// cachePolicy decides, from a fetched response in decoded form, how long to
// keep it and which tags (besides the resource path) it carries.
type cachePolicy func(decoded any) (ttl time.Duration, tags []string)

// decodedSize is the memory accounted for the decoded form of body kept in
// the cache beside it: 1.5 times the JSON text. TestDecodedSizeBound measures
// the emulator's bodies: once decoded, a report keeps about 1.03 times its
// JSON alive, a page of 100 reports about 1.25 times (a Report per item).
func decodedSize(body []byte) int64 { return int64(len(body)) * 3 / 2 }

// getJSON GETs p (through the cache when configured) and decodes it into a
// new T, which must belong to the workspace of p (checkOwner) before it is
// cached or returned.
func getJSON[T any, PT ownedPtr[T]](ctx context.Context, c *Client, p *apiPath, q url.Values, policy cachePolicy) (*T, error) {
	return getDecoded(ctx, c, p, q, policy, func(cl *call, body []byte) (*T, error) {
		v, err := decodeJSON[T](cl, body)
		if err != nil {
			return nil, err
		}
		if err := c.checkOwner(cl, PT(v)); err != nil {
			return nil, err
		}
		return v, nil
	})
}

// getDecoded GETs p (through the cache when configured) and returns its body
// decoded by decode. The cache keeps the decoded form beside the body and
// every hit returns that same value, shared and read-only (see the package
// doc), so that a hit costs neither a decode nor a copy: the fetch decodes
// once for every coalesced caller (which also validates the body before it
// is stored), and a body that arrives without its decoded form (from a
// second cache level) is decoded once and attached.
func getDecoded[T any](ctx context.Context, c *Client, p *apiPath, q url.Values, policy cachePolicy, decode func(*call, []byte) (*T, error)) (*T, error) {
	return getDecodedWith(ctx, c, p, q, policy, c.fetchBody, decode)
}

// getDecodedWith is getDecoded with the function that sends the GET and reads its body
// (fetchBody, or fetchBatch for the Metadata API).
func getDecodedWith[T any](ctx context.Context, c *Client, p *apiPath, q url.Values, policy cachePolicy,
	fetch func(context.Context, *call) ([]byte, error), decode func(*call, []byte) (*T, error)) (*T, error) {
	cl, err := c.newCall(http.MethodGet, p, q)
	if err != nil {
		return nil, err
	}
	if c.cache == nil {
		body, err := fetch(ctx, cl)
		observe(ctx, cl, false, cache.OutcomeMiss)
		if err != nil {
			return nil, err
		}
		return decode(cl, body)
	}
	key := cache.Key{Credential: c.fingerprint, Method: cl.method, Path: cl.path, Query: q.Encode()}
	bypass := cacheBypassed(ctx)
	// A hit gets no span of its own when tracing is on: it costs a lookup,
	// and the caller's span records it (the server span's
	// modeplatform.cache.served); the cache span is for calls that fetch or
	// wait, whose upstream requests are its children.
	var (
		ent     cache.Entry
		outcome = cache.OutcomeHit
		hit     bool
	)
	if c.tracer != nil && !bypass {
		ent, hit = c.cache.LookupHit(key)
	}
	if !hit {
		sctx, endSpan := c.startCacheSpan(ctx, cl)
		ent, outcome, err = c.cache.GetEntry(sctx, key, bypass, func(fctx context.Context) (cache.Fetched, error) {
			body, err := fetch(fctx, cl)
			if err != nil {
				return cache.Fetched{}, err
			}
			v, err := decode(cl, body)
			if err != nil {
				return cache.Fetched{}, err
			}
			ttl, tags := policy(v)
			return cache.Fetched{Body: body, Value: v, ValueSize: decodedSize(body), TTL: ttl, Tags: append(tags, cl.path)}, nil
		})
		endSpan(outcome, err)
	}
	observe(ctx, cl, true, outcome)
	if err != nil {
		if errors.Is(err, cache.ErrClosed) {
			return nil, fmt.Errorf("modeclient: %s %s: %w", cl.method, cl.route, err)
		}
		return nil, err
	}
	if v, ok := ent.Value.(*T); ok {
		if c.sharedCheck != nil {
			checkShared(c, cl, ent.Body, v, decode)
		}
		return v, nil
	}
	v, err := decode(cl, ent.Body)
	if err != nil {
		return nil, err
	}
	c.cache.Attach(key, ent.Body, v, decodedSize(ent.Body))
	return v, nil
}

// checkShared is WithSharedValueCheck's check of a value v about to be handed
// out again: it decodes body, which v was decoded from, once more and reports
// to c.sharedCheck when v no longer equals that, because someone modified a
// value the cache shares. (reflect.DeepEqual compares a time's location by
// pointer: a timestamp with an unusual offset, such as +05:30, would decode
// to an unequal location each time. Mode and the emulator send UTC.)
func checkShared[T any](c *Client, cl *call, body []byte, v *T, decode func(*call, []byte) (*T, error)) {
	fresh, err := decode(cl, body)
	if err != nil {
		c.sharedCheck(fmt.Errorf("modeclient: %s %s: the cached body no longer decodes: %w", cl.method, cl.path, err))
		return
	}
	if !reflect.DeepEqual(v, fresh) {
		c.sharedCheck(fmt.Errorf("modeclient: %s %s: a value shared by the cache was modified by a caller "+
			"(values a Client returns are read-only): it is now\n\t%+v\nand its body decodes to\n\t%+v", cl.method, cl.path, *v, *fresh))
	}
}

// write sends a JSON body (nil for none) with method to p, decodes a
// non-empty answer into out (when non-nil), checks that it belongs to the
// workspace of p (checkOwner; for a DELETE, only that it names no other
// workspace) and invalidates tags, and the Metadata API pages of the
// workspace (see writeBody). Tags are invalidated
// whenever Mode may have processed the request, even if the call failed (a
// 5xx or a broken connection after sending).
func (c *Client) write(ctx context.Context, method string, p *apiPath, in any, out owned, tags func(path string) []string) error {
	return c.writeQuery(ctx, method, p, nil, in, out, tags)
}

// writeQuery is write with a query string (nil for none).
func (c *Client) writeQuery(ctx context.Context, method string, p *apiPath, q url.Values, in any, out owned, tags func(path string) []string) error {
	cl, body, err := c.writeBody(ctx, method, p, q, in, tags)
	if err != nil {
		return err
	}
	if out == nil || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if cl.method == http.MethodDelete {
		// The deleted object is not handed to the caller, and Mode's spec
		// has an empty body for some deletions: only an answer that names
		// another workspace fails the call.
		if decode(cl, body, out) != nil {
			return nil
		}
		var ww *WrongWorkspaceError
		if err := c.checkOwner(cl, out); errors.As(err, &ww) {
			return err
		}
		return nil
	}
	if err := decode(cl, body, out); err != nil {
		return err
	}
	return c.checkOwner(cl, out)
}

// writeBody sends a write (see write) and returns its call and its answer's body, for the
// caller to decode: the invalidation of tags, and of the Metadata API pages of the write's
// workspace (batchTag: every write of a workspace may change what they list), happens here.
// The body is never kept beyond the call.
func (c *Client) writeBody(ctx context.Context, method string, p *apiPath, q url.Values, in any, tags func(path string) []string) (*call, []byte, error) {
	cl, err := c.newCall(method, p, q)
	if err != nil {
		return nil, nil, err
	}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, nil, fmt.Errorf("modeclient: %s %s: encoding request body: %w", cl.method, cl.route, err)
		}
		cl.body = b
	}
	body, err := c.fetchBody(ctx, cl)
	observe(ctx, cl, false, cache.OutcomeMiss)
	if c.cache != nil && maybeProcessed(cl, err) {
		c.cache.Invalidate(append(tags(cl.path), batchTag(cl.workspace))...)
	}
	return cl, body, err
}

// maybeProcessed reports whether Mode may have applied a write that ended with err.
func maybeProcessed(cl *call, err error) bool {
	if err == nil {
		return true
	}
	if cl.attempts.Load() == 0 {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode >= 500
	}
	return true
}
