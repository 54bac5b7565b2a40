package service

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"

	"github.com/modeplatform/modeplatform/modeclient"
)

// Paging (AIP-158). A caller's page_size is independent of Mode's per_page:
// the service always reads Mode in the client's fixed per_page (so callers
// with different page sizes share cache entries) and slices. The opaque
// page token holds where the next page starts — Mode's page number and an
// offset in it — and a fingerprint of the request it came from, so a token
// is refused with any other request.

// pageCursor is where a page starts.
type pageCursor struct {
	page   int // Mode's page, from 1
	offset int // items of that page already returned
}

const pageTokenVersion = 1

// requestBinding fingerprints the request fields a token is bound to.
func requestBinding(method string, fields ...string) uint64 {
	return fingerprint64(append([]string{method}, fields...)...)
}

// fingerprint64 hashes length-prefixed fields.
func fingerprint64(fields ...string) uint64 {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, f := range fields {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
		h.Write([]byte(f))
	}
	return binary.BigEndian.Uint64(h.Sum(nil))
}

// encodePageToken makes the opaque token of cur for a request with binding.
func encodePageToken(binding uint64, cur pageCursor) string {
	b := make([]byte, 0, 1+8+2*binary.MaxVarintLen64)
	b = append(b, pageTokenVersion)
	b = binary.BigEndian.AppendUint64(b, binding)
	b = binary.AppendUvarint(b, uint64(cur.page))
	b = binary.AppendUvarint(b, uint64(cur.offset))
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadToken = errors.New("bad page token")

// decodePageToken reads a token made by encodePageToken for binding.
func decodePageToken(token string, binding uint64) (pageCursor, error) {
	if token == "" {
		return pageCursor{page: 1}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(token, "="))
	if err != nil || len(b) < 9 || b[0] != pageTokenVersion {
		return pageCursor{}, errBadToken
	}
	if binary.BigEndian.Uint64(b[1:9]) != binding {
		return pageCursor{}, errors.New("page token belongs to a different request")
	}
	rest := b[9:]
	page, n := binary.Uvarint(rest)
	if n <= 0 {
		return pageCursor{}, errBadToken
	}
	rest = rest[n:]
	offset, n := binary.Uvarint(rest)
	if n <= 0 || n != len(rest) || page < 1 || page > 1_000_000 || offset > modeclient.MaxPerPage {
		return pageCursor{}, errBadToken
	}
	return pageCursor{page: int(page), offset: int(offset)}, nil
}

// pageRequest is what a list handler knows about the page asked for.
type pageRequest struct {
	size    int32  // page_size; 0 means the default
	token   string // page_token
	binding uint64 // requestBinding of the request's other fields
}

// pageResult is one page of a list, translated.
type pageResult[P any] struct {
	items []P
	next  string // next_page_token; "" on the last page
	total int32  // Mode's total count when it gave one
}

// maxModePagesPerCall bounds the Mode pages one list call reads, against a
// Mode that keeps answering empty pages with a next page.
const maxModePagesPerCall = 32

// listPage collects up to the page size of translated items starting at the
// request's token, fetching Mode pages with fetch.
func listPage[T, P any](ctx context.Context, c *core, req pageRequest, fetch func(ctx context.Context, modePage int) (*modeclient.Page[T], error), translate func(*T) P) (*pageResult[P], error) {
	cur, err := decodePageToken(req.token, req.binding)
	if err != nil {
		return nil, invalidArgument("page_token", "is not a token this list returned for this request ("+err.Error()+")")
	}
	size := int(req.size)
	if size <= 0 {
		size = c.opts.DefaultPageSize
	}
	if size > maxPageSize {
		size = maxPageSize
	}
	out := &pageResult[P]{items: make([]P, 0, min(size, 128))}
	for range maxModePagesPerCall {
		p, err := fetch(ctx, cur.page)
		if err != nil {
			return nil, err
		}
		if p.TotalCount > 0 {
			out.total = int32(min(p.TotalCount, 1<<31-1))
		}
		items := p.Items
		if cur.offset < len(items) {
			items = items[cur.offset:]
		} else {
			items = nil
		}
		take := min(len(items), size-len(out.items))
		for i := range take {
			out.items = append(out.items, translate(&items[i]))
		}
		if take < len(items) {
			// The page is full inside this Mode page.
			out.next = encodePageToken(req.binding, pageCursor{page: cur.page, offset: cur.offset + take})
			return out, nil
		}
		if p.NextPage == 0 {
			return out, nil
		}
		cur = pageCursor{page: p.NextPage}
		if len(out.items) == size {
			out.next = encodePageToken(req.binding, cur)
			return out, nil
		}
	}
	// Mode kept answering pages without filling ours: let the caller go on.
	out.next = encodePageToken(req.binding, cur)
	return out, nil
}
