package service

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/modeplatform/modeplatform/modeclient"
)

// listRequest is what every standard List request carries (AIP-132, AIP-158).
type listRequest interface {
	proto.Message
	GetParent() string
	GetPageSize() int32
	GetPageToken() string
}

// listOf runs a standard List method: it checks the request against the
// contract's rules (page_size, page_token), parses its parent (a resource
// name of pattern), takes the parent workspace's Mode client, pages through
// Mode with fetch from the request's page token (bound to the request's
// other fields: see listPage), translates each item, and maps Mode's errors
// to the parent's name. fetch and translate get the parent's ids: ids[0] is
// the workspace.
func listOf[T, P any](ctx context.Context, c *core, req listRequest, pattern string,
	fetch func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[T], error),
	translate func(cl *modeclient.Client, ids []string, item *T) P,
) (*pageResult[P], error) {
	if err := validated(req); err != nil {
		return nil, err
	}
	parent := req.GetParent()
	ids, err := parseName("parent", parent, pattern)
	if err != nil {
		return nil, err
	}
	cl, err := c.client(ctx, ids[0])
	if err != nil {
		return nil, err
	}
	page, err := listPage(ctx, c, req,
		func(ctx context.Context, modePage int) (*modeclient.Page[T], error) {
			return fetch(ctx, cl, ids, modePage)
		},
		func(item *T) P { return translate(cl, ids, item) })
	if err != nil {
		return nil, upstreamError(err, parent)
	}
	return page, nil
}

// nameRequest is what every standard Get or Delete request carries (AIP-131,
// AIP-135).
type nameRequest interface{ GetName() string }

// getOf runs a standard Get method: it parses the request's name (a resource
// name of pattern), takes its workspace's Mode client, reads the
// object with get and translates it; Mode's errors name the resource. get
// and translate get the name's ids: ids[0] is the workspace.
func getOf[T, P any](ctx context.Context, c *core, req nameRequest, pattern string,
	get func(ctx context.Context, cl *modeclient.Client, ids []string) (*T, error),
	translate func(cl *modeclient.Client, ids []string, v *T) P,
) (P, error) {
	var zero P
	name := req.GetName()
	ids, err := parseName("name", name, pattern)
	if err != nil {
		return zero, err
	}
	cl, err := c.client(ctx, ids[0])
	if err != nil {
		return zero, err
	}
	v, err := get(ctx, cl, ids)
	if err != nil {
		return zero, upstreamError(err, name)
	}
	return translate(cl, ids, v), nil
}

// deleteOf runs a standard Delete method as getOf runs a Get, with del.
func deleteOf(ctx context.Context, c *core, req nameRequest, pattern string,
	del func(ctx context.Context, cl *modeclient.Client, ids []string) error,
) error {
	name := req.GetName()
	ids, err := parseName("name", name, pattern)
	if err != nil {
		return err
	}
	cl, err := c.client(ctx, ids[0])
	if err != nil {
		return err
	}
	if err := del(ctx, cl, ids); err != nil {
		return upstreamError(err, name)
	}
	return nil
}
