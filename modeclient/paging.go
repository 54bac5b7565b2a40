package modeclient

import (
	"context"
	"iter"
	"net/url"
	"strconv"
)

// Page is one page of a Mode list. ListXxxPage methods number pages from 1
// (a page < 1 means 1) and always pin per_page.
type Page[T any] struct {
	Items      []T
	Page       int // the page number asked for, from 1
	NextPage   int // the next page number; 0 on the last page
	TotalCount int // total items, when Mode says (else 0)
	TotalPages int // total pages, when Mode says (else 0)
}

// ListOptions are the paging options every list takes.
type ListOptions struct {
	// PerPage overrides the client's per_page (WithPerPage) for this list.
	PerPage int
}

// perPage returns the per_page to pin.
func (c *Client) perPageFor(o *ListOptions) (int, error) {
	if o == nil || o.PerPage == 0 {
		return c.perPage, nil
	}
	if o.PerPage < 0 || o.PerPage > MaxPerPage {
		return 0, &InvalidArgumentError{Field: "per_page", Reason: "must be between 1 and " + strconv.Itoa(MaxPerPage)}
	}
	return o.PerPage, nil
}

// pageQuery returns the query of a list page, with page and per_page pinned.
func (c *Client) pageQuery(page int, o *ListOptions) (url.Values, int, error) {
	per, err := c.perPageFor(o)
	if err != nil {
		return nil, 0, err
	}
	if page < 1 {
		page = 1
	}
	q := url.Values{}
	q.Set("page", strconv.Itoa(page))
	q.Set("per_page", strconv.Itoa(per))
	return q, page, nil
}

// listPage GETs one list page and decodes the array embedded under key.
// Every item must belong to the workspace of p (checkOwners) before the page
// is cached or returned.
func listPage[T any, PT ownedPtr[T]](ctx context.Context, c *Client, p *apiPath, q url.Values, page int, key string, policy cachePolicy) (*Page[T], error) {
	return getDecoded(ctx, c, p, q, policy, func(cl *call, body []byte) (*Page[T], error) {
		pg, err := decodePage[T](c, cl, body, page, key)
		if err != nil {
			return nil, err
		}
		if err := checkOwners[T, PT](c, cl, pg.Items); err != nil {
			return nil, err
		}
		return pg, nil
	})
}

// decodePage decodes the body of list page number page, its items from the
// array embedded under key.
func decodePage[T any](c *Client, cl *call, body []byte, page int, key string) (*Page[T], error) {
	var env halList
	if err := decode(cl, body, &env); err != nil {
		return nil, err
	}
	out := &Page[T]{Page: page}
	if raw := env.Embedded.items(key); raw != nil {
		if err := decode(cl, raw, &out.Items); err != nil {
			return nil, err
		}
	}
	if pg := env.Pagination; pg != nil {
		out.TotalCount, out.TotalPages = int(pg.TotalCount), int(pg.TotalPages)
	}
	if len(out.Items) > 0 {
		out.NextPage = c.nextPage(env, page)
	}
	return out, nil
}

// nextPage computes the page after page. Mode's next_page href is never
// followed: only its page number is read (the request is always built on the
// configured host); without one, a pagination block saying there are more
// pages is believed. Empty pages end the list.
func (c *Client) nextPage(env halList, page int) int {
	if len(env.Embedded) == 0 {
		return 0
	}
	if l, ok := env.Links["next_page"]; ok && l.Href != "" {
		if u, err := url.Parse(l.Href); err == nil {
			if n, err := strconv.Atoi(u.Query().Get("page")); err == nil && n > page {
				return n
			}
		}
		return page + 1
	}
	if pg := env.Pagination; pg != nil && int(pg.TotalPages) > page {
		return page + 1
	}
	return 0
}

// maxPages bounds how many pages an iterator fetches, against a server that
// never stops answering next_page.
const maxPages = 100_000

// listAll follows pages lazily from page 1: a page is fetched only when the
// consumer wants an item beyond the previous one. Items whose key was seen
// on an earlier page are skipped; a page with no new item, an empty page or
// a page without a next page ends the sequence. An error is yielded once,
// last.
func listAll[T any](fetch func(page int) (*Page[T], error), key func(T) string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		seen := map[string]struct{}{}
		page := 1
		for range maxPages {
			p, err := fetch(page)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			fresh := 0
			for _, it := range p.Items {
				if k := key(it); k != "" {
					if _, dup := seen[k]; dup {
						continue
					}
					seen[k] = struct{}{}
				}
				fresh++
				if !yield(it, nil) {
					return
				}
			}
			if p.NextPage <= page || fresh == 0 {
				return
			}
			page = p.NextPage
		}
	}
}
