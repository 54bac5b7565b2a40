package service

import (
	"context"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Administration: a data source's name, description and credentials, purges
// of stored results, schema refreshes, and the Metadata API's signature
// tokens. Secrets (a data source's password or connection string, a
// signature token's access secret) travel toward Mode or, once, to the
// caller: they are never logged, recorded for request_id retries, or cached.

// Update mask paths UpdateDataSource accepts.
const (
	dataSourcePathDisplayName      = "display_name"
	dataSourcePathDescription      = "description"
	dataSourcePathPassword         = "credentials.password"
	dataSourcePathConnectionString = "credentials.connection_string"
)

// defaultSignatureTokenLifetime is how long a signature token created
// without an expire_time works.
const defaultSignatureTokenLifetime = 30 * 24 * time.Hour

// UpdateDataSource changes a data source's name, description or
// credentials. The answer is the data source as Mode shows it, which never
// carries credentials.
func (s *DataSourceServer) UpdateDataSource(ctx context.Context, req *connect.Request[modeplatformv1.UpdateDataSourceRequest]) (*connect.Response[modeplatformv1.UpdateDataSourceResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // the mask's paths; no empty name or password
		return nil, err
	}
	in := m.GetDataSource()
	ids, err := parseName("data_source.name", in.GetName(), patDataSource)
	if err != nil {
		return nil, err
	}
	var upd modeclient.DataSourceUpdate
	for _, p := range m.GetUpdateMask().GetPaths() { // no `*` here (the contract's rule)
		switch p {
		case dataSourcePathDisplayName:
			v := in.GetDisplayName()
			upd.Name = &v
		case dataSourcePathDescription:
			v := in.GetDescription()
			upd.Description = &v
		case dataSourcePathPassword:
			v := in.GetCredentials().GetPassword()
			upd.Password = &v
		case dataSourcePathConnectionString:
			v := in.GetCredentials().GetConnectionString()
			upd.ConnectionString = &v
		}
	}
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	d, err := cl.UpdateDataSource(ctx, w, ids[1], upd)
	if err != nil {
		return nil, upstreamError(err, in.GetName())
	}
	return connect.NewResponse(&modeplatformv1.UpdateDataSourceResponse{DataSource: dataSourceFromMode(cl, w, d)}), nil
}

// PurgeDataSourceResults deletes the stored results of every run on a data
// source. With a request_id, a retry within the window answers the first
// call's result without asking Mode again.
func (s *DataSourceServer) PurgeDataSourceResults(ctx context.Context, req *connect.Request[modeplatformv1.PurgeDataSourceResultsRequest]) (*connect.Response[modeplatformv1.PurgeDataSourceResultsResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	ids, err := parseName("name", m.GetName(), patDataSource)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	res, err := do(ctx, s.core.creates, "PurgeDataSourceResults\x00"+w, m.GetRequestId(), requestFingerprint("PurgeDataSourceResults", m.GetName()),
		func(ctx context.Context) (*modeplatformv1.PurgeDataSourceResultsResponse, error) {
			if err := cl.PurgeDataSourceResults(ctx, w, ids[1]); err != nil {
				return nil, upstreamError(err, m.GetName())
			}
			return &modeplatformv1.PurgeDataSourceResultsResponse{}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// RefreshDataSourceSchema asks Mode to read a data source's schema again. A
// request_id answers a retry with the first call's refresh.
func (s *DataSourceServer) RefreshDataSourceSchema(ctx context.Context, req *connect.Request[modeplatformv1.RefreshDataSourceSchemaRequest]) (*connect.Response[modeplatformv1.RefreshDataSourceSchemaResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	ids, err := parseName("name", m.GetName(), patDataSource)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	res, err := do(ctx, s.core.creates, "RefreshDataSourceSchema\x00"+w, m.GetRequestId(), requestFingerprint("RefreshDataSourceSchema", m.GetName()),
		func(ctx context.Context) (*modeplatformv1.RefreshDataSourceSchemaResponse, error) {
			u, err := cl.UpdateDataSourceSchema(ctx, w, ids[1])
			if err != nil {
				return nil, upstreamError(err, m.GetName())
			}
			return &modeplatformv1.RefreshDataSourceSchemaResponse{SchemaRefresh: &modeplatformv1.SchemaRefresh{
				Token:           u.Token,
				State:           u.State,
				SchemaCount:     int64(u.NumberOfSchemas),
				TableCount:      int64(u.NumberOfTables),
				LastSuccessTime: timestamp(u.LastSuccessfulRefreshAt),
			}}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// PurgeReportResults deletes the stored results of every report run of a
// workspace. A request_id answers a retry without asking Mode again.
func (s *ReportServer) PurgeReportResults(ctx context.Context, req *connect.Request[modeplatformv1.PurgeReportResultsRequest]) (*connect.Response[modeplatformv1.PurgeReportResultsResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patWorkspace)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	res, err := do(ctx, s.core.creates, "PurgeReportResults\x00"+w, m.GetRequestId(), requestFingerprint("PurgeReportResults", m.GetParent()),
		func(ctx context.Context) (*modeplatformv1.PurgeReportResultsResponse, error) {
			if err := cl.PurgeReportResults(ctx, w); err != nil {
				return nil, upstreamError(err, m.GetParent())
			}
			return &modeplatformv1.PurgeReportResultsResponse{}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// CreateSignatureToken creates a signature token for signed embeds. Only
// the call that created the token answers its secret: what a request_id
// records for retries (in memory or in the shared store) is the token
// without it.
func (s *WorkspaceServer) CreateSignatureToken(ctx context.Context, req *connect.Request[modeplatformv1.CreateSignatureTokenRequest]) (*connect.Response[modeplatformv1.CreateSignatureTokenResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // the name's length; an expiry in the next year
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patWorkspace)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	in := m.GetSignatureToken()
	expires := s.core.opts.Now().Add(defaultSignatureTokenLifetime)
	if in.GetExpireTime() != nil {
		expires = in.GetExpireTime().AsTime()
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	var secret string // set only when this call created the token
	fingerprint := requestFingerprint("CreateSignatureToken", m.GetParent(), in.GetDisplayName(), in.GetExpireTime().String())
	res, err := do(ctx, s.core.creates, "CreateSignatureToken\x00"+w, m.GetRequestId(), fingerprint,
		func(ctx context.Context) (*modeplatformv1.CreateSignatureTokenResponse, error) {
			t, err := cl.CreateSignatureToken(ctx, w, in.GetDisplayName(), expires)
			if err != nil {
				return nil, upstreamError(err, m.GetParent())
			}
			secret = t.AccessSecret
			return &modeplatformv1.CreateSignatureTokenResponse{SignatureToken: signatureTokenFromMode(w, t)}, nil
		})
	if err != nil {
		return nil, err
	}
	if secret != "" {
		res = proto.CloneOf(res) // the recorded answer keeps no secret
		res.SignatureToken.AccessSecret = secret
	}
	return connect.NewResponse(res), nil
}

// DeleteSignatureToken deletes a signature token.
func (s *WorkspaceServer) DeleteSignatureToken(ctx context.Context, req *connect.Request[modeplatformv1.DeleteSignatureTokenRequest]) (*connect.Response[modeplatformv1.DeleteSignatureTokenResponse], error) {
	err := deleteOf(ctx, s.core, req.Msg, patSignature,
		func(ctx context.Context, cl *modeclient.Client, ids []string) error {
			return cl.DeleteSignatureToken(ctx, ids[0], ids[1])
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.DeleteSignatureTokenResponse{}), nil
}

// signatureTokenFromMode translates a signature token of workspace w,
// without its secret.
func signatureTokenFromMode(w string, t *modeclient.SignatureToken) *modeplatformv1.SignatureToken {
	return &modeplatformv1.SignatureToken{
		Name:              resourceNameOf(patSignature, w, t.Token),
		DisplayName:       t.Name,
		AccessKey:         t.AccessKey,
		AuthenticationFor: string(t.AuthenticationFor),
		AuthorizationType: string(t.AuthorizationType),
		CreateTime:        timestamp(t.CreatedAt),
		UpdateTime:        timestamp(t.UpdatedAt),
		ExpireTime:        timestamp(t.ExpiresAt),
	}
}
