// Package modeplatform is the Go client of the modeplatform API: one Client holds the generated
// Connect clients of the four services (gen/go/modeplatform/v1/modeplatformv1connect), sends the
// caller's key with every call, and adds the loops every caller otherwise writes itself: follow a
// report run to its end (FollowRun, WaitRun) and read a query run's result row by row (Rows), both
// resuming where the server asks them to.
//
//	c, err := modeplatform.New("https://modeplatform.example.com", modeplatform.WithKey(os.Getenv("MODEPLATFORM_KEY")))
//	run, err := c.Reports.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{Name: report}))
//	done, err := c.WaitRun(ctx, run.Msg.GetRun().GetName())
//	for row, err := range c.Rows(ctx, queryRunName) { … }
//
// The messages and the service clients are the generated ones: import
// github.com/modeplatform/modeplatform/gen/go/modeplatform/v1 beside this package. Versions follow
// the contract (see Version).
package modeplatform

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"connectrpc.com/connect"

	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
)

// Version is the version of the client packages (Go, Python, npm), clients/VERSION in the
// repository. Its major number is the contract's: the proto package modeplatform.v1 is 1.x.y; a
// field or method added to v1 raises the minor number; a modeplatform.v2 would be 2.0.0 (and, for
// Go, the module path's /v2).
const Version = "1.0.0"

// ContractPackage is the proto package of the contract this client speaks.
const ContractPackage = "modeplatform.v1"

// Client holds the clients of modeplatform's four services, all sharing one HTTP client, protocol
// and key. It is safe for concurrent use.
type Client struct {
	// Workspaces reads workspaces, members, groups and spaces, and manages people and access.
	Workspaces modeplatformv1connect.WorkspaceServiceClient
	// Reports reads, runs and exports reports, their runs, queries, schedules and subscriptions.
	Reports modeplatformv1connect.ReportServiceClient
	// Datasets reads and runs datasets (Mode's data models) and their fields.
	Datasets modeplatformv1connect.DatasetServiceClient
	// DataSources reads the workspace's data sources and shared SQL definitions.
	DataSources modeplatformv1connect.DataSourceServiceClient
}

// Option configures New.
type Option func(*options) error

type options struct {
	key        string
	httpClient connect.HTTPClient
	grpc       bool
	clientOpts []connect.ClientOption
}

// WithKey sends key as `Authorization: Bearer <key>` with every call: the key a caller policy
// (--policy) gives this caller. A server without a policy ignores it. Use TLS (an https:// base
// URL) for a server that is not on the same host: the key would otherwise cross the network in
// clear text.
func WithKey(key string) Option {
	return func(o *options) error {
		if key == "" {
			return errors.New("modeplatform: WithKey: the key is empty")
		}
		if strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f || r > '~' }) {
			// Never echo the key: it is a secret.
			return errors.New("modeplatform: WithKey: the key holds a space, a control or a non-ASCII character")
		}
		o.key = key
		return nil
	}
}

// WithHTTPClient makes the calls through c instead of the default client (which speaks HTTP/1.1
// and HTTP/2 over TLS, and with WithGRPC HTTP/2 also without TLS). Give one with a TLS
// configuration for a private CA or a client certificate.
func WithHTTPClient(c connect.HTTPClient) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("modeplatform: WithHTTPClient: the client is nil")
		}
		o.httpClient = c
		return nil
	}
}

// WithGRPC speaks gRPC (HTTP/2) instead of the Connect protocol. Both reach the same services on
// the same port; gRPC suits proxies that route it, the Connect protocol is plain HTTP that any
// proxy passes.
func WithGRPC() Option {
	return func(o *options) error {
		o.grpc = true
		return nil
	}
}

// WithClientOptions passes further options to every generated client (interceptors, compression,
// read limits, connect.WithProtoJSON, …).
func WithClientOptions(opts ...connect.ClientOption) Option {
	return func(o *options) error {
		o.clientOpts = append(o.clientOpts, opts...)
		return nil
	}
}

// New returns a Client of the server at baseURL ("https://host" or "http://host:port", without a
// path, or with the path prefix a proxy serves the API under).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("modeplatform: the base URL %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("modeplatform: the base URL %q must start with http:// or https://", baseURL)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("modeplatform: the base URL %q must name a host, and no user, query or fragment", baseURL)
	}
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.httpClient == nil {
		o.httpClient = defaultHTTPClient(o.grpc)
	}
	clientOpts := []connect.ClientOption{}
	if o.grpc {
		clientOpts = append(clientOpts, connect.WithGRPC())
	}
	if o.key != "" {
		clientOpts = append(clientOpts, connect.WithInterceptors(keyInterceptor{header: "Bearer " + o.key}))
	}
	clientOpts = append(clientOpts, o.clientOpts...)
	base := strings.TrimSuffix(u.String(), "/")
	return &Client{
		Workspaces:  modeplatformv1connect.NewWorkspaceServiceClient(o.httpClient, base, clientOpts...),
		Reports:     modeplatformv1connect.NewReportServiceClient(o.httpClient, base, clientOpts...),
		Datasets:    modeplatformv1connect.NewDatasetServiceClient(o.httpClient, base, clientOpts...),
		DataSources: modeplatformv1connect.NewDataSourceServiceClient(o.httpClient, base, clientOpts...),
	}, nil
}

// defaultHTTPClient is a copy of http.DefaultTransport's settings; for gRPC it speaks HTTP/2 only,
// over TLS for https:// and without (h2c) for http://.
func defaultHTTPClient(grpc bool) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if grpc {
		var p http.Protocols
		p.SetHTTP2(true)
		p.SetUnencryptedHTTP2(true)
		t.Protocols = &p
	}
	return &http.Client{Transport: t}
}

// keyInterceptor sets the Authorization header of every call a client makes.
type keyInterceptor struct{ header string }

func (k keyInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("Authorization", k.header)
		return next(ctx, req)
	}
}

func (k keyInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		conn.RequestHeader().Set("Authorization", k.header)
		return conn
	}
}

func (k keyInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
