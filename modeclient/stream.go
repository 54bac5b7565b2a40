package modeclient

import (
	"context"
	"io"
	"net/http"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// stream sends a GET for a result body and returns the open response body.
func (c *Client) stream(ctx context.Context, p *apiPath, accept string) (io.ReadCloser, error) {
	cl, err := c.newCall(http.MethodGet, p, nil)
	if err != nil {
		return nil, err
	}
	cl.accept = accept
	resp, err := c.send(context.WithValue(ctx, streamedKey, true), cl, nil)
	observe(ctx, cl, false, cache.OutcomeMiss)
	if err != nil {
		return nil, err
	}
	want := resp.ContentLength
	if resp.Uncompressed {
		want = -1 // the length was of the compressed body (gzip checks its own length)
	}
	return &streamBody{rc: resp.Body, cl: cl, want: want}, nil
}

// Streamed reports whether the outgoing request carried by ctx reads a
// streamed body (a query result) that its caller may hold open for long: a
// transport limiting requests in flight may count it apart from the others.
func Streamed(ctx context.Context) bool {
	b, _ := ctx.Value(streamedKey).(bool)
	return b
}

// streamBody wraps a result body so that read failures name the route
// instead of the URL, and a body that ends before its Content-Length is an
// error (io.ErrUnexpectedEOF in a *TransportError), never a clean end.
// net/http already checks the length of HTTP/1.1 and HTTP/2 bodies; this
// check holds whatever transport sits under the client. A body with no
// length (chunked, or compressed) is checked by its framing: a chunked body
// cut before its last chunk, or a gzip stream cut before its trailer, also
// fails with io.ErrUnexpectedEOF. Only a body delimited by the connection's
// end (HTTP/1.0 style, no length, no chunks, no compression) cannot be told
// from a whole one here.
type streamBody struct {
	rc   io.ReadCloser
	cl   *call
	want int64 // Content-Length, -1 if unknown
	n    int64 // bytes read
}

func (s *streamBody) Read(p []byte) (int, error) {
	n, err := s.rc.Read(p)
	s.n += int64(n)
	if err == io.EOF && s.want >= 0 && s.n != s.want {
		err = io.ErrUnexpectedEOF
	}
	if err != nil && err != io.EOF {
		err = &TransportError{Method: s.cl.method, Route: s.cl.route, Err: stripURL(err)}
	}
	return n, err
}

func (s *streamBody) Close() error { return s.rc.Close() }
